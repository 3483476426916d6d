//! Where an object's schema comes from: a CRD found in the repository, a schema folder the
//! config names, or the embedded Kubernetes release the environment targets, in that order.
//! Each schema is compiled once, on first use, and shared by every thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value as Json;

use super::compiled::{Arena, Compiler, Dialect, SchemaId};
use super::embedded;
use super::validate::{Outcome, Validator, scalar_json};
use super::version::KubeVersion;
use crate::model::Project;
use crate::yaml::Node;

/// A CRD schema bigger than this (aliases expanded) is not read: it would cost more memory
/// than any real CRD, and the custom resources are then reported as having no schema.
const MAX_SCHEMA_NODES: usize = 1_000_000;

/// A schema compiled from one document.
struct Compiled {
    arena: Arena,
    root: SchemaId,
}

impl Compiled {
    fn new(document: &Json, dialect: Dialect) -> Compiled {
        let mut compiler = Compiler::new(dialect);
        let root = compiler.document(document);
        Compiled {
            arena: compiler.arena,
            root,
        }
    }
}

/// One served version of a CRD from the repository: its `openAPIV3Schema` without
/// `metadata`, which the API server checks as every object's metadata.
struct Crd {
    schema: Json,
    compiled: OnceLock<Compiled>,
}

/// A JSON schema file of a schema folder, read on first use.
struct FolderSchema {
    path: PathBuf,
    compiled: OnceLock<Result<Compiled, String>>,
}

/// What validating one object found.
pub enum Verdict<'c, 'd> {
    /// The object was validated: these are its problems (none: it is valid), and the CEL
    /// rules of its CRD still to evaluate.
    Checked(Outcome<'c, 'd>),
    /// A schema file for the kind exists but cannot be read.
    BrokenSchema(String),
    /// No schema knows the kind.
    Unknown,
}

/// Every schema a run can validate with.
pub struct Catalog {
    crds: HashMap<(String, String), Crd>,
    /// Schema files by their path below their folder, lower-cased with `/` separators.
    folders: HashMap<String, FolderSchema>,
}

impl Catalog {
    /// The CRDs among the project's objects, and the JSON schema files under `folders`.
    pub fn new(project: &Project<'_>, folders: &[PathBuf]) -> Catalog {
        let mut crds = HashMap::new();
        for located in &project.objects {
            let object = &located.object;
            if object.kind == "CustomResourceDefinition"
                && object.api_version == "apiextensions.k8s.io/v1"
            {
                for (key, crd) in crd_versions(object.root) {
                    crds.entry(key).or_insert(crd);
                }
            }
        }
        let mut schemas = HashMap::new();
        for folder in folders {
            index_folder(folder, folder, &mut schemas, 0);
        }
        Catalog {
            crds,
            folders: schemas,
        }
    }

    /// Validates an object (its root mapping) for `version`.
    pub fn validate<'d>(
        &self,
        root: Node<'d>,
        api_version: &str,
        kind: &str,
        version: KubeVersion,
    ) -> Verdict<'_, 'd> {
        let kind_key = root.entry("kind").map(|(k, _)| k);
        let release = embedded::release(version);
        let key = (api_version.to_string(), kind.to_string());
        if let Some(crd) = self.crds.get(&key) {
            let compiled = crd
                .compiled
                .get_or_init(|| Compiled::new(&crd.schema, Dialect::Structural));
            let mut outcome = Validator::run(&compiled.arena, compiled.root, root, kind_key, &[]);
            let meta = release.and_then(|r| r.object_meta());
            if let (Some(meta), Some((key, metadata))) = (meta, root.entry("metadata")) {
                let of_meta =
                    Validator::run(&meta.arena, meta.root, metadata, Some(key), &["metadata"]);
                outcome.problems.extend(of_meta.problems);
            }
            return Verdict::Checked(outcome);
        }
        if let Some(schema) = self.folder_schema(api_version, kind) {
            return match schema.compiled.get_or_init(|| read_schema(&schema.path)) {
                Ok(compiled) => Verdict::Checked(Validator::run(
                    &compiled.arena,
                    compiled.root,
                    root,
                    kind_key,
                    &[],
                )),
                Err(message) => Verdict::BrokenSchema(message.clone()),
            };
        }
        match release.and_then(|r| r.kind(api_version, kind)) {
            Some(schema) => Verdict::Checked(Validator::run(
                &schema.arena,
                schema.root,
                root,
                kind_key,
                &[],
            )),
            None => Verdict::Unknown,
        }
    }

    /// The file for the kind in the layouts kubeconform users keep: the CRDs catalog's
    /// `GROUP/KIND_VERSION.json`, and kubernetes-json-schema's `KIND-GROUP-VERSION.json`
    /// (the group's first label; `KIND-VERSION.json` for the core group).
    fn folder_schema(&self, api_version: &str, kind: &str) -> Option<&FolderSchema> {
        if self.folders.is_empty() {
            return None;
        }
        let kind = kind.to_ascii_lowercase();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let group = group.to_ascii_lowercase();
        let short = group.split('.').next().unwrap_or_default();
        let candidates = [
            format!("{group}/{kind}_{version}.json"),
            if group.is_empty() {
                format!("{kind}-{version}.json")
            } else {
                format!("{kind}-{short}-{version}.json")
            },
            format!("{kind}_{version}.json"),
        ];
        candidates.iter().find_map(|c| self.folders.get(c))
    }
}

