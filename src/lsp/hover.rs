//! Hover on a finding: the rule's explanation, as `kubelint explain RULE` prints it.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::rules::{RuleSet, docs};

use super::Linted;
use super::actions::covers;

/// The explanation of each rule with a finding at `offset`, once per rule, in the order of their ids.
pub fn hover(linted: &Linted, offset: usize, rules: &RuleSet) -> Option<Hover> {
    let mut ids: Vec<&str> = linted
        .own()
        .filter(|finding| covers(finding, offset))
        .map(|finding| &*finding.rule)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let explained: Vec<String> = ids
        .into_iter()
        .filter_map(|id| rules.get(id).map(docs::explain))
        .collect();
    (!explained.is_empty()).then(|| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: explained.join("\n\n---\n\n"),
        }),
        range: None,
    })
}
