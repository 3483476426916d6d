//! `--format junit`: JUnit XML for CI systems that only read test reports.
//!
//! The shape is the one linters share (eslint's `junit` formatter): one `<testsuite>` per file
//! with findings, one `<testcase>` per finding named after its rule. A finding at or above
//! `--fail-on` is a failure (the severity its `type`); one below it is a passing case whose
//! output names it, so the report fails exactly when the run does. A clean run is one passing
//! test case, so readers show "passed" instead of "no tests found".

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use crate::finding::{Finding, Severity};
use crate::source::Sources;

/// Writes the report; `files` is how many files were linted, for the clean run's test name;
/// findings at or above `fails_from` (`--fail-on`; `None` for `never`) are failures.
pub fn write(
    findings: &[Finding],
    sources: &Sources,
    files: usize,
    fails_from: Option<Severity>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let fails = |finding: &Finding| fails_from.is_some_and(|from| finding.severity >= from);
    let mut xml = Writer::new_with_indent(&mut *out, b' ', 2);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = findings.len().max(1).to_string();
    let failures = findings.iter().filter(|f| fails(f)).count().to_string();
    xml.write_event(Event::Start(element(
        "testsuites",
        &[
            ("name", "kubelint"),
            ("tests", &tests),
            ("failures", &failures),
            ("errors", "0"),
        ],
    )))?;
    if findings.is_empty() {
        let name = format!(
            "no findings in {files} file{}",
            if files == 1 { "" } else { "s" }
        );
        start_suite(&mut xml, "kubelint", 1, 0)?;
        xml.write_event(Event::Empty(element(
            "testcase",
            &[("name", &name), ("classname", "kubelint")],
        )))?;
        xml.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    // Findings arrive ordered by file, so each file's findings are one run.
    let path = |f: &Finding| sources[f.origin.file].path.as_str();
    for file in findings.chunk_by(|a, b| path(a) == path(b)) {
        let failures = file.iter().filter(|f| fails(f)).count();
        start_suite(&mut xml, path(&file[0]), file.len(), failures)?;
        for finding in file {
            write_case(&mut xml, finding, sources, fails(finding))?;
        }
        xml.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    xml.write_event(Event::End(BytesEnd::new("testsuites")))?;
    writeln!(out)
}

fn start_suite<W: Write>(
    xml: &mut Writer<W>,
    name: &str,
    tests: usize,
    failures: usize,
) -> io::Result<()> {
    let (tests, failures) = (tests.to_string(), failures.to_string());
    xml.write_event(Event::Start(element(
        "testsuite",
        &[
            ("name", name),
            ("tests", &tests),
            ("failures", &failures),
            ("errors", "0"),
            ("skipped", "0"),
        ],
    )))
}

fn write_case<W: Write>(
    xml: &mut Writer<W>,
    finding: &Finding,
    sources: &Sources,
    fails: bool,
) -> io::Result<()> {
    let file = &sources[finding.origin.file];
    let path = &file.path;
    let at = file.position(finding.span().start);
    xml.write_event(Event::Start(element(
        "testcase",
        &[("name", &finding.rule), ("classname", path), ("file", path)],
    )))?;
    let body_element = if fails { "failure" } else { "system-out" };
    if fails {
        xml.write_event(Event::Start(element(
            "failure",
            &[
                ("message", &finding.message),
                ("type", finding.severity.as_str()),
            ],
        )))?;
    } else {
        xml.write_event(Event::Start(element("system-out", &[])))?;
    }
    let mut body = format!(
        "{path}:{}:{} {}: {}",
        at.line,
        at.column,
        finding.severity.as_str(),
        finding.message
    );
    if let Some(help) = &finding.help {
        body.push_str("\nhelp: ");
        body.push_str(help);
    }
    // Quotes need no escaping in text; leaving them keeps the raw report readable.
    let body = quick_xml::escape::partial_escape(allowed(&body));
    xml.write_event(Event::Text(BytesText::from_escaped(body)))?;
    xml.write_event(Event::End(BytesEnd::new(body_element)))?;
    xml.write_event(Event::End(BytesEnd::new("testcase")))
}

/// A start tag. Attribute values are escaped here rather than by quick-xml so that tabs and
/// line breaks survive: a parser normalizes them to spaces unless written as references.
fn element<'a>(name: &'a str, attributes: &[(&'a str, &str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (key, value) in attributes {
        let value = quick_xml::escape::escape(allowed(value))
            .replace('\n', "&#10;")
            .replace('\t', "&#9;");
        start.push_attribute(Attribute {
            key: QName(key),
            value: Cow::Owned(value),
        });
    }
    start
}

/// Drops the characters XML 1.0 cannot carry at all, not even as references.
fn allowed(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    if text.contains(forbidden) {
        Cow::Owned(text.replace(forbidden, ""))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::{Reader, XmlVersion};

    use super::*;
    use crate::finding::Severity;
    use crate::report::fixture::{finding, sources};

    fn report(findings: &[Finding]) -> String {
        let mut out = Vec::new();
        write(findings, &sources(), 3, Some(Severity::Warning), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Parses the document back, failing on any well-formedness error; returns every
    /// element as `name attr=value …` and every text as `text …`, references resolved.
    fn elements(xml: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let mut seen = Vec::new();
        let mut text = String::new();
        loop {
            let event = reader.read_event().unwrap();
            match &event {
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => match r.resolve_char_ref().unwrap() {
                    Some(c) => text.push(c),
                    None => text.push_str(resolve_predefined_entity(r).unwrap()),
                },
                _ if !text.trim().is_empty() => seen.push(format!("text {}", text.trim())),
                _ => {}
            }
            if !matches!(event, Event::Text(_) | Event::GeneralRef(_)) {
                text.clear();
            }
            match event {
                Event::Eof => return seen,
                Event::Start(e) | Event::Empty(e) => {
                    let mut line = e.name().as_ref().to_string();
                    for attribute in e.attributes() {
                        let attribute = attribute.unwrap();
                        let value = attribute.normalized_value(XmlVersion::Explicit1_0);
                        line.push_str(&format!(" {}={}", attribute.key.as_ref(), value.unwrap()));
                    }
                    seen.push(line);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn one_suite_per_file_one_failing_case_per_finding_with_counts() {
        let mut warning = finding("b.yaml", "a: 1\n", 0..1);
        warning.severity = Severity::Warning;
        let findings = [
            finding("a.yaml", "a: 1\nb: 2\n", 0..1),
            finding("a.yaml", "a: 1\nb: 2\n", 5..6),
            warning,
        ];
        let seen = elements(&report(&findings));
        let suites: Vec<&String> = seen.iter().filter(|e| e.starts_with("testsuite")).collect();
        assert_eq!(
            suites,
            [
                "testsuites name=kubelint tests=3 failures=3 errors=0",
                "testsuite name=a.yaml tests=2 failures=2 errors=0 skipped=0",
                "testsuite name=b.yaml tests=1 failures=1 errors=0 skipped=0",
            ]
        );
        assert!(seen.contains(&"testcase name=yaml-syntax classname=a.yaml file=a.yaml".into()));
        assert!(seen.contains(&"text a.yaml:2:1 error: the file is not valid YAML".into()));
        assert!(seen.contains(&"failure message=the file is not valid YAML type=warning".into()));
    }

    #[test]
    fn findings_below_fail_on_are_passing_cases_that_name_the_finding() {
        let mut info = finding("a.yaml", "a: 1\n", 0..1);
        info.severity = Severity::Info;
        let findings = [finding("a.yaml", "a: 1\n", 0..1), info];
        let seen = elements(&report(&findings));
        assert_eq!(
            seen[..2],
            [
                "testsuites name=kubelint tests=2 failures=1 errors=0",
                "testsuite name=a.yaml tests=2 failures=1 errors=0 skipped=0",
            ]
        );
        assert_eq!(
            seen[seen.len() - 2..],
            [
                "system-out",
                "text a.yaml:1:1 info: the file is not valid YAML"
            ]
        );
    }

    #[test]
    fn markup_and_quotes_are_escaped_and_forbidden_controls_dropped() {
        let mut f = finding("a.yaml", "a: 1\n", 0..1);
        f.message = "<b> & \"q\" 'a'\u{1}\u{1b}[0m\ttab\nline".into();
        let xml = report(&[f]);
        assert!(!xml.contains('\u{1}') && !xml.contains('\u{1b}'));
        let seen = elements(&xml);
        assert!(seen.contains(&"failure message=<b> & \"q\" 'a'[0m\ttab\nline type=error".into()));
    }

    #[test]
    fn a_clean_run_is_one_passing_case() {
        let xml = report(&[]);
        let seen = elements(&xml);
        assert_eq!(
            seen,
            [
                "testsuites name=kubelint tests=1 failures=0 errors=0",
                "testsuite name=kubelint tests=1 failures=0 errors=0 skipped=0",
                "testcase name=no findings in 3 files classname=kubelint",
            ]
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    }
}
