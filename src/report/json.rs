//! `--format json`: a list of findings in a stable, documented shape (see README).

use std::io::{self, Write};

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
    file: &'f str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
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
    file: &'f str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
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
    file: &'f str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
    text: &'f str,
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
        .map(|edit| {
            let file = &sources[edit.origin.file];
            let span = edit.origin.range();
            let (start, end) = (file.position(span.start), file.position(span.end));
            JsonEdit {
                file: &file.path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                offset: file.disk_offset(span.start),
                length: file.disk_offset(span.end) - file.disk_offset(span.start),
                text: &edit.text,
            }
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
        .map(|f| {
            let file = &sources[f.origin.file];
            let span = f.span();
            let start = file.position(span.start);
            let end = file.position(span.end);
            JsonFinding {
                rule: &f.rule,
                severity: f.severity.as_str(),
                message: &f.message,
                help: f.help.as_deref(),
                url: f.url.as_deref(),
                file: &file.path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                // Offsets in the file's bytes on disk, whatever its encoding.
                offset: file.disk_offset(span.start),
                length: file.disk_offset(span.end) - file.disk_offset(span.start),
                object: f.object.as_ref().map(|o| JsonObject {
                    kind: &o.kind,
                    name: o.name.as_deref(),
                    namespace: o.namespace.as_deref(),
                }),
                environments: f.envs.iter().map(|e| &**e).collect(),
                related: f
                    .related
                    .iter()
                    .map(|r| {
                        let file = &sources[r.origin.file];
                        let start = file.position(r.origin.start as usize);
                        let end = file.position(r.origin.end as usize);
                        JsonRelated {
                            file: &file.path,
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            message: &r.message,
                        }
                    })
                    .collect(),
                policy: f.policy.as_deref(),
                fix: f.fix.as_ref().map(|fix| json_fix(fix, sources)),
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::from)?;
    writeln!(out)
}
