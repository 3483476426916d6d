//! The command line end to end: findings, exit codes, configuration, standard input.

mod common;

use common::{
    HARDENED, expected_lines, finding_lines, hardened_lines, kubelint, lint, pod, testdata, tree,
    write,
};
use predicates::prelude::*;

#[test]
fn the_repository_reports_exactly_its_expected_findings() {
    let output = kubelint()
        .current_dir(testdata("repo"))
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        finding_lines(&output.stdout),
        expected_lines(&testdata("repo/EXPECTED"))
    );
}

/// The rule pack's reverse references and label checks (testdata/rulepack): each new rule
/// fires once, at its node, and not on the workload that a budget, a policy and an
/// autoscaler cover.
#[test]
fn the_rule_pack_fixture_reports_exactly_its_expected_findings() {
    let output = kubelint()
        .current_dir(testdata("rulepack"))
        .args(["check", "--no-cache", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        finding_lines(&output.stdout),
        expected_lines(&testdata("rulepack/EXPECTED"))
    );
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        kubelint()
            .current_dir(testdata("repo"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("8"));
}

const ACK: &str = "environments:\n  prod: { paths: ['**'], platform: ack }\n";
const CHINA: &str = "environments:\n  cn: { paths: ['**'], region: cn-beijing }\n";

#[test]
fn fail_on_decides_the_exit_code() {
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\n  annotations:\n    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small\n";
    let dir = tree(&[(".kubelint.yaml", ACK), ("svc.yaml", service)]);
    let check = |args: &[&str]| {
        kubelint()
            .current_dir(dir.path())
            .arg("check")
            .args(args)
            .assert()
    };
    check(&[])
        .code(0)
        .stdout(predicate::str::contains("hardcoded-clb-spec"));
    check(&["--fail-on", "warning"]).code(1);
    check(&["--fail-on", "never"]).code(0);
}

#[test]
fn a_clean_tree_exits_zero_with_a_summary() {
    let dir = tree(&[(
        "ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n",
    )]);
    kubelint()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(0)
        .stdout("no findings; 1 file, 1 object checked\n");
}

#[test]
fn standard_input_is_linted_as_the_file_it_stands_for() {
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: cache }}\nspec:\n  restartPolicy: Never\n  containers:\n    - name: redis\n      image: redis:7.2-alpine\n{}",
        hardened_lines("      ")
    );
    let output = kubelint()
        .current_dir(testdata("repo"))
        .args([
            "check",
            "-",
            "--stdin-filename",
            ".pipeline/k8s/overlays/prod/new.yaml",
            "--format",
            "json",
        ])
        .write_stdin(pod.as_str())
        .output()
        .unwrap();
    assert_eq!(
        finding_lines(&output.stdout),
        [".pipeline/k8s/overlays/prod/new.yaml:8:14 dockerhub-image-in-china"]
    );
    kubelint()
        .current_dir(testdata("repo"))
        .args([
            "check",
            "-",
            "--stdin-filename",
            ".pipeline/k8s/overlays/test/new.yaml",
        ])
        .write_stdin(pod.as_str())
        .assert()
        .code(0);
}

#[test]
fn env_shows_which_environments_a_path_gets() {
    kubelint()
        .current_dir(testdata("repo"))
        .args(["env", ".pipeline/k8s/overlays/prod/redis-cache.yaml", ".pipeline/k8s/base/redis/deployment.yaml"])
        .assert()
        .code(0)
        .stdout(
            "config: .kubelint.yaml\n\
             .pipeline/k8s/overlays/prod/redis-cache.yaml: prod (ack, cn-shanghai, namespace klinematrix-prod)\n\
             .pipeline/k8s/overlays/prod/redis-cache.yaml: prod (ack, cn-shanghai, namespace klinematrix-prod) via .pipeline/k8s/overlays/prod/kustomization.yaml\n\
             .pipeline/k8s/base/redis/deployment.yaml: prod (ack, cn-shanghai, namespace klinematrix-prod) via .pipeline/k8s/overlays/prod/kustomization.yaml\n\
             .pipeline/k8s/base/redis/deployment.yaml: test (aks, koreacentral, namespace klinematrix-test) via .pipeline/k8s/overlays/test/kustomization.yaml\n",
        );
}

#[test]
fn a_bad_config_is_a_usage_error_at_its_position() {
    assert_usage_error(
        &testdata("bad-config"),
        ".kubelint.yaml:5:15: unknown variant `alibaba`",
    );
}

