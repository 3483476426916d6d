//! Helm values end to end: releases and their environments, layering, and findings at the
//! values line that set the value.

mod common;

use common::{findings_with_related, kubelint, lint, tree};
use predicates::prelude::*;

/// The incident's repository shape: ACK prod in China behind a mirror without digests.
const CONFIG: &str = "\
environments:
  prod:
    paths: []
    platform: ack
    region: cn-shanghai
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
  test:
    paths: []
    platform: aks
    region: koreacentral
helm:
  releases:
    nginx-ingress:
      chart: ingress-nginx/ingress-nginx
      namespace: ingress-nginx
      values:
        prod: [helm/values.yaml, helm/values-prod.yaml]
        test: [helm/values.yaml]
";

const BASE: &str = "\
controller:
  image:
    registry: registry.k8s.io
    image: ingress-nginx/controller
    tag: v1.9.4
    digest: sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3
";

#[test]
fn a_digest_left_on_a_mirror_without_digests_is_an_error_at_the_digest_line_that_set_it() {
    let prod = "controller:\n  image:\n    registry: registry.cn-hangzhou.aliyuncs.com\n    image: google_containers/nginx-ingress-controller\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", BASE),
        ("helm/values-prod.yaml", prod),
    ]);
    assert_eq!(
        lint(dir.path(), &[]),
        ["helm/values.yaml:6:13 mirror-digest"]
    );
}

#[test]
fn clearing_the_digest_in_the_environments_file_is_no_finding() {
    let prod = "controller:\n  image:\n    registry: registry.cn-hangzhou.aliyuncs.com\n    image: google_containers/nginx-ingress-controller\n    digest: \"\"\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", BASE),
        ("helm/values-prod.yaml", prod),
    ]);
    assert!(lint(dir.path(), &[]).is_empty());
}

#[test]
fn a_docker_hub_default_overridden_for_prod_is_no_finding_for_prod() {
    let base = "image:\n  repository: redis\n  tag: 7.2.4\n";
    let prod = "image:\n  repository: registry.cn-hangzhou.aliyuncs.com/library/redis\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", base),
        ("helm/values-prod.yaml", prod),
    ]);
    assert!(lint(dir.path(), &[]).is_empty());
    // Without the override, prod pulls the Docker Hub default: the finding is at the default.
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", base),
        ("helm/values-prod.yaml", "replicaCount: 2\n"),
    ]);
    assert_eq!(
        lint(dir.path(), &[]),
        ["helm/values.yaml:2:15 dockerhub-image-in-china"]
    );
}

#[test]
fn a_null_in_a_later_file_deletes_the_value_it_overrides() {
    let base = "image:\n  repository: redis\n  tag: 7.2.4\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", base),
        ("helm/values-prod.yaml", "image: null\n"),
    ]);
    assert!(lint(dir.path(), &[]).is_empty());
}

#[test]
fn the_clb_spec_annotation_in_values_is_reported_at_its_key_in_the_file_that_set_it() {
    let prod = "controller:\n  service:\n    annotations:\n      service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", "controller: {}\n"),
        ("helm/values-prod.yaml", prod),
    ]);
    assert_eq!(
        lint(dir.path(), &[]),
        ["helm/values-prod.yaml:4:7 hardcoded-clb-spec"]
    );
}

#[test]
fn a_chart_without_a_release_entry_is_released_per_environment_file() {
    let config = "environments:\n  prod: {paths: [], region: cn-shanghai}\n  test: {paths: [], region: koreacentral}\n";
    let dir = tree(&[
        (".kubelint.yaml", config),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: \"1.0\"\n",
        ),
        (
            "chart/values.yaml",
            "image:\n  repository: app\n  tag: \"\"\n",
        ),
        ("chart/values-test.yaml", "replicaCount: 1\n"),
        ("chart/values-prod.yaml", "replicaCount: 3\n"),
        (
            "chart/templates/deployment.yaml",
            "image: {{ .Values.image.repository }}\n",
        ),
    ]);
    // Only prod is in China; the empty tag takes the chart's appVersion, so no mutable tag.
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "dockerhub-image-in-china");
    assert_eq!(findings[0]["file"], "chart/values.yaml");
    assert_eq!(findings[0]["line"], 2);
    assert!(findings[0]["message"].as_str().unwrap().contains("app:1.0"));
}

#[test]
fn values_objects_get_only_the_image_rules_and_the_rules_that_name_them() {
    let rule = "id: every-object\nseverity: error\nsummary: s\ndescription: d\nfor: object\ndeny:\n  - if: { object.kind: { present: true } }\nmessage: \"{object.kind} seen\"\n";
    let config = format!("{CONFIG}rules:\n  folders: [policies]\n");
    let dir = tree(&[
        (".kubelint.yaml", &config),
        ("policies/every-object.yaml", rule),
        (
            "helm/values.yaml",
            "image: {repository: x, tag: '1.0'}\nservice: {annotations: {a: b}}\n",
        ),
        ("helm/values-prod.yaml", "{}\n"),
        ("pod.yaml", &common::pod("x:1.0")),
    ]);
    // The image rules do read the values (Docker Hub in China); the catch-all object rule
    // sees the manifest only.
    assert_eq!(
        lint(dir.path(), &[]),
        [
            "helm/values.yaml:1:21 dockerhub-image-in-china",
            "pod.yaml:3:19 every-object"
        ]
    );
}

