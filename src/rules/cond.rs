//! Conditions: `fact: predicate` maps combined with `all`, `any` and `not`, compiled once.
//!
//! ```yaml
//! env.region: { matches: "^cn-" }     # a map of facts: all must hold
//! image.registry: docker.io           # a scalar means `equals`
//! any: [ {image.tag: latest}, {image.tag: {present: false}} ]
//! not: { pod.pull-secrets: { empty: true } }
//! ```

use serde_json::Value as Json;

use super::facts::{Fact, Scope, Value};
use super::pattern::Pattern;
use super::quantity;
use super::template::Template;
use crate::yaml::Node;

#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test(Fact, Predicate),
    /// `every`, `some` or `none` of the nodes a path reaches satisfy `where`, each read as `item`.
    Quantified(Quantifier, Fact, Box<Cond>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Every,
    Some,
    None,
}

#[derive(Debug, Clone)]
pub enum Predicate {
    Equals(Template),
    NotEquals(Template),
    In(Vec<String>),
    NotIn(Vec<String>),
    Matches(Pattern),
    NotMatches(Pattern),
    StartsWith(String),
    EndsWith(String),
    Present(bool),
    Empty(bool),
    /// A list holds the item, or a text holds the substring.
    Contains(Template),
    Lacks(Template),
    /// Numeric comparisons; both sides are read as Kubernetes quantities (`500m`, `1Gi`).
    Compare(Ordering, Template),
    /// `quantity: false` holds for a present value that is not a valid quantity.
    Quantity(bool),
    /// A label selector (or a plain label map) that does (not) match the labels at a path.
    Selects(bool, Fact),
    /// The same YAML value as the node at a path, whatever the formatting (`same-as`).
    SameAs(Fact),
    All(Vec<Predicate>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Cond {
    pub fn compile(json: &Json) -> Result<Cond, String> {
        let Json::Object(map) = json else {
            return Err(format!("a condition is a map of facts, not `{json}`"));
        };
        let mut all = Vec::new();
        for (key, value) in map {
            all.push(match key.as_str() {
                "all" | "any" => {
                    let Json::Array(items) = value else {
                        return Err(format!("`{key}` takes a list of conditions"));
                    };
                    let items = items.iter().map(Cond::compile).collect::<Result<_, _>>()?;
                    if key == "all" {
                        Cond::All(items)
                    } else {
                        Cond::Any(items)
                    }
                }
                "not" => Cond::Not(Box::new(Cond::compile(value)?)),
                "every" | "some" | "none" => {
                    let quantifier = match key.as_str() {
                        "every" => Quantifier::Every,
                        "some" => Quantifier::Some,
                        _ => Quantifier::None,
                    };
                    let shape = || format!("`{key}` takes `{{of: <path>, where: <condition>}}`");
                    let Json::Object(body) = value else {
                        return Err(shape());
                    };
                    let of = body.get("of").and_then(Json::as_str).ok_or_else(shape)?;
                    let of = Fact::parse(of)?;
                    if !of.is_path() {
                        return Err(format!("`{key}`: `of` names a path such as `pod.volumes`"));
                    }
                    let condition = Cond::compile(body.get("where").ok_or_else(shape)?)?;
                    if let Some(extra) = body.keys().find(|k| *k != "of" && *k != "where") {
                        return Err(format!("`{key}`: unknown key `{extra}`"));
                    }
                    Cond::Quantified(quantifier, of, Box::new(condition))
                }
                fact => Cond::Test(Fact::parse(fact)?, Predicate::compile(value)?),
            });
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Cond::All(all)
        })
    }

    pub fn facts(&self) -> Vec<&Fact> {
        match self {
            Cond::All(items) | Cond::Any(items) => items.iter().flat_map(Cond::facts).collect(),
            Cond::Not(inner) => inner.facts(),
            Cond::Test(fact, predicate) => {
                let mut facts = vec![fact];
                facts.extend(predicate.facts());
                facts
            }
            Cond::Quantified(_, of, inner) => {
                let mut facts = vec![of];
                facts.extend(inner.facts());
                facts
            }
        }
    }

    /// Every regular expression of the condition, to build them all when a rule is read from
    /// a config's folder (a pattern too large to build is then an error of that rule).
    pub fn patterns(&self) -> Vec<&Pattern> {
        match self {
            Cond::All(items) | Cond::Any(items) => items.iter().flat_map(Cond::patterns).collect(),
            Cond::Not(inner) | Cond::Quantified(_, _, inner) => inner.patterns(),
            Cond::Test(_, predicate) => predicate.patterns(),
        }
    }

    pub fn holds(&self, scope: &Scope<'_, '_>) -> bool {
        match self {
            Cond::All(items) => items.iter().all(|c| c.holds(scope)),
            Cond::Any(items) => items.iter().any(|c| c.holds(scope)),
            Cond::Not(inner) => !inner.holds(scope),
            Cond::Test(fact, predicate) => predicate.holds(&fact.read(scope), scope),
            Cond::Quantified(quantifier, of, inner) => {
                let mut items = of.nodes(scope).into_iter().flat_map(sequence_items);
                let holds = |item| {
                    inner.holds(&Scope {
                        item: Some(item),
                        ..*scope
                    })
                };
                match quantifier {
                    Quantifier::Every => items.all(holds),
                    Quantifier::Some => items.any(holds),
                    Quantifier::None => !items.any(holds),
                }
            }
        }
    }
}

/// A quantifier's `of` path may end on the list itself (`pod.volumes`) or fan out with `[*]`.
fn sequence_items(node: Node<'_>) -> Vec<Node<'_>> {
    if node.as_str().is_none() && !node.is_mapping() {
        node.items().collect()
    } else {
        vec![node]
    }
}

fn scalar(json: &Json) -> Option<String> {
    match json {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Predicate {
    fn compile(json: &Json) -> Result<Predicate, String> {
        if let Some(text) = scalar(json) {
            return Ok(Predicate::Equals(Template::compile(&text)?));
        }
        let Json::Object(ops) = json else {
            return Err(format!(
                "a predicate is a value or a map of tests, not `{json}`"
            ));
        };
        let text = |op: &str, v: &Json| scalar(v).ok_or(format!("`{op}` takes a value"));
        let list = |op: &str, v: &Json| match v {
            Json::Array(items) => items.iter().map(|i| text(op, i)).collect(),
            _ => Err(format!("`{op}` takes a list")),
        };
        let flag = |op: &str, v: &Json| v.as_bool().ok_or(format!("`{op}` takes true or false"));
        let regex = |op: &str, v: &Json| {
            let source = text(op, v)?;
            Pattern::parse(&source).map_err(|e| format!("`{op}`: invalid regex: {e}"))
        };
        let mut all = Vec::new();
        for (op, v) in ops {
            all.push(match op.as_str() {
                "equals" => Predicate::Equals(Template::compile(&text(op, v)?)?),
                "not-equals" => Predicate::NotEquals(Template::compile(&text(op, v)?)?),
                "in" => Predicate::In(list(op, v)?),
                "not-in" => Predicate::NotIn(list(op, v)?),
                "matches" => Predicate::Matches(regex(op, v)?),
                "not-matches" => Predicate::NotMatches(regex(op, v)?),
                "starts-with" => Predicate::StartsWith(text(op, v)?),
                "ends-with" => Predicate::EndsWith(text(op, v)?),
                "present" => Predicate::Present(flag(op, v)?),
                "empty" => Predicate::Empty(flag(op, v)?),
                "contains" => Predicate::Contains(Template::compile(&text(op, v)?)?),
                "lacks" => Predicate::Lacks(Template::compile(&text(op, v)?)?),
                "lt" | "le" | "gt" | "ge" => {
                    let ordering = match op.as_str() {
                        "lt" => Ordering::Less,
                        "le" => Ordering::LessOrEqual,
                        "gt" => Ordering::Greater,
                        _ => Ordering::GreaterOrEqual,
                    };
                    Predicate::Compare(ordering, Template::compile(&text(op, v)?)?)
                }
                "quantity" => Predicate::Quantity(flag(op, v)?),
                "selects" | "not-selects" => {
                    let labels = Fact::parse(&text(op, v)?)?;
                    if !labels.is_path() {
                        return Err(format!("`{op}` names the path of a label map"));
                    }
                    Predicate::Selects(op == "selects", labels)
                }
                "same-as" => {
                    let other = Fact::parse(&text(op, v)?)?;
                    if !other.is_path() {
                        return Err(format!("`{op}` names a path"));
                    }
                    Predicate::SameAs(other)
                }
                other => return Err(format!("unknown test `{other}`")),
            });
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Predicate::All(all)
        })
    }

    fn facts(&self) -> Vec<&Fact> {
        match self {
            Predicate::Equals(t)
            | Predicate::NotEquals(t)
            | Predicate::Contains(t)
            | Predicate::Lacks(t)
            | Predicate::Compare(_, t) => t.facts().collect(),
            Predicate::Selects(_, labels) | Predicate::SameAs(labels) => vec![labels],
            Predicate::All(items) => items.iter().flat_map(Predicate::facts).collect(),
            _ => Vec::new(),
        }
    }

    fn patterns(&self) -> Vec<&Pattern> {
        match self {
            Predicate::Matches(pattern) | Predicate::NotMatches(pattern) => vec![pattern],
            Predicate::All(items) => items.iter().flat_map(Predicate::patterns).collect(),
            _ => Vec::new(),
        }
    }

    /// Absent values fail every positive test and pass every negative one.
    fn holds(&self, value: &Value<'_>, scope: &Scope<'_, '_>) -> bool {
        let text = value.text();
        let text = text.as_deref();
        match self {
            Predicate::Equals(t) => text == Some(t.render(scope).as_str()),
            Predicate::NotEquals(t) => text != Some(t.render(scope).as_str()),
            Predicate::In(items) => text.is_some_and(|v| items.iter().any(|i| i == v)),
            Predicate::NotIn(items) => !text.is_some_and(|v| items.iter().any(|i| i == v)),
            Predicate::Matches(re) => text.is_some_and(|v| re.is_match(v)),
            Predicate::NotMatches(re) => !text.is_some_and(|v| re.is_match(v)),
            Predicate::StartsWith(p) => text.is_some_and(|v| v.starts_with(p.as_str())),
            Predicate::EndsWith(p) => text.is_some_and(|v| v.ends_with(p.as_str())),
            Predicate::Present(want) => value.is_present() == *want,
            Predicate::Empty(want) => value.is_empty() == *want,
            Predicate::Contains(t) => contains(value, &t.render(scope)),
            Predicate::Lacks(t) => !contains(value, &t.render(scope)),
            Predicate::Compare(ordering, t) => {
                let pair = text
                    .and_then(quantity::parse)
                    .zip(quantity::parse(&t.render(scope)));
                pair.is_some_and(|(left, right)| match ordering {
                    Ordering::Less => left < right,
                    Ordering::LessOrEqual => left <= right,
                    Ordering::Greater => left > right,
                    Ordering::GreaterOrEqual => left >= right,
                })
            }
            Predicate::Quantity(want) => {
                value.is_present() && text.and_then(quantity::parse).is_some() == *want
            }
            Predicate::Selects(want, labels) => match value {
                Value::Node(selector) => selector_matches(*selector, labels.node(scope)) == *want,
                _ => !*want,
            },
            Predicate::SameAs(other) => match (value, other.node(scope)) {
                (Value::Node(node), Some(other)) => {
                    same_value(*node, other, &mut { COMPARE_BUDGET })
                }
                _ => false,
            },
            Predicate::All(items) => items.iter().all(|p| p.holds(value, scope)),
        }
    }
}

/// Aliases can make a small document a huge tree; a comparison visits at most this many
/// nodes (probes and the like are a few dozen), and values beyond it are not called the same.
const COMPARE_BUDGET: usize = 4096;

/// Structural equality: same scalars, same items in order, same entries in any order.
fn same_value(a: Node<'_>, b: Node<'_>, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => return x == y,
        (None, None) => {}
        _ => return false,
    }
    if a.is_mapping() != b.is_mapping() {
        return false;
    }
    if a.is_mapping() {
        let (left, right) = (a.entries(), b.entries());
        left.len() == right.len()
            && left.iter().all(|(k, v)| {
                k.as_str()
                    .and_then(|k| b.get(k))
                    .is_some_and(|w| same_value(*v, w, budget))
            })
    } else {
        a.items().count() == b.items().count()
            && a.items()
                .zip(b.items())
                .all(|(x, y)| same_value(x, y, budget))
    }
}

/// Whether a selector matches a label map as the API server matches it: a `LabelSelector`
/// (`matchLabels` and `matchExpressions`, all must hold) or a plain map (a Service's selector).
/// Missing labels are an empty map.
fn selector_matches(selector: Node<'_>, labels: Option<Node<'_>>) -> bool {
    selector_matches_with(selector, &|key: &str| {
        labels.and_then(|l| l.get(key)).and_then(|v| v.as_str())
    })
}

/// The same match over labels read by `label` (an inventory's pod templates).
pub(super) fn selector_matches_with<'l>(
    selector: Node<'_>,
    label: &dyn Fn(&str) -> Option<&'l str>,
) -> bool {
    let map_matches = |map: Node<'_>| {
        map.entries()
            .iter()
            .all(|(k, v)| k.as_str().is_some_and(|k| label(k) == v.as_str()))
    };
    let match_labels = selector.get("matchLabels");
    let expressions = selector.get("matchExpressions");
    if match_labels.is_none() && expressions.is_none() {
        return map_matches(selector);
    }
    match_labels.is_none_or(map_matches)
        && expressions
            .into_iter()
            .flat_map(|e| e.items())
            .all(|expression| {
                let Some(key) = expression.text("key") else {
                    return false;
                };
                let values: Vec<&str> = expression
                    .get("values")
                    .into_iter()
                    .flat_map(|v| v.items())
                    .filter_map(|v| v.as_str())
                    .collect();
                let found = label(key);
                match expression.text("operator") {
                    Some("In") => found.is_some_and(|f| values.contains(&f)),
                    Some("NotIn") => found.is_none_or(|f| !values.contains(&f)),
                    Some("Exists") => found.is_some(),
                    Some("DoesNotExist") => found.is_none(),
                    _ => false,
                }
            })
}

