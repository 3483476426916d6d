//! Text edits on spanned nodes, for fixes: each touches only the bytes it must, writes in the
//! file's own indentation, quoting and line breaks, and declines (`None`) whatever it cannot
//! edit exactly (a value assembled from several places, a block scalar, a collection whose
//! parts come from different files), so a fix never guesses.

use std::ops::Range;

use crate::finding::Edit;
use crate::source::{FileId, Origin};

use super::{Document, Node};

/// The text of the one file the edited nodes come from.
#[derive(Clone, Copy)]
pub struct Text<'t> {
    pub file: FileId,
    pub text: &'t str,
}

impl<'t> Text<'t> {
    /// The node's bytes, when it comes from this file.
    fn range(&self, node: Node<'_>) -> Option<Range<usize>> {
        let origin = node.origin();
        (origin.file == self.file && self.text.get(origin.range()).is_some())
            .then(|| origin.range())
    }

    fn edit(&self, range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            origin: Origin::new(self.file, range),
            text: text.into(),
        }
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1)
    }

    /// Just past the line break of the line holding `at` (the end of the text on the last line).
    fn next_line(&self, at: usize) -> usize {
        let rest = &self.text[at..];
        match rest.find(['\n', '\r']) {
            Some(i) if rest[i..].starts_with("\r\n") => at + i + 2,
            Some(i) => at + i + 1,
            None => self.text.len(),
        }
    }

    /// The file's line break: `\r\n` when its first line ends so.
    fn eol(&self) -> &'static str {
        match self.text.find('\n') {
            Some(i) if self.text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        }
    }

    /// The column (in bytes, all spaces or `- ` before it) where a node starts on its line.
    fn column(&self, at: usize) -> Option<usize> {
        let start = self.line_start(at);
        self.text[start..at]
            .bytes()
            .all(|b| b == b' ' || b == b'-')
            .then_some(at - start)
    }

    /// The indentation step of the file: the smallest increase of indentation between two
    /// lines among the first few hundred, else two spaces.
    fn indent_unit(&self) -> usize {
        let mut previous = 0;
        let mut unit = usize::MAX;
        for line in self.text.lines().take(400) {
            let body = line.trim_start_matches(' ');
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = line.len() - body.len();
            if indent > previous {
                unit = unit.min(indent - previous);
            }
            previous = indent;
        }
        if unit == usize::MAX { 2 } else { unit }
    }

    /// A line inserted after the line holding `after`; a last line without a break gets one.
    fn insert_line(&self, after: usize, line: &str) -> Edit {
        let at = self.next_line(after);
        let eol = self.eol();
        if at == self.text.len() && !self.text[..at].ends_with(['\n', '\r']) {
            self.edit(at..at, format!("{eol}{line}"))
        } else {
            self.edit(at..at, format!("{line}{eol}"))
        }
    }

    fn is_flow(&self, range: &Range<usize>) -> bool {
        self.text[range.clone()].starts_with(['{', '['])
    }
}

/// The scalar `node` set to `value`, written in the node's quoting where the value allows it.
pub fn replace_scalar(text: Text<'_>, node: Node<'_>, value: &str) -> Option<Edit> {
    if node.has_pieces() {
        return None;
    }
    let current = node.as_str()?;
    let range = text.range(node)?;
    let source = &text.text[range.clone()];
    if source == current && !current.is_empty() {
        let written = if is_plain_safe(value) {
            value.to_string()
        } else {
            double_quoted(value)
        };
        return Some(text.edit(range, written));
    }
    let quote = source.chars().next()?;
    let inner = source.get(1..source.len() - 1)?;
    if !matches!(quote, '"' | '\'') || inner != current || !source.ends_with(quote) {
        return None;
    }
    let keeps_quoting = if quote == '"' {
        !value.contains(['"', '\\']) && !value.chars().any(char::is_control)
    } else {
        !value.contains('\'') && !value.chars().any(char::is_control)
    };
    Some(if keeps_quoting {
        text.edit(range.start + 1..range.end - 1, value)
    } else {
        text.edit(range, double_quoted(value))
    })
}

/// Any node replaced by YAML text written as is (`false`, `"1000"`).
pub fn replace_node(text: Text<'_>, node: Node<'_>, yaml: &str) -> Option<Edit> {
    if node.has_pieces() || node.as_str().is_none() {
        return None;
    }
    let range = text.range(node)?;
    let source = &text.text[range.clone()];
    if source.starts_with(['|', '>']) || source.contains(['\n', '\r']) {
        return None;
    }
    Some(text.edit(range, yaml))
}

