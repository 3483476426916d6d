//! The `fix` stage: the edits findings carry, chosen without overlap, applied to the files'
//! text, and either written back or shown as a unified diff. Fixing iterates as ruff does:
//! fix, re-lint, fix what the new text allows, up to [`MAX_ROUNDS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::check::{self, Outcome};
use crate::config::Config;
use crate::finding::{Applicability, Edit, Finding};
use crate::rules::RuleSet;
use crate::source::{Encoding, FileId, Origin, Sources};

/// Enough rounds for a fix that enables another (a mirror, then its digest) and a bound on
/// fixes that would keep undoing each other.
pub const MAX_ROUNDS: usize = 10;

/// Which fixes a run applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'o> {
    /// Apply fixes a rule marks unsafe too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// Only this rule's fixes (the rule cases' test fixes one rule at a time).
    pub only: Option<&'o str>,
}

/// The edits of one round, by file, and what was left for later or for `--unsafe-fixes`.
#[derive(Debug, Default)]
pub struct Plan {
    pub edits: BTreeMap<FileId, Vec<Edit>>,
    /// Findings whose fix is in `edits`.
    pub fixed: usize,
    /// Findings with an unsafe fix that was not applied.
    pub unsafe_skipped: usize,
}

/// Chooses fixes in the findings' order (file, position, rule), so the choice never depends
/// on thread count or path order. A fix is taken whole when none of its edits touches an edit
/// already taken, ends included (the order of two insertions at one point would be a guess);
/// an identical edit, such as one pull secret two containers need, counts once. The others
/// wait for the next round, made against the new text.
pub fn plan(findings: &[Finding], options: Options<'_>) -> Plan {
    let mut plan = Plan::default();
    // Per file, the edits taken by (start, end): disjoint, so only the last one starting at or
    // before a new edit's end can touch it, and each check is a lookup, not a scan.
    let mut taken: BTreeMap<FileId, BTreeMap<(u32, u32), &str>> = BTreeMap::new();
    for finding in findings {
        let Some(fix) = &finding.fix else { continue };
        if options.only.is_some_and(|only| only != &*finding.rule) {
            continue;
        }
        if fix.applicability == Applicability::Unsafe && !options.unsafe_fixes {
            plan.unsafe_skipped += 1;
            continue;
        }
        let clashes = fix.edits.iter().any(|edit| {
            let (start, end) = (edit.origin.start, edit.origin.end);
            let Some(file) = taken.get(&edit.origin.file) else {
                return false;
            };
            if file.get(&(start, end)) == Some(&edit.text.as_str()) {
                return false;
            }
            file.range(..=(end, u32::MAX))
                .next_back()
                .is_some_and(|(&(_, last_end), _)| last_end >= start)
        });
        if clashes {
            continue;
        }
        for edit in &fix.edits {
            let file = taken.entry(edit.origin.file).or_default();
            file.insert((edit.origin.start, edit.origin.end), &edit.text);
        }
        plan.fixed += 1;
    }
    for (file, edits) in taken {
        let edits = edits
            .into_iter()
            .map(|((start, end), text)| Edit {
                origin: Origin::new(file, start as usize..end as usize),
                text: text.to_string(),
            })
            .collect();
        plan.edits.insert(file, edits);
    }
    plan
}

/// The text with non-overlapping edits applied; every byte outside them is kept.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.origin.start, e.origin.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        let range = edit.origin.range();
        if range.start < at || range.end > text.len() {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&edit.text);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A unified diff of one file, `a/PATH` to `b/PATH` as git prints them (an absolute path as
/// it is). A last line without a line break is marked as diff marks it.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let (a, b) = if path.starts_with('/') {
        (path.to_string(), path.to_string())
    } else {
        (format!("a/{path}"), format!("b/{path}"))
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&a, &b)
        .to_string()
}

/// What a fixing run did, for its summary line.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings fixed, over every round.
    pub fixed: usize,
    pub files: BTreeSet<String>,
    /// Findings left with an unsafe fix that `--unsafe-fixes` would apply.
    pub unsafe_skipped: usize,
    /// Files that could not be fixed, and why, in path order.
    pub refused: BTreeSet<String>,
    /// With `--diff`: the diff of each file by path, so they print in path order.
    pub diffs: BTreeMap<String, String>,
}

impl Report {
    /// `fixed 3 findings in 2 files; 1 more has an unsafe fix (--unsafe-fixes)`.
    pub fn summary(&self, verb: &str) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut line = format!(
            "{verb} {} in {}",
            plural(self.fixed, "finding"),
            plural(self.files.len(), "file")
        );
        if self.unsafe_skipped > 0 {
            let has = if self.unsafe_skipped == 1 {
                "has"
            } else {
                "have"
            };
            line.push_str(&format!(
                "; {} more {has} an unsafe fix (--unsafe-fixes)",
                self.unsafe_skipped
            ));
        }
        line
    }
}