/// Each served version of a CRD with a schema, by (apiVersion, kind).
fn crd_versions(root: Node<'_>) -> Vec<((String, String), Crd)> {
    let Some(spec) = root.get("spec") else {
        return Vec::new();
    };
    let (Some(group), Some(kind)) = (
        spec.text("group"),
        spec.path("names.kind").and_then(|k| k.as_text()),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for version in spec.get("versions").into_iter().flat_map(|v| v.items()) {
        let served = version.get("served").and_then(|s| s.as_text()) != Some("false");
        let (true, Some(name), Some(schema)) = (
            served,
            version.text("name"),
            version.path("schema.openAPIV3Schema"),
        ) else {
            continue;
        };
        let mut budget = MAX_SCHEMA_NODES;
        let Some(mut schema) = to_json(schema, &mut budget) else {
            continue;
        };
        // Every object has these, whether or not the CRD lists them.
        if let Some(Json::Object(properties)) = schema.get_mut("properties") {
            properties.insert("metadata".into(), Json::Object(Default::default()));
            for key in ["apiVersion", "kind"] {
                properties.insert(key.into(), serde_json::json!({ "type": "string" }));
            }
        }
        out.push((
            (format!("{group}/{name}"), kind.to_string()),
            Crd {
                schema,
                compiled: OnceLock::new(),
            },
        ));
    }
    out
}

/// A YAML node as JSON, or `None` past `budget` nodes.
fn to_json(node: Node<'_>, budget: &mut usize) -> Option<Json> {
    *budget = budget.checked_sub(1)?;
    if node.is_mapping() {
        let mut object = serde_json::Map::new();
        for (key, value) in node.entries() {
            let key = key.as_str().unwrap_or_default().to_string();
            object.insert(key, to_json(value, budget)?);
        }
        return Some(Json::Object(object));
    }
    if node.is_sequence() {
        return node.items().map(|item| to_json(item, budget)).collect();
    }
    Some(scalar_json(node))
}

/// Schema folders are small trees; this bounds a walk into a huge or looping one.
const MAX_FOLDER_DEPTH: usize = 4;

fn index_folder(root: &Path, dir: &Path, out: &mut HashMap<String, FolderSchema>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() && depth < MAX_FOLDER_DEPTH {
            index_folder(root, &path, out, depth + 1);
        } else if path.extension().is_some_and(|e| e == "json")
            && let Ok(relative) = path.strip_prefix(root)
        {
            let key = crate::config::slash_path(relative).to_ascii_lowercase();
            out.entry(key).or_insert(FolderSchema {
                path,
                compiled: OnceLock::new(),
            });
        }
    }
}

fn read_schema(path: &Path) -> Result<Compiled, String> {
    let shown = crate::config::display_path(path);
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let json: Json =
        serde_json::from_str(&text).map_err(|e| format!("{shown} is not JSON: {e}"))?;
    Ok(Compiled::new(&json, Dialect::Written))
}
