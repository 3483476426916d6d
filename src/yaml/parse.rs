//! Builds spanned trees from granit-parser's event stream; the only code that sees the parser.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScanError, Span};

use super::aliasing;
use super::tree::{Document, NodeData, NodeId, NodeKind, Text};

/// After this many syntax errors in one file the rest of it is not worth reading.
const MAX_ERRORS: usize = 50;

/// A problem found while reading YAML, positioned in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub span: Range<usize>,
    /// Another place the problem involves, such as the first of two duplicate keys.
    pub related: Option<Range<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Syntax,
    DuplicateKey,
    /// Aliases that kubectl's decoder refuses to expand.
    ExcessiveAliasing,
}

/// A comment, for suppressions: its text after `#` and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Range<usize>,
}

/// Everything read from one YAML stream. Documents that failed to parse are left out; the
/// documents around them are kept.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub comments: Vec<Comment>,
    pub problems: Vec<Problem>,
}

impl Stream {
    /// Marks every document as read from `file`, so its nodes' origins name it.
    pub fn in_file(mut self, file: crate::source::FileId) -> Stream {
        for doc in &mut self.documents {
            doc.file = file;
        }
        self
    }
}

/// Parses a YAML (or JSON) stream. Never panics and never stops at the first bad document.
/// The documents share `text`: scalars that are their own source text point into it.
pub fn parse(text: impl Into<Arc<str>>) -> Stream {
    let shared: Arc<str> = text.into();
    let mut stream = Stream::default();
    parse_range(&shared, 0..shared.len(), &mut stream);
    stream.problems.sort_by_key(|p| (p.span.start, p.span.end));
    stream
}

/// Parses a `.json` file: each of its concatenated JSON values is a document (as kubectl
/// reads them), and what JSON does not allow, such as `//` comments, is a syntax problem at
/// its position rather than YAML that happens to parse.
pub fn parse_json(text: impl Into<Arc<str>>) -> Stream {
    let shared: Arc<str> = text.into();
    let mut stream = Stream::default();
    let mut values =
        serde_json::Deserializer::from_str(&shared).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    loop {
        match values.next() {
            None => break,
            Some(Ok(_)) => {
                let end = values.byte_offset();
                parse_range(&shared, start..end, &mut stream);
                start = end;
            }
            Some(Err(error)) => {
                let at = json_error_offset(&shared, &error);
                let why = if shared[at..].starts_with("//") || shared[at..].starts_with("/*") {
                    "JSON does not allow comments".to_string()
                } else {
                    json_message(&error)
                };
                stream.problems.push(Problem {
                    kind: ProblemKind::Syntax,
                    message: format!("not valid JSON: {why}"),
                    span: at..at,
                    related: None,
                });
                break;
            }
        }
    }
    stream.problems.sort_by_key(|p| (p.span.start, p.span.end));
    stream
}

/// serde_json's message without its ` at line L column C` suffix: the finding has the position.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// serde_json counts lines from 1 and columns in bytes from 1 (0 before the line's first byte).
fn json_error_offset(text: &str, error: &serde_json::Error) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let mut at = (line_start + error.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Parses `range` of `shared` as a YAML stream into `stream`, positions in `shared`'s offsets.
fn parse_range(shared: &Arc<str>, range: Range<usize>, stream: &mut Stream) {
    let base = range.start;
    let text = &shared[range];
    // Comments matter only as suppressions; a file that names no directive is parsed
    // without collecting them, which spares the parser a queue of comment events. When they
    // are collected, the parser's look-ahead may hold any number of them: its default limit
    // (96) would make a long comment block a syntax error, and suppressions must never change
    // whether a file parses. The queue holds at most one event per comment of the file.
    let options = granit_parser::options! {
        emit_unresolved_aliases: true,
        emit_comments: text.contains("kubelint-"),
        max_buffered_comment_events: usize::MAX,
    };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder: Option<Builder> = None;
    let mut errors = 0;
    loop {
        match parser.next() {
            None | Some(Ok((Event::StreamEnd, _))) => break,
            Some(Ok((event, span))) => {
                let span = byte_range(text, &span, base);
                match event {
                    Event::DocumentStart(..) => builder = Some(Builder::new(span.start, shared)),
                    Event::DocumentEnd => {
                        if let Some(b) = builder.take() {
                            stream
                                .documents
                                .push(b.finish(span.end, &mut stream.problems));
                        }
                    }
                    Event::Comment(comment, _) => stream.comments.push(Comment {
                        text: comment.into_owned(),
                        span,
                    }),
                    event => {
                        if let Some(b) = builder.as_mut() {
                            b.event(event, span, &mut stream.problems);
                        }
                    }
                }
            }
            Some(Err(error)) => {
                builder = None;
                stream.problems.push(syntax_problem(text, &error, base));
                errors += 1;
                if errors >= MAX_ERRORS || !matches!(parser.proceed_next_document(), Ok(true)) {
                    break;
                }
            }
        }
    }
}

fn syntax_problem(text: &str, error: &ScanError, base: usize) -> Problem {
    let at = base + marker_offset(text, error.marker());
    Problem {
        kind: ProblemKind::Syntax,
        message: error.info().to_string(),
        span: at..at,
        related: None,
    }
}

fn marker_offset(text: &str, marker: &granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(marker.index())
            .map_or(text.len(), |(at, _)| at)
    })
}

