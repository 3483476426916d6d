//! No input crashes kubelint: every bad input gets a positioned finding or a clear error, and
//! the good files beside it are still reported.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::{expected_lines, finding_lines, kubelint, testdata};
use predicates::prelude::*;

fn lint_json(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<String>) {
    let output = kubelint()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), finding_lines(&output.stdout))
}

#[test]
fn the_zoo_reports_each_bad_file_and_every_good_one() {
    let (code, found) = lint_json(&testdata("zoo"), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(found, expected_lines(&testdata("zoo/EXPECTED")));
}

#[test]
fn json_files_are_linted_when_named() {
    let (_, found) = lint_json(&testdata("zoo"), &["json-pod.json", "empty.yaml"]);
    assert_eq!(found, ["json-pod.json:12:18 missing-image-pull-secret"]);
}

#[test]
fn human_output_survives_every_bad_input() {
    kubelint()
        .current_dir(testdata("zoo"))
        .arg("check")
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("latin1.yaml:3:13")
                .and(predicate::str::contains("in 12 of 15 files"))
                // Binary content is never printed raw: it could drive the terminal.
                .and(predicate::str::contains("\u{18}").not()),
        );
}

/// Broken links, loops, odd file types and huge files, made at test time because git cannot
/// hold them all.
#[test]
fn file_system_oddities_are_findings_and_the_rest_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(testdata("zoo/good.yaml"), root.join("good.yaml")).unwrap();
    symlink("nowhere.yaml", root.join("dangling.yaml")).unwrap();
    std::fs::create_dir(root.join("loop")).unwrap();
    symlink("..", root.join("loop/up")).unwrap();
    std::fs::create_dir(root.join("folder.yaml")).unwrap();
    std::fs::copy(
        testdata("zoo/good.yaml"),
        root.join("folder.yaml/inside.yaml"),
    )
    .unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let huge = std::fs::File::create(root.join("huge.yaml")).unwrap();
    huge.set_len(33 * 1024 * 1024).unwrap();

    let (code, found) = lint_json(root, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [
            "dangling.yaml:1:1 file-unreadable",
            "folder.yaml/inside.yaml:9:14 missing-image-pull-secret",
            "good.yaml:9:14 missing-image-pull-secret",
            "huge.yaml:1:1 file-not-text",
            "loop/up:1:1 file-unreadable",
        ]
    );
    let (_, named) = lint_json(root, &["pipe.yaml", "missing.yaml", "good.yaml"]);
    assert_eq!(
        named,
        [
            "good.yaml:9:14 missing-image-pull-secret",
            "missing.yaml:1:1 file-unreadable",
            "pipe.yaml:1:1 file-unreadable"
        ]
    );
}

#[test]
fn a_large_valid_file_is_linted_whole() {
    let dir = tempfile::tempdir().unwrap();
    let pod = std::fs::read_to_string(testdata("zoo/good.yaml")).unwrap();
    let stream = vec![pod.as_str(); 20_000].join("---\n");
    std::fs::write(dir.path().join("many.yaml"), stream).unwrap();
    let (_, found) = lint_json(dir.path(), &[]);
    assert_eq!(found.len(), 20_000);
    assert_eq!(
        found.last().map(String::as_str),
        Some("many.yaml:259996:14 missing-image-pull-secret")
    );
}
