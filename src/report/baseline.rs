//! Baselines: today's findings recorded, so a team adopting kubelint sees only new ones.
//!
//! An entry is keyed by rule, repository-relative file, object (`Kind/namespace/name`) and a
//! fingerprint: a hash of the rule, the object and the finding's node text with whitespace
//! collapsed, plus an occurrence counter for identical nodes. Line numbers play no part, so
//! lines moving above a finding keep it hidden; editing the node itself makes it new. SARIF's
//! `partialFingerprints` carry the same fingerprint, so code scanning tracks a finding the
//! same way across commits.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::finding::Finding;
use crate::source::Sources;

/// The format of the file, so a later kubelint can read or refuse an older one.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    /// Relative to the repository root (the config's folder), `/` separators.
    pub file: String,
    /// `Kind/namespace/name`, with empty parts where the object has none.
    pub object: Option<String>,
    pub fingerprint: String,
    /// For the people reading the file; not part of the key.
    pub message: String,
}

impl Entry {
    /// Rule, file, object and fingerprint: what makes two entries the same finding.
    fn key(&self) -> String {
        let object = self.object.as_deref().unwrap_or_default();
        format!(
            "{}\0{}\0{object}\0{}",
            self.rule, self.file, self.fingerprint
        )
    }
}

/// The fingerprint of every finding, in the findings' order. Findings must come in the
/// reports' order (file, position, rule), which makes occurrence counters stable.
pub fn fingerprints(findings: &[Finding], sources: &Sources) -> Vec<String> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let file = &sources[finding.origin.file];
            let node = file.text.get(finding.span()).unwrap_or_default();
            let node = if node.trim().is_empty() {
                // A point (a missing key's parent, a broken document's end): its line.
                let line = file.line_index(finding.origin.start as usize);
                file.text.get(file.line_range(line)).unwrap_or_default()
            } else {
                node
            };
            let normalised = node.split_whitespace().collect::<Vec<_>>().join(" ");
            let identity = format!(
                "{}\0{}\0{normalised}",
                finding.rule,
                object_key(finding).unwrap_or_default()
            );
            let counter = seen
                .entry((file.path.clone(), identity.clone()))
                .or_insert(0);
            let occurrence = *counter;
            *counter += 1;
            let hash = Sha256::digest(format!("{identity}\0{occurrence}").as_bytes());
            hash[..16].iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

fn object_key(finding: &Finding) -> Option<String> {
    finding.object.as_ref().map(|o| {
        format!(
            "{}/{}/{}",
            o.kind,
            o.namespace.as_deref().unwrap_or_default(),
            o.name.as_deref().unwrap_or_default()
        )
    })
}

/// The baseline of a run's findings, in a stable order.
pub fn record(findings: &[Finding], sources: &Sources, config: &Config) -> Baseline {
    let mut entries = entries(findings, sources, config);
    entries.sort();
    Baseline {
        version: VERSION,
        findings: entries,
    }
}

pub fn write(path: &Path, baseline: &Baseline) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(baseline).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

pub fn read(path: &Path) -> Result<Baseline, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let baseline: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{shown}:{}:{}: {e}", e.line(), e.column()))?;
    if baseline.version != VERSION {
        return Err(format!(
            "{shown}:1:1: baseline version {} is not {VERSION}; rewrite it with --write-baseline",
            baseline.version
        ));
    }
    Ok(baseline)
}

/// The findings the baseline does not hold, and how many it hid. Each entry hides one
/// finding, so a second copy of a recorded problem shows.
pub fn filter(
    findings: Vec<Finding>,
    sources: &Sources,
    config: &Config,
    baseline: &Baseline,
) -> (Vec<Finding>, usize) {
    let mut budget: HashMap<String, usize> = HashMap::new();
    for entry in &baseline.findings {
        *budget.entry(entry.key()).or_insert(0) += 1;
    }
    let current = entries(&findings, sources, config);
    let mut hidden = 0;
    let kept = findings
        .into_iter()
        .zip(current)
        .filter(|(_, entry)| match budget.get_mut(&entry.key()) {
            Some(left) if *left > 0 => {
                *left -= 1;
                hidden += 1;
                false
            }
            _ => true,
        })
        .map(|(finding, _)| finding)
        .collect();
    (kept, hidden)
}

/// The entry of each finding, in the findings' order.
fn entries(findings: &[Finding], sources: &Sources, config: &Config) -> Vec<Entry> {
    findings
        .iter()
        .zip(fingerprints(findings, sources))
        .map(|(finding, fingerprint)| Entry {
            rule: finding.rule.to_string(),
            file: config.relative(Path::new(&sources[finding.origin.file].path)),
            object: object_key(finding),
            fingerprint,
            message: finding.message.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{finding, sources};

    #[test]
    fn fingerprints_ignore_lines_moving_and_count_identical_nodes() {
        let first = finding("f.yaml", "a: x\nb: x\n", 3..4);
        let second = finding("f.yaml", "a: x\nb: x\n", 8..9);
        let moved = finding("f.yaml", "# new\n\na: x\nb: x\n", 10..11);
        let sources = sources();
        let prints = fingerprints(&[first, second], &sources);
        assert_ne!(
            prints[0], prints[1],
            "the occurrence counter tells them apart"
        );
        assert_eq!(fingerprints(&[moved], &sources)[0], prints[0]);
    }
}
