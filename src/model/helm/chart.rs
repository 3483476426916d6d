//! `Chart.yaml` as `helm lint` reads it: apiVersion v2, a name, a strict SemVer 2 version,
//! and dependencies that say which version of which repository they are.

use crate::finding::{Finding, Severity};
use crate::model::ParsedFile;
use crate::rules::RuleSet;
use crate::source::Origin;
use crate::yaml::Node;

pub const RULE: &str = "helm-chart-yaml";

/// Every problem of one `Chart.yaml`, each at the node to edit (or the key's parent when
/// the key is missing).
pub fn check(file: &ParsedFile, rules: &RuleSet) -> Vec<Finding> {
    let Some(doc) = file.stream.documents.first() else {
        return Vec::new();
    };
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let mut problems: Vec<(Origin, String)> = Vec::new();
    let mut v1 = None;
    if !root.is_mapping() {
        problems.push((
            root.origin(),
            "Chart.yaml is a mapping of chart fields".into(),
        ));
    } else {
        // Findings at one place merge, so every missing key is named in one message.
        let mut missing: Vec<&str> = Vec::new();
        match root.get("apiVersion") {
            None => missing.push("apiVersion"),
            Some(v) if v.as_text() == Some("v2") => {}
            Some(v) if v.as_text() == Some("v1") => v1 = Some(v.origin()),
            Some(v) => problems.push((
                v.origin(),
                format!("unknown chart apiVersion `{}`; use v2", shown(v)),
            )),
        }
        match root.get("name") {
            Some(v) if v.as_text().is_some_and(|t| !t.is_empty()) => {}
            Some(v) => problems.push((v.origin(), "the chart's `name` is empty".into())),
            None => missing.push("name"),
        }
        match root.get("version") {
            None => missing.push("version"),
            Some(v) => {
                if let Err(e) = helm_semver(v.as_text().unwrap_or("")) {
                    problems.push((
                        v.origin(),
                        format!(
                            "chart version `{}` is not SemVer ({e}); helm refuses to install it",
                            shown(v)
                        ),
                    ));
                }
            }
        }
        if !missing.is_empty() {
            let message = format!("Chart.yaml has no {}", listed(&missing));
            problems.push((root.origin().point(), message));
        }
        for dependency in root.get("dependencies").into_iter().flat_map(|d| d.items()) {
            let which = dependency.text("name").map_or_else(
                || "a dependency".to_string(),
                |n| format!("dependency `{n}`"),
            );
            let absent: Vec<&str> = ["name", "version", "repository"]
                .into_iter()
                .filter(|key| dependency.text(key).is_none_or(str::is_empty))
                .collect();
            if !absent.is_empty() {
                let message = format!("{which} has no {}", listed(&absent));
                problems.push((dependency.origin().point(), message));
            }
        }
    }
    let mut findings: Vec<Finding> = problems
        .into_iter()
        .filter_map(|(origin, message)| rules.builtin_finding(RULE, origin, message))
        .collect();
    // Helm 3 and 4 still install v1 charts, so the old format is a warning, not an error.
    let message = "apiVersion v1 is the Helm 2 chart format, which Helm 3 and 4 still read: use `apiVersion: v2`, with dependencies in Chart.yaml rather than requirements.yaml";
    findings.extend(
        v1.and_then(|origin| rules.builtin_finding(RULE, origin, message.into()))
            .map(|f| Finding {
                severity: f.severity.min(Severity::Warning),
                ..f
            }),
    );
    findings
}

/// A version as Helm reads it (Masterminds semver): SemVer 2, where a leading `v` and a
/// missing minor or patch (`1.2`) are allowed.
fn helm_semver(text: &str) -> Result<semver::Version, semver::Error> {
    let bare = text.strip_prefix('v').unwrap_or(text);
    let core_end = bare.find(['-', '+']).unwrap_or(bare.len());
    let (core, rest) = bare.split_at(core_end);
    let padding = ".0".repeat(3usize.saturating_sub(core.split('.').count()));
    semver::Version::parse(&format!("{core}{padding}{rest}"))
}

fn listed(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(node: Node<'_>) -> String {
    node.as_str().unwrap_or("…").chars().take(64).collect()
}
