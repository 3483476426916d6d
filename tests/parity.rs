//! `docs/parity.md` is generated from `docs/parity.yaml`: every check of kube-linter, Polaris
//! and kube-score, mapped to the kubelint rule that covers it or declined with a reason. The
//! test fails when a rule named there does not exist, or when the page is stale
//! (`KUBELINT_BLESS=1 cargo test --test parity` rewrites it).

use std::fmt::Write;
use std::path::Path;

use kubelint::config::Config;
use kubelint::rules::RuleSet;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Parity {
    tools: Vec<Tool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    source: String,
    checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    id: String,
    default: bool,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    partial: Option<String>,
    #[serde(default)]
    declined: Option<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn parity() -> Parity {
    let text = std::fs::read_to_string(root().join("docs/parity.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("docs/parity.yaml matches its schema")
}

fn percent(part: usize, whole: usize) -> String {
    format!(
        "{part}/{whole} ({:.0} %)",
        100.0 * part as f64 / whole.max(1) as f64
    )
}

fn render(parity: &Parity, rules: &RuleSet) -> String {
    let mut out = String::from(
        "# Parity with kube-linter, Polaris and kube-score\n\nGenerated from [`parity.yaml`](parity.yaml) by `KUBELINT_BLESS=1 cargo test --test parity`; edit the YAML, not this page. A check is covered when a kubelint rule reports what it reports (\"partial\" says what it does not); rules marked *off* are opt-in (`rules.enable`).\n\n| tool | checks | covered | default checks | default checks covered |\n|---|---|---|---|---|\n",
    );
    for tool in &parity.tools {
        let covered = tool.checks.iter().filter(|c| c.rule.is_some()).count();
        let defaults: Vec<&Check> = tool.checks.iter().filter(|c| c.default).collect();
        let defaults_covered = defaults.iter().filter(|c| c.rule.is_some()).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            tool.name,
            tool.checks.len(),
            percent(covered, tool.checks.len()),
            defaults.len(),
            percent(defaults_covered, defaults.len())
        );
    }
    for tool in &parity.tools {
        let _ = write!(
            out,
            "\n## {}\n\nSource: {}.\n\n| check | default | kubelint |\n|---|---|---|\n",
            tool.name, tool.source
        );
        for check in &tool.checks {
            let mapped = match (&check.rule, &check.declined) {
                (Some(rule), _) => {
                    let off = rules
                        .rules()
                        .iter()
                        .find(|r| &*r.id == rule.as_str())
                        .is_some_and(|r| !r.on_by_default);
                    let off = if off { " *off*" } else { "" };
                    let partial = check
                        .partial
                        .as_deref()
                        .map(|p| format!(" — partial: {p}"))
                        .unwrap_or_default();
                    format!("[`{rule}`](rules.md#{rule}){off}{partial}")
                }
                (None, Some(reason)) => format!("declined: {reason}"),
                (None, None) => "—".into(),
            };
            let default = if check.default { "yes" } else { "no" };
            let _ = writeln!(out, "| `{}` | {default} | {mapped} |", check.id);
        }
    }
    out
}

fn builtin() -> RuleSet {
    RuleSet::load(&Config::empty(root().into())).expect("built-in rules compile")
}

#[test]
fn every_rule_the_parity_table_names_exists() {
    let rules = builtin();
    for tool in parity().tools {
        for check in &tool.checks {
            if let Some(rule) = &check.rule {
                assert!(
                    rules.rules().iter().any(|r| &*r.id == rule.as_str()),
                    "{} `{}` names the rule `{rule}`, which does not exist",
                    tool.name,
                    check.id
                );
            }
        }
    }
}

#[test]
fn every_check_is_either_covered_or_declined_with_a_reason() {
    for tool in parity().tools {
        for check in &tool.checks {
            assert!(
                check.rule.is_some() != check.declined.is_some(),
                "{} `{}` needs exactly one of `rule` or `declined`",
                tool.name,
                check.id
            );
            assert!(
                check.partial.is_none() || check.rule.is_some(),
                "{} `{}`: `partial` goes with `rule`",
                tool.name,
                check.id
            );
        }
        let mut ids: Vec<&str> = tool.checks.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "{} lists a check twice", tool.name);
    }
}

/// A default check that only an opt-in rule covers is covered for users who enable it, and
/// the table must say so rather than count it silently.
#[test]
fn a_default_check_covered_by_an_opt_in_rule_says_so() {
    let rules = builtin();
    for tool in parity().tools {
        for check in tool.checks.iter().filter(|c| c.default) {
            let Some(rule) = &check.rule else { continue };
            let off = rules
                .rules()
                .iter()
                .any(|r| &*r.id == rule.as_str() && !r.on_by_default);
            let says = check
                .partial
                .as_deref()
                .is_some_and(|p| p.contains("off by default"));
            assert!(
                !off || says,
                "{} `{}` is a default check covered by `{rule}`, which is off by default: its `partial` must say `off by default`",
                tool.name,
                check.id
            );
        }
    }
}

#[test]
fn the_parity_page_is_current() {
    let page = render(&parity(), &builtin());
    let path = root().join("docs/parity.md");
    if std::env::var_os("KUBELINT_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == page,
        "docs/parity.md is stale: run KUBELINT_BLESS=1 cargo test --test parity"
    );
}
