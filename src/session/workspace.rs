//! The files of a session and the runs over them. `Session` owns its config and rules; the
//! batch entry points (`check_paths`, `check_text`) borrow theirs, so both drive this one
//! workspace with the config and rules passed in.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::check::{self, Outcome};
use crate::config::{Config, Env};
use crate::discover::{self, Input};
use crate::finding::Finding;
use crate::model::summary::Summary;
use crate::model::{Base, InputKind, Inventory, ParsedFile, PodSpecPaths, kustomize};
use crate::rules::{RuleSet, ids};
use crate::source::{FileId, Origin, SourceFile, Sources};

use super::cache::{self, Stamp};

/// Whether a file belongs to the repository the session reads, or joined one run (a file
/// named from outside it, a folder of admission policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Walked,
    Extra,
}

/// One file of the session, at the index that is its id.
struct Slot {
    /// Canonical path: what overlays and events are keyed by.
    key: PathBuf,
    input: Input,
    member: Member,
    /// On disk or in a buffer; false once it vanished.
    present: bool,
    envs: Vec<Arc<Env>>,
    /// The file with no text, which stands in for it in a run that knows it by its summary.
    blank: Arc<SourceFile>,
    /// Size and mtime when last read, and the hash of the bytes then.
    stamp: Option<(Stamp, String)>,
    parsed: Option<ParsedFile>,
    /// What parsing the file found (syntax, encoding), reported when the file is.
    found: Vec<Finding>,
    summary: Option<Summary>,
    /// Changes whenever `summary` does, so a kept inventory knows it is stale.
    version: u64,
}

impl Slot {
    fn set_summary(&mut self, summary: Option<Summary>) {
        if self.summary != summary {
            self.version += 1;
            self.summary = summary;
        }
    }
}

/// What a file's slot is made of, before it has one.
struct Placed {
    key: PathBuf,
    input: Input,
    envs: Vec<Arc<Env>>,
    blank: Arc<SourceFile>,
}

impl Placed {
    fn new(key: PathBuf, input: Input, config: &Config) -> Placed {
        Placed {
            key,
            envs: config.environments_for(&config.relative(&input.path)),
            blank: Arc::new(SourceFile::new(input.display.clone(), "")),
            input,
        }
    }
}

pub(crate) struct Workspace {
    root: Option<PathBuf>,
    canonical_root: Option<PathBuf>,
    pub(super) cache: bool,
    /// Whether a run says which environment paths match no file (the batch run does; an
    /// editor re-linting a buffer has no use for it).
    warn: bool,
    loaded: bool,
    slots: Vec<Slot>,
    by_path: HashMap<PathBuf, FileId>,
    overlays: HashMap<PathBuf, Vec<u8>>,
    /// The inventory of every file a run knows by its summary alone, kept between an
    /// editor's runs (a fingerprint of those files' summaries says when it is stale).
    base: Option<(u64, Base)>,
}

impl Workspace {
    pub(crate) fn new(root: Option<PathBuf>, cache: bool) -> Workspace {
        let canonical_root = root.as_deref().and_then(|r| std::fs::canonicalize(r).ok());
        Workspace {
            root,
            canonical_root,
            cache,
            warn: false,
            loaded: false,
            slots: Vec::new(),
            by_path: HashMap::new(),
            overlays: HashMap::new(),
            base: None,
        }
    }

    /// The workspace a batch run over `paths` reads: the repository around them, unless a
    /// path lies outside it (a file from elsewhere does not make kubelint read the current
    /// folder). Nothing is read yet.
    pub(crate) fn for_paths(paths: &[PathBuf], config: &Config, cache: bool) -> Workspace {
        let root = if paths.is_empty() {
            None
        } else {
            check::repository_root(config, paths)
        };
        Workspace {
            warn: true,
            ..Workspace::new(root, cache)
        }
    }

