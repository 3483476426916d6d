//! Human output: miette's source snippets with the span labelled, rule id, help and link.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::finding::{Finding, Severity};
use crate::source::{SourceFile, Sources};

/// A span further than this into its line is shown in a window of the line around it, not
/// the whole line: a snippet of a 32 MB one-line file then costs what a short line costs, and
/// miette cannot draw columns past 65,535.
const LONG_LINE: usize = 240;
/// Bytes of a long line shown on each side of the span.
const WINDOW: usize = 60;
/// Longer spans are underlined over their first bytes only, so the window stays small.
const MAX_LABEL: usize = 120;

/// miette reads snippets through the file's own line index instead of rescanning the text.
struct Snippet<'f>(&'f SourceFile);

impl SourceCode for Snippet<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let file = self.0;
        let (offset, end) = (span.offset(), span.offset() + span.len());
        if end > file.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = file.line_index(offset);
        let last_line = file.line_index(end.saturating_sub(1).max(offset));
        let head = file.line_range(first_line).start;
        let tail = file.line_range(last_line).end.max(end);
        // Context lines are shown only while the span's own lines are shown whole.
        let (first, start) = if offset - head > LONG_LINE {
            (first_line, floor_char_boundary(&file.text, offset - WINDOW))
        } else {
            let first = first_line.saturating_sub(before);
            (first, file.line_range(first).start)
        };
        let (last, stop) = if tail - end > LONG_LINE {
            (last_line, ceil_char_boundary(&file.text, end + WINDOW))
        } else {
            let last = (last_line + after).min(file.line_count() - 1);
            (last, file.line_range(last).end.max(start))
        };
        // The primary label's own read names its position in the snippet's header.
        let start = if before == 0 && after == 0 {
            offset
        } else {
            start
        };
        // A span at a line break starts after the end of its line's text.
        let stop = stop.max(start);
        let column = if start == head {
            0
        } else {
            file.position(start).column - 1
        };
        Ok(Box::new(MietteSpanContents::new_named(
            file.path.clone(),
            &file.text.as_bytes()[start..stop],
            (start, stop - start).into(),
            first,
            column,
            last - first + 1,
        )))
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// A label over at most the first `MAX_LABEL` bytes of a span.
fn label_span(file: &SourceFile, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let end = if span.len() > MAX_LABEL {
        ceil_char_boundary(&file.text, span.start + MAX_LABEL)
    } else {
        span.end
    };
    span.start..end
}

struct Human<'f> {
    finding: &'f Finding,
    /// The file the finding is in.
    file: &'f SourceFile,
    /// Labels of related locations in the finding's own file; those elsewhere are listed
    /// after the snippet, each at its own path and position.
    related_here: Vec<&'f crate::finding::Related>,
    /// `None` when the file holds control characters: printing them raw could drive the
    /// terminal (escape sequences), so such files get positions without snippets.
    snippet: Option<Snippet<'f>>,
}

impl fmt::Debug for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Human<'_> {}

impl Diagnostic for Human<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&*self.finding.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.finding
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.finding
            .url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = self.file;
        let main = LabeledSpan::new_primary_with_span(
            Some(self.finding.rule.to_string()),
            label_span(file, &self.finding.span()),
        );
        let related = self.related_here.iter().map(|r| {
            LabeledSpan::new_with_span(Some(r.message.clone()), label_span(file, &r.origin.range()))
        });
        Some(Box::new(std::iter::once(main).chain(related)))
    }
}

/// Writes each finding as a snippet, then the summary line.
pub fn write(
    findings: &[Finding],
    sources: &Sources,
    summary: &str,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let mut shown: Option<(&str, bool)> = None;
    for finding in findings {
        let file = &sources[finding.origin.file];
        let position = file.position(finding.span().start);
        // Findings come sorted by file, so each file is scanned once.
        let printable = match shown {
            Some((path, printable)) if path == file.path => printable,
            _ => {
                let printable = !has_control_characters(&file.text);
                shown = Some((&file.path, printable));
                printable
            }
        };
        let (related_here, elsewhere): (Vec<_>, Vec<_>) = finding
            .related
            .iter()
            .partition(|r| r.origin.file == finding.origin.file);
        let diagnostic = Human {
            finding,
            file,
            related_here,
            snippet: printable.then_some(Snippet(file)),
        };
        let mut text = String::new();
        if handler.render_report(&mut text, &diagnostic).is_err() {
            text = format!("{}: {}\n", finding.rule, finding.message);
        }
        let envs = if finding.envs.len() > 1 {
            format!(" (in {})", finding.envs.join(", "))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}:{}:{}{envs}",
            file.path, position.line, position.column
        )?;
        writeln!(out, "{text}")?;
        for related in elsewhere {
            let other = &sources[related.origin.file];
            let at = other.position(related.origin.range().start);
            writeln!(
                out,
                "  related: {}:{}:{}: {}\n",
                other.path, at.line, at.column, related.message
            )?;
        }
    }
    writeln!(out, "{summary}")
}

fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}
