//! Embeds every rule file under `rules/` into the binary, so built-in rules need no files at
//! run time and a new rule is one new YAML file, and the data tables as JSON; names the
//! commit the binary was built from, so `kubelint --version` tells a bug report exactly which
//! source it ran; and links the executable position-dependent on Linux.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/rules/sections.rs"]
mod sections;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// The commit as `HASH DATE` (12 hex digits, commit date), from the first source that has it:
/// `KUBELINT_COMMIT` (release builds set it), a `COMMIT` file at the root (the release
/// workflow writes one into the source distribution, which has no `.git`), or git itself,
/// but only when the crate is the root of its repository (a copy vendored into another
/// repository must not claim that repository's commit).
fn commit(root: &Path) -> Option<String> {
    println!("cargo:rerun-if-env-changed=KUBELINT_COMMIT");
    if let Some(commit) = std::env::var("KUBELINT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
    {
        return Some(commit.trim().to_owned());
    }
    let file = root.join("COMMIT");
    if file.is_file() {
        println!("cargo:rerun-if-changed=COMMIT");
        return std::fs::read_to_string(&file)
            .ok()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
    }
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != root.canonicalize().ok()? {
        return None;
    }
    // A new commit or a checkout moves HEAD or the branch it names: build again then. Only
    // paths that exist are named, as cargo reruns the script on every build for a missing one.
    // The branch's folder is watched too: after `git gc` packs the refs, the branch file is
    // missing until the next commit writes it, and that commit must still be seen.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some((folder, _)) = branch.rsplit_once('/') {
            watched.push(folder.to_owned());
        }
        watched.push(branch);
    }
    for name in &watched {
        if let Some(path) = git(&["rev-parse", "--git-path", name]).map(|p| root.join(p))
            && path.exists()
        {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    git(&["log", "-1", "--format=%h %cs", "--abbrev=12"]).filter(|c| !c.is_empty())
}

/// The rule part of a rule file (before `tests:`) as JSON, which the binary reads at start
/// in a thirteenth of the time the YAML takes. None when it is not valid YAML: the binary then
/// compiles the YAML itself and reports the mistake at its line:column.
fn as_json(text: &str) -> Option<String> {
    let (rule, _tests) = sections::split_tests(text);
    let value: serde_json::Value = serde_saphyr::from_str(rule).ok()?;
    serde_json::to_string(&value).ok()
}

/// The YAML tables under `data/` as JSON in `out`: serde_json reads the deprecation table in
/// microseconds, where the YAML parser took most of a millisecond of every start. The YAML
/// stays the source, for its comments; a table that does not parse fails the build.
fn data_as_json(root: &Path, out: &Path) {
    for name in ["api-deprecations", "regions"] {
        let path = root.join("data").join(format!("{name}.yaml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(out.join(format!("{name}.json")), value.to_string())
            .expect("OUT_DIR is writable");
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let commit = commit(&root).unwrap_or_else(|| "commit unknown".to_owned());
    println!("cargo:rustc-env=KUBELINT_VERSION={version} ({commit})");
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    // A position-dependent executable: the loader then relocates none of the 36,774 pointers
    // of a PIE, whose writes to read-only data were a fifth of a save's page faults.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    for file in &files {
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap_or_default();
        code.push_str(&format!(
            "    ({shown:?}, include_str!({:?}), {:?}),\n",
            file.display().to_string(),
            as_json(&text)
        ));
    }
    code.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("builtin_rules.rs"), code).expect("OUT_DIR is writable");
    data_as_json(&root, &out);
}
