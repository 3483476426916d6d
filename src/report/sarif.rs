//! `--format sarif`: SARIF 2.1.0, the format code-scanning dashboards import.
//!
//! Choices made for those consumers (GitHub code scanning above all):
//! - every rule of the run is described, so a dashboard has docs for rules that did not fire;
//! - columns count characters like every other format, which SARIF only reads correctly with
//!   `columnKind: unicodeCodePoints` on the run (its default is UTF-16 code units);
//! - paths are URIs relative to `%SRCROOT%`, so results resolve wherever the repository is
//!   checked out; `originalUriBaseIds` records where it was checked out for this run.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Location, Message,
    MultiformatMessageString, PhysicalLocation, Region, Replacement, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, ToolComponent,
};

use crate::finding::{Finding, Fix, Severity};
use crate::rules::{Rule, RuleSet};
use crate::source::{Origin, Sources};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/kubelint/kubelint";
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key of kubelint's fingerprint, versioned as the baseline is.
const FINGERPRINT: &str = "kubelint/v1";

/// Writes one SARIF log with one run. `root` is the folder finding paths are relative to.
pub fn write(
    findings: &[Finding],
    sources: &Sources,
    rules: &RuleSet,
    root: Option<&Path>,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(findings, sources, rules, root))
        .map_err(io::Error::from)?;
    writeln!(out)
}

fn log(findings: &[Finding], sources: &Sources, rules: &RuleSet, root: Option<&Path>) -> Sarif {
    let index: HashMap<&str, usize> = rules
        .rules()
        .iter()
        .enumerate()
        .map(|(i, rule)| (&*rule.id, i))
        .collect();
    let driver = ToolComponent::builder()
        .name("kubelint")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules.rules().iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let fingerprints = super::baseline::fingerprints(findings, sources);
    let results: Vec<SarifResult> = findings
        .iter()
        .zip(fingerprints)
        .map(|(f, fingerprint)| {
            let mut result = result(f, sources, index.get(&*f.rule).copied());
            // The baseline's fingerprint, so code scanning follows a finding as lines move.
            result.partial_fingerprints = Some([(FINGERPRINT.to_string(), fingerprint)].into());
            result
        })
        .collect();
    let mut run = Run::builder()
        .tool(driver)
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();
    run.original_uri_base_ids = root.map(|root| {
        let base = ArtifactLocation::builder()
            .uri(file_uri(&root.to_string_lossy(), true))
            .build();
        [(SRCROOT.to_string(), base)].into()
    });
    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let about = rule
        .description
        .as_deref()
        .unwrap_or(&rule.summary)
        .trim_end();
    let help = MultiformatMessageString::builder()
        .text(format!("{about}\n\nDocumentation: {}", rule.url))
        .markdown(format!("{about}\n\n[Documentation]({})", rule.url))
        .build();
    let mut descriptor = ReportingDescriptor::builder()
        .id(rule.id.to_string())
        .short_description(text(&rule.summary))
        .help(help)
        .help_uri(rule.url.clone())
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(rule.severity).to_string()))
                .build(),
        )
        .build();
    descriptor.full_description = rule.description.as_deref().map(|d| text(d.trim_end()));
    descriptor
}

fn text(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn result(finding: &Finding, sources: &Sources, rule_index: Option<usize>) -> SarifResult {
    // The finding's own help names the fix for this occurrence; the rule's help is generic.
    let message = match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    };
    let mut result = SarifResult::builder()
        .rule_id(finding.rule.to_string())
        .level(level(finding.severity))
        .message(Message::builder().text(message).build())
        .locations(vec![location(sources, finding.origin)])
        .build();
    result.rule_index = rule_index.map(int);
    if !finding.related.is_empty() {
        let related = finding.related.iter().enumerate().map(|(i, related)| {
            let mut at = location(sources, related.origin);
            at.id = Some(int(i + 1));
            at.message = Some(Message::builder().text(related.message.as_str()).build());
            at
        });
        result.related_locations = Some(related.collect());
    }
    result.fixes = finding
        .fix
        .as_ref()
        .map(|fix| vec![sarif_fix(sources, fix)]);
    result
}

/// A fix as SARIF describes one: per file, the regions replaced and the text put there (an
/// empty region is an insertion), in order.
fn sarif_fix(sources: &Sources, fix: &Fix) -> SarifFix {
    let mut changes: Vec<ArtifactChange> = Vec::new();
    for (index, edit) in fix.edits.iter().enumerate() {
        let replacement = Replacement::builder()
            .deleted_region(region(sources, edit.origin))
            .inserted_content(ArtifactContent::builder().text(edit.text.as_str()).build())
            .build();
        let same_file = index > 0 && fix.edits[index - 1].origin.file == edit.origin.file;
        match changes.last_mut() {
            Some(change) if same_file => change.replacements.push(replacement),
            _ => changes.push(
                ArtifactChange::builder()
                    .artifact_location(artifact(&sources[edit.origin.file].path))
                    .replacements(vec![replacement])
                    .build(),
            ),
        }
    }
    SarifFix::builder()
        .description(Message::builder().text(fix.title.as_str()).build())
        .artifact_changes(changes)
        .build()
}

fn region(sources: &Sources, origin: Origin) -> Region {
    let file = &sources[origin.file];
    let start = file.position(origin.range().start);
    let end = file.position(origin.range().end);
    Region::builder()
        .start_line(int(start.line))
        .start_column(int(start.column))
        .end_line(int(end.line))
        .end_column(int(end.column))
        .build()
}

