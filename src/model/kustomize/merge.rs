//! Strategic merge patches, as kustomize applies them: maps merge, `null` deletes, lists of
//! Kubernetes' own kinds merge by their merge key, other lists are replaced, and the
//! `$patch: delete|replace` directives do what they say. Every node a patch sets keeps the
//! patch's origin; every node it leaves keeps the base's.

use crate::yaml::{Tree, Value};

/// The keys that identify an item of a list field of a built-in kind, by the field's name:
/// the Kubernetes API's `x-kubernetes-list-map-keys` where it has several (kustomize's kyaml
/// matches on all of them, a missing one as empty: a patch's port without `protocol` is not
/// the base's `protocol: TCP` port), else its `x-kubernetes-patch-merge-key`.
fn merge_keys(field: &str, items: &[Tree]) -> Option<&'static [&'static str]> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "webhooks"
        | "secrets" => &["name"],
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "hostAliases" => &["ip"],
        "topologySpreadConstraints" => &["topologyKey", "whenUnsatisfiable"],
        "conditions" => &["type"],
        // A container's ports, else a Service's.
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => {
            &["containerPort", "protocol"]
        }
        "ports" => &["port", "protocol"],
        _ => return None,
    })
}

/// An item's values of `keys`; `None` when it lacks the first, which then matches nothing.
fn item_key<'t>(item: &'t Tree, keys: &[&str]) -> Option<Vec<&'t str>> {
    let first = item.text(keys[0])?;
    let rest = keys[1..].iter().map(|k| item.text(k).unwrap_or(""));
    Some(std::iter::once(first).chain(rest).collect())
}

/// Merges `patch` into `base`. `builtin` says whether the object is of a Kubernetes kind,
/// whose lists have merge keys; a custom resource's lists are replaced.
pub fn merge(base: &mut Tree, patch: &Tree, builtin: bool) {
    merge_at(base, patch, builtin, None);
    drop_empty_fields(base);
    dedupe_keyed_lists(base, builtin, None);
}

/// kustomize rebuilds every list of a patched object that has a merge key, item by key, so
/// an item whose key an earlier item has is dropped (the first stays where it is): an env
/// var a JSON patch appended twice is there once after the next strategic merge.
fn dedupe_keyed_lists(tree: &mut Tree, builtin: bool, field: Option<&str>) {
    match &mut tree.value {
        Value::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                dedupe_keyed_lists(value, builtin, key.as_text());
            }
        }
        Value::Seq(items) => {
            let keys = field.filter(|_| builtin).and_then(|f| merge_keys(f, items));
            if let Some(keys) = keys
                && items.iter().all(Tree::is_map)
            {
                let mut seen = std::collections::HashSet::new();
                items.retain(|item| {
                    item_key(item, keys).is_none_or(|key| seen.insert(key.join("\0")))
                });
            }
            for item in items.iter_mut() {
                dedupe_keyed_lists(item, builtin, None);
            }
        }
        Value::Scalar { .. } => {}
    }
}

