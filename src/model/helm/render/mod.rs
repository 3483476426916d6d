//! Rendering, opt-in (`--helm-render`, or `render: true` under `helm`): each release of a
//! chart in the repository is rendered by `helm template` with its layered values files, in
//! parallel, and what helm prints is read as objects ([`Built`]) whose every node points at a
//! file of the repository (see [`origins`]). Never with the network: a dependency that is not
//! vendored in `charts/` is a finding at that dependency, and the chart is not rendered.

mod markers;
mod origins;
mod output;
mod run;

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::finding::Finding;
use crate::model::{Built, InputKind, ParsedFile};
use crate::rules::RuleSet;
use crate::source::{FileId, Origin};
use crate::yaml::{self, Tree};

use super::Release;
use markers::Marked;
use origins::{Mapper, Template};
pub use run::locate_helm;

pub const RENDER_ERROR: &str = "helm-render-error";
pub const NOT_VENDORED: &str = "helm-dependency-not-vendored";

/// The id rendered text is parsed under before its nodes get origins in real files.
const SCRATCH: FileId = FileId(u32::MAX);

/// What rendering the releases gave: per release (in the order given), its objects when it
/// rendered; and the findings made on the way.
pub struct Rendered {
    pub built: Vec<Option<Built>>,
    /// The `helm template` command line of each release that rendered.
    pub commands: Vec<Option<String>>,
    pub findings: Vec<Finding>,
}

/// A release, as the static reading left it for rendering.
pub struct Wanted<'a> {
    pub release: &'a Release,
    /// Its layered values, which the markers are made from.
    pub effective: Option<&'a Tree>,
    /// False when helm would refuse the values (they break values.schema.json).
    pub render: bool,
}

/// One release to render.
struct Job<'a> {
    index: usize,
    release: &'a Release,
    chart: FileId,
    values: Vec<FileId>,
    effective: Option<&'a Tree>,
}

/// What helm printed for one job: the render, and the render with markers when it worked.
struct Output {
    command: String,
    rendered: Result<String, String>,
    marked: Option<(Marked, String)>,
}

