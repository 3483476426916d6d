//! Origins for rendered objects. Helm's output is not a file anyone edits, so every node of a
//! rendered document gets an origin in a file of the repository:
//!
//! - a scalar a values leaf wrote points at that leaf, in the values file that set it last
//!   (found by markers, else by a value that exactly one leaf holds); a scalar composed of
//!   several leaves (`{{ .repository }}:{{ .tag }}`) has a piece per leaf;
//! - any other node points at its line in the template: the line with the same text (a line
//!   the template writes as it is), else the line that starts with the same key (the key, or
//!   the template's expression after it for the value);
//! - a node on a line neither finds (text an `include` wrote) points where its parent points.

use std::collections::HashMap;

use crate::source::{FileId, Origin, SourceFile};
use crate::yaml::{Piece, Tree, Value};

use super::markers::{self, Leaf, Marked};

/// A template's lines, indexed by their text and by their leading key.
pub struct Template<'t> {
    pub file: FileId,
    source: &'t SourceFile,
    by_text: HashMap<&'t str, Vec<usize>>,
    by_key: HashMap<&'t str, Vec<usize>>,
}

impl<'t> Template<'t> {
    pub fn new(file: FileId, source: &'t SourceFile) -> Self {
        let mut by_text: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for line in 0..source.line_count() {
            let text = source.text[source.line_range(line)].trim();
            if text.is_empty() {
                continue;
            }
            if !text.contains("{{") {
                by_text.entry(text).or_default().push(line);
            }
            if let Some(key) = key_prefix(text).filter(|k| !k.contains("{{")) {
                by_key.entry(key).or_default().push(line);
            }
        }
        Template {
            file,
            source,
            by_text,
            by_key,
        }
    }

    /// A file to point into without any line to match (a template that is not on disk).
    pub fn empty(file: FileId, source: &'t SourceFile) -> Self {
        Template {
            file,
            source,
            by_text: HashMap::new(),
            by_key: HashMap::new(),
        }
    }

    /// The bytes of a line without its indentation and line break.
    fn trimmed(&self, line: usize) -> (usize, usize) {
        let range = self.source.line_range(line);
        let text = &self.source.text[range.clone()];
        let start = range.start + (text.len() - text.trim_start().len());
        (start, range.start + text.trim_end().len())
    }
}

/// The key a line starts with, with any `- ` before it and its colon: `- name:`, `image:`.
fn key_prefix(line: &str) -> Option<&str> {
    let mut body = line;
    while let Some(rest) = body.strip_prefix("- ") {
        body = rest.trim_start();
    }
    let skipped = line.len() - body.len();
    let colon = body
        .find(": ")
        .or_else(|| body.ends_with(':').then(|| body.len() - 1))?;
    (colon > 0).then(|| &line[..skipped + colon + 1])
}

/// How one line of a rendered document maps to its template.
#[derive(Debug, Clone, Copy)]
struct LineMap {
    /// Where the rendered line's text starts (after its indentation), in the rendered text.
    rendered_start: usize,
    /// The template line's text, without its indentation.
    start: usize,
    end: usize,
    /// For a line found by its key: the key's length; the rest of the line is the template's
    /// expression for the value. `None`: the template line is the rendered line.
    key_len: Option<usize>,
}

/// One rendered document being given origins.
pub struct Mapper<'a> {
    template: &'a Template<'a>,
    rendered: SourceFile,
    lines: Vec<Option<LineMap>>,
    marked: Option<&'a Marked>,
}

