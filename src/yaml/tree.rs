//! The spanned YAML tree: every node, keys included, knows the bytes it came from.
//!
//! Nodes live in one arena per document and aliases are edges to the anchored node rather
//! than copies, so an alias bomb costs one index per alias instead of exponential memory, and a
//! finding on an aliased value points at the anchored text, which is where the user edits it.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use crate::source::{FileId, Origin};

pub type NodeId = u32;

/// Merge keys (`<<`) may chain; this bounds how deep a lookup follows them, so a merge cycle
/// built through aliases cannot loop.
const MAX_MERGE_DEPTH: usize = 16;

/// Where a scalar's value lives: most scalars are their own source text and cost nothing;
/// values changed by escapes or line folding are kept in the document's `owned` buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    Source { start: u32, end: u32 },
    Owned { start: u32, end: u32 },
}

/// A node, 24 bytes: children of collections sit contiguously in the document's `children`
/// (mappings as key, value, key, value), so a collection costs no allocation of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NodeKind {
    /// `plain` tells an unquoted `null` from a quoted one.
    Scalar {
        text: Text,
        plain: bool,
    },
    Sequence {
        first: u32,
        len: u32,
    },
    Mapping {
        first: u32,
        len: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NodeData {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) kind: NodeKind,
}

/// The type a plain scalar resolves to; quoted scalars are always strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    Null,
    Bool,
    Number,
    String,
}

/// Integers (decimal, `0x`, `0o`), floats with optional exponent, `.inf` and `.nan`.
fn is_yaml_number(value: &str) -> bool {
    let unsigned = value.strip_prefix(['-', '+']).unwrap_or(value);
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(octal) = unsigned.strip_prefix("0o") {
        return !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(value, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let mantissa_ok = digits > 0
        && mantissa.bytes().filter(|&b| b == b'.').count() <= 1
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// One YAML document: of a stream parsed from one file, or built (by Kustomize, by Helm
/// layering) from nodes of many files.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The file the document was parsed from (for a built document: the file that built it).
    pub file: FileId,
    /// For a built document, the file of each node (its span is in that file); empty for a
    /// parsed document, whose nodes are all in `file`.
    pub(super) node_files: Vec<FileId>,
    /// Scalars assembled from several places, by node id in increasing order.
    pub(super) pieces: Vec<(NodeId, Vec<super::owned::Piece>)>,
    /// Nodes that replaced a value set elsewhere, with that value's origin, by node id in
    /// increasing order.
    pub(super) overrides: Vec<(NodeId, Origin)>,
    pub(super) text: Arc<str>,
    pub(super) nodes: Vec<NodeData>,
    pub(super) children: Vec<NodeId>,
    pub(super) owned: String,
    pub(super) root: Option<NodeId>,
    /// kubectl refuses the document for its aliases: no copy expands them (see
    /// [`super::owned::Tree::from_node`]).
    pub(super) refused_aliases: bool,
    /// From the document's first token to its end, for findings about the whole document.
    pub span: Range<usize>,
}

impl Document {
    pub fn root(&self) -> Option<Node<'_>> {
        self.root.map(|id| self.node(id))
    }

    pub fn node(&self, id: NodeId) -> Node<'_> {
        Node { doc: self, id }
    }

    fn children(&self, first: u32, len: u32) -> &[NodeId] {
        &self.children[first as usize..(first + len) as usize]
    }
}

/// A borrowed view of one node with the navigation rules and checks need.
#[derive(Clone, Copy)]
pub struct Node<'d> {
    doc: &'d Document,
    id: NodeId,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_str() {
            Some(text) => write!(f, "Node({text:?} @ {:?})", self.span()),
            None => write!(f, "Node(collection @ {:?})", self.span()),
        }
    }
}