fn byte_range(text: &str, span: &Span, base: usize) -> Range<usize> {
    let start = marker_offset(text, &span.start);
    base + start..base + marker_offset(text, &span.end).max(start)
}

/// An open collection while its children are still arriving: they collect in the builder's
/// `pending` list from `start` on, and move to the document in one piece when it closes.
struct Frame {
    id: NodeId,
    start: usize,
    mapping: bool,
}

struct Builder {
    doc: Document,
    stack: Vec<Frame>,
    pending: Vec<NodeId>,
    /// Beside `pending`: whether each pending child is an alias of a node elsewhere.
    pending_aliases: Vec<bool>,
    /// The positions in the document's `children` that are aliases.
    alias_slots: HashSet<u32>,
    first_alias: Option<Range<usize>>,
    anchors: HashMap<usize, NodeId>,
}

/// Offsets fit in 32 bits: inputs over 32 MiB are refused before parsing.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl Builder {
    fn new(start: usize, text: &Arc<str>) -> Self {
        Builder {
            doc: Document {
                text: Arc::clone(text),
                span: start..start,
                ..Document::default()
            },
            stack: Vec::new(),
            pending: Vec::new(),
            pending_aliases: Vec::new(),
            alias_slots: HashSet::new(),
            first_alias: None,
            anchors: HashMap::new(),
        }
    }

    fn push(&mut self, span: Range<usize>, kind: NodeKind, anchor: usize) -> NodeId {
        let id = offset(self.doc.nodes.len());
        self.doc.nodes.push(NodeData {
            start: offset(span.start),
            end: offset(span.end),
            kind,
        });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    /// A scalar that is its own source text points into it; anything else is copied.
    fn scalar_text(&mut self, value: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(slice) = &value {
            let base = self.doc.text.as_ptr() as usize;
            let at = slice.as_ptr() as usize;
            if at >= base && at + slice.len() <= base + self.doc.text.len() {
                let start = at - base;
                return Text::Source {
                    start: offset(start),
                    end: offset(start + slice.len()),
                };
            }
        }
        let start = offset(self.doc.owned.len());
        self.doc.owned.push_str(&value);
        Text::Owned {
            start,
            end: offset(self.doc.owned.len()),
        }
    }

    /// A block scalar that ends the file without a line break has none to keep: YAML's clip
    /// and keep chomping preserve a final break only when there is one, which the parser
    /// adds regardless.
    fn without_invented_break<'v>(
        &self,
        value: Cow<'v, str>,
        style: granit_parser::ScalarStyle,
        span: &Range<usize>,
    ) -> Cow<'v, str> {
        let block = matches!(
            style,
            granit_parser::ScalarStyle::Literal | granit_parser::ScalarStyle::Folded
        );
        let text = &*self.doc.text;
        let at_end = text[span.end.min(text.len())..]
            .trim_end_matches([' ', '\t'])
            .is_empty();
        if block && at_end && !text.ends_with(['\n', '\r']) && value.ends_with('\n') {
            let mut owned = value.into_owned();
            owned.pop();
            return Cow::Owned(owned);
        }
        value
    }

    fn event(&mut self, event: Event<'_>, span: Range<usize>, problems: &mut Vec<Problem>) {
        match event {
            Event::Scalar(value, style, anchor, _) => {
                let value = self.without_invented_break(value, style, &span);
                let kind = NodeKind::Scalar {
                    text: self.scalar_text(value),
                    plain: style == granit_parser::ScalarStyle::Plain,
                };
                let id = self.push(span, kind, anchor);
                self.attach(id);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some(&id) => {
                    self.first_alias.get_or_insert(span);
                    self.attach_alias(id);
                }
                None => {
                    let id = self.null(span);
                    self.attach(id);
                }
            },
            Event::UnresolvedAlias(name) => {
                problems.push(Problem {
                    kind: ProblemKind::Syntax,
                    message: format!("unknown anchor `{name}`"),
                    span: span.clone(),
                    related: None,
                });
                let id = self.null(span);
                self.attach(id);
            }
            Event::SequenceStart(_, anchor, _) => self.open(span, false, anchor),
            Event::MappingStart(_, anchor, _) => self.open(span, true, anchor),
            Event::SequenceEnd | Event::MappingEnd => self.close(span.end, problems),
            _ => {}
        }
    }

    fn open(&mut self, span: Range<usize>, mapping: bool, anchor: usize) {
        let empty = if mapping {
            NodeKind::Mapping { first: 0, len: 0 }
        } else {
            NodeKind::Sequence { first: 0, len: 0 }
        };
        let id = self.push(span, empty, anchor);
        self.stack.push(Frame {
            id,
            start: self.pending.len(),
            mapping,
        });
    }

    fn null(&mut self, span: Range<usize>) -> NodeId {
        let at = offset(self.doc.owned.len());
        let kind = NodeKind::Scalar {
            text: Text::Owned { start: at, end: at },
            plain: true,
        };
        self.push(span, kind, 0)
    }

    fn close(&mut self, end: usize, problems: &mut Vec<Problem>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if frame.mapping && (self.pending.len() - frame.start) % 2 == 1 {
            // A key whose value never came (the document was cut short).
            self.pending.pop();
            self.pending_aliases.pop();
        }
        let first = offset(self.doc.children.len());
        let len = offset(self.pending.len() - frame.start);
        self.doc.children.extend(self.pending.drain(frame.start..));
        for (at, alias) in self.pending_aliases.drain(frame.start..).enumerate() {
            if alias {
                self.alias_slots.insert(first + offset(at));
            }
        }
        let node = &mut self.doc.nodes[frame.id as usize];
        node.end = offset(end).max(node.start);
        node.kind = if frame.mapping {
            NodeKind::Mapping { first, len }
        } else {
            NodeKind::Sequence { first, len }
        };
        if frame.mapping {
            self.report_duplicate_keys(frame.id, problems);
        }
        self.attach(frame.id);
    }

    fn report_duplicate_keys(&self, mapping: NodeId, problems: &mut Vec<Problem>) {
        let mut first_seen: HashMap<&str, Range<usize>> = HashMap::new();
        for (key, _) in self.doc.node(mapping).pairs() {
            let Some(value) = key.as_str().filter(|_| !key.is_merge_key()) else {
                continue;
            };
            if let Some(first) = first_seen.get(value) {
                problems.push(Problem {
                    kind: ProblemKind::DuplicateKey,
                    message: format!("duplicate key `{value}`: YAML keeps only one of them"),
                    span: key.span(),
                    related: Some(first.clone()),
                });
            } else {
                first_seen.insert(value, key.span());
            }
        }
    }

    /// Hangs a finished node on the open collection, or makes it the document root.
    fn attach(&mut self, id: NodeId) {
        self.attach_as(id, false);
    }

    /// Hangs an anchored node on the open collection once more, as an alias.
    fn attach_alias(&mut self, id: NodeId) {
        self.attach_as(id, true);
    }

    fn attach_as(&mut self, id: NodeId, alias: bool) {
        if self.stack.is_empty() {
            self.doc.root = Some(id);
        } else {
            self.pending.push(id);
            self.pending_aliases.push(alias);
        }
    }

    fn finish(mut self, end: usize, problems: &mut Vec<Problem>) -> Document {
        while !self.stack.is_empty() {
            self.close(end, problems);
        }
        self.doc.span.end = end.max(self.doc.span.start);
        if let Some(first_alias) = self.first_alias
            && let Some(refusal) = aliasing::refusal(&self.doc, &self.alias_slots)
        {
            self.doc.refused_aliases = true;
            problems.push(Problem {
                kind: ProblemKind::ExcessiveAliasing,
                message: format!("kubectl refuses this document: {refusal}"),
                span: first_alias,
                related: None,
            });
        }
        self.doc
    }
}