impl<'a> Mapper<'a> {
    /// `text` is the rendered document (its bytes are what the parsed tree's origins count).
    pub fn new(text: &str, template: &'a Template<'a>, marked: Option<&'a Marked>) -> Self {
        let rendered = SourceFile::new("", text);
        // First the lines the template writes as they are, in order (a `range` may go back).
        let texts: Vec<Option<(usize, &str)>> = (0..rendered.line_count())
            .map(|line| {
                let range = rendered.line_range(line);
                let full = &rendered.text[range.clone()];
                let text = full.trim();
                let start = range.start + (full.len() - full.trim_start().len());
                (!text.is_empty() && !text.starts_with('#')).then_some((start, text))
            })
            .collect();
        let exact_lines = |at: usize| texts[at].and_then(|(_, t)| template.by_text.get(t));
        let first_from = |lines: &Vec<usize>, from: usize| {
            lines.get(lines.partition_point(|&l| l < from)).copied()
        };
        // The next rendered line the template writes as it is: a line found by its key must
        // not lie past it (a line an `include` wrote would borrow a later line's key).
        let mut next_exact = vec![None; texts.len()];
        let mut next = None;
        for at in (0..texts.len()).rev() {
            next_exact[at] = next;
            if exact_lines(at).is_some() {
                next = Some(at);
            }
        }
        let mut cursor = 0;
        let lines = texts
            .iter()
            .enumerate()
            .map(|(at, line)| {
                let (rendered_start, text) = (*line)?;
                let exact = exact_lines(at);
                let forward = exact.and_then(|lines| first_from(lines, cursor));
                let key = key_prefix(text);
                let bound = next_exact[at]
                    .and_then(exact_lines)
                    .and_then(|lines| first_from(lines, cursor))
                    .unwrap_or(usize::MAX);
                let by_key = key
                    .and_then(|k| template.by_key.get(k))
                    .and_then(|lines| first_from(lines, cursor))
                    .filter(|&l| l <= bound);
                let (found, key_len) = match (forward, by_key) {
                    (Some(e), Some(k)) if k < e => (k, key.map(str::len)),
                    (Some(e), _) => (e, None),
                    (None, Some(k)) => (k, key.map(str::len)),
                    // A `range` writes the same lines again: back to their first place.
                    (None, None) => (*exact?.first()?, None),
                };
                cursor = found;
                let (start, end) = template.trimmed(found);
                Some(LineMap {
                    rendered_start,
                    start,
                    end,
                    key_len,
                })
            })
            .collect();
        Mapper {
            template,
            rendered,
            lines,
            marked,
        }
    }

    /// Where a node the rendered text holds at `origin` is written in the template.
    fn in_template(&self, origin: Origin, is_value: bool) -> Option<Origin> {
        let start = origin.start as usize;
        let map = (*self.lines.get(self.rendered.line_index(start))?)?;
        let offset = start.checked_sub(map.rendered_start)?;
        let width = (origin.end as usize).saturating_sub(start);
        let range = match map.key_len {
            Some(key) if is_value || offset >= key => {
                let rest = &self.template.source.text[map.start + key..map.end];
                let from = map.start + key + (rest.len() - rest.trim_start().len());
                from..map.end
            }
            _ => {
                let from = (map.start + offset).min(map.end);
                from..(from + width).min(map.end)
            }
        };
        Some(Origin::new(self.template.file, range))
    }

    /// Gives `tree` (parsed from the rendered text) and all its nodes their origins; `marked`
    /// is the same document from the render with markers, when it rendered.
    /// Returns the leaf a scalar came from whole.
    pub fn map(
        &self,
        tree: &mut Tree,
        marked: Option<&Tree>,
        parent: Origin,
        is_value: bool,
    ) -> Option<&'a Leaf> {
        let own = self.in_template(tree.origin, is_value).unwrap_or(parent);
        tree.origin = own;
        match &mut tree.value {
            Value::Scalar { .. } => return self.scalar(tree, marked),
            Value::Seq(items) => {
                let twins = marked.filter(|m| m.items().len() == items.len());
                for (at, item) in items.iter_mut().enumerate() {
                    self.map(item, twins.map(|m| &m.items()[at]), own, true);
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries.iter_mut() {
                    let twin = marked.and_then(|m| m.get(key.as_text()?));
                    self.map(key, None, own, false);
                    let key_origin = key.origin;
                    if let Some(leaf) = self.map(value, twin, key_origin, true)
                        && let Some((name, origin)) = &leaf.key
                        && key.as_text() == Some(name.as_str())
                    {
                        // The template wrote the values map itself: the key is the leaf's key.
                        key.origin = *origin;
                    }
                }
            }
        }
        None
    }

    /// A scalar written by values leaves points at them; `marked` tells which (a scalar
    /// without a marker there came from the template, or from a value that was not marked).
    fn scalar(&self, tree: &mut Tree, marked: Option<&Tree>) -> Option<&'a Leaf> {
        let values = self.marked?;
        let Value::Scalar { text, .. } = &tree.value else {
            return None;
        };
        let Some(twin) = marked else {
            let leaf = values.by_value(text)?;
            tree.origin = leaf.origin;
            return Some(leaf);
        };
        let with_markers = twin.as_text()?;
        let found = markers::find(with_markers);
        match found.as_slice() {
            [] => {
                let leaf = self.named_in_template(tree.origin, text, values)?;
                tree.origin = leaf.origin;
                None
            }
            [(range, index)] if *range == (0..with_markers.len()) => {
                let leaf = values.leaf(*index)?;
                tree.origin = leaf.origin;
                Some(leaf)
            }
            _ => {
                if let Some(pieces) = pieces(text, with_markers, &found, values, tree.origin) {
                    tree.pieces = pieces;
                }
                None
            }
        }
    }
}

