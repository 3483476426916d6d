//! Rule documentation generated from the rule files themselves, so docs cannot drift from the
//! rules: `docs/rules.md` and the README's rule table (a test keeps both current).

use std::fmt::Write;

use super::{Case, Rule, RuleSet};
use crate::config::Environment;

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
    if let Some(case) = cases.iter().find(|c| c.bad.is_some()) {
        example("Fires on", case, case.bad.as_deref(), out);
    }
    if let Some(case) = cases.iter().find(|c| c.good.is_some()) {
        example("Does not fire on", case, case.good.as_deref(), out);
    }
}

/// A case as an example, with the environment it assumes: the same document can be bad in one
/// cluster and fine in another.
fn example(title: &str, case: &Case, text: Option<&str>, out: &mut String) {
    let Some(text) = text else {
        return;
    };
    let name = case
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let env = case
        .env
        .as_ref()
        .map_or("no environment".to_string(), describe);
    let _ = write!(
        out,
        "\n{title}{name}, in {env}:\n\n```yaml\n{}```\n",
        ensure_newline(text)
    );
}

fn describe(env: &Environment) -> String {
    let mut parts = Vec::new();
    if let Some(platform) = env.platform {
        parts.push(format!("platform `{}`", platform.as_str()));
    }
    if let Some(region) = &env.region {
        parts.push(format!("region `{region}`"));
    }
    if let Some(namespace) = &env.namespace {
        parts.push(format!("namespace `{namespace}`"));
    }
    for (host, registry) in &env.registries {
        let secret = registry.pull_secret.as_deref().unwrap_or("none");
        parts.push(format!("registry `{host}` with pull secret `{secret}`"));
    }
    for (host, mirror) in &env.mirrors {
        let digests = if mirror.digests { "" } else { " (no digests)" };
        parts.push(format!("`{host}` mirrored via `{}`{digests}", mirror.via));
    }
    if parts.is_empty() {
        "an environment with no settings".into()
    } else {
        format!("an environment with {}", parts.join(", "))
    }
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}
