//! Rule documentation generated from the rule files themselves, so docs cannot drift from the
//! rules: `docs/rules.md` and the README's rule table (a test keeps both current).

use std::fmt::Write;

use super::{Rule, RuleSet};

/// The README's table: one row per rule.
pub fn table(rules: &RuleSet) -> String {
    let mut out = String::from("| rule | severity | what it catches |\n|---|---|---|\n");
    for rule in rules.rules() {
        let runbook = rule
            .runbook
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| [`{id}`](docs/rules.md#{id}) | {} | {}{runbook} |",
            rule.severity.as_str(),
            rule.summary,
            id = rule.id
        );
    }
    out
}

/// `docs/rules.md`: every rule with its description and its first bad and good cases.
pub fn reference(rules: &RuleSet) -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated from `rules/` by `KUBELINT_BLESS=1 cargo test --test rules`; edit the rule files, not this page.\n",
    );
    for rule in rules.rules() {
        section(rule, &mut out);
    }
    out
}

fn section(rule: &Rule, out: &mut String) {
    let _ = write!(
        out,
        "\n## {}\n\n{}\n\n- severity: `{}`\n",
        rule.id,
        rule.summary,
        rule.severity.as_str()
    );
    if let Some(runbook) = &rule.runbook {
        let _ = writeln!(out, "- from incident: {runbook}");
    }
    let _ = writeln!(out, "- source: [`{0}`](../{0})", rule.source);
    if let Some(description) = &rule.description {
        let _ = write!(out, "\n{}", description.trim_end());
        out.push('\n');
    }
    let cases = rule.cases().unwrap_or_default();
    if let Some(bad) = cases.iter().find_map(|c| c.bad.as_deref()) {
        let _ = write!(out, "\nFires on:\n\n```yaml\n{}```\n", ensure_newline(bad));
    }
    if let Some(good) = cases.iter().find_map(|c| c.good.as_deref()) {
        let _ = write!(
            out,
            "\nDoes not fire on:\n\n```yaml\n{}```\n",
            ensure_newline(good)
        );
    }
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}
