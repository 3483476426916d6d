//! `--format json`: a list of findings in a stable, documented shape (see README).

use std::io::{self, Write};
use std::ops::Range;

use serde::Serialize;

use crate::finding::{Finding, Fix};
use crate::source::Sources;

#[derive(Serialize)]
struct JsonFinding<'f> {
    rule: &'f str,
    severity: &'static str,
    message: &'f str,
    help: Option<&'f str>,
    url: Option<&'f str>,
    #[serde(flatten)]
    place: JsonPlace<'f>,
    object: Option<JsonObject<'f>>,
    /// The environments the finding holds in: more than one for a base line that two
    /// overlays deploy; none for a file no environment names.
    environments: Vec<&'f str>,
    /// The other places involved: the base line a patch overrode, the values file that set
    /// another part of the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'f>>,
    /// For `admission-policy`: the ValidatingAdmissionPolicy whose validation fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'f str>,
    /// The fix `--fix` would apply (or, if unsafe, `--unsafe-fixes`); null without one.
    fix: Option<JsonFix<'f>>,
}

#[derive(Serialize)]
struct JsonRelated<'f> {
    #[serde(flatten)]
    place: JsonPlace<'f>,
    message: &'f str,
}

#[derive(Serialize)]
struct JsonFix<'f> {
    title: &'f str,
    applicability: &'static str,
    edits: Vec<JsonEdit<'f>>,
}

/// One edit: the bytes at `file:line:column` to `end_line:end_column` (offset and length on
/// disk) become `text`; an empty range is an insertion.
#[derive(Serialize)]
struct JsonEdit<'f> {
    #[serde(flatten)]
    place: JsonPlace<'f>,
    text: &'f str,
}

/// Where a finding, a related location or an edit is: `file:line:column` to
/// `end_line:end_column`, and the same bytes as an offset and length in the file on disk,
/// whatever its encoding.
#[derive(Serialize)]
struct JsonPlace<'f> {
    file: &'f str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
}

impl<'f> JsonPlace<'f> {
    fn new(sources: &'f Sources, file: crate::source::FileId, span: Range<usize>) -> Self {
        let source = &sources[file];
        let (start, end) = (source.position(span.start), source.position(span.end));
        let offset = source.disk_offset(span.start);
        JsonPlace {
            file: &source.path,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            offset,
            length: source.disk_offset(span.end) - offset,
        }
    }
}

#[derive(Serialize)]
struct JsonObject<'f> {
    kind: &'f str,
    name: Option<&'f str>,
    namespace: Option<&'f str>,
}

fn json_fix<'f>(fix: &'f Fix, sources: &'f Sources) -> JsonFix<'f> {
    let edits = fix
        .edits
        .iter()
        .map(|edit| JsonEdit {
            place: JsonPlace::new(sources, edit.origin.file, edit.origin.range()),
            text: &edit.text,
        })
        .collect();
    JsonFix {
        title: &fix.title,
        applicability: fix.applicability.as_str(),
        edits,
    }
}

pub fn write(findings: &[Finding], sources: &Sources, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| JsonFinding {
            rule: &f.rule,
            severity: f.severity.as_str(),
            message: &f.message,
            help: f.help.as_deref(),
            url: f.url.as_deref(),
            place: JsonPlace::new(sources, f.origin.file, f.span()),
            object: f.object.as_ref().map(|o| JsonObject {
                kind: &o.kind,
                name: o.name.as_deref(),
                namespace: o.namespace.as_deref(),
            }),
            environments: f.envs.iter().map(|e| &**e).collect(),
            related: f
                .related
                .iter()
                .map(|r| JsonRelated {
                    place: JsonPlace::new(sources, r.origin.file, r.origin.range()),
                    message: &r.message,
                })
                .collect(),
            policy: f.policy.as_deref(),
            fix: f.fix.as_ref().map(|fix| json_fix(fix, sources)),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::from)?;
    writeln!(out)
}
