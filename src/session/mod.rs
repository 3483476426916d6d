//! A stand-in for the workspace session that branch `session` builds: the same API, kept
//! simple. It holds every linted file's text in memory and lints a file with
//! [`check::check_buffer`], passing the rest of the workspace as in-memory files, so a re-lint
//! never reads the disk, though it still parses the whole workspace each time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::{self, Outcome};
use crate::config::Config;
use crate::discover;
use crate::rules::RuleSet;
use crate::source::{FileId, Origin};

/// The workspace's files in memory, with editor buffers over them.
pub struct Session {
    root: PathBuf,
    config: Arc<Config>,
    rules: Arc<RuleSet>,
    loaded: bool,
    /// The text of each linted file on disk, by absolute path.
    disk: BTreeMap<PathBuf, String>,
    /// Editor buffers, which win over `disk`.
    overlays: BTreeMap<PathBuf, String>,
}

impl Session {
    pub fn new(root: PathBuf, config: Arc<Config>, rules: Arc<RuleSet>) -> Session {
        Session {
            root,
            config,
            rules,
            loaded: false,
            disk: BTreeMap::new(),
            overlays: BTreeMap::new(),
        }
    }

    /// The stand-in keeps no cache on disk, so there is nothing to turn off.
    pub fn with_cache(self, _enabled: bool) -> Session {
        self
    }

    /// The workspace read (slow: run it on a background thread, on a session you then swap in).
    pub fn load(&mut self) {
        let inputs = discover::discover(std::slice::from_ref(&self.root), &self.config).inputs;
        for input in inputs {
            if let Ok(bytes) = std::fs::read(&input.path) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.disk.insert(input.path, text);
            }
        }
        self.loaded = true;
    }

    pub fn set_overlay(&mut self, path: &Path, text: String) {
        self.overlays.insert(path.to_path_buf(), text);
    }

    pub fn clear_overlay(&mut self, path: &Path) {
        self.overlays.remove(path);
    }

    /// A file changed on disk: read it again (or forget it, when it is gone or not linted).
    pub fn file_changed(&mut self, path: &Path) {
        if !self.loaded {
            return;
        }
        let linted = discover::classify(path, &self.config, false).is_some();
        match std::fs::read(path) {
            Ok(bytes) if linted => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.disk.insert(path.to_path_buf(), text);
            }
            _ => {
                self.disk.remove(path);
            }
        }
    }

    /// Lints these files against the whole workspace, reporting only them.
    pub fn check(&mut self, paths: &[PathBuf]) -> Outcome {
        let mut combined = Outcome::default();
        for path in paths {
            let text = match self.overlays.get(path).or_else(|| self.disk.get(path)) {
                Some(text) => text.clone(),
                None => match std::fs::read(path) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => continue,
                },
            };
            let mut files: BTreeMap<&PathBuf, &String> = self.disk.iter().collect();
            files.extend(self.overlays.iter());
            files.remove(path);
            let files: Vec<(PathBuf, String)> = files
                .into_iter()
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect();
            let outcome = check::check_buffer(
                text.as_bytes(),
                path,
                &files,
                &[],
                &self.config,
                &self.rules,
            );
            append(&mut combined, outcome);
        }
        combined
    }
}

/// Adds one file's outcome to `combined`, its file ids moved past those already there.
fn append(combined: &mut Outcome, outcome: Outcome) {
    let shift = combined.sources.len() as u32;
    for id in 0..outcome.sources.len() {
        combined
            .sources
            .add(Arc::clone(outcome.sources.get(FileId(id as u32))));
    }
    let moved = |origin: &mut Origin| origin.file = FileId(origin.file.0 + shift);
    for mut finding in outcome.findings {
        moved(&mut finding.origin);
        finding
            .related
            .iter_mut()
            .for_each(|r| moved(&mut r.origin));
        if let Some(fix) = &mut finding.fix {
            fix.edits.iter_mut().for_each(|e| moved(&mut e.origin));
        }
        combined.findings.push(finding);
    }
    combined.files += outcome.files;
    combined.objects += outcome.objects;
    combined.warnings.extend(outcome.warnings);
}
