//! Effective trees: owned, editable YAML whose every node carries the origin of the node that
//! set it last.
//!
//! A Kustomize build or Helm's layering of values files starts from copies of spanned nodes
//! ([`Tree::from_node`]), edits them (patches, merges, renames), and freezes the result into an
//! ordinary [`Document`] ([`Tree::freeze`]) so rules read built objects exactly as they read
//! parsed ones, while every finding still points at the line the user edits.

use std::sync::Arc;

use crate::source::{FileId, Origin, offset};

use super::tree::{Document, Node, NodeData, NodeId, NodeKind, Text};

/// One node of an effective tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub value: Value,
    pub origin: Origin,
    /// For a scalar assembled from several places (an image whose name an overlay's
    /// `images:` set and whose tag the base wrote), where each part of its text came from.
    pub pieces: Vec<Piece>,
    /// The origin of the value this one replaced (the base line a patch overrode, the
    /// `values.yaml` leaf a later values file overrode): a related location for findings here.
    pub overrode: Option<Origin>,
}

/// Bytes `start..end` of a scalar's value came from `origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: u32,
    pub end: u32,
    pub origin: Origin,
    /// Where the part this piece replaced was set (a `values.yaml` tag under the
    /// environment's), as [`Tree::overrode`] is for a whole value.
    pub overrode: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `plain` tells an unquoted scalar (`3`, `true`, `null`) from a quoted string.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Tree>),
    /// Entries in order; each key is a tree too, so a key's own line is known.
    Map(Vec<(Tree, Tree)>),
}

/// Copying a tree expands aliases; this bounds how many nodes one copy may make, so an alias
/// bomb in a Kustomize resource costs a finding, not the machine's memory.
pub const MAX_COPIED_NODES: usize = 1_000_000;

/// The copy was cut short: the tree had more nodes (aliases expanded) than
/// [`MAX_COPIED_NODES`], or its document is one kubectl refuses for its aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl Tree {
    pub fn scalar(text: impl Into<String>, plain: bool, origin: Origin) -> Tree {
        Tree {
            value: Value::Scalar {
                text: text.into(),
                plain,
            },
            origin,
            pieces: Vec::new(),
            overrode: None,
        }
    }

    /// A quoted string: always a string, whatever it says.
    pub fn string(text: impl Into<String>, origin: Origin) -> Tree {
        Tree::scalar(text, false, origin)
    }

    pub fn map(entries: Vec<(Tree, Tree)>, origin: Origin) -> Tree {
        Tree {
            value: Value::Map(entries),
            origin,
            pieces: Vec::new(),
            overrode: None,
        }
    }

    pub fn seq(items: Vec<Tree>, origin: Origin) -> Tree {
        Tree {
            value: Value::Seq(items),
            origin,
            pieces: Vec::new(),
            overrode: None,
        }
    }

    /// A deep copy of a spanned node, merge keys applied and aliases expanded. A document
    /// kubectl refuses for its aliases (a finding already says so) is not copied at all:
    /// neither kubectl nor Helm would read it, and expanding its aliases up to the budget
    /// cost a fuzzed 654-byte values file 170 ms.
    pub fn from_node(node: Node<'_>) -> Result<Tree, TooLarge> {
        if node.in_refused_document() {
            return Err(TooLarge);
        }
        let mut budget = MAX_COPIED_NODES;
        copy(node, &mut budget, 0)
    }

    /// The scalar's text unless it is YAML null.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, plain } => {
                let null = *plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                (!null).then_some(text.as_str())
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { plain: true, text } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Tree> {
        match &mut self.value {
            Value::Map(entries) => entries
                .iter_mut()
                .rev()
                .find(|(k, _)| k.as_text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Tree::as_text)
    }

    /// Follows mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Tree> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn items(&self) -> &[Tree] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Tree, Tree)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Replaces this value with `new`, which remembers where the replaced value was set unless
    /// `new` comes from the same place (a restated value) or says so itself.
    pub fn replace_with(&mut self, mut new: Tree) {
        if new.overrode.is_none() && new.origin != self.origin {
            new.overrode = Some(self.origin);
        }
        *self = new;
    }

    /// Sets `key` to `value`, replacing an existing entry in place (keeping its key's origin)
    /// or appending a new one whose key has `key_origin`.
    pub fn set(&mut self, key: &str, value: Tree, key_origin: Origin) {
        if !self.is_map() {
            self.value = Value::Map(Vec::new());
        }
        let Value::Map(entries) = &mut self.value else {
            return;
        };
        match entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)) {
            Some((_, existing)) => existing.replace_with(value),
            None => entries.push((Tree::string(key, key_origin), value)),
        }
    }

    /// The mapping under `key`, made (at `origin`) when it is missing or not a mapping.
    pub fn map_entry(&mut self, key: &str, origin: Origin) -> &mut Tree {
        let needs = self.get(key).is_none_or(|v| !v.is_map());
        if needs {
            self.set(key, Tree::map(Vec::new(), origin), origin);
        }
        self.get_mut(key).expect("the entry was just set")
    }

    pub fn remove(&mut self, key: &str) -> Option<Tree> {
        let Value::Map(entries) = &mut self.value else {
            return None;
        };
        let at = entries.iter().position(|(k, _)| k.as_text() == Some(key))?;
        Some(entries.remove(at).1)
    }

    /// Freezes the tree into a document whose nodes keep their origins; `file` is the file
    /// that built it.
    pub fn freeze(&self, file: FileId) -> Document {
        let mut doc = Document {
            file,
            text: Arc::from(""),
            span: self.origin.range(),
            ..Document::default()
        };
        let root = freeze_node(self, &mut doc);
        doc.root = Some(root);
        doc
    }
}

