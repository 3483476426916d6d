//! Conditions: `fact: predicate` maps combined with `all`, `any` and `not`, compiled once.
//!
//! ```yaml
//! env.region: { matches: "^cn-" }     # a map of facts: all must hold
//! image.registry: docker.io           # a scalar means `equals`
//! any: [ {image.tag: latest}, {image.tag: {present: false}} ]
//! not: { pod.pull-secrets: { empty: true } }
//! ```

use regex::Regex;
use serde_json::Value as Json;

use super::facts::{Fact, Scope, Value};
use super::template::Template;

#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test(Fact, Predicate),
}

#[derive(Debug, Clone)]
pub enum Predicate {
    Equals(Template),
    NotEquals(Template),
    In(Vec<String>),
    NotIn(Vec<String>),
    Matches(Regex),
    NotMatches(Regex),
    StartsWith(String),
    EndsWith(String),
    Present(bool),
    Empty(bool),
    /// A list holds the item, or a text holds the substring.
    Contains(Template),
    Lacks(Template),
    All(Vec<Predicate>),
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
        }
    }

    pub fn holds(&self, scope: &Scope<'_, '_>) -> bool {
        match self {
            Cond::All(items) => items.iter().all(|c| c.holds(scope)),
            Cond::Any(items) => items.iter().any(|c| c.holds(scope)),
            Cond::Not(inner) => !inner.holds(scope),
            Cond::Test(fact, predicate) => predicate.holds(&fact.read(scope), scope),
        }
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
            Regex::new(&source).map_err(|e| format!("`{op}`: invalid regex: {e}"))
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
            | Predicate::Lacks(t) => t.facts().collect(),
            Predicate::All(items) => items.iter().flat_map(Predicate::facts).collect(),
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
            Predicate::All(items) => items.iter().all(|p| p.holds(value, scope)),
        }
    }
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
