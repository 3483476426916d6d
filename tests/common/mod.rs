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

/// A temporary folder holding `files` as (path, text), folders made as needed.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("the temporary folder is writable");
    }
    std::fs::write(path, text).expect("the temporary folder is writable");
}

/// A Pod with one container running `image`, the image on line 4.
pub fn pod(image: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: a }}\nspec: {{ containers: [ {{ name: a, image: \"{image}\", {HARDENED} }} ], restartPolicy: Never }}\n"
    )
}

/// What a container sets so that only the rule a test is about fires on it: requests and a
/// memory limit, and a locked-down securityContext.
/// The same as block-style lines of a container mapping at `indent`.
pub fn hardened_lines(indent: &str) -> String {
    HARDENED
        .split_once(", securityContext: ")
        .map(|(resources, security)| {
            format!("{indent}{resources}\n{indent}securityContext: {security}\n")
        })
        .unwrap_or_default()
}

pub const HARDENED: &str = "resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { memory: 16Mi } }, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] }, seccompProfile: { type: RuntimeDefault } }";

/// `file:line:column rule` of each finding of `kubelint check --format json ARGS` in `dir`.
pub fn lint(dir: &Path, args: &[&str]) -> Vec<String> {
    let output = kubelint()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("kubelint runs");
    finding_lines(&output.stdout)
}

/// Each finding of `kubelint check` in `dir` as `file:line:col rule`, followed by its related
/// locations as `  related file:line:col message`.
pub fn findings_with_related(dir: &Path) -> Vec<String> {
    let output = kubelint()
        .current_dir(dir)
        .args(["check", "--format", "json", "--fail-on", "never"])
        .output()
        .expect("kubelint runs");
    let findings: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("--format json prints a JSON list");
    let place = |f: &serde_json::Value| {
        format!(
            "{}:{}:{}",
            f["file"].as_str().unwrap_or(""),
            f["line"],
            f["column"]
        )
    };
    let mut lines = Vec::new();
    for finding in &findings {
        lines.push(format!(
            "{} {}",
            place(finding),
            finding["rule"].as_str().unwrap_or("")
        ));
        for related in finding["related"].as_array().into_iter().flatten() {
            let message = related["message"].as_str().unwrap_or("");
            lines.push(format!("  related {} {message}", place(related)));
        }
    }
    lines
}

/// A real tool a conformance test compares kubelint with: the program `env_var` names, else
/// `fallback` (relative to the repository, where `.ci/run` installs it), if running it with
/// `probe` succeeds. Without it a local run says so and skips; under `CI=true` the test fails,
/// since CI installs every tool and a silent skip would hide a broken install.
pub fn real_tool(env_var: &str, fallback: &str, probe: &[&str]) -> Option<PathBuf> {
    let candidate = std::env::var_os(env_var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(fallback));
    let works = std::process::Command::new(&candidate)
        .args(probe)
        .output()
        .is_ok_and(|output| output.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must install {} (.ci/run sets {env_var})",
        candidate.display()
    );
    eprintln!(
        "skipped: {} does not run (set {env_var}, or run .ci/run)",
        candidate.display()
    );
    None
}