    /// The key of a walked path: the canonical root joined with the path below the root,
    /// which costs no system call.
    fn walked_key(&self, path: &Path) -> PathBuf {
        match (&self.root, &self.canonical_root) {
            (Some(root), Some(canonical)) => match path.strip_prefix(root) {
                Ok(below) => canonical.join(below),
                Err(_) => key_of(path),
            },
            _ => key_of(path),
        }
    }

    fn slot_for(&mut self, key: PathBuf, input: Input, member: Member, config: &Config) -> usize {
        self.slot_with(Placed::new(key, input, config), member)
    }

    /// The slot of a file whose key, environments and blank stand-in are made already.
    fn slot_with(&mut self, placed: Placed, member: Member) -> usize {
        let Placed {
            key,
            input,
            envs,
            blank,
        } = placed;
        if let Some(&id) = self.by_path.get(&key) {
            let slot = &mut self.slots[id.0 as usize];
            slot.present = true;
            // Two spellings of one path (`./a.yaml`, `/repo/a.yaml`) are one file; what a
            // finding shows, or what the file is, changing means reading it again.
            if (&slot.input.display, slot.input.kind) != (&input.display, input.kind) {
                slot.envs = envs;
                slot.blank = blank;
                slot.input = input;
                slot.parsed = None;
                slot.set_summary(None);
            }
            return id.0 as usize;
        }
        let id = self.slots.len();
        self.by_path.insert(key.clone(), FileId(id as u32));
        self.slots.push(Slot {
            key,
            envs,
            blank,
            input,
            member,
            present: true,
            stamp: None,
            parsed: None,
            found: Vec::new(),
            summary: None,
            version: 0,
        });
        id
    }

    fn invalidate(&mut self, id: usize) {
        let slot = &mut self.slots[id];
        slot.parsed = None;
        slot.set_summary(None);
        slot.stamp = None;
    }

