//! `check --fix`, `--diff` and `--unsafe-fixes` end to end, on files written as editors save
//! them (CRLF, a byte-order mark, comments), through Kustomize bases and Helm values.

mod common;

use std::path::Path;

use common::{kubelint, testdata, tree};

const CONFIG: &str = "environments:\n  prod:\n    paths: [\"**\"]\n    platform: ack\n    region: cn-shanghai\n    mirrors:\n      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }\n";

/// A Deployment saved by a Windows editor: BOM, CRLF, comments, a quoted Docker Hub image and
/// a privileged container.
const WINDOWS_SAVED: &str = "\u{feff}# cache for the API\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata: { name: cache }\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: redis   # keep in sync with the chart\r\n          image: 'redis:7.2.4'\r\n          securityContext:\r\n            privileged: true  # needs sysctls\r\n";

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn fix(root: &Path, args: &[&str]) -> (i32, String) {
    let output = kubelint()
        .current_dir(root)
        .args(["check", "--fix"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn fix_applies_safe_fixes_only_and_keeps_bom_crlf_quotes_and_comments() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("cache.yaml", WINDOWS_SAVED)]);
    let (_, stderr) = fix(dir.path(), &[]);
    assert!(stderr.contains("fixed 1 finding in 1 file"), "{stderr}");
    assert!(stderr.contains("unsafe fix (--unsafe-fixes)"), "{stderr}");
    let fixed = read(dir.path(), "cache.yaml");
    assert_eq!(
        fixed,
        WINDOWS_SAVED.replace(
            "'redis:7.2.4'",
            "'registry.cn-hangzhou.aliyuncs.com/library/redis:7.2.4'"
        )
    );
}

#[test]
fn unsafe_fixes_are_applied_on_request_and_a_second_run_changes_nothing() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("cache.yaml", WINDOWS_SAVED)]);
    fix(dir.path(), &["--unsafe-fixes"]);
    let fixed = read(dir.path(), "cache.yaml");
    insta::assert_snapshot!(fixed.replace('\r', "␍"));
    assert!(fixed.starts_with('\u{feff}'));
    assert!(
        !fixed.replace("\r\n", "").contains('\n'),
        "only CRLF breaks"
    );
    let (_, stderr) = fix(dir.path(), &["--unsafe-fixes"]);
    assert!(stderr.contains("fixed 0 findings in 0 files"), "{stderr}");
    assert_eq!(read(dir.path(), "cache.yaml"), fixed);
}

#[test]
fn diff_prints_the_edits_as_a_unified_diff_and_writes_nothing() {
    let dir = tree(&[(".kubelint.yaml", CONFIG), ("cache.yaml", WINDOWS_SAVED)]);
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "--diff", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a diff to apply fails the run"
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout).replace('\r', "␍"));
    assert_eq!(read(dir.path(), "cache.yaml"), WINDOWS_SAVED);
}

#[test]
fn a_utf16_file_is_not_rewritten_and_the_run_says_why() {
    let text = WINDOWS_SAVED.trim_start_matches('\u{feff}');
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let dir = tree(&[(".kubelint.yaml", CONFIG)]);
    std::fs::write(dir.path().join("cache.yaml"), &bytes).unwrap();
    let (_, stderr) = fix(dir.path(), &[]);
    assert!(
        stderr.contains("cache.yaml: not fixed: kubelint writes fixes to UTF-8 files only"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(dir.path().join("cache.yaml")).unwrap(), bytes);
}

#[test]
fn a_fix_on_a_value_an_overlay_deploys_lands_in_the_base_that_wrote_it() {
    let dir = tree(&[
        (".kubelint.yaml", CONFIG),
        ("base/kustomization.yaml", "resources: [cache.yaml]\n"),
        ("base/cache.yaml", &WINDOWS_SAVED.replace("\r\n", "\n")[3..]),
        (
            "prod/kustomization.yaml",
            "resources: [../base]\nnamespace: prod\n",
        ),
    ]);
    kubelint()
        .current_dir(dir.path())
        .args(["check", "--fix", "prod"])
        .output()
        .unwrap();
    let base = read(dir.path(), "base/cache.yaml");
    assert!(
        base.contains("image: 'registry.cn-hangzhou.aliyuncs.com/library/redis:7.2.4'"),
        "{base}"
    );
    assert_eq!(
        read(dir.path(), "prod/kustomization.yaml"),
        "resources: [../base]\nnamespace: prod\n"
    );
}

#[test]
fn fix_and_diff_refuse_standard_input() {
    let output = kubelint()
        .args(["check", "--fix", "-"])
        .write_stdin("a: 1\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read standard input"));
}

/// The fixture repository fixed with every fix: what changes in each file (Helm values,
/// Kustomize bases and overlays), and afterwards no finding with a fix is left.
#[test]
fn the_fixture_repository_is_fixed_in_the_files_that_set_each_value() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata("repo"), dir.path());
    let output = kubelint()
        .current_dir(dir.path())
        .args(["check", "--diff", "--unsafe-fixes"])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
    fix(dir.path(), &["--unsafe-fixes"]);
    let after = kubelint()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&after.stdout).unwrap();
    let fixable: Vec<_> = findings.iter().filter(|f| !f["fix"].is_null()).collect();
    assert!(fixable.is_empty(), "still fixable: {fixable:#?}");
    assert!(!findings.iter().any(|f| f["rule"] == "yaml-syntax"));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
