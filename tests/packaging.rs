//! What installers and packagers ship beside the binary: shell completions, manual pages and
//! a version that names its commit.

mod common;

use std::path::Path;
use std::process::Command;

use common::kubelint;

const SUBCOMMANDS: [&str; 5] = ["check", "env", "rules", "completions", "man"];

fn completions(shell: &str) -> String {
    let output = kubelint().args(["completions", shell]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "completions {shell}");
    String::from_utf8(output.stdout).expect("completion scripts are UTF-8")
}

/// Sources the bash completion script in a real bash, completes WORDS (the last one is the
/// word under the cursor) and returns the candidates bash would offer.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kubelint.bash");
    std::fs::write(&script, completions("bash")).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let previous = words[cword - 1];
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _kubelint kubelint '{}' '{previous}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_the_subcommands() {
    let candidates = bash_complete(&["kubelint", ""]);
    for subcommand in SUBCOMMANDS {
        assert!(
            candidates.iter().any(|c| c == subcommand),
            "{subcommand} not in {candidates:?}"
        );
    }
}

#[test]
fn bash_completes_the_values_of_format() {
    assert_eq!(
        bash_complete(&["kubelint", "check", "--format", ""]),
        ["human", "json", "sarif", "github", "junit"]
    );
}

#[test]
fn bash_completes_the_shells_of_completions() {
    let candidates = bash_complete(&["kubelint", "completions", ""]);
    let shells: Vec<&str> = candidates
        .iter()
        .map(String::as_str)
        .filter(|c| !c.starts_with('-'))
        .collect();
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
}

#[test]
fn zsh_fish_and_powershell_scripts_register_kubelint_and_know_its_options() {
    let zsh = completions("zsh");
    assert!(zsh.starts_with("#compdef kubelint\n"), "{zsh}");
    let fish = completions("fish");
    assert!(fish.contains("complete -c kubelint"), "{fish}");
    let powershell = completions("powershell");
    assert!(
        powershell.contains("Register-ArgumentCompleter -Native -CommandName 'kubelint'"),
        "{powershell}"
    );
    for script in [&zsh, &fish, &powershell] {
        for word in SUBCOMMANDS.iter().chain(&["fail-on", "stdin-filename"]) {
            assert!(script.contains(word), "{word} missing from\n{script}");
        }
    }
    // PowerShell's script completes option names only; zsh and fish also offer their values.
    for script in [&zsh, &fish] {
        assert!(script.contains("sarif"), "no --format values in\n{script}");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    kubelint()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("possible values: bash"));
}

#[test]
fn a_reader_that_closes_early_does_not_crash_completions() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kubelint"))
        .args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn the_manual_page_is_roff_with_every_subcommand() {
    let output = kubelint().arg("man").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8(output.stdout).unwrap();
    let version = format!("\"kubelint {}", env!("CARGO_PKG_VERSION"));
    let title = page
        .lines()
        .find(|line| line.starts_with(".TH "))
        .expect("a .TH title line");
    assert!(title.starts_with(".TH kubelint 1 "), "{title}");
    assert!(title.contains(&version), "{title}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
    for subcommand in SUBCOMMANDS {
        assert!(page.contains(&format!("kubelint\\-{subcommand}(1)")));
    }
}

#[test]
fn man_out_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man/man1");
    kubelint()
        .args(["man", "--out-dir"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout("");
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "kubelint-build.1",
            "kubelint-check.1",
            "kubelint-completions.1",
            "kubelint-drift.1",
            "kubelint-env.1",
            "kubelint-explain.1",
            "kubelint-lsp.1",
            "kubelint-man.1",
            "kubelint-rules.1",
            "kubelint.1",
        ]
    );
    let check = std::fs::read_to_string(out.join("kubelint-check.1")).unwrap();
    assert!(check.contains("\\-\\-fail\\-on"), "{check}");
}

/// The commit of the source tree, as `kubelint --version` shows it, when the tests run from a
/// git checkout (the crate's folder is the repository's root).
fn checkout_commit() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
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
    let top = git(&["rev-parse", "--show-toplevel"])?;
    (Path::new(&top).canonicalize().ok()? == root.canonicalize().ok()?)
        .then(|| git(&["log", "-1", "--format=%h %cs", "--abbrev=12"]))?
}

#[test]
fn version_names_the_version_and_the_commit() {
    let output = kubelint().arg("--version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let shown = String::from_utf8(output.stdout).unwrap();
    let commit = std::env::var("KUBELINT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_owned())
        .or_else(|| {
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("COMMIT");
            std::fs::read_to_string(file)
                .ok()
                .map(|c| c.trim().to_owned())
        })
        .or_else(checkout_commit)
        .unwrap_or_else(|| "commit unknown".to_owned());
    assert_eq!(
        shown,
        format!("kubelint {} ({commit})\n", env!("CARGO_PKG_VERSION"))
    );
}
