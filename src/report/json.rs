//! `--format json`: a list of findings in a stable, documented shape (see README).

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Finding;

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
}

#[derive(Serialize)]
struct JsonObject<'f> {
    kind: &'f str,
    name: Option<&'f str>,
    namespace: Option<&'f str>,
}

pub fn write(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| {
            let start = f.file.position(f.span.start);
            let end = f.file.position(f.span.end);
            JsonFinding {
                rule: &f.rule,
                severity: f.severity.as_str(),
                message: &f.message,
                help: f.help.as_deref(),
                url: f.url.as_deref(),
                file: &f.file.path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                offset: f.span.start,
                length: f.span.len(),
                object: f.object.as_ref().map(|o| JsonObject {
                    kind: &o.kind,
                    name: o.name.as_deref(),
                    namespace: o.namespace.as_deref(),
                }),
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::from)?;
    writeln!(out)
}
