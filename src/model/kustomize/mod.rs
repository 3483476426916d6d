//! Kustomize, built natively over the spanned trees: what each cluster receives, with every
//! built field pointing at the line that set it.

mod build;
mod config;
mod generate;
mod json_patch;
mod kustomization;
mod merge;
mod resource;
mod transform;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, Env};
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::source::FileId;
use crate::yaml::Tree;

use super::{Built, InputKind, ParsedFile};

pub use build::{BUILD_ERROR, UNSUPPORTED};
pub use kustomization::{FILE_NAMES, Kustomization, file_in, is_remote};
pub use resource::CLUSTER_SCOPED;

/// What building every kustomization of a run produced.
#[derive(Debug, Default)]
pub struct Builds {
    pub built: Vec<Built>,
    /// Files whose objects the builds deploy: they are linted in the builds, not on their own.
    pub consumed: Vec<FileId>,
    pub findings: Vec<Finding>,
}

/// The files a kustomization reads, as canonical paths (a folder stands for its
/// kustomization file), so the run can read the ones its walk did not.
pub fn referenced_paths(file: &ParsedFile) -> Vec<PathBuf> {
    let (Some(path), InputKind::Kustomization) = (&file.path, file.kind) else {
        return Vec::new();
    };
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let Some(kustomization) = Kustomization::of(file) else {
        return Vec::new();
    };
    kustomization
        .paths(dir)
        .into_iter()
        .filter_map(|path| {
            let path = if path.is_dir() { file_in(&path)? } else { path };
            std::fs::canonicalize(path).ok()
        })
        .collect()
}

/// Builds every kustomization that is a root of the run: one an environment names, or one
/// no other kustomization of the run includes. What a build reads is linted in the build.
pub fn build_all(files: &[ParsedFile], config: &Config, rules: &RuleSet) -> Builds {
    let kustomizations: Vec<&ParsedFile> = files
        .iter()
        .filter(|f| f.kind == InputKind::Kustomization)
        .collect();
    if kustomizations.is_empty() {
        return Builds::default();
    }
    let included: HashSet<PathBuf> = kustomizations
        .iter()
        .flat_map(|f| referenced_paths(f))
        .collect();
    let index = build::Files::new(files);
    let roots: Vec<(&ParsedFile, Vec<Arc<Env>>)> = kustomizations
        .iter()
        .filter(|f| !is_component(f))
        .filter_map(|f| {
            let envs = environments(f, config);
            let canonical = f
                .path
                .as_deref()
                .and_then(|p| std::fs::canonicalize(p).ok());
            let is_included = canonical.is_some_and(|c| included.contains(&c));
            (!envs.is_empty() || !is_included).then_some((*f, envs))
        })
        .collect();
    let outputs: Vec<(FileId, Vec<Arc<Env>>, build::Output)> = roots
        .par_iter()
        .map(|(file, envs)| {
            let output = build::Builder::new(&index, rules).build(file.id);
            (file.id, envs.clone(), output)
        })
        .collect();
    let mut builds = Builds::default();
    for (file, envs, output) in outputs {
        builds.consumed.extend(output.consumed.iter().copied());
        builds.findings.extend(output.findings);
        let documents = output
            .resources
            .iter()
            .filter(|r| !r.tree.entries().is_empty())
            .map(|r| r.tree.freeze(file))
            .collect();
        builds.built.push(Built {
            file,
            documents,
            envs,
            reads: output.consumed,
        });
    }
    builds.consumed.sort();
    builds.consumed.dedup();
    builds
}

/// The environments a kustomization deploys to: those whose paths name it, its folder, or
/// any file in its folder (`overlays/prod/**`).
fn environments(file: &ParsedFile, config: &Config) -> Vec<Arc<Env>> {
    let Some(path) = &file.path else {
        return Vec::new();
    };
    let mut envs = config.environments_for(&config.relative(path));
    if let Some(dir) = path.parent() {
        for env in config.environments_for(&config.relative(dir)) {
            if !envs.iter().any(|e| e.name == env.name) {
                envs.push(env);
            }
        }
    }
    envs
}

fn is_component(file: &ParsedFile) -> bool {
    Kustomization::of(file).is_some_and(|k| k.component)
}

/// The build of one kustomization, for `kubelint build`: its objects in kustomize's output
/// order, and the problems found on the way.
pub fn build_one(files: &[ParsedFile], root: FileId, rules: &RuleSet) -> (Vec<Tree>, Vec<Finding>) {
    let index = build::Files::new(files);
    let output = build::Builder::new(&index, rules).build(root);
    let mut objects: Vec<Tree> = output
        .resources
        .into_iter()
        .map(|r| r.tree)
        .filter(|t| !t.entries().is_empty())
        .collect();
    objects.sort_by_cached_key(output_order);
    (objects, output.findings)
}

/// kustomize's legacy output order: kinds others depend on first, webhooks last, the rest in
/// between; then by group, version, kind, namespace and name.
fn output_order(tree: &Tree) -> (usize, String, String, String, String) {
    let text = |path: &[&str]| {
        tree.path(path)
            .and_then(Tree::as_text)
            .unwrap_or_default()
            .to_string()
    };
    let api = text(&["apiVersion"]);
    let (group, version) = api.rsplit_once('/').unwrap_or(("", &api));
    let gvk = format!("{group}_{version}_{}", text(&["kind"]));
    (
        output_rank(tree),
        gvk,
        text(&["metadata", "namespace"]),
        text(&["metadata", "name"]),
        String::new(),
    )
}

fn output_rank(tree: &Tree) -> usize {
    const FIRST: &[&str] = &[
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: &[&str] = &[
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    let kind = tree.text("kind").unwrap_or_default();
    FIRST
        .iter()
        .position(|k| *k == kind)
        .or_else(|| {
            LAST.iter()
                .position(|k| *k == kind)
                .map(|i| FIRST.len() + 1 + i)
        })
        .unwrap_or(FIRST.len())
}
