//! Running each rule's own test cases: bad documents must produce exactly the findings they
//! list, good ones none. The test suite runs them for the built-in rules; `kubelint rules
//! --test` runs them for a user's rule folders too.

use std::collections::HashSet;
use std::fmt::Write;
use std::path::Path;

use crate::check::{Outcome, check_buffer, check_drift_text};
use crate::config::Config;
use crate::fix;

use super::{Case, Rule, RuleSet, ids};

/// Every failure of every rule's cases, as `rule-id case N: what went wrong`. Rules that are
/// off by default (or disabled) are switched on, so their cases run too.
pub fn run_all(rules: &RuleSet) -> Vec<String> {
    let on_by_default: HashSet<&str> = rules
        .rules()
        .iter()
        .filter(|rule| rule.shipped && rule.on_by_default)
        .map(|rule| &*rule.id)
        .collect();
    let every_rule = rules.with_every_rule_on();
    every_rule
        .rules()
        .iter()
        .flat_map(|rule| run_rule(rule, &every_rule, &on_by_default))
        .collect()
}

/// Runs one rule's cases with every rule on. A good case of a shipped rule fails when a rule
/// of `on_by_default` (the shipped rules on by default) other than this one fires on it and
/// the case's `also` does not say so. A config's own rules are not held to that, and do not
/// count against shipped cases: neither side's cases can know the other's rules.
fn run_rule(rule: &Rule, rules: &RuleSet, on_by_default: &HashSet<&str>) -> Vec<String> {
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
        let outcome = match run_case(case, text, rules) {
            Ok(outcome) => outcome,
            Err(error) => {
                fail(error);
                continue;
            }
        };
        let position = |f: &crate::finding::Finding| {
            let file = &outcome.sources[f.origin.file];
            let p = file.position(f.span().start);
            let prefix = if file.path == LIVE_PATH { "live:" } else { "" };
            format!("{prefix}{}:{}", p.line, p.column)
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
        if case.good.is_some() && rule.shipped {
            let mut others: Vec<&str> = outcome
                .findings
                .iter()
                .map(|f| &*f.rule)
                .filter(|id| *id != &*rule.id && on_by_default.contains(id))
                .collect();
            others.sort_unstable();
            others.dedup();
            let mut also: Vec<&str> = case.also.iter().map(String::as_str).collect();
            also.sort_unstable();
            if others != also {
                fail(format!(
                    "other rules fire on this good case: {others:?} (its `also` lists {also:?})"
                ));
            }
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

/// The path a case's live dump is read as.
const LIVE_PATH: &str = "live.yaml";

/// Lints a case's document under its environment, with its other files as the rest of the
/// repository and nothing read from disk; with a `live` dump, compares it as `kubelint
/// drift` does instead.
fn run_case(case: &Case, text: &str, rules: &RuleSet) -> Result<Outcome, String> {
    let config = Config::for_case(case.env.clone());
    let path = Path::new(case.path.as_deref().unwrap_or("case.yaml"));
    if let Some(live) = &case.live {
        return check_drift_text(
            text.as_bytes(),
            path,
            live.as_bytes(),
            Path::new(LIVE_PATH),
            &config,
            rules,
        );
    }
    let files: Vec<(std::path::PathBuf, String)> = case
        .files
        .iter()
        .map(|(path, text)| (path.into(), text.clone()))
        .collect();
    Ok(check_buffer(
        text.as_bytes(),
        path,
        &files,
        &[],
        &config,
        rules,
    ))
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
        let Ok(outcome) = run_case(case, bad, rules) else {
            continue;
        };
        for finding in outcome.findings.iter().filter(|f| f.rule == rule.id) {
            let file = &outcome.sources[finding.origin.file];
            let start = file.position(finding.span().start);
            let end = file.position(finding.span().end);
            let under = file.text.get(finding.span()).unwrap_or_default();
            let prefix = if file.path == LIVE_PATH { "live:" } else { "" };
            let _ = writeln!(
                out,
                "  {prefix}{}:{}-{}:{} `{under}` {}: {}",
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
            if let Some(fix) = &finding.fix {
                let safety = fix.applicability.as_str();
                let _ = writeln!(out, "    fix ({safety}): {}", fix.title);
            }
        }
        let options = fix::Options {
            unsafe_fixes: true,
            only: Some(&rule.id),
        };
        let config = Config::for_case(case.env.clone());
        let path = Path::new(case.path.as_deref().unwrap_or("case.yaml"));
        let (fixed, _) = fix::fix_text(bad, path, &config, rules, options);
        if fixed != *bad {
            let _ = write!(out, "{}", fix::diff("case.yaml", bad, &fixed));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A shipped rule whose good case is a Pod with `hostPID`, which `host-pid` flags.
    fn rule(also: &str) -> Rule {
        let text = format!(
            "id: test-rule\nseverity: warning\nsummary: s\nfor: pod\ndeny:\n  - if: {{ pod.hostIPC: true }}\n    at: pod.hostIPC\nmessage: m\ntests:\n  - name: good\n{also}    good: |\n      apiVersion: v1\n      kind: Pod\n      metadata: {{ name: p }}\n      spec: {{ hostPID: true, containers: [ {{ name: a, image: \"a.example.com/a:1.0.0\" }} ] }}\n"
        );
        Rule {
            shipped: true,
            ..crate::rules::compile("rules/test-rule.yaml", &text).unwrap()
        }
    }

    fn failures(rule: &Rule) -> Vec<String> {
        let builtin = RuleSet::load(&Config::empty(Path::new(".").into())).unwrap();
        let every_rule = builtin.with_every_rule_on();
        let on_by_default: HashSet<&str> = ["host-pid"].into_iter().collect();
        run_rule(rule, &every_rule, &on_by_default)
    }

    #[test]
    fn another_rule_firing_on_a_good_case_fails_it_unless_also_lists_it() {
        let unlisted = failures(&rule(""));
        assert_eq!(unlisted.len(), 1, "{unlisted:?}");
        assert!(unlisted[0].contains("[\"host-pid\"]"), "{unlisted:?}");
        assert_eq!(
            failures(&rule("    also: [host-pid]\n")),
            Vec::<String>::new()
        );
        let wrong = failures(&rule("    also: [host-ipc]\n"));
        assert_eq!(wrong.len(), 1, "a listed rule that does not fire fails too");
    }
}
