//! Linting what each cluster receives: environments from overlays, findings at the line the
//! user edits (the base, the patch, the `images:` entry), build problems positioned.

mod common;

use common::{findings_with_related, kubelint, lint, tree};

/// The workload-hygiene rules would fire on every sketch of a Deployment here; these tests
/// are about where the China-cluster rules point once overlays are built.
const CONFIG: &str = "\
rules:
  disable: [missing-memory-limit, missing-resource-requests, missing-liveness-probe,
            missing-readiness-probe, privilege-escalation-allowed, run-as-root]
environments:
  prod:
    paths: [overlays/prod]
    platform: ack
    region: cn-shanghai
    registries: { acr.azurecr.io: { pull-secret: acr-secret } }
    external-secrets: { acr-secret: [] }
  staging:
    paths: [overlays/staging]
    platform: ack
    region: cn-hangzhou
  test:
    paths: [overlays/test]
    platform: aks
    region: koreacentral
";

const BASE_KUSTOMIZATION: &str = "resources: [deployment.yaml]\n";

const BASE_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  template:
    spec:
      containers:
        - name: backend
          image: klinematrix/backend
        - name: cache
          image: redis:7.2-alpine
";

fn repository(prod: &str, test: &str) -> tempfile::TempDir {
    tree(&[
        (".kubelint.yaml", CONFIG),
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", BASE_DEPLOYMENT),
        ("overlays/prod/kustomization.yaml", prod),
        ("overlays/test/kustomization.yaml", test),
    ])
}

const PROD_REWRITES_TO_ACR: &str = "\
resources: [../../base]
images:
  - name: klinematrix/backend
    newName: acr.azurecr.io/klinecubic/backend
    newTag: prod-v0.6.0
";

#[test]
fn an_images_rewrite_to_a_private_registry_is_checked_at_its_new_name_line() {
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    let found = lint(repo.path(), &[]);
    // The ACR image lacks its pull secret: at the `newName` line of the overlay, not the base.
    // The base's short name is not a Docker Hub image in prod (the overlay renamed it); the
    // base's redis is, in prod only (test is AKS). Test deploys the base's untagged image.
    // The base Deployment has no selector: the schema requires one, at `spec`.
    assert_eq!(
        found,
        [
            "base/deployment.yaml:5:1 schema-invalid",
            "base/deployment.yaml:10:18 mutable-image-tag",
            "base/deployment.yaml:12:18 dockerhub-image-in-china",
            "overlays/prod/kustomization.yaml:4:14 missing-image-pull-secret",
        ]
    );
}

#[test]
fn a_patch_that_fixes_the_base_is_seen() {
    let prod = format!(
        "{PROD_REWRITES_TO_ACR}patches:
  - target: {{ kind: Deployment, name: backend }}
    patch: |-
      - op: add
        path: /spec/template/spec/imagePullSecrets
        value: [{{ name: acr-secret }}]
      - op: replace
        path: /spec/template/spec/containers/1/image
        value: registry.cn-hangzhou.aliyuncs.com/library/redis:7.2-alpine
"
    );
    let repo = repository(&prod, "resources: [../../base]\n");
    assert_eq!(
        lint(repo.path(), &[]),
        [
            "base/deployment.yaml:5:1 schema-invalid",
            "base/deployment.yaml:10:18 mutable-image-tag"
        ]
    );
}

#[test]
fn an_images_entry_with_a_mutable_new_tag_is_a_warning_at_that_line() {
    // DEPLOY001: `kubectl apply -k` with `newTag: latest` changes no pod template.
    let test =
        "resources: [../../base]\nimages:\n  - name: klinematrix/backend\n    newTag: latest\n";
    let repo = repository(PROD_REWRITES_TO_ACR, test);
    let found = lint(repo.path(), &[]);
    assert!(
        found.contains(&"overlays/test/kustomization.yaml:4:13 mutable-image-tag".to_string()),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("base/deployment.yaml:10:")),
        "{found:?}"
    );
}