fn contains(value: &Value<'_>, needle: &str) -> bool {
    match value {
        Value::List(items) => items.iter().any(|i| i == needle),
        Value::Node(node) if node.as_str().is_none() => {
            node.items().any(|i| i.as_text() == Some(needle))
        }
        other => other.text().is_some_and(|t| t.contains(needle)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(yaml: &str) -> Result<Cond, String> {
        let json: Json = serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        Cond::compile(&json)
    }

    #[test]
    fn maps_combinators_and_predicates_compile() {
        let cond = compile(
            "env.region: {matches: '^cn-'}\nany: [{image.tag: latest}, {image.tag: {present: false}}]\nnot: {pod.pull-secrets: {empty: true}}\n",
        )
        .unwrap();
        let Cond::All(parts) = cond else { panic!() };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn selectors_match_labels_as_the_api_server_does() {
        let stream = crate::yaml::parse(concat!(
            "labels: {app: web, tier: front}\n",
            "plain: {app: web}\n",
            "exprs: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front, back]}, {key: canary, operator: DoesNotExist}]}\n",
            "wrong: {matchLabels: {app: api}}\n",
            "notin: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}\n",
        ));
        let root = stream.documents[0].root().unwrap();
        let labels = root.get("labels");
        let matches = |key: &str| selector_matches(root.get(key).unwrap(), labels);
        assert!(matches("plain"));
        assert!(matches("exprs"));
        assert!(!matches("wrong"));
        assert!(!matches("notin"));
        assert!(!selector_matches(root.get("plain").unwrap(), None));
    }

    #[test]
    fn quantifiers_and_comparisons_compile() {
        let cond =
            compile("some: {of: pod.volumes, where: {item.hostPath: {present: true}}}\n").unwrap();
        assert!(matches!(cond, Cond::Quantified(Quantifier::Some, ..)));
        assert!(
            compile("container.resources.limits.cpu: {lt: '{container.resources.requests.cpu}'}")
                .is_ok()
        );
        assert!(
            compile("every: {of: pod.volumes}")
                .unwrap_err()
                .contains("takes `{of")
        );
        assert!(
            compile("none: {of: image, where: {}}")
                .unwrap_err()
                .contains("names a path")
        );
        assert!(
            compile("object.spec.selector: {selects: image}")
                .unwrap_err()
                .contains("label map")
        );
    }

    #[test]
    fn mistakes_name_what_is_wrong() {
        assert!(
            compile("image.registry: {equls: x}")
                .unwrap_err()
                .contains("unknown test `equls`")
        );
        assert!(
            compile("image.regstry: x")
                .unwrap_err()
                .contains("unknown fact")
        );
        assert!(compile("any: {a: b}").unwrap_err().contains("takes a list"));
        assert!(
            compile("image: {matches: '('}")
                .unwrap_err()
                .contains("invalid regex")
        );
        assert!(compile("- a").unwrap_err().contains("map of facts"));
    }
}
