//! The `report` stage: findings to bytes, and the exit-code policy, in one place.

pub mod baseline;
mod github;
mod human;
mod json;
mod junit;
mod sarif;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::check::Outcome;
use crate::finding::Severity;
use crate::rules::RuleSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with each finding's span underlined, for people.
    Human,
    /// A list of findings in a stable shape (see the README), for scripts.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, Azure DevOps).
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request's diff.
    Github,
    /// JUnit XML, for CI systems that only read test reports (GitLab, Jenkins, Azure).
    Junit,
}

/// What reporters need besides the findings. The command line fills it from the process
/// (working folder, environment) so that reporters stay pure and testable.
pub struct Context<'r> {
    /// Every rule of the run: SARIF describes them all, not only those that fired.
    pub rules: &'r RuleSet,
    pub color: bool,
    /// The folder finding paths are relative to (the working folder), SARIF's `%SRCROOT%`.
    pub root: Option<PathBuf>,
    /// GitHub's `$GITHUB_STEP_SUMMARY` file, which `--format github` appends a table to.
    pub step_summary: Option<PathBuf>,
    /// What fails the run: JUnit marks exactly those findings as failures.
    pub fail_on: FailOn,
}

/// The lowest severity that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// 0: nothing at or above `fail_on`; 1: findings that fail the run. (2, usage and
/// configuration errors, is decided before any report is written.)
pub fn exit_code(outcome: &Outcome, fail_on: FailOn) -> i32 {
    let fails = fail_on
        .threshold()
        .is_some_and(|threshold| outcome.findings.iter().any(|f| f.severity >= threshold));
    i32::from(fails)
}

/// `3 errors, 1 warning in 2 files; 12 files, 40 objects checked`, or `no findings; …`.
pub fn summary(outcome: &Outcome) -> String {
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let checked = format!(
        "{}, {} checked",
        plural(outcome.files, "file"),
        plural(outcome.objects, "object")
    );
    let checked = match outcome.baseline_hidden {
        0 => checked,
        hidden => format!("{checked}; {hidden} hidden by the baseline"),
    };
    if outcome.findings.is_empty() {
        return format!("no findings; {checked}");
    }
    let mut files: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| outcome.sources[f.origin.file].path.as_str())
        .collect();
    files.dedup();
    let mut parts = vec![
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
    ];
    let infos = count(Severity::Info);
    if infos > 0 {
        parts.push(plural(infos, "info"));
    }
    format!(
        "{} in {}; {checked}",
        parts.join(", "),
        plural(files.len(), "file")
    )
}

/// Writes the report of a run. Only the step summary goes elsewhere, and a failure to write
/// it is a warning: the findings are the result, not their decoration.
pub fn write(
    outcome: &Outcome,
    format: Format,
    context: &Context<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let findings = &outcome.findings;
    let sources = &outcome.sources;
    match format {
        Format::Human => human::write(findings, sources, &summary(outcome), context.color, out),
        Format::Json => json::write(findings, sources, out),
        Format::Sarif => sarif::write(
            findings,
            sources,
            context.rules,
            context.root.as_deref(),
            out,
        ),
        Format::Github => {
            let summary = summary(outcome);
            github::write(findings, sources, &summary, out)?;
            if let Some(path) = &context.step_summary
                && let Err(error) = github::append_step_summary(path, findings, sources, &summary)
            {
                eprintln!(
                    "kubelint: warning: cannot write the step summary {}: {error}",
                    path.display()
                );
            }
            Ok(())
        }
        Format::Junit => junit::write(
            findings,
            sources,
            outcome.files,
            context.fail_on.threshold(),
            out,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_findings_in_the_files_that_have_them_then_what_was_checked() {
        let mut outcome = Outcome {
            findings: vec![fixture::finding("a.yaml", "a: [", 3..3)],
            sources: fixture::sources(),
            files: 3,
            objects: 1,
            warnings: Vec::new(),
            baseline_hidden: 0,
        };
        assert_eq!(
            summary(&outcome),
            "1 error, 0 warnings in 1 file; 3 files, 1 object checked"
        );
        outcome.findings.clear();
        outcome.files = 0;
        assert_eq!(summary(&outcome), "no findings; 0 files, 1 object checked");
    }
}

/// Findings and rules for the reporters' unit tests.
#[cfg(test)]
pub(crate) mod fixture {
    use std::cell::RefCell;
    use std::ops::Range;
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::config::Config;
    use crate::finding::{Finding, Severity};
    use crate::rules::{RuleSet, ids};
    use crate::source::{Origin, SourceFile, Sources};

    thread_local! {
        /// The files of this test's findings; each test runs on a thread of its own.
        static SOURCES: RefCell<Sources> = RefCell::default();
    }

    /// The files every `finding` of this test so far was made in.
    pub fn sources() -> Sources {
        SOURCES.with(|s| s.borrow().clone())
    }

    /// The built-in rules, as a run without a config has them.
    pub fn rules() -> RuleSet {
        RuleSet::load(&Config::empty(PathBuf::from("."))).unwrap()
    }

    /// A `yaml-syntax` error at `span` of a file holding `text`.
    pub fn finding(path: &str, text: &str, span: Range<usize>) -> Finding {
        let file = Arc::new(SourceFile::new(path, text));
        let id = SOURCES.with(|s| s.borrow_mut().add(file));
        Finding {
            rule: ids::YAML_SYNTAX.into(),
            severity: Severity::Error,
            message: "the file is not valid YAML".into(),
            help: None,
            url: None,
            origin: Origin::new(id, span),
            related: Vec::new(),
            object: None,
            envs: Vec::new(),
            policy: None,
            fix: None,
        }
    }
}