    pub(crate) fn load(&mut self, config: &Config, rules: &RuleSet) {
        let Some(root) = self.root.clone() else {
            return;
        };
        let inputs = discover::discover(std::slice::from_ref(&root), config).inputs;
        // Each file's key, environments and stand-in on every core: made one after another,
        // they were a tenth of a warm `kubelint check one-file.yaml` of 10,000 files.
        let placed: Vec<Placed> = inputs
            .into_par_iter()
            .map(|input| Placed::new(self.walked_key(&input.path), input, config))
            .collect();
        let mut seen = HashSet::new();
        for placed in placed {
            let id = self.slot_with(placed, Member::Walked);
            self.slots[id].member = Member::Walked;
            seen.insert(id);
        }
        for id in 0..self.slots.len() {
            let slot = &self.slots[id];
            if slot.member == Member::Walked
                && !seen.contains(&id)
                && !self.overlays.contains_key(&slot.key)
            {
                self.invalidate(id);
                self.slots[id].present = false;
            }
        }
        let first = !self.loaded;
        let mut stored = if self.cache && first {
            cache::read(&root, config)
        } else {
            HashMap::new()
        };
        let stored_count = stored.len();
        let overlays = &self.overlays;
        let walked = |slot: &Slot| {
            slot.member == Member::Walked && slot.present && !overlays.contains_key(&slot.key)
        };
        // Each file's entry moves out of the cache into its slot, never cloned.
        let mut entries: Vec<Option<cache::Entry>> = if stored.is_empty() {
            self.slots.iter().map(|_| None).collect()
        } else {
            let below: Vec<Option<String>> = self
                .slots
                .par_iter()
                .map(|slot| walked(slot).then(|| relative(&root, &slot.input.path)))
                .collect();
            below
                .iter()
                .map(|path| path.as_ref().and_then(|path| stored.remove(path)))
                .collect()
        };
        let pod_paths = PodSpecPaths::new(&config.file.pod_specs);
        let changed = AtomicBool::new(false);
        self.slots
            .par_iter_mut()
            .zip(entries.par_iter_mut())
            .enumerate()
            .filter(|(_, (slot, _))| walked(slot))
            .for_each(|(id, (slot, entry))| {
                let stamp = Stamp::of(&slot.input.path);
                let same = |s: &Option<(Stamp, String)>| s.as_ref().map(|(s, _)| *s) == stamp;
                if slot.summary.is_some() && same(&slot.stamp) {
                    return;
                }
                slot.parsed = None;
                slot.set_summary(None);
                let cached = entry
                    .take()
                    .filter(|_| slot.input.kind == InputKind::Manifest);
                let cached = match (cached, stamp) {
                    (Some(entry), Some(stamp)) if entry.stamp == stamp => {
                        // What the cache on disk already says: nothing to write for this file.
                        slot.set_summary(Some(entry.summary.in_file(FileId(id as u32))));
                        slot.stamp = Some((stamp, entry.hash));
                        return;
                    }
                    (cached, _) => cached,
                };
                // From here on the cache on disk is stale for a file it keeps: a new stamp at
                // least. Kustomizations and Helm files are never kept there.
                if slot.input.kind == InputKind::Manifest {
                    changed.store(true, Ordering::Relaxed);
                }
                let read = check::read_bytes(&slot.input.path);
                let hash = read.as_ref().ok().map(|bytes| cache::hash(bytes));
                if let (Some(entry), Some(stamp), Some(hash)) = (cached, stamp, &hash)
                    && entry.hash == *hash
                {
                    slot.set_summary(Some(entry.summary.in_file(FileId(id as u32))));
                    slot.stamp = Some((stamp, hash.clone()));
                    return;
                }
                slot.stamp = stamp.zip(hash);
                parse_into(slot, id, read, config, rules, &pod_paths);
            });
        self.loaded = true;
        if self.cache {
            let entries = self.slots.iter().filter_map(|slot| {
                let stored = slot.member == Member::Walked
                    && slot.present
                    && slot.input.kind == InputKind::Manifest
                    && !self.overlays.contains_key(&slot.key);
                let (stamp, hash) = slot.stamp.as_ref().filter(|_| stored)?;
                let summary = slot.summary.as_ref()?;
                Some((
                    relative(&root, &slot.input.path),
                    *stamp,
                    hash.as_str(),
                    summary,
                ))
            });
            let entries: Vec<_> = entries.collect();
            // Unchanged files and no deleted ones: the cache on disk is already this one.
            if changed.into_inner() || (first && entries.len() != stored_count) {
                cache::write(&root, config, entries);
            }
        }
    }

    pub(crate) fn set_overlay(&mut self, path: &Path, text: Vec<u8>, config: &Config) {
        let key = key_of(path);
        self.overlays.insert(key.clone(), text);
        match self.by_path.get(&key) {
            Some(&id) => {
                self.invalidate(id.0 as usize);
                self.slots[id.0 as usize].present = true;
            }
            None => {
                // A new buffer inside the repository is part of it until it is closed.
                let inside = self
                    .canonical_root
                    .as_ref()
                    .is_some_and(|r| key.starts_with(r));
                if let Some(input) = discover::classify(path, config, true) {
                    let member = if inside {
                        Member::Walked
                    } else {
                        Member::Extra
                    };
                    self.slot_for(key, input, member, config);
                }
            }
        }
    }

    pub(crate) fn clear_overlay(&mut self, path: &Path) {
        let key = key_of(path);
        self.overlays.remove(&key);
        if let Some(&id) = self.by_path.get(&key) {
            self.invalidate(id.0 as usize);
            self.slots[id.0 as usize].present = path.is_file();
        }
    }

