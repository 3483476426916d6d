//! Real public charts from `../shared/corpus` (read in place, never copied): kubelint reads
//! every chart without a crash, and never reports a template as YAML.

mod common;

use std::path::{Path, PathBuf};

use common::kubelint;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("charts.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: no corpus at {} (see README)", dir.display());
        None
    }
}

/// Every chart folder that `charts.tsv` lists.
fn charts(corpus: &Path) -> Vec<PathBuf> {
    let table = std::fs::read_to_string(corpus.join("charts.tsv")).unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let mut columns = row.split('\t');
            Some(corpus.join(columns.next()?).join(columns.next()?))
        })
        .collect()
}

#[test]
fn corpus_charts_lint_without_a_crash_and_without_yaml_syntax_on_templates() {
    let Some(corpus) = corpus() else {
        return;
    };
    let charts = charts(&corpus);
    assert!(charts.len() > 30, "charts.tsv lists the corpus charts");
    let output = kubelint()
        .current_dir(&corpus)
        .args(["check", "--format", "json", "--fail-on", "never"])
        .args(&charts)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let templates: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule"] == "yaml-syntax")
        .filter(|f| {
            let file = corpus.join(f["file"].as_str().unwrap_or(""));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            text.contains("{{") || file.components().any(|c| c.as_os_str() == "templates")
        })
        .collect();
    assert!(
        templates.is_empty(),
        "templates read as YAML: {templates:#?}"
    );
}