impl Mapper<'_> {
    /// A value the template writes as `{{ .Values.a.b }}` alone (a number or a boolean, which
    /// are not marked) is the leaf at that path, when the texts agree.
    fn named_in_template<'v>(
        &self,
        at: Origin,
        text: &str,
        values: &'v Marked,
    ) -> Option<&'v Tree> {
        static VALUES_PATH: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r#"^"?\{\{-?\s*\.Values((?:\.[A-Za-z0-9_]+)+)\s*(?:\|\s*(?:quote|int|int64|toString)\s*)?-?\}\}"?$"#,
            )
            .expect("the pattern is valid")
        });
        if at.file != self.template.file {
            return None;
        }
        let written = self.template.source.text.get(at.range())?;
        let path = VALUES_PATH.captures(written)?;
        let keys: Vec<&str> = path[1].split('.').skip(1).collect();
        let leaf = values.effective.path(&keys)?;
        (leaf.as_text() == Some(text)).then_some(leaf)
    }
}

/// The pieces of a scalar composed of leaves and template text, when putting each leaf's text
/// in place of its marker gives the rendered text (no function changed the values). A
/// separator just before a leaf (`:` before a tag, `@` before a digest) belongs to that leaf:
/// it is there because the leaf is.
fn pieces(
    rendered: &str,
    with_markers: &str,
    found: &[(std::ops::Range<usize>, usize)],
    values: &Marked,
    template: Origin,
) -> Option<Vec<Piece>> {
    let mut text = String::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut from = 0;
    for (range, index) in found {
        let leaf = values.leaf(*index)?;
        let literal = &with_markers[from..range.start];
        let separator = !literal.is_empty()
            && literal.len() <= 2
            && literal.bytes().all(|b| b":@/".contains(&b));
        let leaf_start = if separator {
            text.len()
        } else {
            let start = text.len();
            text.push_str(literal);
            if !literal.is_empty() {
                pieces.push(piece(start, text.len(), template));
            }
            text.len()
        };
        if separator {
            text.push_str(literal);
        }
        text.push_str(&leaf.text);
        pieces.push(piece(leaf_start, text.len(), leaf.origin));
        from = range.end;
    }
    let tail = &with_markers[from..];
    if !tail.is_empty() {
        let start = text.len();
        text.push_str(tail);
        pieces.push(piece(start, text.len(), template));
    }
    (text == rendered).then_some(pieces)
}

fn piece(start: usize, end: usize, origin: Origin) -> Piece {
    Piece {
        start: crate::source::offset(start),
        end: crate::source::offset(end),
        origin,
        overrode: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn tree(text: &str) -> Tree {
        let stream = parse(text.to_string()).in_file(FileId(9));
        Tree::from_node(stream.documents[0].root().unwrap()).unwrap()
    }

    fn at(source: &SourceFile, origin: Origin) -> String {
        let p = source.position(origin.start as usize);
        format!("{}:{}", p.line, p.column)
    }

    #[test]
    fn static_lines_map_to_themselves_and_templated_values_to_their_expression() {
        let template_text = "kind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    metadata:\n      labels:\n        {{- include \"labels\" . | nindent 8 }}\n";
        let template_source = SourceFile::new("t.yaml", template_text);
        let template = Template::new(FileId(1), &template_source);
        let rendered = "kind: Deployment\nspec:\n  replicas: 3\n  template:\n    metadata:\n      labels:\n        app: web\n";
        let mapper = Mapper::new(rendered, &template, None);
        let mut object = tree(rendered);
        mapper.map(&mut object, None, Origin::new(FileId(1), 0..0), false);
        let replicas = object.path(&["spec", "replicas"]).unwrap();
        assert_eq!(at(&template_source, replicas.origin), "3:13");
        assert_eq!(
            &template_text[replicas.origin.range()],
            "{{ .Values.replicas }}"
        );
        let (kind_key, kind) = &object.entries()[0];
        assert_eq!(at(&template_source, kind_key.origin), "1:1");
        assert_eq!(&template_text[kind.origin.range()], "Deployment");
        let label = object
            .path(&["spec", "template", "metadata", "labels", "app"])
            .unwrap();
        assert_eq!(at(&template_source, label.origin), "6:7");
    }
}
