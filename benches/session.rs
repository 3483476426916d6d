//! The session benchmark, the three figures of the references and editor issues, in release
//! mode on generated repositories (each file a Deployment, its Service and ConfigMap, whose
//! `secretKeyRef` names an external Secret of the config and whose `configMapKeyRef` names the
//! ConfigMap of the next file, so every file resolves against the others):
//!
//! - `kubelint check one-file.yaml` in a 10,000-file repository with a warm cache, the whole
//!   process (target 100 ms), and the same with `--no-cache`;
//! - a cold inventory of 5,000 files: `Session::load` without a cache (target 150 ms);
//! - `Session::check` of one changed buffer in a loaded 5,000-file session (target 10 ms).
//!
//! `cargo bench --bench session`; medians, after one warm-up run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kubelint::config::Config;
use kubelint::rules::RuleSet;
use kubelint::session::Session;

mod common;
use common::{generate, median};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn session(root: &Path) -> Session {
    let config = Config::load(&root.join(".kubelint.yaml")).expect("the bench config is valid");
    let rules = RuleSet::load(&config).expect("the built-in rules compile");
    Session::new(root.to_path_buf(), Arc::new(config), Arc::new(rules)).with_cache(false)
}

fn main() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "threads: {}, load average: {}",
        rayon::current_num_threads(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // The whole process on one named file of 10,000, cache warm and without it.
    let large = tempfile::tempdir().expect("a temporary folder");
    generate(large.path(), 10_000);
    let binary = env!("CARGO_BIN_EXE_kubelint");
    let named = "team-42/app-4242.yaml";
    let run = |args: &[&str]| {
        let status = std::process::Command::new(binary)
            .current_dir(large.path())
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("the kubelint binary runs");
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "kubelint lints the corpus"
        );
    };
    let warm = median(9, || run(&["check", named]));
    let uncached = median(3, || run(&["check", "--no-cache", named]));
    println!(
        "check one named file, 10,000 files, warm cache:  {:>8.1} ms",
        ms(warm)
    );
    println!(
        "check one named file, 10,000 files, --no-cache:  {:>8.1} ms",
        ms(uncached)
    );
    drop(large);

    // The cold inventory, and a buffer re-linted, in 5,000 files.
    let corpus = tempfile::tempdir().expect("a temporary folder");
    generate(corpus.path(), 5_000);
    std::env::set_current_dir(corpus.path()).expect("the corpus folder exists");
    let cold = median(5, || session(corpus.path()).load());
    println!(
        "cold inventory of 5,000 files (Session::load):  {:>8.1} ms",
        ms(cold)
    );
    let mut loaded = session(corpus.path());
    loaded.load();
    let path: PathBuf = corpus.path().join("team-7/app-777.yaml");
    let text = std::fs::read_to_string(&path).expect("the corpus has the file");
    let mut edit = 0;
    let relint = median(31, || {
        edit += 1;
        loaded.set_overlay(&path, format!("{text}# edit {edit}\n"));
        let outcome = loaded.check(std::slice::from_ref(&path));
        let unresolved = outcome
            .findings
            .iter()
            .filter(|f| f.rule.starts_with("missing-c"));
        assert_eq!(
            unresolved.count(),
            0,
            "the buffer resolves against the session"
        );
    });
    println!(
        "Session::check of one changed buffer, 5,000:   {:>8.1} ms",
        ms(relint)
    );
}
