//! Every `--format` on testdata/repo, through the built binary, pinned as snapshots: a change
//! to any output shows up as a reviewable diff of the text CI systems and people read.

mod common;

use common::{kubelint, testdata};
use predicates::prelude::*;

/// The report of `kubelint check --format FORMAT` in testdata/repo, which has errors (exit 1).
fn report(format: &str) -> String {
    let output = kubelint()
        .current_dir(testdata("repo"))
        .args(["check", "--format", format])
        .assert()
        .code(1)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).unwrap()
}

#[test]
fn human_output_shows_each_finding_with_its_snippet() {
    insta::assert_snapshot!(report("human"));
}

#[test]
fn json_output_lists_every_finding() {
    insta::assert_snapshot!(report("json"));
}

#[test]
fn sarif_output_describes_every_rule_and_places_results_under_srcroot() {
    let sarif = report("sarif");
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    // The checkout's absolute path differs on every machine; it is all the snapshot omits.
    let root = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.starts_with("file:///") && root.ends_with("/testdata/repo/"));
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    let redacted = sarif
        .replace(&format!("\"{root}\""), "\"[SRCROOT]\"")
        .replace(&version, "\"version\": \"[VERSION]\"");
    insta::assert_snapshot!(redacted);
}

#[test]
fn github_output_is_one_workflow_command_per_finding_then_the_summary() {
    insta::assert_snapshot!(report("github"));
}

#[test]
fn junit_output_is_one_suite_per_file_and_one_failure_per_finding() {
    insta::assert_snapshot!(report("junit"));
}

#[test]
fn junit_for_a_clean_run_is_one_passing_test() {
    kubelint()
        .current_dir(testdata("zoo"))
        .args(["check", "--format", "junit", "not-k8s.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            r#"<testsuites name="kubelint" tests="1" failures="0" errors="0">"#,
        ));
}

#[test]
fn github_step_summary_gets_a_markdown_table_of_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    kubelint()
        .current_dir(testdata("repo"))
        .env("GITHUB_STEP_SUMMARY", &path)
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stderr("");
    insta::assert_snapshot!(std::fs::read_to_string(&path).unwrap());
}

#[test]
fn an_unwritable_step_summary_warns_but_does_not_change_the_result() {
    let dir = tempfile::tempdir().unwrap();
    kubelint()
        .current_dir(testdata("repo"))
        // A folder cannot be opened for appending.
        .env("GITHUB_STEP_SUMMARY", dir.path())
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("::error file="))
        .stderr(predicate::str::contains(
            "kubelint: warning: cannot write the step summary",
        ));
}
