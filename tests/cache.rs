//! The inventory cache between runs (`.kubelint-cache/` at the repository root): every edit,
//! new file and deletion is seen, a warm run reports byte for byte what `--no-cache` reports,
//! and a cache that is corrupt or cannot be written changes nothing.

mod common;

use std::path::Path;

use common::{kubelint, lint, testdata, tree, write};

const CONFIG: &str = "rules:\n  disable: [missing-memory-limit, missing-resource-requests, missing-liveness-probe, missing-readiness-probe, privilege-escalation-allowed, run-as-root]\n";

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  containers:\n    - name: a\n      image: \"a:1.0.0\"\n      env: [ { name: U, valueFrom: { secretKeyRef: { name: db, key: url } } } ]\n";

fn secret(key: &str) -> String {
    format!("apiVersion: v1\nkind: Secret\nmetadata: {{ name: db }}\nstringData: {{ {key}: x }}\n")
}

/// The reference findings of `kubelint check --format json ARGS` in `dir`.
fn references(dir: &Path, args: &[&str]) -> Vec<String> {
    lint(dir, args)
        .into_iter()
        .filter(|l| l.contains(" missing-"))
        .collect()
}

fn json(dir: &Path, args: &[&str]) -> Vec<u8> {
    kubelint()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("kubelint runs")
        .stdout
}

/// A copy of a testdata repository in a temporary folder, without any cache it holds.
fn copy_of(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let name = entry.file_name();
            if name == ".kubelint-cache" {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(&name));
            } else {
                std::fs::copy(&path, to.join(&name)).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&testdata(name), dir.path());
    dir
}

#[test]
fn edits_new_files_and_deletions_are_each_seen_through_the_cache() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("pod.yaml", POD)]);
    let root = dir.path();
    let missing_secret = vec!["pod.yaml:8:60 missing-secret".to_string()];
    assert_eq!(references(root, &["pod.yaml"]), missing_secret);
    assert!(
        root.join(".kubelint-cache").is_dir(),
        "the run wrote its cache"
    );

    write(root, "secret.yaml", &secret("url"));
    assert_eq!(references(root, &["pod.yaml"]), Vec::<String>::new());
    assert_eq!(references(root, &["pod.yaml"]), Vec::<String>::new());

    write(root, "secret.yaml", &secret("uri"));
    assert_eq!(
        references(root, &["pod.yaml"]),
        ["pod.yaml:8:69 missing-secret-key"]
    );

    std::fs::remove_file(root.join("secret.yaml")).unwrap();
    assert_eq!(references(root, &["pod.yaml"]), missing_secret);
}

#[test]
fn a_warm_run_prints_byte_for_byte_what_a_run_without_the_cache_prints() {
    for repository in ["references/broken", "repo"] {
        let dir = copy_of(repository);
        let files: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") && !n.starts_with('.'))
            .collect();
        let named: Vec<&str> = files.iter().map(String::as_str).take(2).collect();
        let uncached = json(dir.path(), &[&named[..], &["--no-cache"]].concat());
        assert!(
            !dir.path().join(".kubelint-cache").exists(),
            "--no-cache writes nothing"
        );
        let cold = json(dir.path(), &named);
        let warm = json(dir.path(), &named);
        assert!(!uncached.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&cold),
            String::from_utf8_lossy(&uncached)
        );
        assert_eq!(
            String::from_utf8_lossy(&warm),
            String::from_utf8_lossy(&uncached)
        );
        let walked_cold = json(dir.path(), &["--no-cache"]);
        assert_eq!(json(dir.path(), &[]), walked_cold, "{repository} walked");
    }
}

/// The cache file of `dir` (there is one per config) and when it was last written.
fn cache_file(dir: &Path) -> (std::path::PathBuf, std::time::SystemTime) {
    let folder = dir.join(".kubelint-cache");
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .expect("a cache file");
    let written = std::fs::metadata(&file).unwrap().modified().unwrap();
    (file, written)
}

#[test]
fn a_warm_run_over_unchanged_files_does_not_write_the_cache_again() {
    let dir = copy_of("references/clean");
    references(dir.path(), &["base/backend.yaml"]);
    let (file, written) = cache_file(dir.path());
    references(dir.path(), &["base/backend.yaml"]);
    assert_eq!(
        cache_file(dir.path()),
        (file.clone(), written),
        "nothing changed"
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(dir.path(), "base/extra.yaml", &secret("url"));
    references(dir.path(), &["base/backend.yaml"]);
    assert_ne!(
        cache_file(dir.path()).1,
        written,
        "a new file is written into the cache"
    );
}

#[test]
fn the_cache_folder_ignores_itself() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("pod.yaml", POD)]);
    references(dir.path(), &["pod.yaml"]);
    let folder = dir.path().join(".kubelint-cache");
    let ignore = std::fs::read_to_string(folder.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"));
    let tag = std::fs::read_to_string(folder.join("CACHEDIR.TAG")).unwrap();
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
}

