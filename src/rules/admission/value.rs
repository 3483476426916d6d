//! Spanned YAML nodes as CEL values, and a validation's `fieldPath` back onto the nodes.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value;
use cel::objects::{Key, Map};

use crate::yaml::{MAX_COPIED_NODES, Node, ScalarType};

/// The deepest nesting converted; the parser bounds nesting already, this keeps the
/// recursion off the stack's edge.
const MAX_DEPTH: usize = 512;

/// The object was larger than a CEL value may be (its aliases expand past the budget).
#[derive(Debug)]
pub struct TooLarge;

/// A node as the API server's CEL sees the JSON it decodes: mappings are maps, sequences
/// lists, plain scalars typed as YAML reads them (integers, floats, booleans, null).
/// A document kubectl refuses for its aliases is never expanded, as `Tree::from_node` does.
pub fn to_value(node: Node<'_>) -> Result<Value, TooLarge> {
    if node.in_refused_document() {
        return Err(TooLarge);
    }
    let mut budget = MAX_COPIED_NODES;
    convert(node, &mut budget, 0)
}

fn convert(node: Node<'_>, budget: &mut usize, depth: usize) -> Result<Value, TooLarge> {
    *budget = budget.checked_sub(1).ok_or(TooLarge)?;
    if let Some(text) = node.as_str() {
        return Ok(scalar(text, node.scalar_type()));
    }
    if depth > MAX_DEPTH {
        return Err(TooLarge);
    }
    if node.is_mapping() {
        let mut map: HashMap<Key, Value> = HashMap::new();
        for (key, value) in node.entries() {
            let key = key.as_str().unwrap_or_default().to_string();
            map.insert(
                Key::String(Arc::new(key)),
                convert(value, budget, depth + 1)?,
            );
        }
        Ok(Value::Map(Map { map: Arc::new(map) }))
    } else {
        let items = node
            .items()
            .map(|item| convert(item, budget, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::List(Arc::new(items)))
    }
}

fn scalar(text: &str, kind: Option<ScalarType>) -> Value {
    match kind {
        Some(ScalarType::Null) => Value::Null,
        Some(ScalarType::Bool) => Value::Bool(matches!(
            text,
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON"
        )),
        Some(ScalarType::Number) => number(text),
        _ => Value::String(Arc::new(text.to_string())),
    }
}

fn number(text: &str) -> Value {
    let unsigned = text.trim_start_matches('+');
    if let Ok(int) = unsigned.parse::<i64>() {
        return Value::Int(int);
    }
    let (negative, digits) = match unsigned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, unsigned),
    };
    let radix = digits
        .strip_prefix("0x")
        .map(|h| (h, 16))
        .or_else(|| digits.strip_prefix("0o").map(|o| (o, 8)));
    if let Some(int) = radix.and_then(|(d, r)| i64::from_str_radix(d, r).ok()) {
        return Value::Int(if negative { -int } else { int });
    }
    let float = match digits.to_ascii_lowercase().as_str() {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        other => other.parse().unwrap_or(f64::NAN),
    };
    Value::Float(if negative { -float } else { float })
}

/// One step of a `fieldPath`.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Reads a `fieldPath` such as `spec.template.spec.containers[0].image` or
/// `metadata.labels['app.kubernetes.io/name']`; `None` when it is not one.
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    let mut rest = path.trim().strip_prefix('.').unwrap_or(path.trim());
    while !rest.is_empty() {
        if let Some(bracket) = rest.strip_prefix('[') {
            let close = bracket.find(']')?;
            let inner = bracket[..close].trim();
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            out.push(match quoted {
                Some(key) => Step::Key(key.to_string()),
                None => Step::Index(inner.parse().ok()?),
            });
            rest = &bracket[close + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            out.push(Step::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Some(out)
}

/// The node a `fieldPath` names in the object, if the path is well formed and the node is there.
pub fn field_node<'a>(root: Node<'a>, path: &str) -> Option<Node<'a>> {
    steps(path)?
        .into_iter()
        .try_fold(root, |node, step| match step {
            Step::Key(key) => node.get(&key),
            Step::Index(index) => node.items().nth(index),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_read_keys_indexes_and_quoted_keys() {
        assert_eq!(
            steps("spec.containers[0].image"),
            Some(vec![
                Step::Key("spec".into()),
                Step::Key("containers".into()),
                Step::Index(0),
                Step::Key("image".into()),
            ])
        );
        assert_eq!(
            steps(".metadata.labels['app.kubernetes.io/name']"),
            Some(vec![
                Step::Key("metadata".into()),
                Step::Key("labels".into()),
                Step::Key("app.kubernetes.io/name".into()),
            ])
        );
        assert_eq!(steps("spec[x]"), None);
        assert_eq!(steps("spec..a"), None);
    }

    #[test]
    fn scalars_are_typed_as_the_api_server_decodes_them() {
        let stream = crate::yaml::parse("a: 3\nb: '3'\nc: 1.5\nd: true\ne: ~\nf: [x]\n");
        let value = to_value(stream.documents[0].root().unwrap()).unwrap();
        let Value::Map(map) = value else {
            panic!("a mapping converts to a map")
        };
        assert_eq!(
            map.get(&Key::String(Arc::new("a".into()))),
            Some(&Value::Int(3))
        );
        assert_eq!(
            map.get(&Key::String(Arc::new("b".into()))),
            Some(&Value::from("3"))
        );
        assert_eq!(
            map.get(&Key::String(Arc::new("c".into()))),
            Some(&Value::Float(1.5))
        );
        assert_eq!(
            map.get(&Key::String(Arc::new("d".into()))),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            map.get(&Key::String(Arc::new("e".into()))),
            Some(&Value::Null)
        );
    }

    #[test]
    fn a_document_kubectl_refuses_for_its_aliases_is_no_value() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for name in ['b', 'c', 'd', 'e'] {
            let prev = (name as u8 - 1) as char;
            let items = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let stream = crate::yaml::parse(bomb);
        assert!(to_value(stream.documents[0].root().unwrap()).is_err());
        let accepted = crate::yaml::parse("a: &a [x]\nb: [*a]\n");
        assert!(to_value(accepted.documents[0].root().unwrap()).is_ok());
    }
}
