//! Helm, read statically: charts in the repository and values files of charts that live
//! elsewhere, layered per release and environment as Helm layers them, so that the rules see
//! what each cluster receives and every finding points at the values line that set it.
//!
//! The rules do not read values trees directly: each image block and Service annotation map
//! of a release's effective values becomes a synthetic object ([`blocks::KIND`]) that the
//! image rules and `hardcoded-clb-spec` read like any manifest.

mod blocks;
mod release;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::finding::Finding;
use crate::yaml::Tree;

use super::{Built, InputKind, ParsedFile};

pub use blocks::{API_VERSION, KIND};
pub use release::{Release, plan};
pub use values::layer;

/// What reading every release of a run produced.
#[derive(Debug, Default)]
pub struct Builds {
    pub built: Vec<Built>,
    pub findings: Vec<Finding>,
}

/// The values files and `Chart.yaml`s of a run, relative to the config root.
pub fn helm_files<'a>(
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
/// objects, in parallel.
pub fn build_all(files: &[ParsedFile], config: &Config) -> Builds {
    let by_path: HashMap<String, &ParsedFile> = helm_files(config, files).collect();
    let releases = plan(config, by_path.keys().map(String::as_str));
    let built: Vec<Built> = releases
        .par_iter()
        .filter_map(|release| build(release, &by_path))
        .collect();
    Builds {
        built,
        findings: Vec::new(),
    }
}

/// One release in one environment: its values files layered, then read for image blocks and
/// annotation maps. Values files the run did not read are left out.
fn build(release: &Release, by_path: &HashMap<String, &ParsedFile>) -> Option<Built> {
    let files: Vec<&ParsedFile> = release
        .values
        .iter()
        .filter_map(|path| by_path.get(path).copied())
        .collect();
    let last = files.last()?.id;
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
    let effective = effective?;
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
    Some(Built {
        file: last,
        documents,
        envs: release.env.iter().map(Arc::clone).collect(),
    })
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
