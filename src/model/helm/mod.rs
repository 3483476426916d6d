//! Helm, read statically: charts in the repository and values files of charts that live
//! elsewhere, layered per release and environment as Helm layers them, so that the rules see
//! what each cluster receives and every finding points at the values line that set it.
//!
//! The rules do not read values trees directly: each image block and Service annotation map
//! of a release's effective values becomes a synthetic object ([`blocks::KIND`]) that the
//! image rules and `hardcoded-clb-spec` read like any manifest.

mod blocks;
mod chart;
mod release;
mod render;
mod schema;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::yaml::Tree;

use super::{Built, InputKind, ParsedFile};

pub use blocks::KIND;
pub use release::{Release, plan};
pub use render::{NOT_VENDORED, RENDER_ERROR, locate_helm};
use schema::Schema;
use values::layer;

/// What reading every release of a run produced.
#[derive(Debug, Default)]
pub struct Builds {
    pub built: Vec<Built>,
    pub findings: Vec<Finding>,
}

/// The values files and `Chart.yaml`s of a run, relative to the config root.
fn helm_files<'a>(
    config: &'a Config,
    files: &'a [ParsedFile],
) -> impl Iterator<Item = (String, &'a ParsedFile)> {
    files.iter().filter_map(move |file| {
        let path = file.path.as_deref()?;
        let is_chart = path.file_name().is_some_and(|n| n == "Chart.yaml");
        (file.kind == InputKind::HelmValues || is_chart).then(|| (config.relative(path), file))
    })
}

/// Every release of the run, each environment's effective values read into synthetic
/// objects, in parallel. When the run renders (`config.helm_binary`), each release of a chart
/// in the repository that renders is linted as rendered instead: its objects replace its
/// synthetic ones (the same images and annotations, now as the cluster receives them), and
/// the templates its findings point into join `files`.
pub fn build_all(files: &mut Vec<ParsedFile>, config: &Config, rules: &RuleSet) -> Builds {
    let mut read = read_statically(files, config, rules);
    if let Some(helm) = &config.helm_binary {
        let rendered = render::render_all(files, &read.jobs(), config, rules, helm);
        for (slot, objects) in read.built.iter_mut().zip(rendered.built) {
            if objects.is_some() {
                *slot = objects;
            }
        }
        read.findings.extend(rendered.findings);
    }
    Builds {
        built: read.built.into_iter().flatten().collect(),
        findings: read.findings,
    }
}

/// The releases of the charts among `files` as helm renders them, for `kubelint build`: each
/// with the `helm template` command line it stands for, and the problems found on the way.
pub fn render_charts(
    files: &mut Vec<ParsedFile>,
    config: &Config,
    rules: &RuleSet,
    helm: &std::path::Path,
) -> (Vec<(String, Built)>, Vec<Finding>) {
    let read = read_statically(files, config, rules);
    let rendered = render::render_all(files, &read.jobs(), config, rules, helm);
    let releases = rendered
        .commands
        .into_iter()
        .zip(rendered.built)
        .filter_map(|(command, built)| Some((command?, built?)))
        .collect();
    let mut findings = read.findings;
    findings.extend(rendered.findings);
    (releases, findings)
}

/// The releases of a run read without helm, each release's results at its index.
struct Static {
    releases: Vec<Release>,
    built: Vec<Option<Built>>,
    effective: Vec<Option<Tree>>,
    /// Whether the release's values break the chart's values.schema.json: helm refuses to
    /// render them, and `helm-values-schema` already says where, so it is not rendered.
    invalid: Vec<bool>,
    findings: Vec<Finding>,
}

impl Static {
    /// What rendering needs of each release, at the release's index.
    fn jobs(&self) -> Vec<render::Wanted<'_>> {
        self.releases
            .iter()
            .zip(&self.effective)
            .zip(&self.invalid)
            .map(|((release, effective), invalid)| render::Wanted {
                release,
                effective: effective.as_ref(),
                render: !invalid,
            })
            .collect()
    }
}

