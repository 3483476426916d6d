//! kubelint's schema verdict per object against kubernetes-validate's (strict), on the real
//! corpus; every disagreement is listed and explained in `docs/schema-conformance.md`.
//! Skips, with a message, without the corpus or without a python that has kubernetes-validate
//! (`KUBELINT_KUBERNETES_VALIDATE`, else `.ci/tools/kubernetes-validate/bin/python`, which
//! `.ci/run` installs); under `CI=true` a missing validator fails the test.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[test]
fn schema_verdicts_match_kubernetes_validate_on_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: no corpus at {}", corpus.display());
        return;
    }
    let Some(python) = common::real_tool(
        "KUBELINT_KUBERNETES_VALIDATE",
        ".ci/tools/kubernetes-validate/bin/python",
        &["-c", "import kubernetes_validate"],
    ) else {
        return;
    };
    let output = Command::new(&python)
        .arg(root.join("scripts/schema-compare.py"))
        .args([
            env!("CARGO_BIN_EXE_kubelint"),
            corpus.to_str().unwrap(),
            "1.35",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["compared"].as_u64().unwrap() > 1000, "{report}");
    let found: BTreeSet<(String, String, String)> = report["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let field = |k: &str| d[k].as_str().unwrap().to_string();
            (field("file"), field("kind"), field("name"))
        })
        .collect();
    let doc = std::fs::read_to_string(root.join("docs/schema-conformance.md")).unwrap();
    let explained: BTreeSet<(String, String, String)> = doc
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells[1].trim_matches('`').to_string();
            (file, cells[2].to_string(), cells[3].to_string())
        })
        .collect();
    assert_eq!(
        found,
        explained,
        "disagreements differ from docs/schema-conformance.md; the report: {}",
        serde_json::to_string_pretty(&report["disagreements"]).unwrap()
    );
}
