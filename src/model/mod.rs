//! The `model` stage: parsed files become a `Project` of Kubernetes objects, each knowing the
//! environments its file deploys to, with the cross-object indexes rules follow.

pub mod cover;
pub mod helm;
pub mod image;
pub mod inventory;
pub mod kustomize;
mod object;
pub mod summary;

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Env;
use crate::source::FileId;
use crate::yaml::{Document, SourceFile, Stream};

pub use inventory::{Base, Inventory};
pub use object::{
    CONTAINER_GROUPS, Container, ImageUse, Object, PodSpec, PodSpecPaths, objects_of,
};

/// What an input is, which decides how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Plain Kubernetes manifests (and anything else named explicitly).
    Manifest,
    /// A Helm values file: not objects, but image blocks and settings charts read.
    HelmValues,
    /// A kustomization file: its fields configure a build rather than describe objects.
    Kustomization,
}

/// One input after reading and parsing: the unit the rest of the pipeline shares.
#[derive(Debug)]
pub struct ParsedFile {
    /// The file's id in its run: its index in the run's list of files.
    pub id: FileId,
    /// Where the file was read from; `None` for standard input and unreadable paths.
    pub path: Option<std::path::PathBuf>,
    pub source: Arc<SourceFile>,
    pub stream: Stream,
    pub kind: InputKind,
    pub envs: Vec<Arc<Env>>,
    /// False for files read only so references resolve (a ServiceAccount beside the files
    /// pre-commit named): their objects are indexed, their findings are not reported.
    pub reported: bool,
}

/// An object together with where it was read or built, and where it deploys.
#[derive(Debug)]
pub struct Located<'a> {
    /// The file the object was read from; for a built object, the kustomization that built it.
    pub file: &'a ParsedFile,
    pub object: Object<'a>,
    /// The environments the object deploys to (none: a file no environment names).
    pub envs: &'a [Arc<Env>],
    /// Built by a kustomization (`file`) from other files, rather than read from `file`.
    pub built: bool,
}

/// Documents built from other files (a Kustomize overlay), deployed to `envs`.
#[derive(Debug)]
pub struct Built {
    /// The kustomization that built them.
    pub file: FileId,
    pub documents: Vec<Document>,
    pub envs: Vec<Arc<Env>>,
    /// Every file the build read.
    pub reads: Vec<FileId>,
}

impl Located<'_> {
    /// The namespace the object lands in under `env`: its own, else the environment's default.
    pub fn namespace<'e>(&'e self, env: Option<&'e Env>) -> Option<&'e str> {
        self.object
            .namespace
            .or_else(|| env.and_then(|e| e.spec.namespace.as_deref()))
    }
}

/// Every object of the run, and indexes for rules that follow references between objects.
pub struct Project<'a> {
    /// Every file of the run, indexed by id.
    pub files: &'a [ParsedFile],
    pub objects: Vec<Located<'a>>,
    /// Pull secrets of each ServiceAccount: by name, then namespace (empty when neither the
    /// object nor its environment sets one).
    service_accounts: HashMap<&'a str, Vec<(&'a str, Vec<&'a str>)>>,
    /// What references can name: every file's and build's summary, and the config's
    /// external objects.
    pub inventory: Inventory,
}