#[test]
fn a_base_two_china_overlays_share_is_one_finding_naming_both() {
    let repo = tree(&[
        (".kubelint.yaml", CONFIG),
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", BASE_DEPLOYMENT),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\n",
        ),
        (
            "overlays/staging/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    let output = kubelint()
        .current_dir(repo.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let redis: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["line"] == 12 && f["rule"] == "dockerhub-image-in-china")
        .collect();
    assert_eq!(redis.len(), 1, "{findings:#?}");
    assert_eq!(redis[0]["file"], "base/deployment.yaml");
    assert_eq!(
        redis[0]["environments"],
        serde_json::json!(["prod", "staging"])
    );
}

#[test]
fn a_base_named_on_its_own_is_reported_through_the_overlays_that_build_it() {
    // pre-commit names only the base file; the overlays are read for context.
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    assert_eq!(
        lint(repo.path(), &["base/deployment.yaml"]),
        [
            "base/deployment.yaml:5:1 schema-invalid",
            "base/deployment.yaml:10:18 mutable-image-tag",
            "base/deployment.yaml:12:18 dockerhub-image-in-china"
        ]
    );
}

#[test]
fn build_problems_are_positioned_at_the_kustomization_line() {
    let prod = "\
resources:
  - ../../base
  - missing.yaml
  - https://github.com/example/repo//deploy?ref=v1
  - ../prod
";
    let repo = repository(prod, "resources: [../../base]\n");
    let found = lint(repo.path(), &["--fail-on", "never"]);
    assert!(
        found.contains(&"overlays/prod/kustomization.yaml:3:5 kustomize-build-error".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"overlays/prod/kustomization.yaml:4:5 kustomize-unsupported".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"overlays/prod/kustomization.yaml:5:5 kustomize-build-error".to_string()),
        "a kustomization that includes itself: {found:?}"
    );
}

#[test]
fn build_prints_the_objects_with_the_origin_of_each_value() {
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    let output = kubelint()
        .current_dir(repo.path())
        .args(["build", "overlays/prod", "--origins"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn env_shows_which_overlays_bring_a_base_file_into_which_environment() {
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    let output = kubelint()
        .current_dir(repo.path())
        .args(["env", "base/deployment.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn human_output_points_at_the_overlay_line() {
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    let output = kubelint()
        .current_dir(repo.path())
        .args(["check", "overlays/prod"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn an_environment_path_that_matches_nothing_is_a_warning_at_its_glob() {
    let config = CONFIG.replace("paths: [overlays/test]", "paths: [overlays/tset]");
    let repo = tree(&[
        (".kubelint.yaml", config.as_str()),
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", BASE_DEPLOYMENT),
        ("overlays/prod/kustomization.yaml", PROD_REWRITES_TO_ACR),
        (
            "overlays/staging/kustomization.yaml",
            "resources: [../../base]\n",
        ),
        (
            "overlays/test/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    let output = kubelint()
        .current_dir(repo.path())
        .args(["check", "--fail-on", "never"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "kubelint: warning: .kubelint.yaml:16:13: environments.test.paths: `overlays/tset` matches no file, so test lints nothing there\n"
    );
}

#[test]
fn a_patch_that_sets_a_value_points_at_the_patch_and_relates_the_base_line_it_overrode() {
    let prod = format!(
        "{PROD_REWRITES_TO_ACR}patches:
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: {{ name: backend }}
      spec:
        template:
          spec:
            imagePullSecrets: [{{ name: acr-secret }}]
            containers:
              - name: cache
                image: redis:7.4
"
    );
    let repo = repository(&prod, "resources: [../../base]\n");
    assert_eq!(
        findings_with_related(repo.path()),
        [
            "base/deployment.yaml:5:1 schema-invalid",
            "base/deployment.yaml:10:18 mutable-image-tag",
            "overlays/prod/kustomization.yaml:17:24 dockerhub-image-in-china",
            "  related base/deployment.yaml:12:18 overrides `redis:7.2-alpine`, set here",
        ]
    );
}

#[test]
fn a_finding_at_an_images_entry_relates_the_base_line_that_names_the_image() {
    let test =
        "resources: [../../base]\nimages:\n  - name: klinematrix/backend\n    newTag: latest\n";
    let repo = repository(PROD_REWRITES_TO_ACR, test);
    let found = findings_with_related(repo.path());
    let at = found
        .iter()
        .position(|f| f == "overlays/test/kustomization.yaml:4:13 mutable-image-tag")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(
        found[at + 1],
        "  related base/deployment.yaml:10:18 `klinematrix/backend` is set here"
    );
}

#[test]
fn transformer_configurations_are_built_and_what_they_cannot_say_is_positioned() {
    let prod = "\
resources: [../../base]
configurations:
  - kustomizeconfig.yaml
  - missing.yaml
";
    let config = "\
nameReference:
  - kind: Service
    fieldSpecs: [{ kind: Widget, path: spec/service }]
namePrefix:
  - { path: spec/alias }
";
    let repo = repository(prod, "resources: [../../base]\n");
    common::write(repo.path(), "overlays/prod/kustomizeconfig.yaml", config);
    let found = lint(repo.path(), &["--fail-on", "never"]);
    assert!(
        found.contains(&"overlays/prod/kustomization.yaml:4:5 kustomize-build-error".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"overlays/prod/kustomizeconfig.yaml:4:1 kustomize-unsupported".to_string()),
        "{found:?}"
    );
    // The configuration itself is read by the build, not linted as a manifest, and
    // `configurations:` is no longer a key kubelint skips.
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("overlays/prod/kustomization.yaml:2:")),
        "{found:?}"
    );
}

#[test]
fn env_answers_for_several_files_from_one_read_of_the_repository() {
    let repo = repository(PROD_REWRITES_TO_ACR, "resources: [../../base]\n");
    let output = kubelint()
        .current_dir(repo.path())
        .args(["env", "base/deployment.yaml", "base/kustomization.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" via ")).collect();
    assert_eq!(
        lines,
        [
            "base/deployment.yaml: prod (ack, cn-shanghai) via overlays/prod/kustomization.yaml",
            "base/deployment.yaml: test (aks, koreacentral) via overlays/test/kustomization.yaml",
            "base/kustomization.yaml: prod (ack, cn-shanghai) via overlays/prod/kustomization.yaml",
            "base/kustomization.yaml: test (aks, koreacentral) via overlays/test/kustomization.yaml",
        ]
    );
}
