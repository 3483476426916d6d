//! ValidatingAdmissionPolicy at commit time, end to end: the policies of the repository and
//! of the folder `admission-policies` names, evaluated against the objects they match.

mod common;

use std::path::{Path, PathBuf};

use common::{kubelint, testdata};

/// The `admission-policy` findings of a JSON run, as the fields users read.
fn admission_findings(json: &[u8]) -> Vec<serde_json::Value> {
    let findings: Vec<serde_json::Value> = serde_json::from_slice(json).unwrap();
    findings
        .into_iter()
        .filter(|f| f["rule"] == "admission-policy")
        .map(|f| {
            serde_json::json!({
                "at": format!("{}:{}:{}-{}:{}", f["file"].as_str().unwrap(), f["line"], f["column"], f["end_line"], f["end_column"]),
                "severity": f["severity"],
                "policy": f["policy"],
                "message": f["message"],
            })
        })
        .collect()
}

#[test]
fn a_failing_object_is_reported_at_each_policys_field_path_and_a_passing_one_is_not() {
    let output = kubelint()
        .current_dir(testdata("admission/repo"))
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the Deny binding fails the run"
    );
    insta::assert_json_snapshot!(admission_findings(&output.stdout));
}

#[test]
fn a_warn_binding_alone_does_not_fail_the_run() {
    let output = kubelint()
        .current_dir(testdata("admission/repo"))
        .args(["check", "apps.yaml", "policies.yaml", "--format", "json"])
        .output()
        .unwrap();
    let findings = admission_findings(&output.stdout);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(
        findings
            .iter()
            .any(|f| f["policy"] == "memory-cap" && f["severity"] == "warning")
    );
}

#[test]
fn a_policy_folder_that_is_not_there_is_a_config_error_at_its_key() {
    let dir = common::tree(&[
        (".kubelint.yaml", "admission-policies: [../nowhere]\n"),
        ("a.yaml", &common::pod("nginx:1.25")),
    ]);
    kubelint()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            ".kubelint.yaml:1:22: admission-policies: `../nowhere` is not a folder",
        ));
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no corpus at {} (see README)", dir.display());
        None
    }
}

/// The corpus's real policies (GKE's compute-class samples, Gateway API's safe-upgrades)
/// compile, and evaluate against their own objects without a finding that says otherwise.
#[test]
fn the_corpus_policies_compile_and_evaluate() {
    let Some(corpus) = corpus() else {
        return;
    };
    let files = [
        "GoogleCloudPlatform+kubernetes-engine-samples/autoscaling/custom-compute-classes/vap/restrict-toleration.yaml",
        "GoogleCloudPlatform+kubernetes-engine-samples/autoscaling/custom-compute-classes/vap/restrict-wildcard-toleration.yaml",
        "kubernetes-sigs+gateway-api/config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml",
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| corpus.join(f)).collect();
    if let Some(missing) = paths.iter().find(|p| !p.is_file()) {
        eprintln!("skipped: {} is not in the corpus", missing.display());
        return;
    }
    let run = |namespace: &str, toleration: &str| {
        let pod = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{ name: p, namespace: {namespace} }}\nspec:\n  tolerations: [ {toleration} ]\n  containers: [ {{ name: a, image: nginx:1.25 }} ]\n"
        );
        let dir = common::tree(&[("pod.yaml", pod.as_str())]);
        let output = kubelint()
            .current_dir(dir.path())
            .arg("check")
            .arg("pod.yaml")
            .args(&paths)
            .args(["--format", "json"])
            .output()
            .unwrap();
        admission_findings(&output.stdout)
    };
    let compute_class =
        "{ key: cloud.google.com/compute-class, operator: Equal, value: autopilot }";
    let wildcard = "{ operator: Exists }";
    // restrict-wildcard-toleration's binding selects the namespace by its name label.
    let denied = run("FORBIDDEN_NAMESPACE", wildcard);
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert_eq!(denied[0]["policy"], "restrict-wildcard-toleration");
    assert_eq!(
        denied[0]["message"],
        "policy `restrict-wildcard-toleration`: Pods in this namespace cannot use wildcard tolerations."
    );
    assert_eq!(run("elsewhere", wildcard), Vec::<serde_json::Value>::new());
    // restrict-toleration's matchCondition, a folded YAML scalar, splits the ConfigMap on
    // `'\\n'`, which in CEL is a backslash and an `n`, not a line break: it matches no pod,
    // in a cluster as here, so even a namespace the ConfigMap does not list passes.
    assert_eq!(run("qux", compute_class), Vec::<serde_json::Value>::new());
}