/// The summaries of every file no build consumes and of every build, in parallel, added in
/// file order. `known` holds summaries already made (a session's, by file id): only files
/// without one are summarised here.
fn inventory_of(
    files: &[ParsedFile],
    builds: &[Built],
    consumed: &std::collections::HashSet<FileId>,
    pod_paths: &PodSpecPaths,
    environments: &[Arc<Env>],
    known: &[Option<&summary::Summary>],
    base: Option<&inventory::Base>,
) -> Inventory {
    use std::borrow::Cow;
    let in_base = |id: &FileId| base.is_some_and(|b| b.files.contains(id));
    let from_files: Vec<(Cow<'_, summary::Summary>, &[Arc<Env>])> = files
        .par_iter()
        // A base's kustomization still says what it cannot build.
        .filter(|file| !consumed.contains(&file.id) || file.kind == InputKind::Kustomization)
        .filter(|file| !in_base(&file.id))
        .map(|file| {
            let summary = match known.get(file.id.0 as usize).copied().flatten() {
                Some(summary) => Cow::Borrowed(summary),
                None => Cow::Owned(summary::Summary::of_file(file, pod_paths)),
            };
            (summary, &file.envs[..])
        })
        .collect();
    let from_builds: Vec<(Cow<'_, summary::Summary>, &[Arc<Env>])> = builds
        .par_iter()
        .map(|built| {
            let summary = summary::Summary::of_documents(&built.documents, pod_paths);
            (Cow::Owned(summary), &built.envs[..])
        })
        .collect();
    let summaries: Vec<(&summary::Summary, &[Arc<Env>])> = from_files
        .iter()
        .chain(&from_builds)
        .map(|(summary, envs)| (&**summary, *envs))
        .collect();
    let mut inventory = Inventory::of_summaries(&summaries);
    for env in environments {
        inventory.add_external(env);
    }
    inventory.seal();
    if let Some(base) = base {
        // A file of the base that a build consumes is deployed through the build alone.
        let hidden = consumed.iter().copied().filter(|id| in_base(id)).collect();
        inventory.set_base(Arc::clone(&base.inventory), hidden);
    }
    inventory
}

impl<'a> Project<'a> {
    /// `files` are indexed by their ids. Objects of files in `consumed` (read by a build that
    /// deploys them) are linted in their builds only. `environments` are the config's, whose
    /// external objects join the inventory.
    pub fn build(
        files: &'a [ParsedFile],
        builds: &'a [Built],
        consumed: &std::collections::HashSet<FileId>,
        pod_paths: &PodSpecPaths,
        environments: &[Arc<Env>],
    ) -> Self {
        Self::with_summaries(files, builds, consumed, pod_paths, environments, &[], None)
    }

    /// The same, with the summaries a session already holds, by file id, so the inventory is
    /// not made again from every file on every run. A file without one is summarised here;
    /// the files of `base` (an inventory the session keeps between runs) are not added again.
    pub fn with_summaries(
        files: &'a [ParsedFile],
        builds: &'a [Built],
        consumed: &std::collections::HashSet<FileId>,
        pod_paths: &PodSpecPaths,
        environments: &[Arc<Env>],
        known: &[Option<&summary::Summary>],
        base: Option<&inventory::Base>,
    ) -> Self {
        let inventory = inventory_of(
            files,
            builds,
            consumed,
            pod_paths,
            environments,
            known,
            base,
        );
        let mut objects: Vec<Located<'a>> = files
            .par_iter()
            .filter(|file| file.kind == InputKind::Manifest && !consumed.contains(&file.id))
            .flat_map_iter(|file| {
                file.stream
                    .documents
                    .iter()
                    .flat_map(move |doc| objects_of(doc, pod_paths))
                    .map(move |object| Located {
                        file,
                        object,
                        envs: &file.envs,
                        built: false,
                    })
            })
            .collect();
        objects.par_extend(builds.par_iter().flat_map_iter(|built| {
            let file = &files[built.file.0 as usize];
            built
                .documents
                .iter()
                .flat_map(move |doc| objects_of(doc, pod_paths))
                .map(move |object| Located {
                    file,
                    object,
                    envs: &built.envs,
                    built: true,
                })
        }));
        let mut service_accounts: HashMap<&'a str, Vec<(&'a str, Vec<&'a str>)>> = HashMap::new();
        for located in objects.iter().filter(|l| l.object.kind == "ServiceAccount") {
            let Some(name) = located.object.name else {
                continue;
            };
            let secrets: Vec<&str> = located
                .object
                .root
                .get("imagePullSecrets")
                .into_iter()
                .flat_map(|list| list.items())
                .filter_map(|secret| secret.text("name"))
                .collect();
            let namespaces: Vec<&str> = match located.object.namespace {
                Some(ns) => vec![ns],
                None if located.envs.is_empty() => vec![""],
                None => located
                    .envs
                    .iter()
                    .map(|env| env.spec.namespace.as_deref().unwrap_or(""))
                    .collect(),
            };
            for namespace in namespaces {
                service_accounts
                    .entry(name)
                    .or_default()
                    .push((namespace, secrets.clone()));
            }
        }
        Project {
            files,
            objects,
            service_accounts,
            inventory,
        }
    }

    /// The text of a file of the run, by id.
    pub fn source_text(&self, file: FileId) -> Option<&'a str> {
        self.files.get(file.0 as usize).map(|f| &*f.source.text)
    }

    /// Whether findings in a file are reported (it was linted, not only read for context).
    pub fn reports(&self, file: FileId) -> bool {
        self.files.get(file.0 as usize).is_some_and(|f| f.reported)
    }

    /// The pull secrets a ServiceAccount in the linted tree lends its pods, if it is there.
    pub fn service_account_pull_secrets(&self, namespace: Option<&str>, name: &str) -> &[&'a str] {
        let namespace = namespace.unwrap_or("");
        self.service_accounts
            .get(name)
            .and_then(|accounts| accounts.iter().find(|(ns, _)| *ns == namespace))
            .map_or(&[], |(_, secrets)| secrets.as_slice())
    }
}
