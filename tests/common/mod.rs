//! Helpers shared by the CLI tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn kubelint() -> Command {
    let mut cmd = Command::cargo_bin("kubelint").expect("the kubelint binary is built for tests");
    cmd.env_remove("GITHUB_STEP_SUMMARY").env("NO_COLOR", "1");
    cmd
}

pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(path)
}

/// `file:line:column rule` for each finding of a JSON report, the shape of EXPECTED files.
pub fn finding_lines(json: &[u8]) -> Vec<String> {
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(json).expect("--format json prints a JSON list");
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}",
                f["file"].as_str().unwrap_or(""),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap_or("")
            )
        })
        .collect()
}

pub fn expected_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("EXPECTED file exists")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}