/// `kubelint check` in `dir` stops with exit 2, prints no report, and says `message`.
fn assert_usage_error(dir: &std::path::Path, message: &str) {
    kubelint()
        .current_dir(dir)
        .arg("check")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(message));
}

#[test]
fn an_explicit_config_replaces_the_one_found_upward() {
    let dir = tree(&[("cfg.yaml", CHINA), ("pod.yaml", &pod("nginx:1.25.3"))]);
    assert!(lint(dir.path(), &[]).is_empty());
    assert_eq!(
        lint(dir.path(), &["--config", "cfg.yaml"]),
        ["pod.yaml:4:41 dockerhub-image-in-china"]
    );
}

#[test]
fn disabling_an_unknown_rule_is_a_configuration_error() {
    let dir = tree(&[(
        ".kubelint.yaml",
        "rules:\n  disable: [dockerhub-image-in-chna]\n",
    )]);
    assert_usage_error(
        dir.path(),
        ".kubelint.yaml:2:13: rules.disable: unknown rule `dockerhub-image-in-chna`",
    );
}

#[test]
fn rules_can_be_disabled_and_regraded() {
    let regraded = "rules:\n  severity: { missing-image-pull-secret: warning }\n";
    let dir = tree(&[
        ("pod.yaml", &pod("x.azurecr.io/a:1.0")),
        (".kubelint.yaml", regraded),
    ]);
    let check = || {
        kubelint()
            .current_dir(dir.path())
            .args(["check", "--format", "json"])
            .assert()
    };
    check()
        .code(0)
        .stdout(predicate::str::contains("\"severity\": \"warning\""));
    write(
        dir.path(),
        ".kubelint.yaml",
        "rules:\n  disable: [missing-image-pull-secret]\n",
    );
    check().code(0).stdout("[]\n");
}

#[test]
fn suppressions_silence_exactly_what_they_name() {
    let dir = tree(&[(".kubelint.yaml", CHINA)]);
    let run = |comment: &str, annotation: &str| {
        let text = format!(
            "{comment}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations: {{ {annotation} }}\nspec:\n  containers:\n    # kubelint-disable-next-line dockerhub-image-in-china\n    - {{ name: a, image: redis:7.2.4, {HARDENED} }}\n    - {{ name: b, image: nginx:1.25.3, {HARDENED} }}\n  restartPolicy: Never\n"
        );
        write(dir.path(), "pod.yaml", &text);
        lint(dir.path(), &[])
    };
    let unsuppressed = ["pod.yaml:11:25 dockerhub-image-in-china"];
    assert_eq!(run("", ""), unsuppressed);
    assert!(run("# kubelint-disable-file dockerhub-image-in-china", "").is_empty());
    assert!(run("", "kubelint.io/ignore: dockerhub-image-in-china").is_empty());
    assert_eq!(
        run("# kubelint-disable-file mirror-digest", ""),
        unsuppressed
    );
}

const FOLDERS: &str = "rules:\n  folders: [policies]\n";

#[test]
fn user_rule_folders_add_rules_with_their_own_cases() {
    let rule = r#"id: no-latest
severity: warning
summary: Images must not use the latest tag
for: image
deny:
  - if: { image.tag: latest }
message: "`{image}` uses latest"
tests:
  - bad: |
      apiVersion: v1
      kind: Pod
      metadata: { name: a }
      spec: { containers: [ { name: a, image: "nginx:latest" } ] }
    expect: ["4:41"]
  - good: |
      apiVersion: v1
      kind: Pod
      metadata: { name: a }
      spec: { containers: [ { name: a, image: "nginx:1.25.3" } ] }
"#;
    let dir = tree(&[
        ("policies/no-latest.yaml", rule),
        (".kubelint.yaml", FOLDERS),
        ("pod.yaml", &pod("nginx:latest")),
    ]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "pod.yaml", "--fail-on", "warning"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("`nginx:latest` uses latest"));
    kubelint()
        .current_dir(dir.path())
        .args(["rules", "--test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 failures"));
}

#[test]
fn an_invalid_rule_file_is_reported_at_its_position() {
    let rule = "id: broken\nseverity: error\nsummary: s\nfor: image\ndeny:\n  - if: { image.regsitry: docker.io }\nmessage: m\n";
    let dir = tree(&[("policies/broken.yaml", rule), (".kubelint.yaml", FOLDERS)]);
    assert_usage_error(
        dir.path(),
        "broken.yaml:6:11: rule `broken`: deny[0]: if: unknown fact `image.regsitry`",
    );
}

