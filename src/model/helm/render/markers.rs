//! Finding which values leaf a rendered scalar came from: every string leaf of the effective
//! values is set to a unique marker, the chart is rendered once more with them (one extra
//! `helm template` per release, not one per leaf), and a marker found in the second render
//! names the leaf that wrote that text in the first.
//!
//! Only non-empty strings are marked: booleans and empty strings steer `if`, and numbers may
//! drive `until`, so changing them would change what renders (or make it huge).

use std::collections::HashMap;
use std::ops::Range;

use crate::source::Origin;
use crate::yaml::{Tree, Value};

const PREFIX: &str = "xkubelint";

/// A values leaf that was marked: its real text and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub text: String,
    pub origin: Origin,
    /// The key the leaf is set under, and where: a template that writes a values map
    /// (`toYaml .Values.annotations`) writes this key too.
    pub key: Option<(String, Origin)>,
}

/// The leaves of a release's effective values, and the same values with each leaf marked.
#[derive(Debug)]
pub struct Marked {
    pub leaves: Vec<Leaf>,
    /// The effective values as they are, and with each string leaf marked.
    pub effective: Tree,
    pub values: Tree,
    /// Each leaf text that exactly one leaf holds, for matching by value when the marked
    /// render fails or renders something else.
    by_text: HashMap<String, Option<usize>>,
}

impl Marked {
    pub fn new(values: &Tree) -> Marked {
        let mut leaves = Vec::new();
        let marked = mark(values, None, &mut leaves, 0);
        let mut by_text: HashMap<String, Option<usize>> = HashMap::new();
        for (index, leaf) in leaves.iter().enumerate() {
            by_text
                .entry(leaf.text.clone())
                .and_modify(|seen| *seen = None)
                .or_insert(Some(index));
        }
        Marked {
            leaves,
            effective: values.clone(),
            values: marked,
            by_text,
        }
    }

    /// The one leaf whose text is exactly `text`; none when no leaf or several hold it, or
    /// when the text is too short to tell a value from a word of the template.
    pub fn by_value(&self, text: &str) -> Option<&Leaf> {
        if text.len() < 3 {
            return None;
        }
        let index = (*self.by_text.get(text)?)?;
        self.leaves.get(index)
    }

    pub fn leaf(&self, index: usize) -> Option<&Leaf> {
        self.leaves.get(index)
    }
}

/// Values nest deeper than this only in hostile input; the copy keeps deeper leaves as they are.
const MAX_DEPTH: usize = 256;

fn mark(tree: &Tree, key: Option<&Tree>, leaves: &mut Vec<Leaf>, depth: usize) -> Tree {
    let mut copy = tree.clone();
    if depth > MAX_DEPTH {
        return copy;
    }
    match &mut copy.value {
        Value::Scalar { text, plain } => {
            if !text.is_empty() && (!*plain || reads_as_string(text)) {
                leaves.push(Leaf {
                    text: std::mem::take(text),
                    origin: tree.origin,
                    key: key.and_then(|k| Some((k.as_text()?.to_string(), k.origin))),
                });
                *text = marker(leaves.len() - 1);
                *plain = false;
            }
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                *item = mark(item, None, leaves, depth + 1);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                *value = mark(value, Some(key), leaves, depth + 1);
            }
        }
    }
    copy
}

/// Whether a plain scalar is a string to YAML (not null, a boolean or a number), as helm's
/// YAML reader types it.
fn reads_as_string(text: &str) -> bool {
    let keyword = matches!(
        text,
        "~" | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "yes"
            | "no"
            | "on"
            | "off"
            | ".inf"
            | "-.inf"
            | ".nan"
    );
    let number = text.parse::<f64>().is_ok()
        || text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0o"))
            .is_some_and(|digits| {
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
            });
    !keyword && !number
}

pub fn marker(index: usize) -> String {
    format!("{PREFIX}{index}x")
}

/// Every marker in `text`: its bytes and the leaf it stands for, in order.
pub fn find(text: &str) -> Vec<(Range<usize>, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(PREFIX).map(|i| from + i) {
        let digits_at = at + PREFIX.len();
        let digits = text[digits_at..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = digits_at + digits;
        if digits > 0
            && text.as_bytes().get(end) == Some(&b'x')
            && let Ok(index) = text[digits_at..end].parse::<usize>()
        {
            found.push((at..end + 1, index));
            from = end + 1;
        } else {
            from = digits_at;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn values(text: &str) -> Tree {
        let stream = parse(text).in_file(FileId(0));
        Tree::from_node(stream.documents[0].root().unwrap()).unwrap()
    }

    #[test]
    fn only_non_empty_strings_are_marked() {
        let marked = Marked::new(&values(
            "image: {repository: redis, tag: '7', digest: ''}\nreplicas: 2\nenabled: true\nname: ~\n",
        ));
        let texts: Vec<&str> = marked.leaves.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["redis", "7"]);
        assert_eq!(
            marked.values.path(&["image", "tag"]).unwrap().as_text(),
            Some("xkubelint1x")
        );
        assert_eq!(marked.values.text("replicas"), Some("2"));
        assert_eq!(
            marked.values.path(&["image", "digest"]).unwrap().as_text(),
            Some("")
        );
    }

    #[test]
    fn markers_are_found_inside_composed_text() {
        assert_eq!(
            find("xkubelint0x:xkubelint12x@sha xkubelint"),
            [(0..11, 0), (12..24, 12)]
        );
        assert!(find("xkubelint3").is_empty());
    }

    #[test]
    fn a_text_two_leaves_hold_is_not_matched_by_value() {
        let marked = Marked::new(&values("a: shared\nb: shared\nc: unique\n"));
        assert!(marked.by_value("shared").is_none());
        assert_eq!(marked.by_value("unique").unwrap().text, "unique");
    }
}