fn copy(node: Node<'_>, budget: &mut usize, depth: usize) -> Result<Tree, TooLarge> {
    *budget = budget.checked_sub(1).ok_or(TooLarge)?;
    let origin = node.origin();
    if let Some(text) = node.as_str() {
        return Ok(Tree::scalar(text, node.is_plain(), origin));
    }
    // The parser bounds nesting; this keeps a copy of a deep tree off the stack's edge.
    if depth > 512 {
        return Err(TooLarge);
    }
    if node.is_mapping() {
        let entries = node
            .entries()
            .into_iter()
            .map(|(k, v)| Ok((copy(k, budget, depth + 1)?, copy(v, budget, depth + 1)?)))
            .collect::<Result<_, _>>()?;
        Ok(Tree::map(entries, origin))
    } else {
        let items = node
            .items()
            .map(|item| copy(item, budget, depth + 1))
            .collect::<Result<_, _>>()?;
        Ok(Tree::seq(items, origin))
    }
}

fn freeze_node(tree: &Tree, doc: &mut Document) -> NodeId {
    let kind = match &tree.value {
        Value::Scalar { text, plain } => {
            let start = offset(doc.owned.len());
            doc.owned.push_str(text);
            NodeKind::Scalar {
                text: Text::Owned {
                    start,
                    end: offset(doc.owned.len()),
                },
                plain: *plain,
            }
        }
        Value::Seq(items) => {
            let ids: Vec<NodeId> = items.iter().map(|i| freeze_node(i, doc)).collect();
            let first = offset(doc.children.len());
            doc.children.extend(&ids);
            NodeKind::Sequence {
                first,
                len: offset(ids.len()),
            }
        }
        Value::Map(entries) => {
            let ids: Vec<NodeId> = entries
                .iter()
                .flat_map(|(k, v)| [freeze_node(k, doc), freeze_node(v, doc)])
                .collect();
            let first = offset(doc.children.len());
            doc.children.extend(&ids);
            NodeKind::Mapping {
                first,
                len: offset(ids.len()),
            }
        }
    };
    let id = offset(doc.nodes.len());
    doc.nodes.push(NodeData {
        start: tree.origin.start,
        end: tree.origin.end,
        kind,
    });
    doc.node_files.push(tree.origin.file);
    if !tree.pieces.is_empty() {
        doc.pieces.push((id, tree.pieces.clone()));
    }
    if let Some(overrode) = tree.overrode {
        doc.overrides.push((id, overrode));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn a_frozen_tree_keeps_the_origin_of_every_node() {
        let text = "spec:\n  replicas: 1\n  name: a\n";
        let mut stream = parse(text).in_file(FileId(3));
        let doc = stream.documents.remove(0);
        let mut tree = Tree::from_node(doc.root().unwrap()).unwrap();
        let patch = Origin::new(FileId(7), 10..11);
        tree.map_entry("spec", patch)
            .set("replicas", Tree::scalar("3", true, patch), patch);
        let built = tree.freeze(FileId(9));
        let spec = built.root().unwrap().get("spec").unwrap();
        assert_eq!(spec.get("replicas").unwrap().as_str(), Some("3"));
        assert_eq!(spec.get("replicas").unwrap().origin(), patch);
        let name = spec.get("name").unwrap();
        assert_eq!(name.origin().file, FileId(3));
        assert_eq!(&text[name.origin().range()], "a");
    }

    #[test]
    fn copying_expands_aliases_within_a_budget() {
        // Few aliased decodes: kubectl reads it, and a copy expands it.
        let stream = parse("a: &a [x, x, x, x]\nb: [*a, *a, *a, *a]\n");
        let root = stream.documents[0].root().unwrap();
        let copied = Tree::from_node(root).unwrap();
        let b = copied.get("b").unwrap();
        assert_eq!(b.items().len(), 4);
        assert!(b.items().iter().all(|item| item.items().len() == 4));
        // 1 root, 2 keys, 2 sequences, 4 leaves, 4 copies of 5 nodes: 29 nodes in all.
        assert!(copy(root, &mut 29, 0).is_ok());
        assert_eq!(copy(root, &mut 28, 0), Err(TooLarge));
    }

    #[test]
    fn a_document_kubectl_refuses_for_its_aliases_is_never_copied() {
        // 10^5 leaves: within the copy's budget, past go-yaml's share of aliased decodes.
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..5 {
            let prev = (b'a' + level - 1) as char;
            let name = (b'a' + level) as char;
            let items = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let stream = parse(bomb);
        assert!(
            stream
                .problems
                .iter()
                .any(|p| p.kind == crate::yaml::ProblemKind::ExcessiveAliasing)
        );
        assert_eq!(
            Tree::from_node(stream.documents[0].root().unwrap()),
            Err(TooLarge)
        );
        let accepted = parse("a: &a [x, x]\nb: [*a, *a]\n");
        assert!(Tree::from_node(accepted.documents[0].root().unwrap()).is_ok());
    }
}