/// kustomize rewrites a patched object without its fields that have no value at all
/// (`matchLabels:`); an explicit `null` or `~` stays.
fn drop_empty_fields(tree: &mut Tree) {
    match &mut tree.value {
        Value::Map(entries) => {
            // The parser gives a missing value an empty span.
            entries.retain(|(_, v)| !(v.is_null() && v.origin.start == v.origin.end));
            for (_, value) in entries.iter_mut() {
                drop_empty_fields(value);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(drop_empty_fields),
        Value::Scalar { .. } => {}
    }
}

fn directive(patch: &Tree) -> Option<&str> {
    patch.text("$patch")
}

fn merge_at(base: &mut Tree, patch: &Tree, builtin: bool, field: Option<&str>) {
    match (&mut base.value, &patch.value) {
        (Value::Map(_), Value::Map(_)) => {
            if directive(patch) == Some("replace") {
                base.replace_with(without_directives(patch));
                return;
            }
            for (key, value) in patch.entries() {
                let Some(name) = key.as_text() else { continue };
                if name.starts_with('$') {
                    continue;
                }
                if value.is_null() || directive(value) == Some("delete") {
                    base.remove(name);
                    continue;
                }
                match base.get_mut(name) {
                    Some(existing) => merge_at(existing, value, builtin, Some(name)),
                    None => base.set(name, without_directives(value), key.origin),
                }
            }
        }
        (Value::Seq(items), Value::Seq(patch_items)) => {
            let keys = field
                .filter(|_| builtin)
                .and_then(|f| merge_keys(f, patch_items));
            match keys {
                Some(keys) if patch_items.iter().all(Tree::is_map) => {
                    merge_list(items, patch_items, keys, builtin)
                }
                _ => base.replace_with(without_directives(patch)),
            }
        }
        // A patch that restates a value changes nothing: the base line still sets it.
        (
            Value::Scalar { text, plain },
            Value::Scalar {
                text: new,
                plain: new_plain,
            },
        ) if text == new && plain == new_plain => {}
        _ => base.replace_with(without_directives(patch)),
    }
}

/// Merges list items by `keys`: a patch item with the keys of a base item merges into it (or
/// deletes it with `$patch: delete`). As kustomize orders them, the patch's items come first,
/// in the patch's order, then the base's other items in theirs — except in lists with several
/// keys (ports), which see [`merge_list_by_keys`].
fn merge_list(items: &mut Vec<Tree>, patch_items: &[Tree], keys: &[&str], builtin: bool) {
    if keys.len() > 1 {
        return merge_list_by_keys(items, patch_items, keys, builtin);
    }
    let mut front = Vec::new();
    for patch_item in patch_items {
        let wanted = item_key(patch_item, keys);
        let at = wanted.and_then(|w| {
            items
                .iter()
                .position(|i| item_key(i, keys).as_ref() == Some(&w))
        });
        match (at, directive(patch_item)) {
            (Some(at), Some("delete")) => {
                items.remove(at);
            }
            (None, Some("delete")) => {}
            (Some(at), Some("replace")) => {
                let mut replaced = items.remove(at);
                replaced.replace_with(without_directives(patch_item));
                front.push(replaced);
            }
            (Some(at), _) => {
                let mut item = items.remove(at);
                merge_at(&mut item, patch_item, builtin, None);
                front.push(item);
            }
            (None, _) => front.push(without_directives(patch_item)),
        }
    }
    front.append(items);
    *items = front;
}

/// A list keyed by several fields, as kustomize's kyaml merges it: a patch item merges into
/// the base item its keys match, a key it leaves out matching any value (`containerPort: 80`
/// merges into the `80/TCP` port), and stays where the base had it; `$patch: delete` needs
/// every key, missing ones as empty; new items go before the base's, in the patch's order.
fn merge_list_by_keys(items: &mut Vec<Tree>, patch_items: &[Tree], keys: &[&str], builtin: bool) {
    let mut new = Vec::new();
    for patch_item in patch_items {
        let Some(wanted) = item_key(patch_item, keys) else {
            new.push(without_directives(patch_item));
            continue;
        };
        if directive(patch_item) == Some("delete") {
            items.retain(|i| item_key(i, keys).as_ref() != Some(&wanted));
            continue;
        }
        let matches = |item: &Tree| {
            item_key(item, keys).is_some_and(|have| {
                have.iter()
                    .zip(keys)
                    .zip(&wanted)
                    .all(|((have, key), want)| have == want || patch_item.get(key).is_none())
            })
        };
        match items.iter().position(matches) {
            Some(at) if directive(patch_item) == Some("replace") => {
                items[at].replace_with(without_directives(patch_item));
            }
            Some(at) => merge_at(&mut items[at], patch_item, builtin, None),
            None => new.push(without_directives(patch_item)),
        }
    }
    new.append(items);
    *items = new;
}

/// A patch's value as it lands in the object: directives removed, nulls in new maps dropped.
fn without_directives(tree: &Tree) -> Tree {
    let mut out = tree.clone();
    strip(&mut out);
    out
}

fn strip(tree: &mut Tree) {
    match &mut tree.value {
        Value::Map(entries) => {
            entries
                .retain(|(k, v)| !k.as_text().is_some_and(|k| k.starts_with('$')) && !v.is_null());
            for (_, v) in entries.iter_mut() {
                strip(v);
            }
        }
        Value::Seq(items) => {
            items.retain(|i| directive(i) != Some("delete"));
            for item in items.iter_mut() {
                strip(item);
            }
        }
        Value::Scalar { .. } => {}
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
    fn containers_merge_by_name_and_keep_the_patch_origin() {
        let mut base = tree(
            "spec:\n  containers:\n    - name: a\n      image: x:1\n    - name: b\n      image: y:1\n",
            1,
        );
        let patch = tree("spec:\n  containers:\n    - name: b\n      image: y:2\n", 2);
        merge(&mut base, &patch, true);
        let containers = base.path(&["spec", "containers"]).unwrap().items();
        assert_eq!(containers.len(), 2);
        // The patch's items come first, as kustomize orders them.
        assert_eq!(containers[1].text("image"), Some("x:1"));
        let image = containers[0].get("image").unwrap();
        assert_eq!(image.as_text(), Some("y:2"));
        assert_eq!(image.origin.file, FileId(2));
        assert_eq!(containers[0].get("name").unwrap().origin.file, FileId(1));
    }

    #[test]
    fn null_and_delete_directives_remove() {
        let mut base = tree(
            "metadata: {labels: {a: '1', b: '2'}}\nspec: {volumes: [{name: v}, {name: w}]}\n",
            1,
        );
        let patch = tree(
            "metadata: {labels: {a: null}}\nspec: {volumes: [{name: v, $patch: delete}]}\n",
            2,
        );
        merge(&mut base, &patch, true);
        assert!(base.path(&["metadata", "labels", "a"]).is_none());
        assert_eq!(base.path(&["spec", "volumes"]).unwrap().items().len(), 1);
    }

    #[test]
    fn lists_of_custom_resources_and_lists_without_key_are_replaced() {
        let mut base = tree("spec: {args: [a, b], containers: [{name: a}]}\n", 1);
        let patch = tree("spec: {args: [c], containers: [{name: b}]}\n", 2);
        merge(&mut base, &patch, false);
        assert_eq!(base.path(&["spec", "args"]).unwrap().items().len(), 1);
        assert_eq!(base.path(&["spec", "containers"]).unwrap().items().len(), 1);
    }

    #[test]
    fn a_strategic_merge_keeps_the_first_of_list_items_with_the_same_key() {
        let mut base = tree(
            "spec:\n  containers:\n    - name: a\n      env: [{name: X, value: '1'}, {name: Y}, {name: X, value: '2'}]\n",
            1,
        );
        let patch = tree("spec:\n  containers:\n    - name: a\n      image: b\n", 2);
        merge(&mut base, &patch, true);
        let container = &base.path(&["spec", "containers"]).unwrap().items()[0];
        let env: Vec<_> = container
            .get("env")
            .unwrap()
            .items()
            .iter()
            .map(|e| e.text("value"))
            .collect();
        assert_eq!(env, [Some("1"), None]);
    }

    #[test]
    fn ports_merge_in_place_by_port_and_protocol_and_new_ones_come_first() {
        let mut base = tree(
            "ports: [{containerPort: 1, protocol: TCP}, {containerPort: 2, protocol: TCP}]\n",
            1,
        );
        let patch = tree(
            "ports: [{containerPort: 4}, {containerPort: 2, name: two}, {containerPort: 1, protocol: TCP, $patch: delete}]\n",
            2,
        );
        merge(&mut base, &patch, true);
        let ports: Vec<_> = base
            .get("ports")
            .unwrap()
            .items()
            .iter()
            .map(|p| (p.text("containerPort"), p.text("name")))
            .collect();
        assert_eq!(ports, [(Some("4"), None), (Some("2"), Some("two"))]);
    }

    #[test]
    fn a_port_deleted_without_its_protocol_stays_as_kustomize_leaves_it() {
        let mut base = tree("ports: [{containerPort: 2, protocol: TCP}]\n", 1);
        let patch = tree("ports: [{containerPort: 2, $patch: delete}]\n", 2);
        merge(&mut base, &patch, true);
        assert_eq!(base.get("ports").unwrap().items().len(), 1);
    }

    #[test]
    fn replace_directive_replaces_a_map() {
        let mut base = tree("spec: {selector: {a: '1', b: '2'}}\n", 1);
        let patch = tree("spec: {selector: {$patch: replace, c: '3'}}\n", 2);
        merge(&mut base, &patch, true);
        let selector = base.path(&["spec", "selector"]).unwrap();
        assert_eq!(selector.entries().len(), 1);
        assert_eq!(selector.text("c"), Some("3"));
    }
}
