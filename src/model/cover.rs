//! Objects that cover the workloads of their namespace, for rules that ask the reverse of a
//! reference ("does some PodDisruptionBudget select this workload's pods?"): a
//! PodDisruptionBudget or a NetworkPolicy by its pod selector, a HorizontalPodAutoscaler by
//! its scale target. Summaries record them; the index answers per workload without trying
//! every selector of the namespace.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::source::{FileId, Origin};
use crate::yaml::Node;

use super::object::Object;

/// One object that covers workloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cover {
    pub kind: String,
    /// The namespace the object sets itself; the environment supplies a default.
    pub namespace: Option<String>,
    /// Its name (its `kind` without one): where a related location points.
    #[serde(with = "super::summary::range")]
    pub origin: Origin,
    pub covers: Covers,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Covers {
    /// The pods its label selector matches.
    Pods(Selector),
    /// The object its `scaleTargetRef` names.
    Target { kind: String, name: String },
}

/// A label selector, owned so a summary outlives its file's tree. A selector without
/// `matchLabels` or `matchExpressions` entries (`{}`) matches every pod of the namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    pub labels: Vec<(String, String)>,
    pub expressions: Vec<Expression>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expression {
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`; anything else (or no key) matches nothing,
    /// as the API server would reject it.
    pub operator: String,
    pub values: Vec<String>,
}

impl Selector {
    /// Reads a `LabelSelector` (`matchLabels`, `matchExpressions`).
    pub fn read(node: Node<'_>) -> Selector {
        let labels = node
            .get("matchLabels")
            .map(|map| {
                map.entries()
                    .iter()
                    .map(|(k, v)| {
                        let text = |n: &Node<'_>| n.as_str().unwrap_or_default().to_string();
                        (text(k), text(v))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expressions = node
            .get("matchExpressions")
            .into_iter()
            .flat_map(|e| e.items())
            .map(|expression| {
                let key = expression.text("key");
                Expression {
                    key: key.unwrap_or_default().to_string(),
                    operator: key
                        .and(expression.text("operator"))
                        .unwrap_or_default()
                        .to_string(),
                    values: expression
                        .get("values")
                        .into_iter()
                        .flat_map(|v| v.items())
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                }
            })
            .collect();
        Selector {
            labels,
            expressions,
        }
    }

    /// The label keys the selector looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.expressions.iter().map(|e| e.key.as_str()))
    }

    /// Whether an object with the labels `label` reads is selected.
    pub fn matches<'l>(&self, label: impl Fn(&str) -> Option<&'l str>) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| label(k) == Some(v.as_str()))
            && self.expressions.iter().all(|e| {
                let found = label(&e.key);
                let listed = |f: &str| e.values.iter().any(|v| v == f);
                match e.operator.as_str() {
                    "In" => found.is_some_and(listed),
                    "NotIn" => found.is_none_or(|f| !listed(f)),
                    "Exists" => found.is_some(),
                    "DoesNotExist" => found.is_none(),
                    _ => false,
                }
            })
    }

    /// A label every pod it matches carries: one of `matchLabels`, or an `In` with one value.
    fn required(&self) -> Option<(&str, &str)> {
        self.labels
            .first()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .or_else(|| {
                self.expressions
                    .iter()
                    .find_map(|e| match e.values.as_slice() {
                        [only] if e.operator == "In" => Some((e.key.as_str(), only.as_str())),
                        _ => None,
                    })
            })
    }
}

/// What an object covers, when it is a kind that covers workloads: a PodDisruptionBudget's
/// `spec.selector`, a NetworkPolicy's `spec.podSelector` (an absent selector selects
/// nothing), a HorizontalPodAutoscaler's `spec.scaleTargetRef`.
pub fn cover_of(object: &Object<'_>, origin: Origin) -> Option<Cover> {
    let spec = object.root.get("spec")?;
    let covers = match object.kind {
        "PodDisruptionBudget" => Covers::Pods(Selector::read(spec.get("selector")?)),
        "NetworkPolicy" => Covers::Pods(Selector::read(spec.get("podSelector")?)),
        "HorizontalPodAutoscaler" => {
            let target = spec.get("scaleTargetRef")?;
            Covers::Target {
                kind: target.text("kind")?.to_string(),
                name: target.text("name")?.to_string(),
            }
        }
        _ => return None,
    };
    Some(Cover {
        kind: object.kind.to_string(),
        namespace: object.namespace.map(str::to_string),
        origin,
        covers,
    })
}

/// A cover as the index keeps it: the environment that sees it, and its name's origin.
pub type Seen = (Option<Arc<str>>, Origin);

/// (cover kind, namespace, and a label key and value or a target kind and name).
type Key = (String, String, String, String);

#[derive(Debug)]
struct Placed {
    env: Option<Arc<str>>,
    origin: Origin,
    selector: Selector,
}

/// Every cover of the repository, by kind and namespace.
#[derive(Debug, Default)]
pub struct CoverIndex {
    selectors: Vec<Placed>,
    /// Selectors by (kind, namespace, key, value) of a label every pod they match carries.
    by_label: HashMap<Key, Vec<usize>>,
    /// Selectors that require no one label (`{}`, `Exists`, `NotIn`): tried for every pod.
    wide: HashMap<(String, String), Vec<usize>>,
    /// Scale targets by (kind, namespace, target kind, target name).
    targets: HashMap<Key, Vec<Seen>>,
}

impl CoverIndex {
    pub fn add(&mut self, cover: &Cover, namespace: String, env: Option<Arc<str>>) {
        match &cover.covers {
            Covers::Pods(selector) => {
                let index = self.selectors.len();
                match selector.required() {
                    Some((key, value)) => {
                        let label = (cover.kind.clone(), namespace, key.into(), value.into());
                        self.by_label.entry(label).or_default().push(index);
                    }
                    None => {
                        let at = (cover.kind.clone(), namespace);
                        self.wide.entry(at).or_default().push(index);
                    }
                }
                self.selectors.push(Placed {
                    env,
                    origin: cover.origin,
                    selector: selector.clone(),
                });
            }
            Covers::Target { kind, name } => {
                let at = (cover.kind.clone(), namespace, kind.clone(), name.clone());
                self.targets
                    .entry(at)
                    .or_default()
                    .push((env, cover.origin));
            }
        }
    }

    /// The first (in file order) `kind` in `namespace`, seen from `env`, whose selector
    /// matches `labels`, leaving out the covers of the files in `hidden`.
    pub fn selecting(
        &self,
        kind: &str,
        namespace: &str,
        env: Option<&str>,
        labels: &[(&str, &str)],
        hidden: Option<&HashSet<FileId>>,
    ) -> Option<Seen> {
        let labelled = labels.iter().flat_map(|(key, value)| {
            let at = (
                kind.into(),
                namespace.into(),
                (*key).into(),
                (*value).into(),
            );
            self.by_label.get(&at).into_iter().flatten()
        });
        let wide = self.wide.get(&(kind.into(), namespace.into()));
        let label = |key: &str| labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        labelled
            .chain(wide.into_iter().flatten())
            .filter_map(|&i| self.selectors.get(i))
            .filter(|p| hidden.is_none_or(|h| !h.contains(&p.origin.file)))
            .filter(|p| super::inventory::visible(p.env.as_deref(), env))
            .filter(|p| p.selector.matches(label))
            .min_by_key(|p| (p.origin.file, p.origin.start))
            .map(|p| (p.env.clone(), p.origin))
    }

    /// The first (in file order) `kind` in `namespace`, seen from `env`, that targets the
    /// object `target_kind` `target_name`, leaving out the covers of the files in `hidden`.
    pub fn targeting(
        &self,
        kind: &str,
        namespace: &str,
        env: Option<&str>,
        (target_kind, target_name): (&str, &str),
        hidden: Option<&HashSet<FileId>>,
    ) -> Option<Seen> {
        let at = (
            kind.into(),
            namespace.into(),
            target_kind.into(),
            target_name.into(),
        );
        self.targets
            .get(&at)?
            .iter()
            .filter(|(_, o)| hidden.is_none_or(|h| !h.contains(&o.file)))
            .filter(|(e, _)| super::inventory::visible(e.as_deref(), env))
            .min_by_key(|(_, o)| (o.file, o.start))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn selector(text: &str) -> Selector {
        let stream = parse(text);
        Selector::read(stream.documents[0].root().unwrap())
    }

    #[test]
    fn an_empty_selector_matches_every_pod_and_a_bad_operator_none() {
        assert!(selector("{}").matches(|_| None));
        let bad = selector("matchExpressions: [{key: app, operator: Is, values: [web]}]");
        assert!(!bad.matches(|_| Some("web")));
    }

    #[test]
    fn labels_and_expressions_must_all_hold() {
        let both = selector(
            "matchLabels: {app: web}\nmatchExpressions: [{key: tier, operator: NotIn, values: [db]}]",
        );
        let pod = |tier: &'static str| move |k: &str| (k == "app").then_some("web").or(Some(tier));
        assert!(both.matches(pod("front")));
        assert!(!both.matches(pod("db")));
    }

    #[test]
    fn a_wide_selector_is_found_and_a_labelled_one_only_through_its_label() {
        let mut index = CoverIndex::default();
        let origin = |start| Origin::new(crate::source::FileId(0), start..start + 1);
        let cover = |text: &str, at| Cover {
            kind: "NetworkPolicy".into(),
            namespace: None,
            origin: origin(at),
            covers: Covers::Pods(selector(text)),
        };
        index.add(&cover("matchLabels: {app: api}", 5), "shop".into(), None);
        let api = [("app", "api")];
        let found = index.selecting("NetworkPolicy", "shop", None, &api, None);
        assert_eq!(found.map(|(_, o)| o.start), Some(5));
        assert!(
            index
                .selecting("NetworkPolicy", "shop", None, &[("app", "web")], None)
                .is_none()
        );
        assert!(
            index
                .selecting("NetworkPolicy", "other", None, &api, None)
                .is_none()
        );
        index.add(&cover("{}", 9), "shop".into(), None);
        let web = index.selecting("NetworkPolicy", "shop", None, &[("app", "web")], None);
        assert_eq!(web.map(|(_, o)| o.start), Some(9));
    }
}