/// The new text of each file a plan edits, or why a file cannot be edited.
fn edited(plan: &Plan, sources: &Sources) -> Vec<(FileId, Result<String, String>)> {
    plan.edits
        .iter()
        .map(|(&id, edits)| {
            let file = &sources[id];
            let result = if file.encoding == Encoding::Utf16 {
                Err(format!(
                    "{}: not fixed: kubelint writes fixes to UTF-8 files only; save it as UTF-8",
                    file.path
                ))
            } else {
                Ok(apply(&file.text, edits))
            };
            (id, result)
        })
        .collect()
}

/// `kubelint check --fix`: fix, write, re-lint, until nothing applies or the bound; the
/// outcome is the last lint, of the fixed files. With `write: false` (`--diff`), one round
/// whose edits come back as diffs and nothing is written.
pub fn fix_paths(
    paths: &[PathBuf],
    config: &Config,
    rules: &RuleSet,
    options: Options<'_>,
    write: bool,
) -> (Outcome, Report) {
    let mut report = Report::default();
    let mut outcome = check::check_paths(paths, config, rules);
    for _ in 0..MAX_ROUNDS {
        let plan = plan(&outcome.findings, options);
        report.unsafe_skipped = plan.unsafe_skipped;
        if plan.edits.is_empty() {
            break;
        }
        let mut wrote = false;
        for (id, result) in edited(&plan, &outcome.sources) {
            let file = &outcome.sources[id];
            let new = match result {
                Ok(new) => new,
                Err(why) => {
                    report.refused.insert(why);
                    continue;
                }
            };
            if !write {
                let shown = diff(&file.path, &file.text, &new);
                report.diffs.insert(file.path.clone(), shown);
                report.files.insert(file.path.clone());
                continue;
            }
            let path = Path::new(&file.path);
            // The file must still be what was linted: an editor may have saved it meanwhile.
            match std::fs::read(path) {
                Ok(bytes) if bytes == file.text.as_bytes() => {}
                _ => {
                    let why = format!("{}: not fixed: it changed while kubelint ran", file.path);
                    report.refused.insert(why);
                    continue;
                }
            }
            match std::fs::write(path, new.as_bytes()) {
                Ok(()) => {
                    wrote = true;
                    report.files.insert(file.path.clone());
                }
                Err(e) => {
                    report
                        .refused
                        .insert(format!("{}: not fixed: {e}", file.path));
                }
            }
        }
        if !write {
            report.fixed = plan.fixed;
            break;
        }
        if !wrote {
            break;
        }
        report.fixed += plan.fixed;
        outcome = check::check_paths(paths, config, rules);
    }
    (outcome, report)
}

/// Text fixed in memory as if it were the file at `path`, alone (nothing else is read from
/// disk), iterated like [`fix_paths`]: the fixed text and the number of rounds that changed it.
pub fn fix_text(
    text: &str,
    path: &Path,
    config: &Config,
    rules: &RuleSet,
    options: Options<'_>,
) -> (String, usize) {
    let mut current = text.to_string();
    for round in 0..MAX_ROUNDS {
        let outcome = check::check_buffer(current.as_bytes(), path, &[], &[], config, rules);
        let plan = plan(&outcome.findings, options);
        let Some(edits) = plan.edits.get(&FileId(0)) else {
            return (current, round);
        };
        let next = apply(&current, edits);
        if next == current {
            return (current, round);
        }
        current = next;
    }
    (current, MAX_ROUNDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Origin;

    fn edit(range: std::ops::Range<usize>, text: &str) -> Edit {
        Edit {
            origin: Origin::new(FileId(0), range),
            text: text.into(),
        }
    }

    #[test]
    fn edits_replace_only_their_bytes() {
        let text = "a: 1 # one\r\nb: 2\r\n";
        let out = apply(text, &[edit(3..4, "9"), edit(12..12, "c: 3\r\n")]);
        assert_eq!(out, "a: 9 # one\r\nc: 3\r\nb: 2\r\n");
    }

    #[test]
    fn a_diff_names_both_sides_as_git_does() {
        let shown = diff("k/a.yaml", "a: 1\n", "a: 2\n");
        assert!(
            shown.starts_with("--- a/k/a.yaml\n+++ b/k/a.yaml\n"),
            "{shown}"
        );
        assert!(shown.contains("-a: 1\n+a: 2\n"), "{shown}");
    }

    #[test]
    fn edits_that_touch_wait_for_the_next_round_and_identical_ones_count_once() {
        use crate::finding::Fix;
        let finding = |edits: Vec<Edit>| {
            let mut f = crate::report::fixture::finding("a.yaml", "a: 1\n", 0..1);
            f.fix = Some(Fix {
                title: "t".into(),
                applicability: Applicability::Safe,
                edits,
            });
            f
        };
        let findings = [
            finding(vec![edit(3..3, "x")]),
            finding(vec![edit(3..5, "y")]),
            finding(vec![edit(3..3, "x")]),
            finding(vec![edit(6..7, "z")]),
        ];
        let plan = plan(&findings, Options::default());
        assert_eq!(plan.fixed, 3);
        let taken = &plan.edits[&FileId(0)];
        assert_eq!(taken, &vec![edit(3..3, "x"), edit(6..7, "z")]);
    }
}