fn location(sources: &Sources, origin: Origin) -> Location {
    let physical = PhysicalLocation::builder()
        .artifact_location(artifact(&sources[origin.file].path))
        .region(region(sources, origin))
        .build();
    Location::builder().physical_location(physical).build()
}

/// A relative path is resolved against `%SRCROOT%`; an absolute one (a file named outside the
/// working folder) is a `file:` URI of its own.
fn artifact(path: &str) -> ArtifactLocation {
    if is_absolute(path) {
        ArtifactLocation::builder()
            .uri(file_uri(path, false))
            .build()
    } else {
        ArtifactLocation::builder()
            .uri(encode(path, false))
            .uri_base_id(SRCROOT)
            .build()
    }
}

/// `/…`, or on Windows `C:/…` (display paths use `/`); elsewhere `a:/b` is a relative path.
fn is_absolute(path: &str) -> bool {
    let drive = |b: &[u8]| b.len() > 2 && b[0].is_ascii_alphabetic() && &b[1..3] == b":/";
    path.starts_with('/') || (cfg!(windows) && drive(path.as_bytes()))
}

/// `file:///abs/path` (a folder gets the trailing slash that makes it a base), Windows
/// drive paths included (`file:///C:/work/`).
fn file_uri(path: &str, folder: bool) -> String {
    let path = path.replace('\\', "/");
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&encode(&path, true));
    if folder && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Percent-encodes everything a URI path may not hold as is (RFC 3986 `pchar` plus `/`).
/// `:` is encoded unless `keep_colon`: in a relative reference a colon in the first segment
/// would read as a scheme.
fn encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=@/".contains(&byte)
            || (keep_colon && byte == b':');
        if plain {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// SARIF integers are `i64`; no line or column of a readable file comes near its limit.
fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{finding, rules};

    fn log_json(findings: &[Finding], root: Option<&Path>) -> serde_json::Value {
        let mut out = Vec::new();
        let sources = crate::report::fixture::sources();
        write(findings, &sources, &rules(), root, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn paths_are_percent_encoded_relative_uris_under_srcroot() {
        let f = finding("k8s/my app/日本#1.yaml", "a: 1\n", 0..1);
        let log = log_json(&[f], None);
        let artifact =
            &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], "k8s/my%20app/%E6%97%A5%E6%9C%AC%231.yaml");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    }

    #[test]
    fn a_colon_in_a_relative_path_is_encoded_so_it_cannot_read_as_a_scheme() {
        assert_eq!(encode("c:x.yaml", false), "c%3Ax.yaml");
    }

    #[test]
    fn srcroot_is_the_file_uri_of_the_root_folder_with_a_trailing_slash() {
        let log = log_json(&[], Some(Path::new("/home/me/my repo")));
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///home/me/my%20repo/"
        );
        assert_eq!(file_uri("C:/work", true), "file:///C:/work/");
    }

    #[test]
    fn absolute_paths_are_file_uris_without_a_base() {
        let artifact = artifact("/tmp/a b.yaml");
        assert_eq!(artifact.uri.as_deref(), Some("file:///tmp/a%20b.yaml"));
        assert_eq!(artifact.uri_base_id, None);
    }

    #[test]
    fn regions_count_characters_and_the_run_says_so() {
        let text = "name: 日本\nimage: redis\n";
        let start = text.find("redis").unwrap();
        let log = log_json(&[finding("a.yaml", text, start..start + 5)], None);
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            region,
            &json!({"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 13})
        );
    }

    #[test]
    fn every_rule_is_described_and_results_point_at_their_index() {
        let set = rules();
        let log = log_json(&[finding("a.yaml", "a: 1\n", 0..1)], None);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "kubelint");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let described = driver["rules"].as_array().unwrap();
        assert_eq!(described.len(), set.rules().len());
        let result = &log["runs"][0]["results"][0];
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(described[index]["id"], result["ruleId"]);
        assert_eq!(
            described[index]["defaultConfiguration"]["level"],
            result["level"]
        );
        assert!(
            described[index]["helpUri"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
    }

    #[test]
    fn a_fix_is_a_sarif_fix_of_replacements_per_file() {
        let mut f = finding("a.yaml", "a: true\n", 3..7);
        f.fix = Some(Fix {
            title: "set a: false".into(),
            applicability: crate::finding::Applicability::Safe,
            edits: vec![crate::finding::Edit {
                origin: f.origin,
                text: "false".into(),
            }],
        });
        let log = log_json(&[f], None);
        let fix = &log["runs"][0]["results"][0]["fixes"][0];
        assert_eq!(fix["description"]["text"], "set a: false");
        let change = &fix["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "a.yaml");
        let replacement = &change["replacements"][0];
        assert_eq!(
            replacement["deletedRegion"],
            json!({"startLine": 1, "startColumn": 4, "endLine": 1, "endColumn": 8})
        );
        assert_eq!(replacement["insertedContent"]["text"], "false");
    }

    #[test]
    fn info_is_a_note() {
        assert_eq!(level(Severity::Info), ResultLevel::Note);
    }

    #[test]
    fn related_spans_become_related_locations_with_their_message() {
        let mut f = finding("a.yaml", "a: 1\na: 2\n", 5..6);
        f.related.push(crate::finding::Related {
            origin: crate::source::Origin::new(f.origin.file, 0..1),
            message: "first defined here".into(),
        });
        let log = log_json(&[f], None);
        let related = &log["runs"][0]["results"][0]["relatedLocations"][0];
        assert_eq!(related["message"]["text"], "first defined here");
        assert_eq!(related["physicalLocation"]["region"]["startLine"], 1);
    }
}