/// Renders every wanted release whose chart is in the repository. The templates that
/// findings point into are added to `files`.
pub fn render_all(
    files: &mut Vec<ParsedFile>,
    wanted: &[Wanted<'_>],
    config: &Config,
    rules: &RuleSet,
    helm: &Path,
) -> Rendered {
    let by_path: HashMap<String, FileId> = files
        .iter()
        .filter_map(|f| Some((config.relative(f.path.as_deref()?), f.id)))
        .collect();
    let jobs: Vec<Job<'_>> = wanted
        .iter()
        .enumerate()
        .filter(|(_, w)| w.render)
        .filter_map(|(index, w)| {
            let release = w.release;
            let dir = release.chart_dir.as_deref()?;
            let chart = *by_path.get(&super::chart_file(dir))?;
            if is_library(&files[chart.0 as usize]) {
                return None;
            }
            Some(Job {
                index,
                release,
                chart,
                values: release
                    .values
                    .iter()
                    .filter_map(|v| by_path.get(v).copied())
                    .collect(),
                effective: w.effective,
            })
        })
        .collect();
    let mut findings = Vec::new();
    let outputs: Vec<(usize, Option<Output>, Vec<Finding>)> = jobs
        .par_iter()
        .enumerate()
        .map(|(at, job)| {
            let chart = &files[job.chart.0 as usize];
            let missing = not_vendored(chart, rules);
            if !missing.is_empty() {
                return (at, None, missing);
            }
            (at, Some(render(job, config, helm)), Vec::new())
        })
        .collect();
    let templates = load_templates(files, &jobs, &outputs);
    let mut built: Vec<Option<Built>> = wanted.iter().map(|_| None).collect();
    let mut commands: Vec<Option<String>> = wanted.iter().map(|_| None).collect();
    for (at, output, _) in &outputs {
        if let Some(output) = output.as_ref().filter(|o| o.rendered.is_ok()) {
            commands[jobs[*at].index] = Some(output.command.clone());
        }
    }
    let read: Vec<(usize, Result<Built, Finding>)> = outputs
        .par_iter()
        .filter_map(|(at, output, _)| {
            let job = &jobs[*at];
            let output = output.as_ref()?;
            let result = match &output.rendered {
                Ok(text) => Ok(objects(
                    job,
                    text,
                    output.marked.as_ref(),
                    files,
                    &templates,
                )),
                Err(message) => Err(error_finding(job, message, files, &templates, rules)?),
            };
            Some((job.index, result))
        })
        .collect();
    for (_, _, missing) in outputs {
        findings.extend(missing);
    }
    for (index, result) in read {
        match result {
            Ok(objects) => built[index] = Some(objects),
            Err(finding) => findings.push(finding),
        }
    }
    Rendered {
        built,
        commands,
        findings,
    }
}

/// `helm template`, then again with every string leaf set to a marker.
fn render(job: &Job<'_>, config: &Config, helm: &Path) -> Output {
    let release = job.release;
    let chart_dir = release.chart_dir.as_deref().unwrap_or_default();
    let mut args: Vec<OsString> = vec![
        "template".into(),
        release_name(release).into(),
        config.root.join(chart_dir).into_os_string(),
    ];
    if let Some(namespace) = namespace(release) {
        args.extend(["--namespace".into(), namespace.into()]);
    }
    for values in &release.values {
        args.extend(["--values".into(), config.root.join(values).into_os_string()]);
    }
    let command = shown_command(release, chart_dir);
    let rendered = run::helm(helm, &args, "");
    let marked = match (&rendered, job.effective) {
        (Ok(_), Some(values)) => {
            let marked = Marked::new(values);
            let text = yaml::emit(&marked.values, yaml::Emit { origins: None });
            // Markers break patterns and enums of values.schema.json, which the real render
            // has already checked.
            args.extend([
                "--values".into(),
                "-".into(),
                "--skip-schema-validation".into(),
            ]);
            // A template that breaks under markers falls back to matching values by text.
            run::helm(helm, &args, &text).ok().map(|out| (marked, out))
        }
        _ => None,
    };
    Output {
        command,
        rendered,
        marked,
    }
}

/// The release name helm is given: a release named after its folder (`nemoRL`) is made a
/// name helm accepts (lowercase letters, digits and `-`, at most 53 characters), as a user
/// installing it would; a name the config gives is passed as it is.
fn release_name(release: &Release) -> String {
    let name: String = release
        .name
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '.') => c,
            _ => '-',
        })
        .take(53)
        .collect();
    let name = name.trim_matches(['-', '.']);
    if name.is_empty() {
        "release".into()
    } else {
        name.into()
    }
}

/// The command line as a user would type it in the config's folder.
fn shown_command(release: &Release, chart_dir: &str) -> String {
    let mut shown = format!(
        "helm template {} {}",
        release_name(release),
        if chart_dir.is_empty() { "." } else { chart_dir }
    );
    if let Some(namespace) = namespace(release) {
        shown.push_str(&format!(" --namespace {namespace}"));
    }
    for values in &release.values {
        shown.push_str(&format!(" --values {values}"));
    }
    shown
}

/// The namespace a release installs into: its own, else its environment's.
fn namespace(release: &Release) -> Option<&str> {
    release
        .namespace
        .as_deref()
        .or_else(|| release.env.as_ref()?.spec.namespace.as_deref())
}

/// A library chart (`type: library`) only lends templates to other charts: helm refuses to
/// install or render it on its own.
fn is_library(chart: &ParsedFile) -> bool {
    chart
        .stream
        .documents
        .first()
        .and_then(|d| d.root())
        .and_then(|root| root.get("type"))
        .and_then(|t| t.as_str())
        == Some("library")
}

