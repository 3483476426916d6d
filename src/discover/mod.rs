//! The `discover` stage: which files a run lints, found in parallel and listed in a
//! deterministic order, each classified by what it is.

mod json;
mod read;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::config::{self, Config, display_path};
use crate::model::InputKind;

pub use json::is_json;
pub use read::{Loaded, MAX_FILE_BYTES_READ, NotText, read_text, too_large};

/// One file to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The path findings show: relative to the working directory, `/` separators.
    pub display: String,
    pub kind: InputKind,
}

/// A path the walk could not follow (a symlink loop, a missing file); reported as a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub display: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub problems: Vec<WalkProblem>,
}

/// Folders are walked (honouring .gitignore even outside git, plus the config's excludes) for
/// `*.yaml`, `*.yml` and `*.json` files that hold Kubernetes objects; files named explicitly
/// are linted whatever their extension, as pre-commit passes them. A file named twice, in two
/// spellings (`f.yaml` and `../d/f.yaml`), is linted once.
pub fn discover(paths: &[PathBuf], config: &Config) -> Discovered {
    let found = Mutex::new(Discovered::default());
    for path in paths {
        let relative = config.relative(path);
        if path.is_dir() {
            walk(path, config, &found);
        } else if !config.is_excluded(&relative) {
            let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
            match std::fs::symlink_metadata(path) {
                Err(e) => found.problems.push(WalkProblem {
                    display: display_path(path),
                    message: format!("cannot read: {e}"),
                }),
                Ok(_) => found.inputs.extend(classify(path, config, true)),
            }
        }
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    if paths.len() > 1 {
        // Of two spellings of one file, the shorter is the one findings show.
        found.inputs.sort_by_key(|input| input.display.len());
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        found
            .inputs
            .retain(|input| seen.insert(config::absolutize(&cwd, &input.path)));
    }
    found.inputs.sort_by(|a, b| a.display.cmp(&b.display));
    found.inputs.dedup_by(|a, b| a.display == b.display);
    found.problems.sort_by(|a, b| a.display.cmp(&b.display));
    found.problems.dedup();
    found
}

fn walk(root: &Path, config: &Config, found: &Mutex<Discovered>) {
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        // kubelint's own cache is never an input.
        .filter_entry(|entry| {
            entry.file_name() != ".git" && entry.file_name() != crate::session::CACHE_FOLDER
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    let path = entry.path();
                    let relative = config.relative(path);
                    if config.is_excluded(&relative) {
                        return WalkState::Skip;
                    }
                    if entry.file_type().is_some_and(|t| t.is_file())
                        && let Some(input) = classify(path, config, false)
                    {
                        found
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .inputs
                            .push(input);
                    }
                }
                Err(error) => {
                    let problem = WalkProblem {
                        display: display_path(error_path(&error).unwrap_or(root)),
                        message: error.to_string(),
                    };
                    found
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .problems
                        .push(problem);
                }
            }
            WalkState::Continue
        })
    });
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.iter().find_map(error_path),
        _ => None,
    }
}

/// Decides what a file is, or that it is not linted at all (config files, Helm templates).
/// `explicit` files (named on the command line, or standing for standard input) are linted
/// whatever their extension.
pub fn classify(path: &Path, config: &Config, explicit: bool) -> Option<Input> {
    let name = path.file_name()?.to_string_lossy();
    let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let walked_json = !explicit && is_json(path);
    if (!explicit && !is_yaml && !walked_json)
        || name == config::FILE_NAME
        || in_chart_templates(path)
        || (walked_json && !json::holds_kubernetes_objects(path))
    {
        return None;
    }
    let kind = if matches!(
        &*name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    ) {
        InputKind::Kustomization
    } else if config.is_helm_values(&config.relative(path))
        || (name.starts_with("values") && is_yaml && has_chart(path.parent()?))
    {
        InputKind::HelmValues
    } else {
        InputKind::Manifest
    };
    Some(Input {
        path: path.to_path_buf(),
        display: config.display(path),
        kind,
    })
}

fn has_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// Whether a file of a chart is a Go template by its text: it holds template actions
/// (`{{ … }}`), as files read through `.Files.Get` or `tpl` do. Such a file is YAML only
/// after rendering, so it is never parsed as YAML. Values files are data even when they hold
/// strings for `tpl`. Only files holding `{{` pay for the look for a `Chart.yaml` above.
pub fn is_chart_template_text(input: &Input, text: &str) -> bool {
    input.kind != InputKind::HelmValues
        && text.contains("{{")
        && input
            .path
            .file_name()
            .is_some_and(|name| name != "Chart.yaml")
        && input.path.ancestors().skip(1).any(has_chart)
}

/// Helm templates are Go templates, not YAML, until rendered.
fn in_chart_templates(path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates") && dir.parent().is_some_and(has_chart)
    })
}