#[test]
fn chart_templates_and_chart_files_with_template_actions_are_never_yaml_syntax() {
    let dir = tree(&[
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        ),
        (
            "chart/templates/cm.yaml",
            "data: {{ .Values.x | toYaml }}\n",
        ),
        ("chart/files/conf.yaml", "level: {{ .Values.level }}\n"),
        ("chart/broken.yaml", "a: [\n"),
    ]);
    assert_eq!(lint(dir.path(), &[]), ["chart/broken.yaml:1:4 yaml-syntax"]);
}

#[test]
fn a_release_naming_an_unknown_environment_is_a_configuration_error_at_its_line() {
    let config = CONFIG.replace(
        "        test: [helm/values.yaml]",
        "        staging: [helm/values.yaml]",
    );
    let dir = tree(&[(".kubelint.yaml", &config), ("helm/values.yaml", BASE)]);
    kubelint()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".kubelint.yaml:19:18: helm.releases.nginx-ingress.values: no environment named `staging`",
        ));
}

#[test]
fn env_lists_each_release_with_its_values_files_per_environment() {
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", BASE),
        ("helm/values-prod.yaml", "{}\n"),
    ]);
    kubelint()
        .current_dir(dir.path())
        .arg("env")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "helm release nginx-ingress (ingress-nginx/ingress-nginx, namespace ingress-nginx) in prod: helm/values.yaml then helm/values-prod.yaml\n\
             helm release nginx-ingress (ingress-nginx/ingress-nginx, namespace ingress-nginx) in test: helm/values.yaml\n",
        ));
}

#[test]
fn values_schema_errors_are_at_the_values_line_of_each_environment() {
    let schema = r#"{"type": "object", "required": ["image"], "properties": {"replicas": {"type": "integer"}, "image": {"type": "object", "required": ["tag"]}}}"#;
    let config = "environments:\n  prod: {paths: []}\n  test: {paths: []}\n";
    let dir = tree(&[
        (".kubelint.yaml", config),
        ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
        ("c/values.schema.json", schema),
        (
            "c/values.yaml",
            "replicas: 1\nimage: {repository: registry.k8s.io/x}\n",
        ),
        ("c/values-prod.yaml", "image: {tag: '1.0'}\nreplicas: two\n"),
        ("c/values-test.yaml", "image: {tag: '1.0'}\n"),
    ]);
    // prod sets a string where an integer belongs; values.yaml alone lacks no release here,
    // and both environments add the tag the schema requires.
    assert_eq!(
        lint(dir.path(), &[]),
        ["c/values-prod.yaml:2:11 helm-values-schema"]
    );
    common::write(dir.path(), "c/values-test.yaml", "replicas: 3\n");
    // Test now deploys the image without a tag: the schema misses it, and so does the rollout.
    assert_eq!(
        lint(dir.path(), &[]),
        [
            "c/values-prod.yaml:2:11 helm-values-schema",
            "c/values.yaml:2:1 helm-values-schema",
            "c/values.yaml:2:21 mutable-image-tag"
        ]
    );
}

#[test]
fn chart_yaml_problems_are_at_the_field_to_edit() {
    let dir = tree(&[(
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.x\ndependencies:\n  - name: redis\n    version: 18.6.1\n",
    )]);
    assert_eq!(
        lint(dir.path(), &[]),
        [
            "c/Chart.yaml:3:10 helm-chart-yaml",
            "c/Chart.yaml:5:5 helm-chart-yaml"
        ]
    );
}

#[test]
fn a_suppression_comment_in_a_values_file_silences_the_finding_it_names() {
    let prod = "controller:\n  service:\n    annotations:\n      # kubelint-disable-next-line hardcoded-clb-spec -- the CLB was created with this spec\n      service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", "controller: {}\n"),
        ("helm/values-prod.yaml", prod),
    ]);
    assert!(lint(dir.path(), &[]).is_empty());
}

#[test]
fn a_digest_finding_relates_the_lines_of_the_later_file_that_chose_the_mirror() {
    // The incident: the digest sits in values.yaml, the mirror registry in values-prod.yaml.
    let prod = "controller:\n  image:\n    registry: registry.cn-hangzhou.aliyuncs.com\n    image: google_containers/nginx-ingress-controller\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", BASE),
        ("helm/values-prod.yaml", prod),
    ]);
    assert_eq!(
        findings_with_related(dir.path()),
        [
            "helm/values.yaml:6:13 mirror-digest",
            "  related helm/values-prod.yaml:3:15 `registry.cn-hangzhou.aliyuncs.com` is set here",
            "  related helm/values-prod.yaml:4:12 `google_containers/nginx-ingress-controller` is set here",
        ]
    );
}

#[test]
fn a_value_a_later_file_set_relates_the_value_it_overrode() {
    let base =
        "image:\n  repository: registry.cn-hangzhou.aliyuncs.com/library/redis\n  tag: 7.2.4\n";
    let prod = "image:\n  repository: redis\n";
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("helm/values.yaml", base),
        ("helm/values-prod.yaml", prod),
    ]);
    assert_eq!(
        findings_with_related(dir.path()),
        [
            "helm/values-prod.yaml:2:15 dockerhub-image-in-china",
            "  related helm/values.yaml:3:8 `7.2.4` is set here",
            "  related helm/values.yaml:2:15 overrides `registry.cn-hangzhou.aliyuncs.com/library/redis`, set here",
        ]
    );
}
