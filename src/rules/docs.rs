//! Rule documentation generated from the rule files themselves, so docs cannot drift from the
//! rules: `docs/rules.md` and the README's rule table (a test keeps both current).

use std::fmt::Write;

use super::{Case, Rule, RuleSet};
use crate::config::Environment;

/// How `kubelint rules` prints the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns: id, severity, on by default, summary.
    Human,
    /// A JSON list of rules, for scripts.
    Json,
    /// A Markdown table; the README's rule table is this output.
    Markdown,
}

/// Every rule, on or off, in the chosen format.
pub fn listing(rules: &RuleSet, format: ListFormat) -> String {
    match format {
        ListFormat::Markdown => table(rules),
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": &*rule.id,
                        "severity": rule.severity.as_str(),
                        "on_by_default": rule.on_by_default,
                        "summary": rule.summary,
                        "runbook": rule.runbook,
                        "url": rule.url,
                        "source": rule.source,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
        ListFormat::Human => {
            let mut out = String::new();
            let _ = writeln!(out, "{:<36} {:<8} {:<4} summary", "rule", "severity", "on");
            for rule in rules.rules() {
                let runbook = rule
                    .runbook
                    .as_deref()
                    .map(|r| format!(" [{r}]"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:<36} {:<8} {:<4} {}{runbook}",
                    rule.id,
                    rule.severity.as_str(),
                    on_by_default(rule),
                    rule.summary
                );
            }
            out
        }
    }
}

fn on_by_default(rule: &Rule) -> &'static str {
    if rule.on_by_default { "yes" } else { "no" }
}

/// The README's table: one row per rule, with whether it runs without `rules.enable`.
pub fn table(rules: &RuleSet) -> String {
    let mut out =
        String::from("| rule | severity | on by default | what it catches |\n|---|---|---|---|\n");
    for rule in rules.rules() {
        let runbook = rule
            .runbook
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| [`{id}`](docs/rules.md#{id}) | {} | {} | {}{runbook} |",
            rule.severity.as_str(),
            on_by_default(rule),
            rule.summary,
            id = rule.id
        );
    }
    out
}

/// `kubelint explain RULE`: the rule's docs with one bad and one good case, as in
/// `docs/rules.md`.
pub fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    section(rule, &mut out);
    if !rule.on_by_default {
        let _ = writeln!(
            out,
            "\nOff by default: turn it on with `rules: {{ enable: [{}] }}` in .kubelint.yaml.",
            rule.id
        );
    }
    out.trim_start().to_string()
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
        "\n## {}\n\n{}\n\n- severity: `{}`\n- on by default: {}\n",
        rule.id,
        rule.summary,
        rule.severity.as_str(),
        on_by_default(rule)
    );
    if let Some(runbook) = &rule.runbook {
        let _ = writeln!(out, "- from incident: {runbook}");
    }
    let _ = writeln!(out, "- source: [`{0}`](../{0})", rule.source);
    for (title, unsafe_because) in rule.fixes() {
        match unsafe_because {
            None => writeln!(out, "- fix (`--fix`): {title}"),
            Some(why) => writeln!(
                out,
                "- unsafe fix (`--fix --unsafe-fixes`): {title}; unsafe because {why}"
            ),
        }
        .unwrap_or_default();
    }
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