/// Bytes of a scalar's own text removed, such as an image's `@sha256:…` digest.
pub fn remove_bytes(text: Text<'_>, origin: Origin, expected_prefix: &str) -> Option<Edit> {
    (origin.file == text.file
        && text
            .text
            .get(origin.range())
            .is_some_and(|t| t.starts_with(expected_prefix)))
    .then(|| text.edit(origin.range(), ""))
}

/// A scalar written at `origin` whose value starts with `prefix` (quoted or not) emptied to `""`.
pub fn empty_scalar(text: Text<'_>, origin: Origin, prefix: &str) -> Option<Edit> {
    let source = text
        .text
        .get(origin.range())
        .filter(|_| origin.file == text.file)?;
    let value = source.trim_start_matches(['"', '\'']);
    (value.starts_with(prefix) && !source.contains(['\n', '\r']))
        .then(|| text.edit(origin.range(), "\"\""))
}

/// The entry `key` of `mapping` removed: its lines in a block mapping, its item and comma in a
/// flow mapping; the only entry of a block mapping leaves `{}` after the parent key.
pub fn remove_entry(text: Text<'_>, mapping: Node<'_>, key: &str) -> Option<Edit> {
    let (key_node, value) = mapping.entry(key)?;
    let pairs: Vec<_> = mapping.entries();
    let map = text.range(mapping)?;
    let key_range = text.range(key_node)?;
    let value_range = text.range(value)?;
    if !(map.start <= key_range.start && value_range.end <= map.end) {
        return None;
    }
    let end = value_range.end.max(key_range.end);
    if text.is_flow(&map) {
        let after = &text.text[end..map.end];
        if let Some(next) = after.trim_start().strip_prefix(',') {
            let skip = after.len() - next.trim_start().len();
            return Some(text.edit(key_range.start..end + skip, ""));
        }
        let before = text.text[map.start..key_range.start].trim_end();
        let comma = before.strip_suffix(',')?;
        return Some(text.edit(map.start + comma.len()..end, ""));
    }
    if pairs.len() == 1 {
        let before = text.text[..map.start].trim_end();
        before.strip_suffix(':')?;
        let value_end = text.text[..end].trim_end().len();
        return Some(text.edit(before.len()..value_end, " {}"));
    }
    let start = text.line_start(key_range.start);
    if !text.text[start..key_range.start].bytes().all(|b| b == b' ') {
        return None;
    }
    let last = text.text[..end].trim_end().len().max(key_range.end);
    Some(text.edit(start..text.next_line(last), ""))
}

/// What a new key holds: YAML text on its line, or a sequence of one item.
#[derive(Clone, Copy)]
pub enum Leaf<'v> {
    Inline(&'v str),
    /// The item as written after `- ` and as written between commas of a flow sequence.
    Item {
        block: &'v str,
        flow: &'v str,
    },
}

/// `keys` set to the YAML text `value` under `mapping`: the existing scalar replaced, else the
/// missing keys inserted below the deepest one present, indented as the file indents.
pub fn set_path(text: Text<'_>, mapping: Node<'_>, keys: &[&str], value: &str) -> Option<Edit> {
    let (first, rest) = keys.split_first()?;
    match mapping.get(first) {
        Some(node) if rest.is_empty() => replace_node(text, node, value),
        Some(node) if node.is_mapping() => set_path(text, node, rest, value),
        Some(_) => None,
        None => insert_entry(text, mapping, keys, Leaf::Inline(value)),
    }
}