    pub(crate) fn file_changed(&mut self, path: &Path, config: &Config) {
        let key = key_of(path);
        if let Some(&id) = self.by_path.get(&key) {
            let id = id.0 as usize;
            if !self.overlays.contains_key(&key) {
                self.invalidate(id);
                self.slots[id].present = path.is_file();
            }
            return;
        }
        let inside = self
            .canonical_root
            .as_ref()
            .is_some_and(|r| key.starts_with(r));
        if inside
            && path.is_file()
            && !config.is_excluded(&config.relative(path))
            && let Some(input) = discover::classify(path, config, false)
        {
            self.slot_for(key, input, Member::Walked, config);
        }
    }

    /// Lints `paths` against every file of the workspace, reporting only them.
    pub(crate) fn check(&mut self, paths: &[PathBuf], config: &Config, rules: &RuleSet) -> Outcome {
        let pod_paths = PodSpecPaths::new(&config.file.pod_specs);
        // A buffer is linted as it stands, whether or not it is on disk.
        let (buffers, on_disk): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .iter()
            .cloned()
            .partition(|p| self.overlays.contains_key(&key_of(p)));
        let discovered = if on_disk.is_empty() {
            discover::Discovered::default()
        } else {
            discover::discover(&on_disk, config)
        };
        let mut named = discovered.inputs;
        named.extend(
            buffers
                .iter()
                .filter_map(|p| discover::classify(p, config, true)),
        );
        let mut reported = HashSet::new();
        for input in named {
            let key = key_of(&input.path);
            reported.insert(self.slot_for(key, input, Member::Extra, config));
        }
        let mut joined = HashSet::new();
        for input in self.policy_inputs(config) {
            let key = key_of(&input.path);
            let member = self
                .by_path
                .get(&key)
                .map(|id| self.slots[id.0 as usize].member);
            if member != Some(Member::Walked) {
                joined.insert(self.slot_for(key, input, Member::Extra, config));
            }
        }
        let taking_part: Vec<bool> = self
            .slots
            .iter()
            .enumerate()
            .map(|(id, slot)| {
                slot.present
                    && (slot.member == Member::Walked
                        || reported.contains(&id)
                        || joined.contains(&id))
            })
            .collect();
        let sees_repository = self.loaded
            && (taking_part.iter().filter(|t| **t).count() > reported.len()
                || paths.iter().any(|p| check::is_root(p, config)));
        let unsummarised: Vec<bool> = self
            .slots
            .iter()
            .zip(&taking_part)
            .map(|(slot, taking)| *taking && slot.summary.is_none())
            .collect();
        self.parse_where(&unsummarised, config, rules, &pod_paths);
        let (needed, built_from) = self.needed(&taking_part, &reported);
        self.parse_where(&needed, config, rules, &pod_paths);

        let count = self.slots.len();
        let mut files: Vec<ParsedFile> = Vec::with_capacity(count);
        let mut findings = Vec::new();
        let mut taken = vec![false; count];
        for (id, slot) in self.slots.iter_mut().enumerate() {
            // A file known by its summary alone stands in blank, even when it is parsed: the
            // run's cost follows what it reads in full, not what the session holds.
            let wanted = taking_part[id] && needed[id];
            match slot.parsed.take_if(|_| wanted) {
                Some(mut file) => {
                    file.reported = reported.contains(&id);
                    if file.reported {
                        findings.extend(slot.found.iter().cloned());
                    }
                    taken[id] = true;
                    files.push(file);
                }
                None => {
                    let blank = Arc::clone(&slot.blank);
                    let mut file = check::unread_file(FileId(id as u32), blank);
                    file.reported = false;
                    if taking_part[id] {
                        file.envs = slot.envs.clone();
                    }
                    files.push(file);
                }
            }
        }
        for problem in &discovered.problems {
            let id = FileId(files.len() as u32);
            let source = Arc::new(SourceFile::new(problem.display.clone(), ""));
            files.push(check::unread_file(id, source));
            let origin = Origin::new(id, 0..0);
            findings.extend(rules.builtin_finding(
                ids::FILE_UNREADABLE,
                origin,
                problem.message.clone(),
            ));
        }
        let base = self.base_for(&taking_part, &reported, &built_from).cloned();
        let known: Vec<Option<&Summary>> = self
            .slots
            .iter()
            .zip(&taking_part)
            .map(|(slot, taking)| {
                let manifest = *taking && slot.input.kind == InputKind::Manifest;
                slot.summary.as_ref().filter(|_| manifest)
            })
            .collect();
        let mut outcome = check::finish(&mut files, findings, config, rules, &known, base.as_ref());
        drop(known);
        files.truncate(count);
        for (id, mut file) in files.into_iter().enumerate() {
            if taken[id] {
                file.reported = false;
                self.slots[id].parsed = Some(file);
            }
        }
        self.fill_sources(&mut outcome, &taken, config, rules, &pod_paths);
        if self.warn && config.source.is_some() && sees_repository {
            let relative: Vec<String> = self
                .slots
                .iter()
                .zip(&taking_part)
                .filter(|(_, taking)| **taking)
                .map(|(slot, _)| config.relative(&slot.input.path))
                .collect();
            let relative: Vec<&str> = relative.iter().map(String::as_str).collect();
            outcome.warnings = config.unmatched_paths(&relative);
        }
        outcome
    }

