//! Running each rule's own test cases: bad documents must produce exactly the findings they
//! list, good ones none. The test suite runs them for the built-in rules; `kubelint rules
//! --test` runs them for a user's rule folders too.

use std::fmt::Write;
use std::path::Path;

use crate::check::{Outcome, check_buffer};
use crate::config::Config;

use super::Case;

use super::{Rule, RuleSet, ids};

/// Every failure of every rule's cases, as `rule-id case N: what went wrong`. Rules that are
/// off by default (or disabled) are switched on, so their cases run too.
pub fn run_all(rules: &RuleSet) -> Vec<String> {
    let rules = rules.with_every_rule_on();
    rules
        .rules()
        .iter()
        .flat_map(|rule| run_rule(rule, &rules))
        .collect()
}

pub fn run_rule(rule: &Rule, rules: &RuleSet) -> Vec<String> {
    let cases = match rule.cases() {
        Ok(cases) => cases,
        Err(error) => return vec![error.to_string()],
    };
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let name = case
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let mut fail =
            |what: String| failures.push(format!("{} case {}{name}: {what}", rule.id, index + 1));
        let (text, expected) = match (&case.bad, &case.good) {
            (Some(bad), None) if !case.expect.is_empty() => (bad, case.expect.clone()),
            (Some(_), None) => {
                fail("a bad case lists the `expect`ed line:column of each finding".into());
                continue;
            }
            (None, Some(good)) if case.expect.is_empty() => (good, Vec::new()),
            _ => {
                fail("a case has exactly one of `bad` (with `expect`) or `good`".into());
                continue;
            }
        };
        let outcome = run_case(case, text, rules);
        let position = |f: &crate::finding::Finding| {
            let p = outcome.sources[f.origin.file].position(f.span().start);
            format!("{}:{}", p.line, p.column)
        };
        let found: Vec<String> = outcome
            .findings
            .iter()
            .filter(|f| f.rule == rule.id)
            .map(position)
            .collect();
        if found != expected {
            fail(format!(
                "expected findings at {expected:?}, found {found:?}"
            ));
        }
        if *rule.id != *ids::YAML_SYNTAX
            && let Some(broken) = outcome
                .findings
                .iter()
                .find(|f| &*f.rule == ids::YAML_SYNTAX)
        {
            fail(format!(
                "the case is not valid YAML: {} at {}",
                broken.message,
                position(broken)
            ));
        }
    }
    failures
}

/// Lints a case's document under its environment, with its other files as the rest of the
/// repository and nothing read from disk.
fn run_case(case: &Case, text: &str, rules: &RuleSet) -> Outcome {
    let config = Config::for_case(case.env.clone());
    let path = Path::new(case.path.as_deref().unwrap_or("case.yaml"));
    let files: Vec<(std::path::PathBuf, String)> = case
        .files
        .iter()
        .map(|(path, text)| (path.into(), text.clone()))
        .collect();
    check_buffer(text.as_bytes(), path, &files, &[], &config, rules)
}

/// What each bad case of a rule reports, as people read it: span, the text under it, severity,
/// message and help. The test suite pins it per rule file as a snapshot.
pub fn rendered(rule: &Rule, rules: &RuleSet) -> String {
    let mut out = String::new();
    for (index, case) in rule.cases().unwrap_or_default().iter().enumerate() {
        let Some(bad) = &case.bad else {
            continue;
        };
        let name = case.name.as_deref().unwrap_or("unnamed");
        let _ = writeln!(out, "case {} ({name}):", index + 1);
        let outcome = run_case(case, bad, rules);
        for finding in outcome.findings.iter().filter(|f| f.rule == rule.id) {
            let file = &outcome.sources[finding.origin.file];
            let start = file.position(finding.span().start);
            let end = file.position(finding.span().end);
            let under = file.text.get(finding.span()).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}:{}-{}:{} `{under}` {}: {}",
                start.line,
                start.column,
                end.line,
                end.column,
                finding.severity.as_str(),
                finding.message
            );
            if let Some(help) = &finding.help {
                let _ = writeln!(out, "    help: {help}");
            }
        }
    }
    out
}
