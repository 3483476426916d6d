//! `check --write-baseline FILE` and `check --baseline FILE` end to end.

mod common;

use std::path::Path;

use common::{kubelint, tree, write};

const CONFIG: &str =
    "environments:\n  prod:\n    paths: [\"k8s/**\"]\n    platform: ack\n    region: cn-shanghai\n";

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: { name: cache, namespace: prod }\nspec:\n  containers:\n    - name: redis\n      image: redis:7.2.4\n";

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = kubelint()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn entries(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let baseline: serde_json::Value = serde_json::from_str(&text).unwrap();
    baseline["findings"].as_array().unwrap().clone()
}

fn repository() -> tempfile::TempDir {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("k8s/cache.yaml", POD)]);
    let (code, _, stderr) = run(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{stderr}");
    dir
}

#[test]
fn a_baseline_hides_what_it_recorded_and_the_summary_says_how_many() {
    let dir = repository();
    let recorded = entries(&dir.path().join("baseline.json"));
    assert!(
        recorded
            .iter()
            .any(|e| e["rule"] == "dockerhub-image-in-china")
    );
    let (code, stdout, _) = run(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{stdout}");
    let hidden = format!("{} hidden by the baseline", recorded.len());
    assert!(
        stdout.contains(&format!("no findings; 1 file, 1 object checked; {hidden}")),
        "{stdout}"
    );
}

#[test]
fn moving_lines_keeps_recorded_findings_hidden() {
    let dir = repository();
    let moved = POD.replace(
        "apiVersion: v1\n",
        "# the cache, see the runbook\n\napiVersion: v1\n",
    );
    write(dir.path(), "k8s/cache.yaml", &moved);
    let (code, stdout, _) = run(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("no findings"), "{stdout}");
}

#[test]
fn a_new_finding_shows_through_the_baseline() {
    let dir = repository();
    let more = format!("{POD}    - name: second\n      image: busybox:1.36\n");
    write(dir.path(), "k8s/cache.yaml", &more);
    let (code, stdout, _) = run(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "json"],
    );
    assert_eq!(code, 1);
    let lines = common::finding_lines(stdout.as_bytes());
    assert!(
        lines.contains(&"k8s/cache.yaml:9:14 dockerhub-image-in-china".to_string()),
        "{lines:?}"
    );
    assert!(
        !lines.contains(&"k8s/cache.yaml:7:14 dockerhub-image-in-china".to_string()),
        "{lines:?}"
    );
}

#[test]
fn a_fixed_finding_drops_from_the_baseline_when_it_is_rewritten() {
    let dir = repository();
    let path = dir.path().join("baseline.json");
    let before = entries(&path);
    let mirrored = POD.replace(
        "redis:7.2.4",
        "registry.cn-hangzhou.aliyuncs.com/library/redis:7.2.4",
    );
    write(dir.path(), "k8s/cache.yaml", &mirrored);
    run(dir.path(), &["--write-baseline", "baseline.json"]);
    let after = entries(&path);
    assert_eq!(after.len(), before.len() - 1);
    assert!(
        !after
            .iter()
            .any(|e| e["rule"] == "dockerhub-image-in-china")
    );
}

#[test]
fn baseline_paths_are_repository_relative_so_it_works_from_any_folder() {
    let dir = repository();
    let recorded = entries(&dir.path().join("baseline.json"));
    assert!(
        recorded.iter().all(|e| e["file"] == "k8s/cache.yaml"),
        "{recorded:?}"
    );
    assert!(
        recorded
            .iter()
            .all(|e| e["object"] == "Pod/prod/cache"
                && e["fingerprint"].as_str().unwrap().len() == 32)
    );
    let (code, stdout, _) = run(
        &dir.path().join("k8s"),
        &["--baseline", "../baseline.json", "."],
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("hidden by the baseline"), "{stdout}");
}

#[test]
fn a_baseline_that_is_not_one_is_a_usage_error_with_its_position() {
    let dir = tree(&[
        ("baseline.json", "{\"version\": 1,\n \"findings\": 3}\n"),
        ("a.yaml", POD),
    ]);
    let (code, _, stderr) = run(dir.path(), &["--baseline", "baseline.json", "a.yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("baseline.json:2:"), "{stderr}");
}
