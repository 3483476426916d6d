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

/// ruff and eslint find the config from the linted path: a repository linted from elsewhere
/// gets its own `.kubelint.yaml`, and `env` says which config applies.
#[test]
fn the_config_is_found_upward_from_the_linted_path_first() {
    let outside = tree(&[]);
    let repo = common::testdata("repo");
    let prod = repo.join(".pipeline/k8s/overlays/prod/redis-cache.yaml");
    let found = common::lint(outside.path(), &[prod.to_str().unwrap()]);
    assert!(
        found
            .iter()
            .any(|f| f.ends_with("dockerhub-image-in-china")),
        "{found:?}"
    );
    kubelint()
        .current_dir(outside.path())
        .args(["env", prod.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "config: {}",
            repo.join(".kubelint.yaml").display()
        )));
}

#[test]
fn paths_under_two_configs_are_a_usage_error_and_an_explicit_config_wins() {
    let dir = tree(&[
        ("a/.kubelint.yaml", ""),
        ("a/pod.yaml", &pod("redis:7")),
        ("b/.kubelint.yaml", ""),
        ("b/pod.yaml", &pod("redis:7")),
    ]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "a", "b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("different configs"));
    kubelint()
        .current_dir(dir.path())
        .args(["check", "a", "b", "--config", "a/.kubelint.yaml"])
        .assert()
        .code(0);
}

/// `kubelint check` in a folder holding only `config` exits 2 and says `message` on stderr.
fn config_error(config: &str, message: &str) {
    let dir = tree(&[(".kubelint.yaml", config)]);
    kubelint()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!("kubelint: .kubelint.yaml:{message}\n"));
}

#[test]
fn a_bad_glob_is_reported_at_the_glob() {
    config_error(
        "environments:\n  prod:\n    paths: [ok/**, \"a/[b\"]\n",
        "3:20: environments.prod.paths: invalid glob `a/[b`: unclosed character class; missing ']'",
    );
}

#[test]
fn a_bad_helm_values_glob_is_reported_at_the_key() {
    config_error(
        "helm:\n  values:\n    \"a/[b\": { chart: x }\n",
        "3:5: helm.values: invalid glob `a/[b`: unclosed character class; missing ']'",
    );
}

#[test]
fn a_duplicate_key_in_the_config_gets_no_parser_advice() {
    config_error(
        "exclude: [a]\nexclude: [b]\n",
        "2:1: duplicate mapping key: exclude",
    );
}

#[test]
fn empty_required_strings_are_rejected_at_their_position() {
    config_error(
        "environments:\n  prod:\n    mirrors:\n      docker.io: { via: \"\" }\n",
        "4:25: this value must not be empty",
    );
    config_error(
        "environments:\n  prod:\n    registries:\n      a.io: { pull-secret: \" \" }\n",
        "4:28: this value must not be empty",
    );
    config_error(
        "environments:\n  prod:\n    external-secrets:\n      s: [a, \"\"]\n",
        "4:14: this value must not be empty",
    );
    config_error(
        "exclude: [\"\"]\n",
        "1:11: exclude: an empty glob matches nothing",
    );
}

#[test]
fn rule_folders_stay_inside_the_config_folder() {
    for folder in ["/", "..", "."] {
        config_error(
            &format!("rules:\n  folders: [\"{folder}\"]\n"),
            &format!("2:13: rules.folders: `{folder}` is not a folder inside the config's folder"),
        );
    }
}

#[test]
fn a_user_rule_id_must_be_kebab_case() {
    let dir = tree(&[
        (".kubelint.yaml", "rules:\n  folders: [policies]\n"),
        (
            "policies/bad.yaml",
            "id: No_Latest\nseverity: warning\nsummary: s\nfor: image\ndeny:\n  - if: { image.tag: latest }\nmessage: m\n",
        ),
    ]);
    kubelint()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "policies/bad.yaml:1:5: rule `No_Latest`: the id `No_Latest` is not kebab-case",
        ));
}
