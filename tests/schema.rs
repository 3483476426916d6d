//! Schema validation and API versions end to end on `testdata/schema`: each problem at its
//! node, custom resources checked by the CRD beside them and by a schema folder, Kustomize
//! builds checked at the patch line, and `kubernetes-version` per environment.

mod common;

use common::{expected_lines, kubelint, testdata, tree};
use predicates::prelude::*;

const API_RULES: [&str; 4] = [
    "schema-invalid",
    "schema-unknown-kind",
    "deprecated-api",
    "removed-api",
];

fn api_findings() -> Vec<serde_json::Value> {
    let output = kubelint()
        .current_dir(testdata("schema"))
        .args(["check", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    findings
        .into_iter()
        .filter(|f| API_RULES.contains(&f["rule"].as_str().unwrap_or("")))
        .collect()
}

#[test]
fn the_fixtures_report_exactly_their_expected_api_findings() {
    let found: Vec<String> = api_findings()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(found, expected_lines(&testdata("schema/EXPECTED")));
}

/// Each finding with its span and the text under it, so a moved span shows in review.
#[test]
fn each_schema_finding_spans_the_node_the_user_edits() {
    let root = testdata("schema");
    let rendered: Vec<String> = api_findings()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            let start = f["offset"].as_u64().unwrap() as usize;
            let end = start + f["length"].as_u64().unwrap() as usize;
            format!(
                "{file}:{}:{}-{}:{} `{}` {}: {}",
                f["line"],
                f["column"],
                f["end_line"],
                f["end_column"],
                &text[start..end],
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn an_unknown_kubernetes_version_is_a_config_error_at_its_value() {
    let repo = tree(&[
        (
            ".kubelint.yaml",
            "environments:\n  prod:\n    kubernetes-version: \"1.12\"\n",
        ),
        (
            "pod.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n",
        ),
    ]);
    kubelint()
        .current_dir(repo.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".kubelint.yaml:3:25"))
        .stderr(predicate::str::contains(
            "unknown Kubernetes version `1.12`: kubelint has the schemas of 1.28,",
        ));
}

#[test]
fn a_schema_folder_that_does_not_exist_is_a_config_error() {
    let repo = tree(&[(".kubelint.yaml", "schemas: [missing]\n")]);
    kubelint()
        .current_dir(repo.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".kubelint.yaml:1:11"))
        .stderr(predicate::str::contains("schemas: no folder `missing`"));
}

#[test]
fn a_plain_version_number_names_the_release_it_reads_as() {
    // `1.30` unquoted is the YAML number 1.3; kubelint reads the text as written.
    let repo = tree(&[
        (".kubelint.yaml", "kubernetes-version: 1.30\n"),
        (
            "hpa.yaml",
            "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: { name: a }\n",
        ),
    ]);
    kubelint()
        .current_dir(repo.path())
        .args(["check", "--fail-on", "never", "--format", "github"])
        .assert()
        .success()
        .stdout(predicate::str::contains("title=deprecated-api"))
        .stdout(predicate::str::contains("(the target is 1.30)"));
}

/// A CRD's `x-kubernetes-validations` run against its custom resources: the passing one has
/// no finding; the failing one has each evaluated rule's message at the rule's node (or its
/// fieldPath), the transition rule is skipped, and a rule calling a function kubelint lacks
/// is an info finding.
#[test]
fn crd_cel_rules_fail_the_breaking_custom_resource_and_pass_the_other() {
    let found: Vec<(u64, String, String)> = api_findings()
        .iter()
        .filter(|f| f["file"] == "scalers.yaml")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(found.iter().all(|(line, ..)| *line > 12), "{found:?}");
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    assert!(messages.contains(&"the name must be at most 20 characters"));
    assert!(messages.contains(&"`spec`: minReplicas must not exceed maxReplicas"));
    assert!(messages.contains(&"`spec`: mode manual needs an owner"));
    assert!(messages.contains(&"`spec.endpoint`: endpoint must be an https URL"));
    assert!(!messages.iter().any(|m| m.contains("immutable")));
    let info: Vec<&(u64, String, String)> = found.iter().filter(|f| f.1 == "info").collect();
    assert_eq!(info.len(), 1, "{found:?}");
    assert!(
        info[0]
            .2
            .contains("`duration` is in the Kubernetes duration library")
    );
}
