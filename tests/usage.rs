//! Mistakes on the command line get a clear answer and exit 2; output ends quietly when its
//! reader goes away.

mod common;

use std::process::Stdio;

use common::{kubelint, pod, testdata, tree};
use predicates::prelude::*;

#[test]
fn stdin_filename_without_a_dash_is_a_usage_error() {
    let dir = tree(&[("a.yaml", &pod("team.azurecr.io/a:1"))]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "--stdin-filename", "a.yaml"])
        .write_stdin("kind: Pod\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--stdin-filename needs `-`"));
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    let dir = tree(&[("a.yaml", &pod("redis:7"))]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "a.yaml", "missing.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "missing.yaml: no such file or folder",
        ));
}

#[test]
fn help_describes_the_paths_and_the_config() {
    kubelint()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("[PATHS]...\n          Files and folders to lint").and(
                predicate::str::contains("--config <CONFIG>\n          The config file"),
            ),
        );
}

/// `kubelint check | head` closes the pipe early; that changes nothing about the result.
#[test]
fn a_closed_pipe_ends_every_format_quietly() {
    for format in ["human", "json", "sarif", "github", "junit"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("kubelint"))
            .current_dir(testdata("repo"))
            .args(["check", "--format", format])
            .env_remove("GITHUB_STEP_SUMMARY")
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "",
            "--format {format}"
        );
        assert_eq!(output.status.code(), Some(1), "--format {format}");
    }
}
