//! Suppressions in place: `# kubelint-disable-next-line a, b`, `# kubelint-disable-line a`,
//! `# kubelint-disable-file a` (no ids: every rule; text after `--` is the reason), and the
//! object annotation `kubelint.io/ignore: a,b`. A suppression naming an unknown rule is itself
//! a finding, so a typo cannot silently disable nothing.

use std::ops::Range;

use crate::finding::Finding;
use crate::model::{Located, ParsedFile, Project};
use crate::source::{FileId, Origin, SourceFile};

use super::{RuleSet, ids};

pub const IGNORE_ANNOTATION: &str = "kubelint.io/ignore";

/// Which rules are off where, in one file.
#[derive(Debug, Default)]
pub struct FileSuppressions {
    /// `None` means every rule.
    whole_file: Vec<Option<String>>,
    /// 0-based line → rules off on that line.
    lines: Vec<(usize, Option<String>)>,
}

impl FileSuppressions {
    /// Reads the directives in a file's comments; unknown ids become findings in `out`.
    pub fn read(file: &ParsedFile, rules: &RuleSet, out: &mut Vec<Finding>) -> Self {
        let mut found = FileSuppressions::default();
        for comment in &file.stream.comments {
            let text = comment.text.trim_start();
            let (scope, rest) = if let Some(rest) = text.strip_prefix("kubelint-disable-next-line")
            {
                (Some(file.source.line_index(comment.span.start) + 1), rest)
            } else if let Some(rest) = text.strip_prefix("kubelint-disable-line") {
                (Some(file.source.line_index(comment.span.start)), rest)
            } else if let Some(rest) = text.strip_prefix("kubelint-disable-file") {
                (None, rest)
            } else {
                continue;
            };
            if !rest.is_empty() && !rest.starts_with([' ', '\t', ',']) {
                continue;
            }
            let rest_start = comment.span.end - rest.len();
            let listed = rest.split("--").next().unwrap_or_default();
            let targets = rule_ids(listed, rest_start, file, rules, out);
            let targets: Vec<Option<String>> = if targets.is_empty() {
                vec![None]
            } else {
                targets.into_iter().map(Some).collect()
            };
            for target in targets {
                match scope {
                    Some(line) => found.lines.push((line, target)),
                    None => found.whole_file.push(target),
                }
            }
        }
        found
    }

    /// Whether a finding in `source`, the file these suppressions were read from, stands.
    pub fn allows(&self, finding: &Finding, source: &SourceFile) -> bool {
        let matches =
            |target: &Option<String>| target.as_deref().is_none_or(|id| id == &*finding.rule);
        if self.whole_file.iter().any(matches) {
            return false;
        }
        let line = source.line_index(finding.origin.start as usize);
        !self
            .lines
            .iter()
            .any(|(l, target)| *l == line && matches(target))
    }
}

/// The ids in a comma- or space-separated list starting at byte `start`; unknown ones are
/// reported at their own bytes.
fn rule_ids(
    list: &str,
    start: usize,
    file: &ParsedFile,
    rules: &RuleSet,
    out: &mut Vec<Finding>,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut offset = 0;
    for word in list.split([',', ' ', '\t']) {
        let at = start + offset;
        offset += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        if rules.is_known(word) {
            ids.push(word.to_string());
        } else {
            report_unknown(word, file.id, at..at + word.len(), rules, out);
        }
    }
    ids
}

fn report_unknown(
    id: &str,
    file: FileId,
    span: Range<usize>,
    rules: &RuleSet,
    out: &mut Vec<Finding>,
) {
    let message =
        format!("unknown rule `{id}` in a suppression; `kubelint rules` lists the known ones");
    let origin = Origin::new(file, span);
    out.extend(rules.builtin_finding(ids::INVALID_SUPPRESSION, origin, message));
}

/// The rules an object's `kubelint.io/ignore` annotation turns off; unknown ids are reported.
pub fn ignored_by_annotation(
    project: &Project<'_>,
    located: &Located<'_>,
    rules: &RuleSet,
    out: &mut Vec<Finding>,
) -> Vec<String> {
    let annotation = located
        .object
        .root
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(IGNORE_ANNOTATION));
    let Some(node) = annotation else {
        return Vec::new();
    };
    let Some(value) = node.as_text() else {
        return Vec::new();
    };
    let origin = node.origin();
    let raw = project
        .source_text(origin.file)
        .and_then(|text| text.get(origin.range()))
        .unwrap_or_default();
    // Positions are exact when the scalar's source is its value (plain or simply quoted).
    let value_start = raw.find(value).map(|at| origin.range().start + at);
    let mut ids = Vec::new();
    let mut offset = 0;
    for word in value.split(',') {
        let id = word.trim();
        let at = offset + (word.len() - word.trim_start().len());
        offset += word.len() + 1;
        if id.is_empty() {
            continue;
        }
        if rules.is_known(id) {
            ids.push(id.to_string());
        } else {
            let span = value_start.map_or(origin.range(), |s| s + at..s + at + id.len());
            report_unknown(id, origin.file, span, rules, out);
        }
    }
    ids
}
