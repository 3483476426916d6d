//! The inventory cache between runs, as ruff and eslint keep theirs: each file's summary, keyed
//! by its path below the repository root, its size and mtime, and the hash of its bytes, in
//! `.kubelint-cache/` at the root. The folder ignores itself (a `.gitignore` holding `*`, and a
//! `CACHEDIR.TAG` for backup tools), so nobody commits it.
//!
//! One file per key, the key being kubelint's version and the content of the config and of
//! its rule folders: another version or config never reads a cache it did not write. A
//! cache that cannot be read (corrupt, truncated, another format) is no cache, and one that
//! cannot be written (a read-only checkout) is skipped: neither is ever an error. Writes go
//! to a temporary file renamed into place, so a concurrent run reads the old file or the new
//! one, never half of one.
//!
//! The format is JSON lines through `serde_json`, which the crate already depends on for its
//! reports: one line per file, so a warm run decodes the lines on every core (one JSON
//! document of 10,000 files was a fifth of that run, on one core), and each entry is moved
//! into its file's slot rather than cloned out of a shared map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::model::summary::Summary;

/// The cache folder's name, at the repository root.
pub const FOLDER: &str = ".kubelint-cache";

/// What the file system says about a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since the epoch.
    pub mtime: u64,
}

impl Stamp {
    /// The stamp of a regular file; `None` for anything else or a file that is gone.
    pub fn of(path: &Path) -> Option<Stamp> {
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        let mtime = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            size: metadata.len(),
            mtime: u64::try_from(mtime.as_nanos()).unwrap_or(u64::MAX),
        })
    }
}

/// One file's entry, as read.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub stamp: Stamp,
    pub hash: String,
    pub summary: Summary,
}

/// One line of the cache: a file's path below the root and its entry's fields (not a
/// flattened `Entry`, which serde would decode through a buffer of its own).
#[derive(Deserialize)]
struct Line {
    path: String,
    stamp: Stamp,
    hash: String,
    summary: Summary,
}

/// One line as written (borrowing the session's summary).
#[derive(Serialize)]
struct Written<'a> {
    path: &'a str,
    stamp: Stamp,
    hash: &'a str,
    summary: &'a Summary,
}

/// The hash of a file's bytes that decides a hit when its stamp changed but not its content
/// (a checkout, a `touch`).
/// (128 bits of SHA-256: a collision is out of reach, and the cache stays smaller).
pub fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache's file for this build, config and rule set. The build is the version with its
/// commit, so a binary built from a later commit (whose summaries may hold more) never reads
/// what an earlier one wrote.
fn file(root: &Path, config: &Config) -> PathBuf {
    let mut key = Sha256::new();
    key.update(env!("KUBELINT_VERSION").as_bytes());
    if let Some(source) = &config.source {
        key.update(std::fs::read(source).unwrap_or_default());
    }
    for folder in &config.file.rules.folders {
        let mut rule_files = Vec::new();
        files_below(&config.root.join(&folder.value), &mut rule_files, 0);
        rule_files.sort();
        for path in rule_files {
            key.update(path.to_string_lossy().as_bytes());
            key.update(std::fs::read(&path).unwrap_or_default());
        }
    }
    let key: String = key.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    root.join(FOLDER).join(format!("inventory-{key}.jsonl"))
}

/// Every file below `dir`, a few folders deep (rule folders are shallow).
fn files_below(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && depth < 4 {
            files_below(&path, out, depth + 1);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// The entries of the cache for this config, by path below the root; none when there is no
/// cache or any of it cannot be read.
pub fn read(root: &Path, config: &Config) -> HashMap<String, Entry> {
    let Ok(bytes) = std::fs::read(file(root, config)) else {
        return HashMap::new();
    };
    // A file cut short by a full disk ends without its newline: all of it is then suspect.
    if bytes.last().is_some_and(|last| *last != b'\n') {
        return HashMap::new();
    }
    bytes
        .par_split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let Line {
                path,
                stamp,
                hash,
                summary,
            } = serde_json::from_slice(line).ok()?;
            Some((
                path,
                Entry {
                    stamp,
                    hash,
                    summary,
                },
            ))
        })
        .collect::<Option<HashMap<_, _>>>()
        .unwrap_or_default()
}

/// Replaces the cache with `entries` (path below the root, stamp, hash, summary), in path
/// order, and removes the files of other versions and configs. Failures leave the repository
/// as it was.
pub fn write<'a>(
    root: &Path,
    config: &Config,
    entries: Vec<(String, Stamp, &'a str, &'a Summary)>,
) {
    let mut entries = entries;
    entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let lines: Option<Vec<Vec<u8>>> = entries
        .par_iter()
        .map(|(path, stamp, hash, summary)| {
            let written = Written {
                path,
                stamp: *stamp,
                hash,
                summary,
            };
            let mut line = serde_json::to_vec(&written).ok()?;
            line.push(b'\n');
            Some(line)
        })
        .collect();
    let Some(lines) = lines else {
        return;
    };
    let bytes = lines.concat();
    let target = file(root, config);
    let Some(folder) = target.parent() else {
        return;
    };
    if std::fs::create_dir_all(folder).is_err() {
        return;
    }
    let ignore = folder.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(
            &ignore,
            "# Created by kubelint: its cache, never committed.\n*\n",
        );
    }
    let tag = folder.join("CACHEDIR.TAG");
    if !tag.exists() {
        let _ = std::fs::write(
            &tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n\
             # This file is a cache directory tag created by kubelint.\n\
             # For information about cache directory tags see https://bford.info/cachedir/\n",
        );
    }
    // Unique per process and per write, so two runs (or two sessions of one process) never
    // share a temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = folder.join(format!(".inventory-{}-{write}.tmp", std::process::id()));
    if std::fs::write(&temporary, bytes).is_err() {
        let _ = std::fs::remove_file(&temporary);
        return;
    }
    if std::fs::rename(&temporary, &target).is_err() {
        let _ = std::fs::remove_file(&temporary);
        return;
    }
    let Ok(others) = std::fs::read_dir(folder) else {
        return;
    };
    for other in others.flatten() {
        let name = other.file_name();
        let name = name.to_string_lossy();
        // Other keys' files, and those of the earlier one-document format (`.json`).
        if name.starts_with("inventory-") && other.path() != target {
            let _ = std::fs::remove_file(other.path());
        }
    }
}
