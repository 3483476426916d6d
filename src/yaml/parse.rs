//! Builds spanned trees from granit-parser's event stream; the only code that sees the parser.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, ScanError, Span};

use super::tree::{Document, NodeData, NodeId, NodeKind};

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

/// Parses a YAML (or JSON) stream. Never panics and never stops at the first bad document.
pub fn parse(text: &str) -> Stream {
    let options = granit_parser::options! { emit_unresolved_aliases: true };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut stream = Stream::default();
    let mut builder: Option<Builder> = None;
    let mut errors = 0;
    loop {
        match parser.next() {
            None | Some(Ok((Event::StreamEnd, _))) => break,
            Some(Ok((event, span))) => {
                let span = byte_range(text, &span);
                match event {
                    Event::DocumentStart(..) => builder = Some(Builder::new(span.start)),
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
                stream.problems.push(syntax_problem(text, &error));
                errors += 1;
                if errors >= MAX_ERRORS || !matches!(parser.proceed_next_document(), Ok(true)) {
                    break;
                }
            }
        }
    }
    stream.problems.sort_by_key(|p| (p.span.start, p.span.end));
    stream
}

fn syntax_problem(text: &str, error: &ScanError) -> Problem {
    let at = marker_offset(text, error.marker());
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

fn byte_range(text: &str, span: &Span) -> Range<usize> {
    let start = marker_offset(text, &span.start);
    start..marker_offset(text, &span.end).max(start)
}

/// An open collection while its children are still arriving.
enum Frame {
    Sequence {
        id: NodeId,
        items: Vec<NodeId>,
    },
    Mapping {
        id: NodeId,
        entries: Vec<(NodeId, NodeId)>,
        key: Option<NodeId>,
    },
}

struct Builder {
    doc: Document,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
}

impl Builder {
    fn new(start: usize) -> Self {
        Builder {
            doc: Document {
                span: start..start,
                ..Document::default()
            },
            stack: Vec::new(),
            anchors: HashMap::new(),
        }
    }

    fn push(&mut self, span: Range<usize>, kind: NodeKind, anchor: usize) -> NodeId {
        let id = self.doc.nodes.len() as NodeId;
        self.doc.nodes.push(NodeData { span, kind });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    fn event(&mut self, event: Event<'_>, span: Range<usize>, problems: &mut Vec<Problem>) {
        match event {
            Event::Scalar(value, style, anchor, _) => {
                let plain = style == granit_parser::ScalarStyle::Plain;
                let kind = NodeKind::Scalar {
                    value: value.into_owned().into_boxed_str(),
                    plain,
                };
                let id = self.push(span, kind, anchor);
                self.attach(id);
            }
            Event::Alias(anchor) => {
                let id = match self.anchors.get(&anchor) {
                    Some(&id) => id,
                    None => self.null(span),
                };
                self.attach(id);
            }
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
            Event::SequenceStart(_, anchor, _) => {
                let id = self.push(span, NodeKind::Sequence(Vec::new()), anchor);
                self.stack.push(Frame::Sequence {
                    id,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(_, anchor, _) => {
                let id = self.push(span, NodeKind::Mapping(Vec::new()), anchor);
                self.stack.push(Frame::Mapping {
                    id,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span.end, problems),
            _ => {}
        }
    }

    fn null(&mut self, span: Range<usize>) -> NodeId {
        let kind = NodeKind::Scalar {
            value: "".into(),
            plain: true,
        };
        self.push(span, kind, 0)
    }

    fn close(&mut self, end: usize, problems: &mut Vec<Problem>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (id, kind) = match frame {
            Frame::Sequence { id, items } => (id, NodeKind::Sequence(items)),
            Frame::Mapping { id, entries, .. } => {
                self.report_duplicate_keys(&entries, problems);
                (id, NodeKind::Mapping(entries))
            }
        };
        let node = &mut self.doc.nodes[id as usize];
        node.span.end = end.max(node.span.start);
        node.kind = kind;
        self.attach(id);
    }

    fn report_duplicate_keys(&self, entries: &[(NodeId, NodeId)], problems: &mut Vec<Problem>) {
        let mut first_seen: HashMap<&str, &NodeData> = HashMap::new();
        for &(key, _) in entries {
            let key = &self.doc.nodes[key as usize];
            let NodeKind::Scalar { value, plain } = &key.kind else {
                continue;
            };
            if *plain && &**value == "<<" {
                continue;
            }
            if let Some(first) = first_seen.get(&**value) {
                problems.push(Problem {
                    kind: ProblemKind::DuplicateKey,
                    message: format!("duplicate key `{value}`: YAML keeps only one of them"),
                    span: key.span.clone(),
                    related: Some(first.span.clone()),
                });
            } else {
                first_seen.insert(value, key);
            }
        }
    }

    /// Hangs a finished node on the open collection, or makes it the document root.
    fn attach(&mut self, id: NodeId) {
        match self.stack.last_mut() {
            None => self.doc.root = Some(id),
            Some(Frame::Sequence { items, .. }) => items.push(id),
            Some(Frame::Mapping { entries, key, .. }) => match key.take() {
                None => *key = Some(id),
                Some(k) => entries.push((k, id)),
            },
        }
    }

    fn finish(mut self, end: usize, problems: &mut Vec<Problem>) -> Document {
        while !self.stack.is_empty() {
            self.close(end, problems);
        }
        self.doc.span.end = end.max(self.doc.span.start);
        self.doc
    }
}
