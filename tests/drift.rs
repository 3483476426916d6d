//! `kubelint drift`, end to end, over the fixture repository's prod environment and two live
//! dumps: one freshly applied, one edited by hand (K8S-002).

mod common;

use common::{kubelint, testdata};

fn drift(live: &str, args: &[&str]) -> std::process::Output {
    kubelint()
        .current_dir(testdata("repo"))
        .arg("drift")
        .arg(testdata(live))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_freshly_applied_cluster_shows_no_drift() {
    let output = drift(
        "drift/live-prod.yaml",
        &["--env", "prod", "--format", "json"],
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "[]");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn each_hand_made_change_is_reported_at_the_git_line_with_the_live_value() {
    let output = drift(
        "drift/live-prod-drifted.yaml",
        &["--env", "prod", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap().replace(
                &testdata("drift").display().to_string().replace('\\', "/"),
                "<testdata>/drift",
            );
            format!(
                "{file}:{}:{}-{}:{} {} {}",
                f["line"], f["column"], f["end_line"], f["end_column"], f["severity"], f["message"]
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_live_dump_can_come_from_standard_input() {
    let live = std::fs::read(testdata("drift/live-prod-drifted.yaml")).unwrap();
    kubelint()
        .current_dir(testdata("repo"))
        .args(["drift", "-", "--env", "prod", "--format", "github"])
        .write_stdin(live)
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "::error file=.pipeline/k8s/overlays/prod/redis-cache.yaml,line=41,col=18",
        ));
}

#[test]
fn an_environment_the_config_does_not_name_is_a_usage_error() {
    let output = drift("drift/live-prod.yaml", &["--env", "staging"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("no environment `staging` in the config (known: prod, test)")
    );
}