/// Two views are equal when they are the same node of the same document.
impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl<'d> Node<'d> {
    fn data(&self) -> &'d NodeData {
        &self.doc.nodes[self.id as usize]
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The node's byte range in the file it came from (see [`Node::origin`]).
    pub fn span(&self) -> Range<usize> {
        let data = self.data();
        data.start as usize..data.end as usize
    }

    /// The file and bytes the node came from: in a built document, the base, patch or
    /// kustomization line that set it.
    pub fn origin(&self) -> Origin {
        let data = self.data();
        let file = self
            .doc
            .node_files
            .get(self.id as usize)
            .copied()
            .unwrap_or(self.doc.file);
        Origin {
            file,
            start: data.start,
            end: data.end,
        }
    }

    /// Whether the scalar was assembled from several places (see [`Node::origin_of`]).
    pub fn has_pieces(&self) -> bool {
        self.doc
            .pieces
            .binary_search_by_key(&self.id, |(id, _)| *id)
            .is_ok()
    }

    /// Where the value this node replaced was set (the base line a patch overrode), if any.
    pub fn overrode(&self) -> Option<Origin> {
        let overrides = &self.doc.overrides;
        let at = overrides
            .binary_search_by_key(&self.id, |(id, _)| *id)
            .ok()?;
        Some(overrides[at].1)
    }

    /// The pieces of a scalar assembled from several places: byte ranges of its value and
    /// where each was set. Empty for a scalar written in one place.
    pub fn pieces(&self) -> &'d [super::owned::Piece] {
        let pieces = &self.doc.pieces;
        match pieces.binary_search_by_key(&self.id, |(id, _)| *id) {
            Ok(at) => &pieces[at].1,
            Err(_) => &[],
        }
    }

    /// Where bytes `range` of the scalar's value came from: the part of the source text that
    /// wrote them when the text is the value itself (plain, or simply quoted), the piece of a
    /// built value that set them, else the whole node.
    pub fn origin_of(&self, range: Range<usize>) -> Origin {
        let whole = self.origin();
        let doc = self.doc;
        if let Ok(at) = doc.pieces.binary_search_by_key(&self.id, |(id, _)| *id) {
            let start = range.start as u32;
            return doc.pieces[at]
                .1
                .iter()
                .find(|p| p.start <= start && start < p.end.max(p.start + 1))
                .map_or(whole, |p| p.origin);
        }
        let (Some(value), true) = (self.as_str(), doc.node_files.is_empty()) else {
            return whole;
        };
        let Some(source) = doc.text.get(whole.range()) else {
            return whole;
        };
        let inner = if source == value {
            whole.start as usize
        } else if source.len() >= 2 && &source[1..source.len() - 1] == value {
            whole.start as usize + 1
        } else {
            return whole;
        };
        let end = range.end.min(value.len()).max(range.start.min(value.len()));
        Origin::new(whole.file, inner + range.start.min(end)..inner + end)
    }

    /// The text the node was parsed from (quotes, indentation and all); `None` in a built
    /// document, whose nodes come from many files.
    pub fn source_text(&self) -> Option<&'d str> {
        if !self.doc.node_files.is_empty() {
            return None;
        }
        self.doc.text.get(self.span())
    }

    /// Whether a scalar was written without quotes, which decides how YAML types it.
    pub fn is_plain(&self) -> bool {
        matches!(self.data().kind, NodeKind::Scalar { plain: true, .. })
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.data().kind, NodeKind::Sequence { .. })
    }

    /// How many nodes the node's document holds: the measure walks over it are bounded by,
    /// since aliases make the tree they stand for much larger.
    /// Whether kubectl refuses this node's document for its aliases.
    pub fn in_refused_document(&self) -> bool {
        self.doc.refused_aliases
    }

    pub fn document_len(&self) -> usize {
        self.doc.nodes.len()
    }

    /// The scalar's text, or `None` for a collection.
    pub fn as_str(&self) -> Option<&'d str> {
        let doc = self.doc;
        match self.data().kind {
            NodeKind::Scalar {
                text: Text::Source { start, end },
                ..
            } => doc.text.get(start as usize..end as usize),
            NodeKind::Scalar {
                text: Text::Owned { start, end },
                ..
            } => doc.owned.get(start as usize..end as usize),
            _ => None,
        }
    }

    /// A scalar's text unless it is YAML null (`~`, `null`, or nothing), which manifests use
    /// to mean "not set".
    pub fn as_text(&self) -> Option<&'d str> {
        let value = self.as_str()?;
        let plain = matches!(self.data().kind, NodeKind::Scalar { plain: true, .. });
        let null = plain && matches!(value, "" | "~" | "null" | "Null" | "NULL");
        (!null).then_some(value)
    }

    /// What a scalar resolves to as Kubernetes reads YAML (YAML 1.1 booleans such as `yes`
    /// included, since kubectl's converter still honours them); `None` for a collection.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        let NodeKind::Scalar { plain, .. } = self.data().kind else {
            return None;
        };
        let value = self.as_str()?;
        if !plain {
            return Some(ScalarType::String);
        }
        Some(match value {
            "" | "~" | "null" | "Null" | "NULL" => ScalarType::Null,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "yes" | "Yes" | "YES"
            | "no" | "No" | "NO" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => ScalarType::Bool,
            _ if is_yaml_number(value) => ScalarType::Number,
            _ => ScalarType::String,
        })
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.data().kind, NodeKind::Mapping { .. })
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(self) -> impl Iterator<Item = Node<'d>> + use<'d> {
        let doc = self.doc;
        let items: &'d [NodeId] = match self.data().kind {
            NodeKind::Sequence { first, len } => doc.children(first, len),
            _ => &[],
        };
        items.iter().map(move |&id| doc.node(id))
    }

    /// The entries of a mapping with merge keys applied: own entries first, then merged ones
    /// whose keys the mapping does not set itself.
    pub fn entries(&self) -> Vec<(Node<'d>, Node<'d>)> {
        let mut out = Vec::new();
        self.collect_entries(&mut out, &mut HashSet::new(), &mut HashSet::new(), 0);
        out
    }

    /// The key, value pairs of a mapping as written, merge keys included.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (Node<'d>, Node<'d>)> + use<'d> {
        let doc = self.doc;
        let flat: &'d [NodeId] = match self.data().kind {
            NodeKind::Mapping { first, len } => doc.children(first, len),
            _ => &[],
        };
        flat.chunks_exact(2)
            .map(move |pair| (doc.node(pair[0]), doc.node(pair[1])))
    }

    /// Merge sources already read are skipped: merge keys through aliases form a DAG whose
    /// paths grow exponentially (eight sources of eight sources, nine deep, is 8^9 paths),
    /// and a source read once has given every key it can. A key written twice keeps its
    /// first place and its last value, as Kubernetes reads it (the `yaml-duplicate-key` rule
    /// reports the duplicate itself).
    fn collect_entries(
        &self,
        out: &mut Vec<(Node<'d>, Node<'d>)>,
        keys: &mut HashSet<Option<&'d str>>,
        visited: &mut HashSet<NodeId>,
        depth: usize,
    ) {
        if !visited.insert(self.id) {
            return;
        }
        let own_from = out.len();
        let mut merged = Vec::new();
        for (key, value) in self.pairs() {
            if key.is_merge_key() {
                merged.push(value);
            } else if keys.insert(key.as_str()) {
                out.push((key, value));
            } else if let Some(seen) = out[own_from..]
                .iter_mut()
                .find(|(seen, _)| seen.as_str() == key.as_str())
            {
                // Only a duplicate (or a key an outer mapping set) takes this scan.
                *seen = (key, value);
            }
        }
        if depth < MAX_MERGE_DEPTH {
            for source in merged.iter().flat_map(|m| m.merge_sources()) {
                source.collect_entries(out, keys, visited, depth + 1);
            }
        }
    }

    pub(super) fn is_merge_key(&self) -> bool {
        matches!(self.data().kind, NodeKind::Scalar { plain: true, .. })
            && self.as_str() == Some("<<")
    }

    /// A merge value is one mapping or a sequence of mappings.
    fn merge_sources(&self) -> Vec<Node<'d>> {
        if self.is_mapping() {
            vec![*self]
        } else {
            self.items().filter(Node::is_mapping).collect()
        }
    }

    /// The value under a key, following merge keys.
    pub fn get(&self, key: &str) -> Option<Node<'d>> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The key node and value node under a key, following merge keys.
    pub fn entry(&self, key: &str) -> Option<(Node<'d>, Node<'d>)> {
        // `HashSet::new` does not allocate until a merge source is visited.
        self.entry_at_depth(key, &mut HashSet::new(), 0)
    }

    /// Depth first through merge sources in order, each source read once (see
    /// `collect_entries`): the first match is the one an exhaustive search would find.
    fn entry_at_depth(
        &self,
        key: &str,
        visited: &mut HashSet<NodeId>,
        depth: usize,
    ) -> Option<(Node<'d>, Node<'d>)> {
        let mut merged = Vec::new();
        let mut found = None;
        for (k, v) in self.pairs() {
            if k.is_merge_key() {
                merged.push(v);
            } else if k.as_str() == Some(key) {
                // The last of duplicated keys is the one Kubernetes keeps.
                found = Some((k, v));
            }
        }
        if found.is_some() || depth >= MAX_MERGE_DEPTH {
            return found;
        }
        for source in merged.iter().flat_map(|m| m.merge_sources()) {
            if visited.insert(source.id)
                && let Some(found) = source.entry_at_depth(key, visited, depth + 1)
            {
                return Some(found);
            }
        }
        None
    }

    /// Follows a dotted path of mapping keys, e.g. `spec.template.spec`.
    pub fn path(&self, path: &str) -> Option<Node<'d>> {
        path.split('.').try_fold(*self, |node, key| node.get(key))
    }

    /// The text under a key, unless it is null or a collection.
    pub fn text(&self, key: &str) -> Option<&'d str> {
        self.get(key).and_then(|n| n.as_text())
    }
}
