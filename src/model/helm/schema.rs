//! `values.schema.json`: each release's layered values validated as Helm validates them
//! before rendering, every error at the values line (or key) that holds the wrong value.

use std::path::Path;

use jsonschema::paths::LocationSegment;
use serde_json::{Number, Value as Json};

use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::source::Origin;
use crate::yaml::{Tree, Value};

pub const RULE: &str = "helm-values-schema";

/// A chart's schema, read once per chart: the compiled validator, or why it does not compile.
pub enum Schema {
    Compiled(Box<jsonschema::Validator>),
    Broken(String),
}

impl Schema {
    /// The schema beside `Chart.yaml` in `chart_dir`, if the chart has one.
    pub fn read(chart_dir: &Path) -> Option<Schema> {
        let text = std::fs::read_to_string(chart_dir.join("values.schema.json")).ok()?;
        let json: Json = match serde_json::from_str(&text) {
            Ok(json) => json,
            Err(e) => {
                return Some(Schema::Broken(format!(
                    "values.schema.json is not JSON: {e}"
                )));
            }
        };
        Some(match jsonschema::validator_for(&json) {
            Ok(validator) => Schema::Compiled(Box::new(validator)),
            Err(e) => Schema::Broken(format!("values.schema.json is not a valid schema: {e}")),
        })
    }

    /// Every schema error of the effective values.
    pub fn validate(&self, values: &Tree, rules: &RuleSet) -> Vec<Finding> {
        let problems: Vec<(Origin, String)> = match self {
            Schema::Broken(message) => vec![(values.origin.point(), message.clone())],
            Schema::Compiled(validator) => {
                let instance = to_json(values);
                validator
                    .iter_errors(&instance)
                    .map(|error| {
                        let at = locate(values, error.instance_path().iter());
                        let path = error.instance_path().as_str().to_string();
                        let path = if path.is_empty() {
                            "the values".to_string()
                        } else {
                            format!("`{path}`")
                        };
                        (at, format!("{path} breaks values.schema.json: {error}"))
                    })
                    .collect()
            }
        };
        problems
            .into_iter()
            .filter_map(|(origin, message)| rules.builtin_finding(RULE, origin, message))
            .collect()
    }
}

/// The node a JSON pointer names; a collection is pointed at by its key, since its own
/// range spans every line below it.
fn locate<'s>(values: &Tree, segments: impl Iterator<Item = LocationSegment<'s>>) -> Origin {
    let mut node = values;
    let mut key: Option<&Tree> = None;
    for segment in segments {
        let next = match &segment {
            LocationSegment::Property(name) => node
                .entries()
                .iter()
                .rev()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(k, v)| (Some(k), v)),
            LocationSegment::Index(index) => node.items().get(*index).map(|v| (None, v)),
        };
        let Some((k, v)) = next else {
            break;
        };
        key = k;
        node = v;
    }
    match (&node.value, key) {
        (Value::Scalar { .. }, _) => node.origin,
        (_, Some(key)) => key.origin,
        (_, None) => node.origin.point(),
    }
}

/// Values as Helm hands them to the schema: YAML read with go-yaml's (YAML 1.1) types.
pub fn to_json(tree: &Tree) -> Json {
    match &tree.value {
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_text()?.to_string(), to_json(v))))
                .collect(),
        ),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Scalar { text, plain: false } => Json::String(text.clone()),
        Value::Scalar { text, plain: true } => plain_scalar(text),
    }
}

fn plain_scalar(text: &str) -> Json {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Json::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Json::Bool(false);
        }
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(int) = text.trim_start_matches('+').parse::<i64>()
    {
        return Json::Number(int.into());
    }
    let looks_float = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_float
        && let Ok(float) = text.parse::<f64>()
        && let Some(number) = Number::from_f64(float)
    {
        return Json::Number(number);
    }
    Json::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn tree(text: &str) -> Tree {
        let stream = parse(text).in_file(FileId(0));
        Tree::from_node(stream.documents[0].root().unwrap()).unwrap()
    }

    #[test]
    fn values_are_typed_as_helm_types_them() {
        let json = to_json(&tree("a: 1\nb: '1'\nc: yes\nd: 1.5\ne: ~\nf: v1\ng: [x]\n"));
        assert_eq!(
            json,
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": 1.5, "e": null, "f": "v1", "g": ["x"]})
        );
    }

    #[test]
    fn a_wrong_value_is_located_at_its_leaf_and_a_wrong_map_at_its_key() {
        let text = "image:\n  tag: 3\nlist: [a, b]\n";
        let values = tree(text);
        let at = |pointer: &str| {
            let segments = pointer
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| match s.parse::<usize>() {
                    Ok(i) => LocationSegment::Index(i),
                    Err(_) => LocationSegment::Property(s.to_string().into()),
                })
                .collect::<Vec<_>>();
            let origin = locate(&values, segments.into_iter());
            &text[origin.range()]
        };
        assert_eq!(at("/image/tag"), "3");
        assert_eq!(at("/image"), "image");
        assert_eq!(at("/list/1"), "b");
    }
}
