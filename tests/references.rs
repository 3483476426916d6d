//! References across the repository: what resolves (bases, overlays, generated names, what
//! the config says exists outside Git), what does not and where it is reported, and the same
//! answers whether a file is named, walked or piped, for any thread count or path order.

mod common;

use common::{expected_lines, finding_lines, kubelint, lint, testdata, tree};

/// The rules of `rules/references/`, and the one whose answer a ServiceAccount changes.
const REFERENCE_RULES: &[&str] = &[
    "hpa-missing-target",
    "ingress-missing-service",
    "ingress-missing-service-port",
    "missing-configmap",
    "missing-configmap-key",
    "missing-image-pull-secret",
    "missing-issuer",
    "missing-role",
    "missing-secret",
    "missing-secret-key",
    "missing-service-account",
    "pdb-selects-nothing",
    "service-selects-nothing",
    "service-target-port-not-declared",
    "statefulset-missing-headless-service",
];

#[test]
fn a_repository_whose_references_all_resolve_has_no_missing_reference() {
    let dir = testdata("references/clean");
    let output = kubelint()
        .current_dir(&dir)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    // cert-manager's CRDs are not in the repository, so its kinds have no schema: info only.
    let found: Vec<String> = finding_lines(&output.stdout)
        .into_iter()
        .filter(|f| !f.ends_with(" schema-unknown-kind"))
        .collect();
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn each_overlay_sees_its_own_external_secrets() {
    let dir = tree(&[
        (
            ".kubelint.yaml",
            "environments:\n  prod: { paths: [prod], namespace: p, external-secrets: { db: [url] } }\n  test: { paths: [test], namespace: t }\n",
        ),
        ("base/kustomization.yaml", "resources: [pod.yaml]\n"),
        (
            "base/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  containers:\n    - { name: a, image: \"a:1.0.0\", env: [ { name: U, valueFrom: { secretKeyRef: { name: db, key: url } } } ] }\n",
        ),
        ("prod/kustomization.yaml", "resources: [../base]\n"),
        ("test/kustomization.yaml", "resources: [../base]\n"),
    ]);
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let missing: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f["rule"] == "missing-secret")
        .map(|f| (f["line"].to_string(), f["environments"].to_string()))
        .collect();
    assert_eq!(missing, [("6".to_string(), r#"["test"]"#.to_string())]);
}

#[test]
fn a_repository_with_one_miss_of_every_kind_reports_each_at_its_span() {
    let dir = testdata("references/broken");
    let output = kubelint()
        .current_dir(&dir)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let found = finding_lines(&output.stdout);
    assert_eq!(found, expected_lines(&dir.join("EXPECTED")));
    for rule in REFERENCE_RULES
        .iter()
        .filter(|r| **r != "missing-image-pull-secret")
    {
        assert!(
            found.iter().any(|line| line.ends_with(&format!(" {rule}"))),
            "the broken repository has no miss for {rule}"
        );
    }
}

#[test]
fn misses_read_with_their_snippets_suggestions_and_related_locations() {
    let output = kubelint()
        .current_dir(testdata("references/broken"))
        .args(["check", "backend.yaml", "network.yaml"])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn sarif_carries_the_target_as_a_related_location() {
    let output = kubelint()
        .current_dir(testdata("references/broken"))
        .args(["check", "network.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let port = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "ingress-missing-service-port")
        .expect("the Ingress's port is reported");
    let related = &port["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "network.yaml");
    assert_eq!(related["region"]["startLine"], 4);
}

/// The findings of the reference rules among `lines`.
fn references(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter(|l| {
            REFERENCE_RULES
                .iter()
                .any(|r| l.ends_with(&format!(" {r}")))
        })
        .collect()
}

/// The findings of one file, as `file:line:col rule`.
fn of_file(lines: Vec<String>, file: &str) -> Vec<String> {
    lines
        .into_iter()
        .filter(|l| l.starts_with(&format!("{file}:")))
        .collect()
}

#[test]
fn a_file_named_walked_or_piped_gets_the_same_findings() {
    let dir = testdata("references/broken");
    let walked = of_file(lint(&dir, &[]), "backend.yaml");
    let named = lint(&dir, &["backend.yaml"]);
    let text = std::fs::read_to_string(dir.join("backend.yaml")).unwrap();
    let piped = kubelint()
        .current_dir(&dir)
        .args(["check", "-", "--stdin-filename", "backend.yaml"])
        .args(["--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(!walked.is_empty());
    assert_eq!(named, walked);
    assert_eq!(finding_lines(&piped.stdout), walked);
    // The runs above wrote and read the repository's cache; without it, the same answers.
    assert_eq!(lint(&dir, &["backend.yaml", "--no-cache"]), walked);
    let uncached = of_file(lint(&dir, &["--no-cache"]), "backend.yaml");
    assert_eq!(uncached, walked);
}

#[test]
fn findings_do_not_depend_on_thread_count_or_path_order() {
    let dir = testdata("references/broken");
    let run = |threads: &str, paths: &[&str]| {
        let output = kubelint()
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "--format", "json"])
            .args(paths)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let one = run("1", &["backend.yaml", "network.yaml", "platform.yaml"]);
    assert_eq!(
        one,
        run("4", &["platform.yaml", "network.yaml", "backend.yaml"])
    );
    assert_eq!(
        one,
        run("2", &["network.yaml", "backend.yaml", "platform.yaml"])
    );
}

#[test]
fn a_piped_pod_borrows_the_pull_secret_of_its_service_account_in_another_file() {
    let config = "environments:\n  prod:\n    paths: ['**']\n    platform: ack\n    registries: { team.azurecr.io: { pull-secret: acr-secret } }\n    external-secrets: { acr-secret: [] }\n";
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: app }\nimagePullSecrets: [ { name: acr-secret } ]\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  serviceAccountName: app\n  containers: [ { name: a, image: team.azurecr.io/a:1.0 } ]\n";
    let dir = tree(&[
        (".kubelint.yaml", config),
        ("sa.yaml", account),
        ("pod.yaml", pod),
    ]);
    let piped = |text: &str| {
        let output = kubelint()
            .current_dir(dir.path())
            .args([
                "check",
                "-",
                "--stdin-filename",
                "pod.yaml",
                "--format",
                "json",
            ])
            .write_stdin(text.to_string())
            .output()
            .unwrap();
        references(finding_lines(&output.stdout))
    };
    assert_eq!(piped(pod), Vec::<String>::new());
    let renamed = pod.replace("serviceAccountName: app", "serviceAccountName: ap");
    assert_eq!(
        piped(&renamed),
        [
            "pod.yaml:5:23 missing-service-account",
            "pod.yaml:6:35 missing-image-pull-secret"
        ]
    );
}

#[test]
fn a_secret_created_outside_git_resolves_and_a_typo_in_its_name_or_key_is_caught() {
    let config = "environments:\n  prod: { paths: ['**'], external-secrets: { backend-secrets: [jwt-secret] } }\n";
    let pod = |name: &str, key: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{ name: a }}\nspec:\n  containers:\n    - {{ name: a, image: \"a:1.0.0\", env: [ {{ name: J, valueFrom: {{ secretKeyRef: {{ name: {name}, key: {key} }} }} }} ] }}\n"
        )
    };
    let dir = tree(&[
        (".kubelint.yaml", config),
        ("pod.yaml", &pod("backend-secrets", "jwt-secret")),
    ]);
    assert_eq!(references(lint(dir.path(), &[])), Vec::<String>::new());
    std::fs::write(
        dir.path().join("pod.yaml"),
        pod("backend-secret", "jwt-secret"),
    )
    .unwrap();
    assert_eq!(
        references(lint(dir.path(), &[])),
        ["pod.yaml:6:89 missing-secret"]
    );
    std::fs::write(dir.path().join("pod.yaml"), pod("backend-secrets", "jwt")).unwrap();
    assert_eq!(
        references(lint(dir.path(), &[])),
        ["pod.yaml:6:111 missing-secret-key"]
    );
}

#[test]
fn an_unsaved_buffer_resolves_against_the_repository_of_its_folder() {
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: app }\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  serviceAccountName: app\n  containers: [ { name: a, image: \"a:1.0.0\" } ]\n";
    let dir = tree(&[(".kubelint.yaml", ""), ("k8s/sa.yaml", account)]);
    let piped = |account: &str| {
        let output = kubelint()
            .current_dir(dir.path())
            .args(["check", "-", "--stdin-filename", "k8s/new.yaml"])
            .args(["--format", "json"])
            .write_stdin(pod.replace(
                "serviceAccountName: app",
                &format!("serviceAccountName: {account}"),
            ))
            .output()
            .unwrap();
        references(finding_lines(&output.stdout))
    };
    assert_eq!(piped("app"), Vec::<String>::new());
    assert_eq!(piped("api"), ["k8s/new.yaml:5:23 missing-service-account"]);
}
