//! `kubelint check --helm-render` with the real helm (helm 4 from `.ci/k8s-tools.sh`, or
//! `KUBELINT_HELM`): findings on rendered objects at the values line that set them or at the
//! template line, dependencies that are not vendored, render errors, and conformance with
//! `helm template` over the public corpus (`../shared/corpus`). Without helm the tests say so
//! and pass, except in CI (`CI=true`), where they fail.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{kubelint, testdata};
use kubelint::yaml::{Node, parse};
use serde_json::Value;

fn helm() -> Option<PathBuf> {
    common::real_tool(
        "KUBELINT_HELM",
        ".ci/tools/helm/helm",
        &["version", "--short"],
    )
}

/// `kubelint check --helm-render --format json` in testdata/helm-render.
fn rendered_findings(helm: &Path, paths: &[&str]) -> Vec<Value> {
    let output = kubelint()
        .current_dir(testdata("helm-render"))
        .env("KUBELINT_HELM", helm)
        .args([
            "check",
            "--helm-render",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(paths)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn at(finding: &Value) -> String {
    format!(
        "{}:{}:{} {}",
        finding["file"].as_str().unwrap(),
        finding["line"],
        finding["column"],
        finding["rule"].as_str().unwrap()
    )
}

#[test]
fn rendering_without_helm_is_exit_2_with_a_clear_message() {
    let output = kubelint()
        .current_dir(testdata("helm-render"))
        .env("KUBELINT_HELM", "/nonexistent/helm")
        .args(["check", "--helm-render", "web"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("needs helm") && stderr.contains("KUBELINT_HELM"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn render_true_in_the_config_needs_helm_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".kubelint.yaml"), "helm:\n  render: true\n").unwrap();
    let output = kubelint()
        .current_dir(dir.path())
        .env("KUBELINT_HELM", "/nonexistent/helm")
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs helm"));
}

#[test]
fn a_rendered_digest_set_in_values_prod_is_reported_at_that_values_line() {
    let Some(helm) = helm() else {
        return;
    };
    let output = kubelint()
        .current_dir(testdata("helm-render"))
        .env("KUBELINT_HELM", &helm)
        .args(["check", "--helm-render", "web"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8_lossy(&output.stdout);
    // The finding's block: its position line, through the snippet and the help after it.
    let start = report
        .find("web/values-prod.yaml:4:11\nmirror-digest")
        .expect("a mirror-digest finding at the digest line of values-prod.yaml");
    let block = &report[start..];
    let end = block
        .find("╰────")
        .and_then(|snippet| block[snippet..].find("\n\n").map(|gap| snippet + gap))
        .unwrap_or(block.len());
    insta::assert_snapshot!(&block[..end]);
}

#[test]
fn findings_on_template_text_point_at_the_template_line() {
    let Some(helm) = helm() else {
        return;
    };
    let findings: Vec<String> = rendered_findings(&helm, &["web"]).iter().map(at).collect();
    assert!(
        findings.contains(&"web/templates/deployment.yaml:17:20 host-network".to_string()),
        "{findings:#?}"
    );
    assert!(
        findings.contains(&"web/values-prod.yaml:4:11 mirror-digest".to_string()),
        "{findings:#?}"
    );
}

#[test]
fn the_static_values_check_and_the_render_report_one_finding_not_two() {
    let Some(helm) = helm() else {
        return;
    };
    let findings = rendered_findings(&helm, &["web"]);
    let mirror: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "mirror-digest")
        .collect();
    assert_eq!(mirror.len(), 1, "{mirror:#?}");
    // The rendered Deployment made it, not the HelmValues object of the static check.
    assert!(
        mirror[0]["message"].as_str().unwrap().contains("nginx"),
        "{mirror:#?}"
    );
    assert!(findings.iter().all(|f| f["object"]["kind"] != "HelmValues"));
}

#[test]
fn a_dependency_not_vendored_is_a_finding_at_its_name_and_the_chart_is_not_rendered() {
    let Some(helm) = helm() else {
        return;
    };
    let findings = rendered_findings(&helm, &["needs-redis"]);
    let shown: Vec<String> = findings.iter().map(at).collect();
    assert_eq!(
        shown,
        ["needs-redis/Chart.yaml:5:11 helm-dependency-not-vendored"]
    );
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("`redis` is not vendored")
    );
}

#[test]
fn a_render_error_is_a_finding_with_helms_message_at_the_template_line_it_names() {
    let Some(helm) = helm() else {
        return;
    };
    let findings = rendered_findings(&helm, &["broken"]);
    let shown: Vec<String> = findings.iter().map(at).collect();
    assert_eq!(
        shown,
        ["broken/templates/configmap.yaml:7:14 helm-render-error"]
    );
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("broken needs .Values.message") && !message.contains("--debug"),
        "{message}"
    );
}

#[test]
fn without_the_flag_nothing_is_rendered_and_no_helm_is_needed() {
    let output = kubelint()
        .current_dir(testdata("helm-render"))
        .env("KUBELINT_HELM", "/nonexistent/helm")
        .args(["check", "--format", "json", "--fail-on", "never", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let shown: Vec<String> = findings.iter().map(at).collect();
    assert_eq!(shown, ["web/values-prod.yaml:4:11 mirror-digest"]);
}

/// A YAML value as the API server reads it (YAML 1.2 core scalars).
fn canonical(node: Node<'_>) -> Value {
    if node.is_mapping() {
        let map: serde_json::Map<String, Value> = node
            .entries()
            .into_iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), canonical(v)))
            .collect();
        return Value::Object(map);
    }
    if node.is_sequence() {
        return Value::Array(node.items().map(canonical).collect());
    }
    let text = node.as_str().unwrap_or_default();
    if !node.is_plain() {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// The objects of a stream, keyed by kind, namespace and name, each canonical.
fn objects(text: &str) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for doc in &parse(text.to_string()).documents {
        let Some(value) = doc.root().map(canonical).filter(|v| v.is_object()) else {
            continue;
        };
        let field = |path: &[&str]| {
            path.iter()
                .try_fold(&value, |v, k| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let key = format!(
            "{}/{}/{}",
            field(&["kind"]),
            field(&["metadata", "namespace"]),
            field(&["metadata", "name"])
        );
        out.entry(key).or_default().push(value);
    }
    for objects in out.values_mut() {
        objects.sort_by_key(|v| v.to_string());
    }
    out
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("charts.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: no corpus at {} (see README)", dir.display());
        None
    }
}

/// The corpus charts whose dependencies are all vendored (`charts.tsv` says which are not).
fn vendored_charts(corpus: &Path) -> Vec<String> {
    let table = std::fs::read_to_string(corpus.join("charts.tsv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (repo, folder, missing) = (
        column("repository_folder"),
        column("chart_folder"),
        column("dependencies_not_vendored"),
    );
    lines
        .map(|row| row.split('\t').collect::<Vec<_>>())
        .filter(|row| row.get(missing).is_none_or(|m| m.trim().is_empty()))
        .map(|row| format!("{}/{}", row[repo], row[folder]))
        .collect()
}

/// `helm template` with `args`, run in `dir`: its objects, or what helm said.
fn helm_objects(
    helm: &Path,
    dir: &Path,
    args: &[&str],
) -> Result<BTreeMap<String, Vec<Value>>, String> {
    let output = Command::new(helm)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(objects(&String::from_utf8_lossy(&output.stdout)))
}

/// The kinds of objects, counted, for objects whose content helm makes anew on every run
/// (certificates from `genCA`, names from `randAlphaNum`).
fn kinds<'a>(
    objects: impl Iterator<Item = (&'a String, &'a Vec<Value>)>,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (key, values) in objects {
        let kind = key.split('/').next().unwrap_or_default().to_string();
        *out.entry(kind).or_default() += values.len();
    }
    out
}

/// One chart: `kubelint build` prints each release as kubelint read it, headed by its
/// `helm template` command; that command run by helm must print the same objects. Objects
/// that two runs of helm print differently are compared by kind only. A release kubelint
/// reports as a render error must fail in helm too.
fn conformance(corpus: &Path, helm: &Path, chart: &str) -> Result<usize, String> {
    let output = kubelint()
        .current_dir(corpus)
        .env("KUBELINT_HELM", helm)
        .args(["build", chart])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("yaml-syntax") {
        return Err(format!("{chart}: {stderr}"));
    }
    for failed in stderr
        .lines()
        .filter(|l| l.contains(": helm-render-error: "))
    {
        let release = failed
            .split("failed for release ")
            .nth(1)
            .and_then(|rest| rest.split([':', ' ']).next())
            .unwrap_or_default();
        if helm_objects(helm, corpus, &["template", release, chart]).is_ok() {
            return Err(format!(
                "{chart}: helm renders what kubelint reports as failed: {failed}"
            ));
        }
    }
    let mut compared = 0;
    for block in stdout.split("# helm template ").skip(1) {
        let (command, ours) = block.split_once('\n').unwrap_or((block, ""));
        let args: Vec<&str> = std::iter::once("template")
            .chain(command.split_whitespace())
            .collect();
        let failed = |e: String| format!("{chart}: helm {}: {e}", args.join(" "));
        let theirs = helm_objects(helm, corpus, &args).map_err(failed)?;
        let again = helm_objects(helm, corpus, &args).map_err(failed)?;
        let ours = objects(ours);
        let stable = |key: &String| theirs.contains_key(key) && theirs.get(key) == again.get(key);
        let differs: Vec<&String> = theirs
            .keys()
            .chain(ours.keys())
            .filter(|key| stable(key) && ours.get(*key) != theirs.get(*key))
            .collect();
        let unstable_ours = kinds(ours.iter().filter(|(k, _)| !stable(k)));
        let unstable_theirs = kinds(theirs.iter().filter(|(k, _)| !stable(k)));
        if !differs.is_empty() || unstable_ours != unstable_theirs {
            return Err(format!(
                "{chart}: objects differ: {differs:?} {unstable_ours:?} {unstable_theirs:?}"
            ));
        }
        compared += ours.values().map(Vec::len).sum::<usize>();
    }
    Ok(compared)
}

#[test]
fn corpus_charts_render_to_the_objects_helm_template_prints() {
    let (Some(corpus), Some(helm)) = (corpus(), helm()) else {
        return;
    };
    let charts = vendored_charts(&corpus);
    assert!(charts.len() > 20, "charts.tsv lists the corpus charts");
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<usize, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(chart) = charts.get(at) else {
                            return out;
                        };
                        out.push(conformance(&corpus, &helm, chart));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let objects: usize = results.iter().filter_map(|r| r.as_ref().ok()).sum();
    assert!(objects > 50, "the corpus renders to {objects} objects");
}

#[test]
fn corpus_charts_lint_rendered_without_a_crash_or_yaml_syntax_on_templates() {
    let (Some(corpus), Some(helm)) = (corpus(), helm()) else {
        return;
    };
    let output = kubelint()
        .current_dir(&corpus)
        .env("KUBELINT_HELM", &helm)
        .args([
            "check",
            "--helm-render",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(vendored_charts(&corpus))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let syntax: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "yaml-syntax")
        .filter(|f| f["file"].as_str().is_some_and(|p| p.contains("templates/")))
        .collect();
    assert!(syntax.is_empty(), "{syntax:#?}");
    assert!(findings.iter().any(|f| {
        f["file"]
            .as_str()
            .is_some_and(|p| p.contains("/templates/"))
    }));
}
