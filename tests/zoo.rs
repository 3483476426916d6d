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

/// rook's nfs.yaml holds a block of more than 96 comment lines; naming a directive (which
/// makes kubelint collect comments) must not turn it into a syntax error or lose its objects.
#[test]
fn a_directive_never_changes_whether_a_corpus_file_parses() {
    let nfs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/rook+rook/deploy/examples/nfs.yaml");
    let Ok(text) = std::fs::read_to_string(&nfs) else {
        eprintln!("skipped: {} is absent", nfs.display());
        return;
    };
    let summary = |text: String| {
        let output = kubelint()
            .args(["check", "-", "--format", "github", "--fail-on", "never"])
            .write_stdin(text)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let plain = summary(text.clone());
    let with_directive = summary(format!(
        "# kubelint-disable-file hardcoded-clb-spec\n{text}"
    ));
    assert!(plain.contains("1 object"), "{plain}");
    // The directive is one more line, so findings move down by one; the counts stay.
    let last_line = |output: &str| output.lines().last().map(str::to_string);
    assert_eq!(last_line(&with_directive), last_line(&plain));
}

/// miette panics on columns past 65,535, and a snippet of a whole 32 MB line would cost as much
/// as the line: a finding far into a line is shown in a window of the line around it.
#[test]
fn a_finding_past_column_65535_is_shown_in_a_window_of_its_line() {
    let note = "x".repeat(70_000);
    let pod = format!(
        r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "wide", "annotations": {{"note": "{note}"}}}}, "spec": {{"containers": [{{"name": "app", "image": "team.azurecr.io/app:1"}}]}}}}"#
    );
    let zoo_config = std::fs::read_to_string(testdata("zoo/.kubelint.yaml")).unwrap();
    let dir = common::tree(&[("wide.json", &pod), (".kubelint.yaml", &zoo_config)]);
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "wide.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.len() < 3_000, "the snippet is a window: {stdout}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_files_are_linted_when_named() {
    let (_, found) = lint_json(&testdata("zoo"), &["json-pod.json", "empty.yaml"]);
    assert_eq!(found, ["json-pod.json:12:18 missing-image-pull-secret"]);
}

#[test]
fn a_file_named_twice_in_two_spellings_is_reported_once() {
    let (_, found) = lint_json(
        &testdata("zoo"),
        &["good.yaml", "../zoo/good.yaml", "./good.yaml"],
    );
    assert_eq!(found, ["good.yaml:9:14 missing-image-pull-secret"]);
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
                .and(predicate::str::contains("in 18 files; 21 files"))
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
    let (_, named) = lint_json(root, &["pipe.yaml", "dangling.yaml", "good.yaml"]);
    assert_eq!(
        named,
        [
            "dangling.yaml:1:1 file-unreadable",
            "good.yaml:9:14 missing-image-pull-secret",
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
