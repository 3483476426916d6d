//! `Chart.yaml` as `helm lint` reads it: apiVersion v2, a name, a strict SemVer 2 version,
//! and dependencies that say which version of which repository they are.

use crate::finding::Finding;
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
            Some(v) if v.as_text() == Some("v1") => problems.push((
                v.origin(),
                "apiVersion v1 is a Helm 2 chart; Helm 3 and 4 charts are `apiVersion: v2` (dependencies move from requirements.yaml into Chart.yaml)".into(),
            )),
            Some(v) => problems.push((v.origin(), format!("unknown chart apiVersion `{}`; use v2", shown(v)))),
        }
        match root.get("name") {
            Some(v) if v.as_text().is_some_and(|t| !t.is_empty()) => {}
            Some(v) => problems.push((v.origin(), "the chart's `name` is empty".into())),
            None => missing.push("name"),
        }
        match root.get("version") {
            None => missing.push("version"),
            Some(v) => {
                if let Err(e) = semver::Version::parse(v.as_text().unwrap_or("")) {
                    problems.push((
                        v.origin(),
                        format!(
                            "chart version `{}` is not SemVer 2 ({e}); helm refuses to package it",
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
    problems
        .into_iter()
        .filter_map(|(origin, message)| rules.builtin_finding(RULE, origin, message))
        .collect()
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
