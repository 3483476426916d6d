//! The session: one pipeline for the batch run, the cached inventory and the editor. It holds
//! the repository's files in memory — file id → path, disk stamp, text (an editor's buffer
//! wins over disk), the parsed file (parsed when first needed, then kept) and its summary —
//! and lints named files against all of it, reporting only them.
//!
//! A run parses what it reports, every kustomization and Helm file and what the builds read,
//! and the files whose objects matter beyond their summary (CRDs, admission policies and
//! bindings, Namespaces, ServiceAccounts; every file once a policy may read params anywhere).
//! Every other file is known by its summary alone, which the persisted cache keeps between
//! runs (see [`cache`]).

mod cache;
mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::rules::RuleSet;

pub use cache::FOLDER as CACHE_FOLDER;
pub(crate) use workspace::Workspace;

/// A repository held in memory for repeated runs (the editor server), or for one (the CLI).
pub struct Session {
    config: Arc<Config>,
    rules: Arc<RuleSet>,
    workspace: Workspace,
}

impl Session {
    /// A session over the repository at `root`; reads nothing yet.
    pub fn new(root: PathBuf, config: Arc<Config>, rules: Arc<RuleSet>) -> Session {
        Session {
            config,
            rules,
            workspace: Workspace::new(Some(root), true),
        }
    }

    /// Whether `load` will use/refresh the persisted cache (default: true for the CLI).
    pub fn with_cache(mut self, enabled: bool) -> Session {
        self.workspace.cache = enabled;
        self
    }

    /// The workspace read: every file of the repository, from the cache where its stamp
    /// matches, else read and summarised. Later calls refresh only what changed on disk.
    pub fn load(&mut self) {
        self.workspace.load(&self.config, &self.rules);
    }

    /// The editor's unsaved text for `path` (absolute), overlaid on disk.
    pub fn set_overlay(&mut self, path: &Path, text: String) {
        self.workspace
            .set_overlay(path, text.into_bytes(), &self.config);
    }

    pub fn clear_overlay(&mut self, path: &Path) {
        self.workspace.clear_overlay(path);
    }

    /// `path` changed, appeared or vanished on disk (a file watcher's event).
    pub fn file_changed(&mut self, path: &Path) {
        self.workspace.file_changed(path, &self.config);
    }

    /// Lints these files (overlay or disk) against the whole workspace, reporting only them:
    /// the same findings `kubelint check` gives for the same paths.
    pub fn check(&mut self, paths: &[PathBuf]) -> crate::check::Outcome {
        self.workspace.check(paths, &self.config, &self.rules)
    }
}