    /// The inventory of the files a run knows by their summaries alone and does not report
    /// (nor reads for a build), made again only when one of them changed: re-linting a
    /// buffer then adds its own summary alone. The batch run, which runs once, makes none.
    fn base_for(
        &mut self,
        taking_part: &[bool],
        reported: &HashSet<usize>,
        built_from: &[bool],
    ) -> Option<&Base> {
        if self.warn {
            return None;
        }
        let in_base = |id: usize, slot: &Slot| {
            taking_part[id]
                && slot.input.kind == InputKind::Manifest
                && slot.summary.is_some()
                && !reported.contains(&id)
                && !built_from[id]
        };
        let mut fingerprint = std::hash::DefaultHasher::new();
        for (id, slot) in self.slots.iter().enumerate() {
            if in_base(id, slot) {
                std::hash::Hash::hash(&(id, slot.version), &mut fingerprint);
            }
        }
        let fingerprint = std::hash::Hasher::finish(&fingerprint);
        if self
            .base
            .as_ref()
            .is_none_or(|(kept, _)| *kept != fingerprint)
        {
            let mut summaries = Vec::new();
            let mut files = HashSet::new();
            for (id, slot) in self.slots.iter().enumerate() {
                if let Some(summary) = slot.summary.as_ref().filter(|_| in_base(id, slot)) {
                    summaries.push((summary, &slot.envs[..]));
                    files.insert(FileId(id as u32));
                }
            }
            let mut inventory = Inventory::of_summaries(&summaries);
            inventory.seal();
            let base = Base {
                inventory: Arc::new(inventory),
                files: Arc::new(files),
            };
            self.base = Some((fingerprint, base));
        }
        self.base.as_ref().map(|(_, base)| base)
    }

    /// The files of the folders `admission-policies` names.
    fn policy_inputs(&self, config: &Config) -> Vec<Input> {
        let folders: Vec<PathBuf> = config
            .file
            .admission_policies
            .iter()
            .map(|folder| config.root.join(folder.value.as_str()))
            .collect();
        if folders.is_empty() {
            return Vec::new();
        }
        discover::discover(&folders, config).inputs
    }

