//! Findings as LSP diagnostics: the rule id as the code, its documentation as the code's
//! link, and the places in other files a finding refers to as related information.

use std::path::Path;
use std::str::FromStr;

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Uri,
};

use crate::finding::{Finding, Severity};
use crate::rules::RuleSet;
use crate::source::Sources;

use super::convert::{self, Encoding};

pub const SOURCE: &str = "kubelint";

/// One finding as a diagnostic of the file it is in.
pub fn diagnostic(
    finding: &Finding,
    sources: &Sources,
    rules: &RuleSet,
    cwd: &Path,
    encoding: Encoding,
) -> Diagnostic {
    let file = &sources[finding.origin.file];
    let url = finding
        .url
        .clone()
        .or_else(|| rules.get(&finding.rule).map(|rule| rule.url.clone()));
    let message = match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|related| {
            let path = convert::source_path(sources, related.origin.file, cwd);
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: convert::uri_of(&path)?,
                    range: convert::range(&sources[related.origin.file], related.origin, encoding),
                },
                message: related.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range: convert::range(file, finding.origin, encoding),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule.to_string())),
        code_description: url
            .and_then(|url| Uri::from_str(&url).ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}
