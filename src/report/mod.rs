//! The `report` stage: findings to bytes, and the exit-code policy, in one place.

mod human;
mod json;

use std::io::{self, Write};

use crate::check::Outcome;
use crate::finding::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
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

/// `3 errors, 1 warning in 2 of 12 files (40 objects)`.
pub fn summary(outcome: &Outcome) -> String {
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut files: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.file.path.as_str())
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
        "{} in {} of {} ({})",
        parts.join(", "),
        files.len(),
        plural(outcome.files, "file"),
        plural(outcome.objects, "object")
    )
}

pub fn write(
    outcome: &Outcome,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(&outcome.findings, &summary(outcome), color, out),
        Format::Json => json::write(&outcome.findings, out),
    }
}
