//! Values files layered as Helm layers them (`--values a.yaml --values b.yaml`): later files
//! win, maps merge key by key, `null` deletes a key, and lists (like every other value) are
//! replaced whole. Every node of the result keeps the origin of the file and bytes that set it.

use crate::yaml::{Tree, Value};

/// Lays `over` on top of `base`.
pub fn layer(base: &mut Tree, over: Tree) {
    if !(base.is_map() && over.is_map()) {
        // A later scalar or list (or a map over a scalar) replaces what was there.
        if !over.is_null() {
            base.replace_with(over);
        }
        return;
    }
    let (Value::Map(entries), Value::Map(overrides)) = (&mut base.value, over.value) else {
        return;
    };
    for (key, value) in overrides {
        let Some(name) = key.as_text().map(str::to_owned) else {
            continue;
        };
        let existing = entries
            .iter()
            .position(|(k, _)| k.as_text() == Some(name.as_str()));
        match existing {
            _ if value.is_null() => {
                // `null` removes the key, defaults included: `helm --set a=null` and values files agree.
                entries.retain(|(k, _)| k.as_text() != Some(name.as_str()));
            }
            Some(at) if entries[at].1.is_map() && value.is_map() => {
                layer(&mut entries[at].1, value)
            }
            // The later file's key is the one the user edits, so it replaces the key too.
            Some(at) => {
                entries[at].0 = key;
                entries[at].1.replace_with(value);
            }
            None => entries.push((key, strip_nulls(value))),
        }
    }
}

/// A new subtree's `null`s set nothing (there was nothing to delete).
fn strip_nulls(mut tree: Tree) -> Tree {
    if let Value::Map(entries) = &mut tree.value {
        entries.retain(|(_, v)| !v.is_null());
        for (_, value) in entries.iter_mut() {
            *value = strip_nulls(std::mem::replace(
                value,
                Tree::scalar("", true, value.origin),
            ));
        }
    }
    tree
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

    fn layered(files: &[&str]) -> Tree {
        let mut base = tree(files[0], 0);
        for (i, text) in files.iter().enumerate().skip(1) {
            layer(&mut base, tree(text, i as u32));
        }
        base
    }

    #[test]
    fn later_files_win_and_maps_merge() {
        let values = layered(&[
            "image:\n  registry: docker.io\n  tag: '1'\nreplicas: 2\n",
            "image:\n  registry: mirror.example\n",
        ]);
        let registry = values.path(&["image", "registry"]).unwrap();
        assert_eq!(registry.as_text(), Some("mirror.example"));
        assert_eq!(registry.origin.file, FileId(1));
        let tag = values.path(&["image", "tag"]).unwrap();
        assert_eq!((tag.as_text(), tag.origin.file), (Some("1"), FileId(0)));
        assert_eq!(values.text("replicas"), Some("2"));
    }

    #[test]
    fn null_deletes_a_key_and_lists_are_replaced_whole() {
        let values = layered(&[
            "a: {b: 1, c: 2}\nlist: [x, y, z]\n",
            "a: {b: null}\nlist: [w]\nnew: {d: ~, e: 3}\n",
        ]);
        assert!(values.path(&["a", "b"]).is_none());
        assert_eq!(values.path(&["a", "c"]).unwrap().as_text(), Some("2"));
        let list: Vec<_> = values
            .get("list")
            .unwrap()
            .items()
            .iter()
            .map(|i| i.as_text())
            .collect();
        assert_eq!(list, [Some("w")]);
        assert!(values.path(&["new", "d"]).is_none());
        assert_eq!(values.path(&["new", "e"]).unwrap().as_text(), Some("3"));
    }

    #[test]
    fn a_map_replaces_a_scalar_and_a_scalar_a_map() {
        let values = layered(&["a: 1\nb: {c: 1}\n", "a: {x: 1}\nb: plain\n"]);
        assert!(values.get("a").unwrap().is_map());
        assert_eq!(values.text("b"), Some("plain"));
        assert_eq!(values.get("b").unwrap().origin.file, FileId(1));
    }

    #[test]
    fn the_key_of_an_overridden_entry_is_the_later_files_key() {
        let values = layered(&["a: 1\n", "\n\na: 2\n"]);
        let (key, _) = &values.entries()[0];
        assert_eq!((key.origin.file, key.origin.start), (FileId(1), 2));
    }
}