/// Each dependency of a `Chart.yaml` that is not in its `charts/` folder (as a folder or a
/// `.tgz`), at its `name`: helm cannot render the chart until `helm dependency build` fetches
/// it, which kubelint never runs.
fn not_vendored(chart: &ParsedFile, rules: &RuleSet) -> Vec<Finding> {
    let Some(root) = chart.stream.documents.first().and_then(|d| d.root()) else {
        return Vec::new();
    };
    let Some(dir) = chart.path.as_deref().and_then(Path::parent) else {
        return Vec::new();
    };
    let vendored: BTreeSet<String> = std::fs::read_dir(dir.join("charts"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    root.get("dependencies")
        .into_iter()
        .flat_map(|d| d.items())
        .filter_map(|dependency| {
            let name_node = dependency.get("name")?;
            let name = name_node.as_str()?;
            let present = vendored.contains(name)
                || vendored
                    .iter()
                    .any(|f| f.ends_with(".tgz") && f.starts_with(&format!("{name}-")));
            if present {
                return None;
            }
            let message = format!(
                "dependency `{name}` is not vendored in charts/, so the chart is not rendered: kubelint never fetches charts (`helm dependency build` needs the network); run it and commit charts/{name}-<version>.tgz, or lint without --helm-render"
            );
            rules.builtin_finding(NOT_VENDORED, name_node.origin(), message)
        })
        .collect()
}

/// The template files the renders and their errors name, read (once each) into `files`;
/// by path in the chart folder, per chart.
fn load_templates(
    files: &mut Vec<ParsedFile>,
    jobs: &[Job<'_>],
    outputs: &[(usize, Option<Output>, Vec<Finding>)],
) -> HashMap<PathBuf, FileId> {
    let mut wanted: BTreeSet<(PathBuf, String, bool)> = BTreeSet::new();
    for (at, output) in outputs
        .iter()
        .filter_map(|(at, o, _)| Some((at, o.as_ref()?)))
    {
        let job = &jobs[*at];
        let chart = &files[job.chart.0 as usize];
        let Some(dir) = chart.path.as_deref().and_then(Path::parent) else {
            continue;
        };
        let display_dir = chart.source.path.trim_end_matches("Chart.yaml").to_string();
        let named: Vec<String> = match &output.rendered {
            Ok(text) => output::split(text)
                .iter()
                .filter_map(|c| output::path_in_chart(c.source).map(str::to_string))
                .collect(),
            Err(message) => error_position(message)
                .and_then(|(source, _, _)| output::path_in_chart(&source).map(str::to_string))
                .into_iter()
                .collect(),
        };
        for path in named {
            wanted.insert((
                dir.join(&path),
                format!("{display_dir}{path}"),
                chart.reported,
            ));
        }
    }
    let start = files.len();
    let loaded: Vec<ParsedFile> = wanted
        .into_iter()
        .filter(|(path, _, _)| path.is_file())
        .collect::<Vec<_>>()
        .into_par_iter()
        .enumerate()
        .filter_map(|(index, (path, display, reported))| {
            let bytes = std::fs::read(&path).ok()?;
            let loaded = crate::discover::read_text(&display, &bytes);
            Some(ParsedFile {
                id: FileId((start + index) as u32),
                path: Some(path),
                source: Arc::new(loaded.source),
                stream: yaml::Stream::default(),
                kind: InputKind::Manifest,
                envs: Vec::new(),
                reported,
            })
        })
        .collect();
    // Ids are indexes: files skipped above must not leave gaps.
    let mut out = HashMap::new();
    for (offset, mut file) in loaded.into_iter().enumerate() {
        file.id = FileId((start + offset) as u32);
        if let Some(path) = &file.path {
            out.insert(path.clone(), file.id);
        }
        files.push(file);
    }
    out
}

/// The release's rendered objects, each node pointing into the repository.
fn objects(
    job: &Job<'_>,
    text: &str,
    marked: Option<&(Marked, String)>,
    files: &[ParsedFile],
    templates: &HashMap<PathBuf, FileId>,
) -> Built {
    let chart = &files[job.chart.0 as usize];
    let chart_dir = chart.path.as_deref().and_then(Path::parent);
    let twins: HashMap<(&str, usize), &str> = marked
        .map(|(_, out)| output::split(out))
        .unwrap_or_default()
        .into_iter()
        .map(|c| ((c.source, c.index), c.text))
        .collect();
    let values = marked.map(|(m, _)| m);
    let built_file = job.values.last().copied().unwrap_or(job.chart);
    let mut reads: Vec<FileId> = job.values.clone();
    let mut documents = Vec::new();
    for chunk in output::split(text) {
        let file = output::path_in_chart(chunk.source)
            .zip(chart_dir)
            .and_then(|(path, dir)| templates.get(&dir.join(path)))
            .copied();
        let template = match file {
            Some(id) => {
                reads.push(id);
                Template::new(id, &files[id.0 as usize].source)
            }
            // A template helm read from a packaged subchart (`charts/x.tgz`): nothing on disk
            // to point into but the chart that depends on it.
            None => Template::empty(job.chart, &chart.source),
        };
        let fallback = Origin::new(template.file, 0..0);
        let mapper = Mapper::new(chunk.text, &template, values);
        let twin = twins
            .get(&(chunk.source, chunk.index))
            .map(|t| yaml::parse(t.to_string()).in_file(SCRATCH));
        let stream = yaml::parse(chunk.text.to_string()).in_file(SCRATCH);
        for (at, doc) in stream.documents.iter().enumerate() {
            let Some(mut tree) = doc.root().and_then(|root| Tree::from_node(root).ok()) else {
                continue;
            };
            if tree.entries().is_empty() {
                continue;
            }
            let twin_tree = twin
                .as_ref()
                .and_then(|s| s.documents.get(at)?.root())
                .and_then(|root| Tree::from_node(root).ok());
            mapper.map(&mut tree, twin_tree.as_ref(), fallback, false);
            documents.push(tree.freeze(built_file));
        }
    }
    reads.sort();
    reads.dedup();
    Built {
        file: built_file,
        documents,
        envs: job.release.env.iter().map(Arc::clone).collect(),
        reads,
    }
}

/// Where helm's error message names a template: `(<chart>/templates/x.yaml:12:5)` or
/// `template: <chart>/templates/x.yaml:12:5:`, or `YAML parse error on <chart>/templates/x.yaml`.
fn error_position(message: &str) -> Option<(String, Option<usize>, Option<usize>)> {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/templates/[A-Za-z0-9_./-]+?)(?::(\d+))?(?::(\d+))?(?:[:)\s]|$)")
            .expect("the pattern is valid")
    });
    let caps = PATTERN.captures(message)?;
    let number = |i| caps.get(i).and_then(|m| m.as_str().parse::<usize>().ok());
    Some((caps[1].to_string(), number(2), number(3)))
}

