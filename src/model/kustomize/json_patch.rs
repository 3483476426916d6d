//! JSON patches (RFC 6902) over effective trees: `add`, `remove`, `replace`, `move`, `copy`
//! and `test`, with JSON pointers (RFC 6901). A value an operation sets keeps the patch's
//! origin.

use crate::source::Origin;
use crate::yaml::{Tree, Value};

/// Why an operation did not apply, and the operation it was.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchError {
    pub message: String,
    pub origin: Origin,
}

/// Applies every operation of `ops` (a sequence of `{op, path, value, from}` mappings) in
/// order; stops at the first that fails, as kustomize does.
pub fn apply(target: &mut Tree, ops: &Tree) -> Result<(), PatchError> {
    for op in ops.items() {
        apply_one(target, op)?;
    }
    Ok(())
}

fn apply_one(target: &mut Tree, op: &Tree) -> Result<(), PatchError> {
    let fail = |message: String| PatchError {
        message,
        origin: op.origin,
    };
    let name = op
        .text("op")
        .ok_or_else(|| fail("an operation without `op`".into()))?;
    let path = op
        .text("path")
        .map(pointer)
        .transpose()
        .map_err(fail)?
        .ok_or_else(|| fail(format!("`{name}` without `path`")))?;
    let value = || {
        op.get("value")
            .cloned()
            .ok_or_else(|| fail(format!("`{name}` without `value`")))
    };
    let from = || {
        op.text("from")
            .map(pointer)
            .transpose()
            .map_err(fail)?
            .ok_or_else(|| fail(format!("`{name}` without `from`")))
    };
    match name {
        "add" => add(target, &path, value()?).map_err(fail),
        "remove" => remove(target, &path).map(drop).map_err(fail),
        "replace" => {
            let value = value()?;
            let slot = get_mut(target, &path).map_err(fail)?;
            slot.replace_with(value);
            Ok(())
        }
        "move" => {
            let from = from()?;
            let moved = remove(target, &from).map_err(fail)?;
            add(target, &path, moved).map_err(fail)
        }
        "copy" => {
            let from = from()?;
            let copied = get_mut(target, &from).map_err(fail)?.clone();
            add(target, &path, copied).map_err(fail)
        }
        "test" => {
            let expected = value()?;
            let actual = get_mut(target, &path).map_err(fail)?;
            if same_value(actual, &expected) {
                Ok(())
            } else {
                Err(fail(format!(
                    "test failed at `{}`",
                    op.text("path").unwrap_or("")
                )))
            }
        }
        other => Err(fail(format!("unknown operation `{other}`"))),
    }
}

/// Splits a JSON pointer into its unescaped tokens.
fn pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("path `{text}` does not start with `/`"));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn get_mut<'t>(mut node: &'t mut Tree, path: &[String]) -> Result<&'t mut Tree, String> {
    for token in path {
        node = child_mut(node, token)?;
    }
    Ok(node)
}

fn child_mut<'t>(node: &'t mut Tree, token: &str) -> Result<&'t mut Tree, String> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k.as_text() == Some(token))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("no key `{token}`")),
        Value::Seq(items) => {
            let len = items.len();
            token
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| format!("no item `{token}` in a list of {len}"))
        }
        Value::Scalar { .. } => Err(format!("`{token}` is below a scalar")),
    }
}

fn add(target: &mut Tree, path: &[String], value: Tree) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        *target = value;
        return Ok(());
    };
    let parent = get_mut(target, parents)?;
    match &mut parent.value {
        Value::Map(_) => {
            let origin = value.origin;
            parent.set(last, value, origin);
            Ok(())
        }
        Value::Seq(items) => {
            let at = if last == "-" {
                items.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|&i| i <= items.len())
                    .ok_or_else(|| format!("no position `{last}` in a list of {}", items.len()))?
            };
            items.insert(at, value);
            Ok(())
        }
        Value::Scalar { .. } => Err(format!("`{last}` is below a scalar")),
    }
}

fn remove(target: &mut Tree, path: &[String]) -> Result<Tree, String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("cannot remove the whole object".into());
    };
    let parent = get_mut(target, parents)?;
    match &mut parent.value {
        Value::Map(_) => parent
            .remove(last)
            .ok_or_else(|| format!("no key `{last}`")),
        Value::Seq(items) => {
            let len = items.len();
            let at = last
                .parse::<usize>()
                .ok()
                .filter(|&i| i < len)
                .ok_or_else(|| format!("no item `{last}` in a list of {len}"))?;
            Ok(items.remove(at))
        }
        Value::Scalar { .. } => Err(format!("`{last}` is below a scalar")),
    }
}

/// Equality of values, whatever their origins.
fn same_value(a: &Tree, b: &Tree) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar { text: x, .. }, Value::Scalar { text: y, .. }) => x == y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    let key = k.as_text().unwrap_or_default();
                    b.get(key).is_some_and(|w| same_value(v, w))
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn tree(text: &str, file: u32) -> Tree {
        let stream = parse(text).in_file(FileId(file));
        Tree::from_node(stream.documents[0].root().unwrap()).unwrap()
    }

    #[test]
    fn operations_apply_in_order_with_the_patch_origin() {
        let mut target = tree("spec:\n  replicas: 1\n  list: [a, b]\n", 1);
        let ops = tree(
            "- {op: replace, path: /spec/replicas, value: 3}\n- {op: add, path: /spec/list/-, value: c}\n- {op: add, path: /spec/a~1b, value: x}\n- {op: remove, path: /spec/list/0}\n",
            2,
        );
        apply(&mut target, &ops).unwrap();
        let replicas = target.path(&["spec", "replicas"]).unwrap();
        assert_eq!(replicas.as_text(), Some("3"));
        assert_eq!(replicas.origin.file, FileId(2));
        let list: Vec<_> = target
            .path(&["spec", "list"])
            .unwrap()
            .items()
            .iter()
            .map(|i| i.as_text().unwrap().to_string())
            .collect();
        assert_eq!(list, ["b", "c"]);
        assert_eq!(target.path(&["spec", "a/b"]).unwrap().as_text(), Some("x"));
    }

    #[test]
    fn a_missing_path_is_an_error_at_the_operation() {
        let mut target = tree("spec: {}\n", 1);
        let ops = tree("- {op: replace, path: /spec/nope, value: 1}\n", 2);
        let error = apply(&mut target, &ops).unwrap_err();
        assert!(error.message.contains("nope"), "{error:?}");
        assert_eq!(error.origin.file, FileId(2));
    }
}