fn read_statically(files: &[ParsedFile], config: &Config, rules: &RuleSet) -> Static {
    let by_path: HashMap<String, &ParsedFile> = helm_files(config, files).collect();
    let releases = plan(config, by_path.keys().map(String::as_str));
    let mut chart_dirs: Vec<&str> = releases
        .iter()
        .filter_map(|r| r.chart_dir.as_deref())
        .collect();
    chart_dirs.sort_unstable();
    chart_dirs.dedup();
    let schemas: HashMap<&str, Schema> = chart_dirs
        .par_iter()
        .filter_map(|dir| Some((*dir, Schema::read(&config.root.join(dir))?)))
        .collect();
    let read: Vec<(Option<Built>, Vec<Finding>, Option<Tree>)> = releases
        .par_iter()
        .map(|release| {
            let schema = release
                .chart_dir
                .as_deref()
                .and_then(|dir| schemas.get(dir));
            build(release, &by_path, schema, rules)
        })
        .collect();
    let mut findings: Vec<Finding> = files
        .par_iter()
        .filter(|f| {
            f.path
                .as_deref()
                .is_some_and(|p| p.file_name().is_some_and(|n| n == "Chart.yaml"))
        })
        .flat_map_iter(|file| chart::check(file, rules))
        .collect();
    let mut built = Vec::new();
    let mut effective = Vec::new();
    let mut invalid = Vec::new();
    for (objects, schema_findings, values) in read {
        built.push(objects);
        invalid.push(!schema_findings.is_empty());
        findings.extend(schema_findings);
        effective.push(values);
    }
    Static {
        releases,
        built,
        effective,
        invalid,
        findings,
    }
}

/// One release in one environment: its values files layered, then read for image blocks and
/// annotation maps, and the effective values. Values files the run did not read are left out.
fn build(
    release: &Release,
    by_path: &HashMap<String, &ParsedFile>,
    schema: Option<&Schema>,
    rules: &RuleSet,
) -> (Option<Built>, Vec<Finding>, Option<Tree>) {
    let files: Vec<&ParsedFile> = release
        .values
        .iter()
        .filter_map(|path| by_path.get(path).copied())
        .collect();
    let Some(last) = files.last().map(|f| f.id) else {
        return (None, Vec::new(), None);
    };
    let mut effective: Option<Tree> = None;
    for file in &files {
        let Some(tree) = first_tree(file) else {
            continue;
        };
        match &mut effective {
            Some(base) => layer(base, tree),
            None => effective = Some(tree),
        }
    }
    let Some(effective) = effective else {
        return (None, Vec::new(), None);
    };
    let mut findings = schema.map_or_else(Vec::new, |s| s.validate(&effective, rules));
    for finding in &mut findings {
        finding
            .envs
            .extend(release.env.iter().map(|e| Arc::from(e.name.as_str())));
    }
    let chart = release
        .chart_dir
        .as_ref()
        .and_then(|dir| by_path.get(&chart_file(dir)))
        .and_then(|file| first_tree(file));
    let app_version = chart.as_ref().and_then(|c| c.get("appVersion"));
    let context = blocks::Release {
        name: &release.name,
        namespace: release.namespace.as_deref(),
        app_version,
    };
    let documents = blocks::synthetic_objects(&effective, &context)
        .iter()
        .map(|object| object.freeze(last))
        .collect();
    let built = Built {
        file: last,
        documents,
        envs: release.env.iter().map(Arc::clone).collect(),
        reads: files.iter().map(|f| f.id).collect(),
    };
    (Some(built), findings, Some(effective))
}

fn chart_file(dir: &str) -> String {
    if dir.is_empty() {
        "Chart.yaml".into()
    } else {
        format!("{dir}/Chart.yaml")
    }
}

/// A values file's mapping, as Helm reads it (the first document); `None` for anything else.
fn first_tree(file: &ParsedFile) -> Option<Tree> {
    let root = file.stream.documents.first()?.root()?;
    root.is_mapping().then_some(())?;
    Tree::from_node(root).ok()
}