#[test]
fn a_corrupt_or_cut_short_cache_is_read_as_no_cache() {
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("pod.yaml", POD),
        ("secret.yaml", &secret("uri")),
    ]);
    let expected = references(dir.path(), &["pod.yaml", "--no-cache"]);
    let damages: [fn(Vec<u8>) -> Vec<u8>; 2] = [
        |_| b"{\"path\": \"secret.yaml\", \"stamp\": 7\n".to_vec(),
        // Every line whole but the last, as a full disk leaves a file.
        |whole| whole[..whole.len() - 2].to_vec(),
    ];
    for damage in damages {
        references(dir.path(), &["pod.yaml"]);
        let (file, _) = cache_file(dir.path());
        std::fs::write(&file, damage(std::fs::read(&file).unwrap())).unwrap();
        assert_eq!(references(dir.path(), &["pod.yaml"]), expected);
        assert_eq!(references(dir.path(), &["pod.yaml"]), expected);
    }
}

#[test]
fn a_cache_that_cannot_be_written_is_skipped_silently() {
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("pod.yaml", POD),
        // Where the folder would be, a file: nothing can be written below it.
        (".kubelint-cache", "not a folder\n"),
    ]);
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "pod.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        references(dir.path(), &["pod.yaml"]),
        ["pod.yaml:8:60 missing-secret"]
    );
}

#[test]
fn a_changed_config_keys_a_new_cache_and_drops_the_old_one() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("pod.yaml", POD)]);
    let caches = || -> Vec<String> {
        let folder = dir.path().join(".kubelint-cache");
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("inventory-"))
            .collect();
        names.sort();
        names
    };
    references(dir.path(), &["pod.yaml"]);
    let before = caches();
    write(
        dir.path(),
        ".kubelint.yaml",
        &format!("{CONFIG}exclude: [vendor/**]\n"),
    );
    references(dir.path(), &["pod.yaml"]);
    let after = caches();
    assert_eq!((before.len(), after.len()), (1, 1));
    assert_ne!(before, after);
}

/// The rules that fired on `path` in a session's run, as `rule`.
fn session_rules(session: &mut kubelint::session::Session, path: &Path) -> Vec<String> {
    let outcome = session.check(&[path.to_path_buf()]);
    outcome
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .filter(|rule| rule.starts_with("missing-"))
        .collect()
}

#[test]
fn a_session_relints_a_buffer_against_the_workspace_and_follows_file_events() {
    use std::sync::Arc;
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("pod.yaml", POD),
        ("secret.yaml", &secret("url")),
    ]);
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let config = kubelint::config::Config::load(&root.join(".kubelint.yaml")).unwrap();
    let rules = kubelint::rules::RuleSet::load(&config).unwrap();
    let mut session =
        kubelint::session::Session::new(root.clone(), Arc::new(config), Arc::new(rules))
            .with_cache(false);
    session.load();
    let pod = root.join("pod.yaml");
    assert_eq!(session_rules(&mut session, &pod), Vec::<String>::new());

    session.set_overlay(&pod, POD.replace("key: url", "key: urx"));
    assert_eq!(session_rules(&mut session, &pod), ["missing-secret-key"]);
    session.clear_overlay(&pod);
    assert_eq!(session_rules(&mut session, &pod), Vec::<String>::new());

    let secret_path = root.join("secret.yaml");
    std::fs::remove_file(&secret_path).unwrap();
    session.file_changed(&secret_path);
    assert_eq!(session_rules(&mut session, &pod), ["missing-secret"]);
    write(&root, "secret.yaml", &secret("url"));
    session.file_changed(&secret_path);
    assert_eq!(session_rules(&mut session, &pod), Vec::<String>::new());

    // An unsaved buffer that defines the Secret counts as soon as the session has it.
    std::fs::remove_file(&secret_path).unwrap();
    session.file_changed(&secret_path);
    session.set_overlay(&secret_path, secret("url"));
    assert_eq!(session_rules(&mut session, &pod), Vec::<String>::new());
    assert!(
        !root.join(".kubelint-cache").exists(),
        "with_cache(false) writes nothing"
    );
}

#[test]
fn a_session_moves_between_threads() {
    fn send<T: Send>() {}
    send::<kubelint::session::Session>();
}