#[test]
fn human_output_shows_the_snippet_and_summary() {
    kubelint()
        .current_dir(testdata("zoo"))
        .args(["check", "good.yaml"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::starts_with("good.yaml:9:14\n")
                .and(predicate::str::contains("missing-image-pull-secret"))
                .and(predicate::str::ends_with(
                    "1 error, 0 warnings in 1 file; 1 file, 1 object checked\n",
                )),
        );
}

#[test]
fn gitignore_is_honoured_outside_a_git_repository_and_hidden_folders_are_walked() {
    let bad = pod("x.azurecr.io/a:1.0");
    let dir = tree(&[
        (".pipeline/pod.yaml", &bad),
        (".pipeline/generated/pod.yaml", &bad),
        (".gitignore", "generated/\n"),
    ]);
    assert_eq!(
        lint(dir.path(), &[]),
        [".pipeline/pod.yaml:4:41 missing-image-pull-secret"]
    );
}

#[test]
fn standard_input_standing_for_a_helm_template_lints_to_nothing() {
    let dir = tree(&[(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )]);
    kubelint()
        .current_dir(dir.path())
        .args([
            "check",
            "-",
            "--stdin-filename",
            "chart/templates/deployment.yaml",
            "--format",
            "json",
        ])
        .write_stdin("image: {{ .Values.image }}\n")
        .assert()
        .code(0)
        .stdout("[]\n");
}

#[test]
fn named_files_resolve_references_across_the_repository_but_only_they_are_reported() {
    let config = "environments:\n  prod:\n    paths: ['**']\n    platform: ack\n    registries: { team.azurecr.io: { pull-secret: acr-secret } }\n";
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: app }\nimagePullSecrets: [ { name: acr-secret } ]\n";
    let deploy = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: a }}\nspec:\n  serviceAccountName: app\n  containers: [ {{ name: a, image: team.azurecr.io/a:1.0, {HARDENED} }} ]\n  restartPolicy: Never\n"
    );
    let dir = tree(&[
        (".kubelint.yaml", config),
        ("sa.yaml", account),
        ("broken.yaml", "a: [\n"),
        ("pod.yaml", &deploy),
    ]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "pod.yaml"])
        .assert()
        .code(0)
        .stdout("no findings; 1 file, 1 object checked\n");
    std::fs::remove_file(dir.path().join("sa.yaml")).unwrap();
    assert_eq!(
        lint(dir.path(), &["pod.yaml"]),
        [
            "pod.yaml:5:23 missing-service-account",
            "pod.yaml:6:35 missing-image-pull-secret"
        ]
    );
}

#[test]
fn the_readme_rule_table_is_the_markdown_rule_listing() {
    let output = kubelint()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        readme.contains(&format!("<!-- rules:start -->\n{table}<!-- rules:end -->")),
        "README's table differs from `kubelint rules --format markdown`: run KUBELINT_BLESS=1 cargo test --test rules"
    );
}

#[test]
fn the_json_rule_listing_says_which_rules_are_on_by_default() {
    let output = kubelint()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let on = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["on_by_default"].clone())
    };
    assert_eq!(
        on("missing-memory-limit"),
        Some(serde_json::Value::Bool(true))
    );
    assert_eq!(
        on("missing-cpu-limit"),
        Some(serde_json::Value::Bool(false))
    );
    assert!(rules.iter().all(|r| r["summary"].is_string()));
}

#[test]
fn explain_prints_the_docs_and_one_bad_and_one_good_case() {
    kubelint()
        .args(["explain", "missing-cpu-limit"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::starts_with("## missing-cpu-limit\n")
                .and(predicate::str::contains("Fires on (no resources)"))
                .and(predicate::str::contains("Does not fire on (a CPU limit)"))
                .and(predicate::str::contains("enable: [missing-cpu-limit]")),
        );
    kubelint()
        .args(["explain", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `no-such-rule`"));
}

#[test]
fn an_opt_in_rule_runs_once_the_config_enables_it() {
    let dir = tree(&[("pod.yaml", &pod("nginx:1.25.3"))]);
    assert!(lint(dir.path(), &[]).is_empty());
    write(
        dir.path(),
        ".kubelint.yaml",
        "rules:\n  enable: [default-namespace]\n",
    );
    assert_eq!(lint(dir.path(), &[]), ["pod.yaml:3:19 default-namespace"]);
    write(dir.path(), ".kubelint.yaml", "rules:\n  enable: [nope]\n");
    assert_usage_error(
        dir.path(),
        ".kubelint.yaml:2:12: rules.enable: unknown rule `nope`",
    );
}
