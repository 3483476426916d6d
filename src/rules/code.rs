//! Code templates: checks the predicates cannot say, registered by id and parametrised by a
//! rule file, which still carries the rule's id, docs and cases. A template picks the nodes a
//! rule's clauses then look at as `item`.

use std::collections::HashSet;

use super::facts::{Fact, Scope};
use crate::yaml::Node;

/// The registered templates, by the id rule files name in `each: {template: ...}`.
const TEMPLATES: &[&str] = &["duplicates"];

#[derive(Debug, Clone)]
pub enum Template {
    /// Items of a list whose `key` repeats an earlier item's: the second `env` entry named
    /// `A`, the second port `8080`. Kubernetes keeps one of them silently.
    Duplicates { of: Fact, key: String },
}

impl Template {
    pub fn compile(id: &str, of: Fact, key: Option<String>) -> Result<Template, String> {
        match id {
            "duplicates" => Ok(Template::Duplicates {
                of,
                key: key.ok_or("template `duplicates` needs `key`")?,
            }),
            other => Err(format!(
                "unknown template `{other}` (known: {})",
                TEMPLATES.join(", ")
            )),
        }
    }

    pub fn of(&self) -> &Fact {
        match self {
            Template::Duplicates { of, .. } => of,
        }
    }

    pub fn items<'a>(&self, scope: &Scope<'_, 'a>) -> Vec<Node<'a>> {
        match self {
            Template::Duplicates { of, key } => {
                let mut seen = HashSet::new();
                of.nodes(scope)
                    .into_iter()
                    .filter(|item| {
                        item.get(key)
                            .and_then(|k| k.as_text())
                            .is_some_and(|k| !seen.insert(k))
                    })
                    .collect()
            }
        }
    }
}