/// New keys (nested, the last holding `leaf`) added at the end of `mapping`.
pub fn insert_entry(
    text: Text<'_>,
    mapping: Node<'_>,
    keys: &[&str],
    leaf: Leaf<'_>,
) -> Option<Edit> {
    if !mapping.is_mapping() || keys.is_empty() {
        return None;
    }
    let map = text.range(mapping)?;
    let pairs = mapping.entries();
    if text.is_flow(&map) {
        let value = match leaf {
            Leaf::Inline(value) => value.to_string(),
            Leaf::Item { flow, .. } => format!("[ {flow} ]"),
        };
        let (last, outer) = keys.split_last()?;
        let entry = outer
            .iter()
            .rev()
            .fold(format!("{last}: {value}"), |inner, key| {
                format!("{key}: {{ {inner} }}")
            });
        return match pairs.last() {
            None => {
                let inner = &text.text[map.start + 1..map.end - 1];
                if !inner.trim().is_empty() {
                    return None;
                }
                Some(text.edit(map.start + 1..map.end - 1, format!(" {entry} ")))
            }
            Some((_, last)) => {
                let end = text.range(*last)?.end;
                (end < map.end).then(|| text.edit(end..end, format!(", {entry}")))
            }
        };
    }
    let (first_key, _) = pairs.first()?;
    let first = text.range(*first_key)?;
    let column = text.column(first.start)?;
    let last_end = pairs
        .iter()
        .filter_map(|(k, v)| Some(text.range(*k)?.end.max(text.range(*v)?.end)))
        .max()?;
    if last_end > map.end.max(first.end) || first.start < map.start {
        return None;
    }
    let last_end = text.text[..last_end].trim_end().len().max(first.end);
    let unit = text.indent_unit();
    let eol = text.eol();
    let mut lines = String::new();
    for (depth, key) in keys.iter().enumerate() {
        if depth > 0 {
            lines.push_str(eol);
        }
        lines.push_str(&" ".repeat(column + depth * unit));
        lines.push_str(key);
        lines.push(':');
    }
    match leaf {
        Leaf::Inline(value) => {
            lines.push(' ');
            lines.push_str(value);
        }
        Leaf::Item { block, .. } => {
            lines.push_str(eol);
            lines.push_str(&" ".repeat(column + keys.len() * unit));
            lines.push_str("- ");
            lines.push_str(block);
        }
    }
    Some(text.insert_line(last_end, &lines))
}

/// An item appended to the sequence `sequence`; `block` is the item as written after `- `,
/// `flow` as written between commas.
pub fn append_item(text: Text<'_>, sequence: Node<'_>, block: &str, flow: &str) -> Option<Edit> {
    let seq = text.range(sequence)?;
    let items: Vec<_> = sequence.items().collect();
    if text.is_flow(&seq) {
        return match items.last() {
            None => {
                let inner = &text.text[seq.start + 1..seq.end - 1];
                inner
                    .trim()
                    .is_empty()
                    .then(|| text.edit(seq.start + 1..seq.end - 1, format!(" {flow} ")))
            }
            Some(last) => {
                let end = text.range(*last)?.end;
                (end < seq.end).then(|| text.edit(end..end, format!(", {flow}")))
            }
        };
    }
    let first = text.range(*items.first()?)?;
    let dash = text.text[..first.start].trim_end_matches(' ');
    dash.strip_suffix('-')?;
    let dash_at = dash.len() - 1;
    let column = text.column(dash_at)?;
    let last = text.range(*items.last()?)?;
    let last_end = text.text[..last.end].trim_end().len().max(last.start);
    Some(text.insert_line(last_end, &format!("{}- {block}", " ".repeat(column))))
}

/// `# kubelint-disable-next-line RULE` on its own line above the line holding `at`, indented
/// as that line is.
pub fn suppress_above(text: Text<'_>, at: usize, rule: &str) -> Option<Edit> {
    let at = at.min(text.text.len());
    let start = text.line_start(at);
    let line = &text.text[start..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let comment = format!(
        "{}# kubelint-disable-next-line {rule}{}",
        &line[..indent],
        text.eol()
    );
    Some(text.edit(start..start, comment))
}

/// The mapping of a parsed document that holds the key written at `key` (a byte range of the
/// document's file), and that key: where an entry of a merged or layered mapping was written.
pub fn mapping_holding<'d>(doc: &'d Document, key: Range<usize>) -> Option<(Node<'d>, &'d str)> {
    let mut pending: Vec<Node<'d>> = doc.root().into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(node) = pending.pop() {
        if !seen.insert(node.id()) || !node.span().contains(&key.start) {
            continue;
        }
        for (k, v) in node.pairs() {
            if k.span() == key {
                return k.as_str().map(|name| (node, name));
            }
            pending.push(v);
        }
        pending.extend(node.items());
    }
    None
}