    /// The files a run reads in full: those it reports, kustomizations and Helm files, those
    /// whose objects matter beyond their summary, and what the builds read.
    /// Also says which files kustomizations read.
    fn needed(&self, taking_part: &[bool], reported: &HashSet<usize>) -> (Vec<bool>, Vec<bool>) {
        let policy = self
            .slots
            .iter()
            .zip(taking_part)
            .any(|(slot, taking)| *taking && slot.summary.as_ref().is_some_and(|s| s.policy));
        let mut needed: Vec<bool> = self
            .slots
            .iter()
            .enumerate()
            .map(|(id, slot)| {
                taking_part[id]
                    && (policy
                        || reported.contains(&id)
                        || slot.input.kind != InputKind::Manifest
                        || slot.summary.as_ref().is_none_or(|s| s.context))
            })
            .collect();
        let mut built_from = vec![false; self.slots.len()];
        for (id, slot) in self.slots.iter().enumerate() {
            if !(taking_part[id] && slot.input.kind == InputKind::Kustomization) {
                continue;
            }
            let Some(file) = &slot.parsed else {
                continue;
            };
            for path in kustomize::referenced_paths(file) {
                if let Some(&read) = self.by_path.get(&path)
                    && taking_part[read.0 as usize]
                {
                    needed[read.0 as usize] = true;
                    built_from[read.0 as usize] = true;
                }
            }
        }
        (needed, built_from)
    }

    /// Parses (from its buffer, else from disk) every file `wanted` marks that is not parsed.
    fn parse_where(
        &mut self,
        wanted: &[bool],
        config: &Config,
        rules: &RuleSet,
        pod_paths: &PodSpecPaths,
    ) {
        let overlays = &self.overlays;
        self.slots
            .par_iter_mut()
            .enumerate()
            .filter(|(id, slot)| wanted.get(*id).copied().unwrap_or(false) && slot.parsed.is_none())
            .for_each(|(id, slot)| {
                let read = match overlays.get(&slot.key) {
                    Some(bytes) => Ok(bytes.clone()),
                    None => check::read_bytes(&slot.input.path),
                };
                parse_into(slot, id, read, config, rules, pod_paths);
            });
    }

    /// Findings and their related locations may point into a file the run knew by its
    /// summary alone: such files are read now, so every position has its text.
    fn fill_sources(
        &mut self,
        outcome: &mut Outcome,
        taken: &[bool],
        config: &Config,
        rules: &RuleSet,
        pod_paths: &PodSpecPaths,
    ) {
        let blank: BTreeSet<usize> = outcome
            .findings
            .iter()
            .flat_map(|f| std::iter::once(f.origin).chain(f.related.iter().map(|r| r.origin)))
            .map(|origin| origin.file.0 as usize)
            .filter(|&id| id < taken.len() && !taken[id])
            .collect();
        if blank.is_empty() {
            return;
        }
        let wanted: Vec<bool> = (0..self.slots.len())
            .map(|id| blank.contains(&id))
            .collect();
        self.parse_where(&wanted, config, rules, pod_paths);
        let mut sources = Sources::default();
        for id in 0..outcome.sources.len() {
            let file = FileId(id as u32);
            let parsed = blank.contains(&id).then(|| self.slots[id].parsed.as_ref());
            let source = match parsed.flatten() {
                Some(parsed) => Arc::clone(&parsed.source),
                None => Arc::clone(outcome.sources.get(file)),
            };
            sources.add(source);
        }
        outcome.sources = sources;
    }
}

/// Parses what was read into the slot, and summarises it.
fn parse_into(
    slot: &mut Slot,
    id: usize,
    read: Result<Vec<u8>, (&'static str, String)>,
    config: &Config,
    rules: &RuleSet,
    pod_paths: &PodSpecPaths,
) {
    let (file, found) = check::parse_read(FileId(id as u32), &slot.input, read, config, rules);
    slot.set_summary(Some(Summary::of_file(&file, pod_paths)));
    slot.parsed = Some(file);
    slot.found = found;
}

/// The canonical path of a file; for a buffer not on disk, its canonical folder joined with
/// its name.
fn key_of(path: &Path) -> PathBuf {
    if let Ok(canonical) = std::fs::canonicalize(path) {
        return canonical;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let absolute = crate::config::absolutize(&cwd, path);
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|dir| dir.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    }
}

/// A path below the root as the cache keys it: `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let below = path.strip_prefix(root).unwrap_or(path);
    below.to_string_lossy().replace('\\', "/")
}