/// helm's error, at the template line it names, else at the chart's `Chart.yaml`.
fn error_finding(
    job: &Job<'_>,
    message: &str,
    files: &[ParsedFile],
    templates: &HashMap<PathBuf, FileId>,
    rules: &RuleSet,
) -> Option<Finding> {
    let chart = &files[job.chart.0 as usize];
    let chart_dir = chart.path.as_deref().and_then(Path::parent);
    // helm's advice to rerun it with --debug is not kubelint's to give.
    let shown: Vec<&str> = message
        .strip_prefix("Error: ")
        .unwrap_or(message)
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.contains("--debug"))
        .collect();
    let shown = shown.join("\n");
    let mut origin = Origin::new(job.chart, 0..0);
    if let Some((source, line, column)) = error_position(message)
        && let Some(id) = output::path_in_chart(&source)
            .zip(chart_dir)
            .and_then(|(path, dir)| templates.get(&dir.join(path)))
    {
        let file = &files[id.0 as usize].source;
        let line = line
            .unwrap_or(1)
            .saturating_sub(1)
            .min(file.line_count().saturating_sub(1));
        let range = file.line_range(line);
        let text = &file.text[range.clone()];
        let indent = text.len() - text.trim_start().len();
        let end = range.start + text.trim_end().len();
        let start = match column {
            Some(column) => range.start + column.saturating_sub(1),
            None => range.start + indent,
        };
        origin = Origin::new(*id, start.min(end)..end);
    }
    let env = job
        .release
        .env
        .as_ref()
        .map_or_else(String::new, |e| format!(" in {}", e.name));
    let text = format!(
        "helm template failed for release {}{env}: {}",
        job.release.name,
        shown.chars().take(2000).collect::<String>()
    );
    rules
        .builtin_finding(RENDER_ERROR, origin, text)
        .map(|mut f| {
            f.envs
                .extend(job.release.env.iter().map(|e| Arc::from(e.name.as_str())));
            f
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_errors_name_the_template_line() {
        assert_eq!(
            error_position(
                "Error: template: app/templates/deployment.yaml:12:5: executing \"app/templates/deployment.yaml\" at <.Values.x>: nil"
            ),
            Some(("app/templates/deployment.yaml".into(), Some(12), Some(5)))
        );
        assert_eq!(
            error_position("Error: parse error at (app/templates/svc.yaml:3): unexpected \"}\""),
            Some(("app/templates/svc.yaml".into(), Some(3), None))
        );
        assert_eq!(
            error_position(
                "Error: YAML parse error on app/templates/cm.yaml: error converting YAML to JSON"
            ),
            Some(("app/templates/cm.yaml".into(), None, None))
        );
        assert_eq!(error_position("Error: chart requires kubeVersion"), None);
    }
}
