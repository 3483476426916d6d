//! A kustomization file read as the build it configures: every field keeps its node, so what
//! the build sets points at the kustomization line that set it.

use std::path::{Path, PathBuf};

use crate::yaml::Node;

/// The file names kustomize looks for in a folder, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields kubelint reads; any other top-level key is reported as not supported (below) or, for
/// keys that only describe the file, ignored.
const READ: &[&str] = &[
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "replacements",
    "vars",
    "configurations",
];

/// Keys that change nothing in the built objects, or only how kustomize validates them.
const DESCRIPTIVE: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "sortOptions",
    "buildMetadata",
    "crds",
    "openapi",
];

/// A kustomization file's fields, as nodes of its document.
#[derive(Debug, Clone, Copy)]
pub struct Kustomization<'a> {
    pub root: Node<'a>,
    /// `kind: Component`: applied to the resources of the kustomization that names it.
    pub component: bool,
}

impl<'a> Kustomization<'a> {
    pub fn read(root: Node<'a>) -> Option<Kustomization<'a>> {
        root.is_mapping().then(|| Kustomization {
            root,
            component: root.text("kind") == Some("Component"),
        })
    }

    /// The kustomization a file holds: its first document, as kustomize reads it.
    pub fn of(file: &'a crate::model::ParsedFile) -> Option<Kustomization<'a>> {
        file.stream
            .documents
            .first()
            .and_then(|d| d.root())
            .and_then(Kustomization::read)
    }

    pub fn field(&self, key: &str) -> Option<Node<'a>> {
        self.root.get(key)
    }

    /// The items of a list field (empty when it is absent or not a list).
    pub fn list(&self, key: &str) -> Vec<Node<'a>> {
        self.field(key)
            .map_or_else(Vec::new, |n| n.items().collect())
    }

    /// Top-level keys kubelint does not build (helmCharts, generators, transformers, …), each
    /// with its key node, so a finding can name what was skipped where it is written.
    pub fn unsupported(&self) -> Vec<(Node<'a>, &'a str)> {
        self.root
            .entries()
            .into_iter()
            .filter_map(|(key, _)| {
                let name = key.as_str()?;
                let known = READ.contains(&name) || DESCRIPTIVE.contains(&name);
                (!known).then_some((key, name))
            })
            .collect()
    }

    /// Every local path the build reads, relative to `dir` (remote resources left out), so
    /// the run can read them before building.
    pub fn paths(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let push = |out: &mut Vec<PathBuf>, node: Option<Node<'a>>| {
            if let Some(text) = node.and_then(|n| n.as_text())
                && !is_remote(text)
            {
                out.push(dir.join(text));
            }
        };
        for key in [
            "resources",
            "bases",
            "components",
            "patchesStrategicMerge",
            "configurations",
        ] {
            for item in self.list(key) {
                push(&mut out, Some(item));
            }
        }
        for key in ["patches", "patchesJson6902", "replacements"] {
            for item in self.list(key) {
                push(&mut out, item.get("path"));
            }
        }
        for key in ["configMapGenerator", "secretGenerator"] {
            for generator in self.list(key) {
                for list in ["files", "envs"] {
                    for file in generator.get(list).into_iter().flat_map(|l| l.items()) {
                        let text = file.as_text().unwrap_or_default();
                        let path = text.split_once('=').map_or(text, |(_, path)| path);
                        if !path.is_empty() {
                            out.push(dir.join(path));
                        }
                    }
                }
                push(&mut out, generator.get("env"));
            }
        }
        out
    }
}

/// A resource kustomize would fetch over the network: a URL or a git address.
pub fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("git@")
        || path.starts_with("github.com/")
        || path.starts_with("gitlab.com/")
        || path.starts_with("bitbucket.org/")
}

/// The kustomization file in a folder, if there is one.
pub fn file_in(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}
