//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request's diff, and a Markdown table for the job's summary page.
//!
//! Escaping follows `@actions/core` (`command.ts`) exactly: the runner decodes those escapes
//! and nothing else, so a message holding `%`, `,`, `:` or a newline arrives intact.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::source::Sources;

/// Rows of the step summary; GitHub caps a summary at 1 MiB and nobody reads row 501.
const SUMMARY_ROWS: usize = 500;

/// One command per finding, then the summary line as plain log text.
pub fn write(
    findings: &[Finding],
    sources: &Sources,
    summary: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    for finding in findings {
        writeln!(out, "{}", command(finding, sources))?;
    }
    writeln!(out, "{summary}")
}

/// `::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=RULE::MESSAGE`.
fn command(finding: &Finding, sources: &Sources) -> String {
    let name = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let file = &sources[finding.origin.file];
    let start = file.position(finding.span().start);
    let end = file.position(finding.span().end);
    let mut properties = vec![
        ("file", file.path.clone()),
        ("line", start.line.to_string()),
    ];
    // Annotations only take columns on a single line; GitHub drops or rejects the rest.
    if start.line == end.line {
        properties.push(("col", start.column.to_string()));
    }
    properties.push(("endLine", end.line.to_string()));
    if start.line == end.line {
        properties.push(("endColumn", end.column.to_string()));
    }
    properties.push(("title", finding.rule.to_string()));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// `escapeData` of `@actions/core`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `escapeProperty` of `@actions/core`: data escapes plus the property separators.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY`, as every step of a job shares it.
pub fn append_step_summary(
    path: &Path,
    findings: &[Finding],
    sources: &Sources,
    summary: &str,
) -> io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(step_summary(findings, sources, summary).as_bytes())
}

/// A heading, the summary line and a table of the first [`SUMMARY_ROWS`] findings.
fn step_summary(findings: &[Finding], sources: &Sources, summary: &str) -> String {
    let mut text = format!("## kubelint\n\n{summary}\n\n");
    if findings.is_empty() {
        return text;
    }
    text.push_str("| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
    for finding in findings.iter().take(SUMMARY_ROWS) {
        let file = &sources[finding.origin.file];
        let at = file.position(finding.span().start);
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "| {} | {} | {}:{}:{} | {} |",
            finding.severity.as_str(),
            cell(&finding.rule),
            cell(&file.path),
            at.line,
            at.column,
            cell(&finding.message)
        );
    }
    if findings.len() > SUMMARY_ROWS {
        let _ = writeln!(text, "\n… and {} more", findings.len() - SUMMARY_ROWS);
    }
    text.push('\n');
    text
}

/// A table cell: a `|` would end the cell and a line break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{finding, sources};

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(escape_data("100% a,b: c\r\nd"), "100%25 a,b: c%0D%0Ad");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
    }

    #[test]
    fn a_finding_is_one_command_with_its_span_title_and_help() {
        let mut f = finding("k8s/a,b.yaml", "a: 1\nimage: redis\n", 12..17);
        f.help = Some("use a mirror: 50% faster".into());
        assert_eq!(
            command(&f, &sources()),
            "::error file=k8s/a%2Cb.yaml,line=2,col=8,endLine=2,endColumn=13,title=yaml-syntax\
             ::the file is not valid YAML%0Ahelp: use a mirror: 50%25 faster"
        );
    }

    #[test]
    fn warnings_and_infos_use_their_own_commands() {
        let mut f = finding("a.yaml", "a: 1\n", 0..1);
        f.severity = Severity::Warning;
        assert!(command(&f, &sources()).starts_with("::warning "));
        f.severity = Severity::Info;
        assert!(command(&f, &sources()).starts_with("::notice "));
    }

    #[test]
    fn a_span_over_several_lines_has_no_columns() {
        let f = finding("a.yaml", "a:\n  b: 1\n", 0..9);
        assert_eq!(
            command(&f, &sources()),
            "::error file=a.yaml,line=1,endLine=2,title=yaml-syntax::the file is not valid YAML"
        );
    }

    #[test]
    fn the_summary_table_escapes_pipes_and_line_breaks() {
        let mut f = finding("a.yaml", "a: 1\n", 0..1);
        f.message = "`a|b`\nnext".into();
        assert_eq!(
            step_summary(&[f], &sources(), "1 error"),
            "## kubelint\n\n1 error\n\n\
             | Severity | Rule | Location | Message |\n|---|---|---|---|\n\
             | error | yaml-syntax | a.yaml:1:1 | `a\\|b` next |\n\n"
        );
    }

    #[test]
    fn the_summary_table_is_capped() {
        let findings = vec![finding("a.yaml", "a: 1\n", 0..1); SUMMARY_ROWS + 3];
        let text = step_summary(&findings, &sources(), "many");
        assert_eq!(text.matches("| error |").count(), SUMMARY_ROWS);
        assert!(text.ends_with("\n… and 3 more\n\n"));
    }

    #[test]
    fn no_findings_means_no_table() {
        assert_eq!(
            step_summary(&[], &sources(), "0 errors"),
            "## kubelint\n\n0 errors\n\n"
        );
    }

    #[test]
    fn the_summary_is_appended_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "earlier step\n").unwrap();
        append_step_summary(&path, &[], &sources(), "0 errors").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "earlier step\n## kubelint\n\n0 errors\n\n");
    }
}