/// Whether a string reads back as the same string when written without quotes.
fn is_plain_safe(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ',
        ])
        && !value.ends_with([' ', ':'])
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.chars().any(char::is_control)
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    /// Applies one edit made on the first document's root by `make`.
    fn edited(source: &str, make: impl Fn(Text<'_>, Node<'_>) -> Option<Edit>) -> Option<String> {
        let stream = parse(source);
        let root = stream.documents.first()?.root()?;
        let text = Text {
            file: FileId(0),
            text: source,
        };
        let edit = make(text, root)?;
        let mut out = source.to_string();
        out.replace_range(edit.origin.range(), &edit.text);
        Some(out)
    }

    #[test]
    fn a_scalar_keeps_its_quotes_and_its_comment() {
        let out = edited("a: 'x'  # why\n", |t, r| {
            replace_scalar(t, r.get("a")?, "y")
        });
        assert_eq!(out.as_deref(), Some("a: 'y'  # why\n"));
        let out = edited("a: x\n", |t, r| replace_scalar(t, r.get("a")?, "y: z"));
        assert_eq!(
            out.as_deref(),
            Some("a: \"y: z\"\n"),
            "quoted when plain would change it"
        );
        let out = edited("a: \"x\\ty\"\n", |t, r| replace_scalar(t, r.get("a")?, "z"));
        assert_eq!(out, None, "escapes are not rewritten by guess");
    }

    #[test]
    fn keys_are_inserted_at_the_mappings_indentation_with_its_line_breaks() {
        let source = "spec:\r\n    containers: []\r\n    hostPID: true\r\n";
        let out = edited(source, |t, r| {
            set_path(
                t,
                r.get("spec")?,
                &["securityContext", "runAsNonRoot"],
                "true",
            )
        });
        assert_eq!(
            out.as_deref(),
            Some(
                "spec:\r\n    containers: []\r\n    hostPID: true\r\n    securityContext:\r\n        runAsNonRoot: true\r\n"
            )
        );
        let out = edited("a: { b: 1 }", |t, r| {
            set_path(t, r.get("a")?, &["c", "d"], "2")
        });
        assert_eq!(out.as_deref(), Some("a: { b: 1, c: { d: 2 } }"));
        let out = edited("a: {}\n", |t, r| set_path(t, r.get("a")?, &["c"], "2"));
        assert_eq!(out.as_deref(), Some("a: { c: 2 }\n"));
    }

    #[test]
    fn a_last_line_without_a_break_gets_one_before_the_new_key() {
        let out = edited("a:\n  b: 1", |t, r| set_path(t, r.get("a")?, &["c"], "2"));
        assert_eq!(out.as_deref(), Some("a:\n  b: 1\n  c: 2"));
    }

    #[test]
    fn entries_are_removed_with_their_lines_or_their_comma() {
        let out = edited("m:\n  a: 1\n  b: 2 # two\n  c: 3\n", |t, r| {
            remove_entry(t, r.get("m")?, "b")
        });
        assert_eq!(out.as_deref(), Some("m:\n  a: 1\n  c: 3\n"));
        let out = edited("m: { a: 1, b: 2 }\n", |t, r| {
            remove_entry(t, r.get("m")?, "a")
        });
        assert_eq!(out.as_deref(), Some("m: { b: 2 }\n"));
        let out = edited("m: { a: 1, b: 2 }\n", |t, r| {
            remove_entry(t, r.get("m")?, "b")
        });
        assert_eq!(out.as_deref(), Some("m: { a: 1 }\n"));
        let out = edited("m:\n  a: 1\nn: 2\n", |t, r| {
            remove_entry(t, r.get("m")?, "a")
        });
        assert_eq!(
            out.as_deref(),
            Some("m: {}\nn: 2\n"),
            "the only entry leaves `{{}}`"
        );
    }

    #[test]
    fn items_are_appended_at_the_dash_column_or_inside_the_brackets() {
        let out = edited("s:\n- name: a\n", |t, r| {
            append_item(t, r.get("s")?, "name: b", "{ name: b }")
        });
        assert_eq!(out.as_deref(), Some("s:\n- name: a\n- name: b\n"));
        let out = edited("s: [ a ]\n", |t, r| append_item(t, r.get("s")?, "b", "b"));
        assert_eq!(out.as_deref(), Some("s: [ a, b ]\n"));
        let out = edited("m:\n  x: 1\n", |t, r| {
            let leaf = Leaf::Item {
                block: "name: b",
                flow: "{ name: b }",
            };
            insert_entry(t, r.get("m")?, &["s"], leaf)
        });
        assert_eq!(out.as_deref(), Some("m:\n  x: 1\n  s:\n    - name: b\n"));
    }

    #[test]
    fn a_suppression_comment_takes_the_lines_indentation() {
        let source = "a:\n  b: 1\n";
        let out = edited(source, |t, _| suppress_above(t, 5, "some-rule"));
        assert_eq!(
            out.as_deref(),
            Some("a:\n  # kubelint-disable-next-line some-rule\n  b: 1\n")
        );
    }

    #[test]
    fn the_mapping_that_wrote_a_key_is_found_by_its_span() {
        let source = "a:\n  b:\n    c: 1\n";
        let stream = parse(source);
        let at = source.find('c').unwrap();
        let (mapping, key) = mapping_holding(&stream.documents[0], at..at + 1).unwrap();
        assert_eq!(key, "c");
        assert_eq!(mapping.span().start, at);
    }
}
