//! Whether kubectl's YAML decoder would refuse a document for its aliases.
//!
//! kubectl (through sigs.k8s.io/yaml) decodes with go-yaml, which counts every node it decodes
//! and every node it decodes inside an alias, and fails with "document contains excessive
//! aliasing" as soon as more than 100 aliased decodes and more than 1,000 decodes in all make
//! the aliased share exceed a ratio that falls from 99% (up to 400,000 decodes) to 10% (from
//! 4,000,000 on); an alias met again while its own value is being decoded fails too. This
//! replays that count over the tree, where aliases are edges: nothing is expanded, and the
//! replay stops at the first decode go-yaml would refuse, so it costs at most a few million
//! steps however the aliases nest.

use std::collections::HashSet;

use super::tree::{Document, NodeId, NodeKind};

const RATIO_RANGE_LOW: f64 = 400_000.0;
const RATIO_RANGE_HIGH: f64 = 4_000_000.0;

/// go-yaml's `allowedAliasRatio`.
fn allowed_alias_ratio(decodes: u64) -> f64 {
    let decodes = decodes as f64;
    if decodes <= RATIO_RANGE_LOW {
        0.99
    } else if decodes >= RATIO_RANGE_HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decodes - RATIO_RANGE_LOW) / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW))
    }
}

enum Step {
    /// Decode a node; `alias` is the slot in `children` when this occurrence is an alias.
    Decode { id: NodeId, alias: Option<u32> },
    /// The items of a merge key's sequence, which go-yaml decodes last to first without
    /// decoding the sequence node itself.
    MergeItems { first: u32, len: u32 },
    /// The alias in this slot is decoded.
    Leave(u32),
}

/// go-yaml's refusal for this document, if it would refuse it. `alias_slots` are the
/// positions in the document's `children` that hold an alias rather than the node itself.
pub(super) fn refusal(doc: &Document, alias_slots: &HashSet<u32>) -> Option<&'static str> {
    let root = doc.root?;
    // The document node itself is the first decode.
    let mut decodes: u64 = 1;
    let mut aliased: u64 = 0;
    let mut depth = 0usize;
    let mut active: HashSet<u32> = HashSet::new();
    let mut steps = vec![Step::Decode {
        id: root,
        alias: None,
    }];
    let slot = |at: u32| Step::Decode {
        id: doc.children[at as usize],
        alias: alias_slots.contains(&at).then_some(at),
    };
    while let Some(step) = steps.pop() {
        let (id, alias) = match step {
            Step::Leave(at) => {
                depth -= 1;
                active.remove(&at);
                continue;
            }
            Step::MergeItems { first, len } => {
                steps.extend((first..first + len).map(slot));
                continue;
            }
            Step::Decode { id, alias } => (id, alias),
        };
        decodes += 1;
        if depth > 0 {
            aliased += 1;
        }
        if aliased > 100
            && decodes > 1000
            && aliased as f64 / decodes as f64 > allowed_alias_ratio(decodes)
        {
            return Some("document contains excessive aliasing");
        }
        if let Some(at) = alias {
            if !active.insert(at) {
                return Some("anchor value contains itself");
            }
            depth += 1;
            steps.push(Step::Leave(at));
            steps.push(Step::Decode { id, alias: None });
            continue;
        }
        match doc.nodes[id as usize].kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Sequence { first, len } => steps.extend((first..first + len).rev().map(slot)),
            NodeKind::Mapping { first, len } => {
                for pair in (first..first + len).step_by(2).rev() {
                    if doc.node(doc.children[pair as usize]).is_merge_key() {
                        let value = pair + 1;
                        match doc.nodes[doc.children[value as usize] as usize].kind {
                            NodeKind::Sequence { first, len } if !alias_slots.contains(&value) => {
                                steps.push(Step::MergeItems { first, len });
                            }
                            _ => steps.push(slot(value)),
                        }
                    } else {
                        steps.push(slot(pair + 1));
                        steps.push(slot(pair));
                    }
                }
            }
        }
    }
    None
}
