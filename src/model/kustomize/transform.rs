//! kustomize's built-in transformers over effective trees: namespace, name prefix and suffix,
//! labels, annotations, replicas, images, replacements and variables, and, once at the top,
//! content hashes and references to renamed objects. Each field a transformer sets takes the
//! origin of the kustomization line that set it.

use crate::source::Origin;
use crate::yaml::{Node, Piece, Tree, Value};

use super::config::{FieldSpec, NameReference};
use super::generate::hash_suffix;
use super::kustomization::Kustomization;
use super::resource::Resource;

/// A path of a field spec: keys, with `[]` for every item of a list.
type Spec = (&'static [&'static str], &'static str, bool);

const WORKLOADS: &[&str] = &["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"];

/// Where selector labels go (kind, path, create), after kustomize's `commonLabels` specs.
const SELECTOR_SPECS: &[Spec] = &[
    (&["Service"], "spec/selector", true),
    (&["ReplicationController"], "spec/selector", true),
    (WORKLOADS, "spec/selector/matchLabels", true),
    (&["Job"], "spec/selector/matchLabels", false),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    (&["PodDisruptionBudget"], "spec/selector/matchLabels", false),
    (&["NetworkPolicy"], "spec/podSelector/matchLabels", false),
    (
        &["NetworkPolicy"],
        "spec/ingress/[]/from/[]/podSelector/matchLabels",
        false,
    ),
    (
        &["NetworkPolicy"],
        "spec/egress/[]/to/[]/podSelector/matchLabels",
        false,
    ),
    (
        &["Deployment", "StatefulSet"],
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/[]/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        &["Deployment", "StatefulSet"],
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/[]/labelSelector/matchLabels",
        false,
    ),
    (
        &["Deployment", "StatefulSet"],
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/[]/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        &["Deployment", "StatefulSet"],
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/[]/labelSelector/matchLabels",
        false,
    ),
    (
        &["Deployment", "StatefulSet"],
        "spec/template/spec/topologySpreadConstraints/[]/labelSelector/matchLabels",
        false,
    ),
];

/// Where template labels go.
const TEMPLATE_SPECS: &[Spec] = &[
    (
        &[
            "ReplicationController",
            "Deployment",
            "ReplicaSet",
            "DaemonSet",
            "StatefulSet",
            "Job",
        ],
        "spec/template/metadata/labels",
        true,
    ),
    (&["CronJob"], "spec/jobTemplate/metadata/labels", true),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
    (
        &["StatefulSet"],
        "spec/volumeClaimTemplates/[]/metadata/labels",
        true,
    ),
];

/// Where `commonAnnotations` go besides every object's own annotations.
const ANNOTATION_SPECS: &[Spec] = &[
    (
        &[
            "ReplicationController",
            "Deployment",
            "ReplicaSet",
            "DaemonSet",
            "StatefulSet",
            "Job",
        ],
        "spec/template/metadata/annotations",
        true,
    ),
    (&["CronJob"], "spec/jobTemplate/metadata/annotations", true),
    (
        &["CronJob"],
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// The maps at a field spec's path in one object, made (with `origin`) where `create` says.
fn maps_at<'t>(
    tree: &'t mut Tree,
    path: &str,
    create: bool,
    origin: Origin,
    out: &mut Vec<&'t mut Tree>,
) {
    let mut parts = path.splitn(2, '/');
    let head = parts.next().unwrap_or_default();
    let rest = parts.next();
    if head == "[]" {
        if let Value::Seq(items) = &mut tree.value {
            for item in items {
                match rest {
                    Some(rest) => maps_at(item, rest, create, origin, out),
                    None => out.push(item),
                }
            }
        }
        return;
    }
    if tree.get(head).is_none() {
        if !create || rest.is_some_and(|r| r.starts_with("[]")) {
            return;
        }
        tree.set(head, Tree::map(Vec::new(), origin), origin);
    }
    let Some(child) = tree.get_mut(head) else {
        return;
    };
    if child.is_null() && create {
        *child = Tree::map(Vec::new(), origin);
    }
    match rest {
        Some(rest) => maps_at(child, rest, create, origin, out),
        None if child.is_map() => out.push(child),
        None => {}
    }
}

fn set_pairs(target: &mut Tree, pairs: &[(Tree, Tree)]) {
    for (key, value) in pairs {
        let Some(name) = key.as_text() else { continue };
        target.set(name, value.clone(), key.origin);
    }
}

/// Label and annotation values are strings, however the kustomization wrote them.
fn string_pairs(node: Node<'_>) -> Vec<(Tree, Tree)> {
    node.entries()
        .into_iter()
        .filter_map(|(k, v)| {
            let key = Tree::string(k.as_str()?, k.origin());
            let value = Tree::string(v.as_str().unwrap_or_default(), v.origin());
            Some((key, value))
        })
        .collect()
}

/// `extra` are the `namespace` field specs of the build's configurations: fields of other
/// kinds that hold a namespace (a webhook's Service), set as well.
pub fn namespace(resources: &mut [Resource], node: Node<'_>, extra: &[FieldSpec]) {
    let Some(namespace) = node.as_text() else {
        return;
    };
    let value = Tree::string(namespace, node.origin());
    for resource in resources.iter_mut() {
        let specs: Vec<&FieldSpec> = extra.iter().filter(|s| s.applies(resource)).collect();
        for spec in specs {
            let empty = || value.clone();
            spec.visit(&mut resource.tree, value.origin, &empty, &mut |field| {
                field.replace_with(value.clone())
            });
        }
    }
    // Binding subjects that name a ServiceAccount of the build follow it to the namespace.
    let accounts: Vec<(String, Option<String>)> = resources
        .iter()
        .filter(|r| r.kind() == "ServiceAccount")
        .map(|r| (r.name().to_string(), r.namespace().map(str::to_string)))
        .collect();
    for resource in resources.iter_mut() {
        // kustomize's namespace field specs include `metadata/name` of a Namespace: the
        // build's Namespace object becomes the namespace it moves everything into.
        if resource.kind() == "Namespace" {
            let origin = node.origin();
            resource
                .tree
                .map_entry("metadata", origin)
                .set("name", value.clone(), origin);
            continue;
        }
        if resource.is_cluster_scoped() {
            if matches!(resource.kind(), "ClusterRoleBinding") {
                binding_subjects(resource, &value, &accounts);
            }
            if resource.kind() == "APIService" {
                set_if_present(
                    &mut resource.tree,
                    &["spec", "service"],
                    "namespace",
                    &value,
                );
            }
            if resource.kind() == "CustomResourceDefinition" {
                set_if_present(
                    &mut resource.tree,
                    &["spec", "conversion", "webhook", "clientConfig", "service"],
                    "namespace",
                    &value,
                );
            }
            let webhooks = matches!(
                resource.kind(),
                "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration"
            );
            if webhooks
                && let Some(Value::Seq(hooks)) =
                    resource.tree.get_mut("webhooks").map(|w| &mut w.value)
            {
                for hook in hooks {
                    if let Some(service) = hook
                        .get_mut("clientConfig")
                        .and_then(|c| c.get_mut("service"))
                    {
                        service.set("namespace", value.clone(), value.origin);
                    }
                }
            }
            continue;
        }
        let origin = node.origin();
        resource
            .tree
            .map_entry("metadata", origin)
            .set("namespace", value.clone(), origin);
        if resource.kind() == "RoleBinding" {
            binding_subjects(resource, &value, &accounts);
        }
    }
}

fn set_if_present(tree: &mut Tree, path: &[&str], key: &str, value: &Tree) {
    let mut node = tree;
    for step in path {
        let Some(next) = node.get_mut(step) else {
            return;
        };
        node = next;
    }
    if node.is_map() {
        node.set(key, value.clone(), value.origin);
    }
}

/// The namespace transformer moves binding subjects that name a ServiceAccount of the build
/// (by name and namespace, whatever the subject's kind, as kustomize matches them) and
/// subjects named `default` without a namespace.
fn binding_subjects(
    resource: &mut Resource,
    namespace: &Tree,
    accounts: &[(String, Option<String>)],
) {
    if let Some(Value::Seq(subjects)) = resource.tree.get_mut("subjects").map(|s| &mut s.value) {
        for subject in subjects {
            let name = subject.text("name").unwrap_or_default().to_string();
            let current = subject.text("namespace").map(str::to_string);
            let is_default = name == "default" && current.is_none();
            let is_account = accounts
                .iter()
                .any(|(n, ns)| *n == name && (current.is_none() || *ns == current));
            if is_default || is_account {
                subject.set("namespace", namespace.clone(), namespace.origin);
            }
        }
    }
}

/// Kinds whose names no prefix or suffix changes.
const KEEP_NAME: &[&str] = &["CustomResourceDefinition", "APIService", "Namespace"];

pub fn prefix_suffix(
    resources: &mut [Resource],
    prefix: Option<Node<'_>>,
    suffix: Option<Node<'_>>,
) {
    let prefix = prefix.and_then(|n| Some((n.as_text()?, n.origin())));
    let suffix = suffix.and_then(|n| Some((n.as_text()?, n.origin())));
    if prefix.is_none() && suffix.is_none() {
        return;
    }
    for resource in resources
        .iter_mut()
        .filter(|r| !KEEP_NAME.contains(&r.kind()))
    {
        let Some(name) = resource
            .tree
            .get_mut("metadata")
            .and_then(|m| m.get_mut("name"))
        else {
            continue;
        };
        let Some(old) = name.as_text().map(str::to_string) else {
            continue;
        };
        let whole = old_pieces(name, &old);
        let prefix = prefix.map(|(p, origin)| (p.to_string(), whole_piece(p, origin)));
        let suffix = suffix.map(|(s, origin)| (s.to_string(), whole_piece(s, origin)));
        let parts = prefix
            .into_iter()
            .chain(std::iter::once((old, whole)))
            .chain(suffix);
        let (text, pieces) = concat(parts);
        let origin = name.origin;
        *name = Tree::string(text, origin);
        name.pieces = pieces;
    }
}

/// One piece covering all of `text`.
fn whole_piece(text: &str, origin: Origin) -> Vec<Piece> {
    vec![Piece {
        start: 0,
        end: text.len() as u32,
        origin,
        overrode: None,
    }]
}

/// Joins parts of a scalar, each with pieces relative to its own start, into one text whose
/// pieces say where each part came from.
fn concat(parts: impl IntoIterator<Item = (String, Vec<Piece>)>) -> (String, Vec<Piece>) {
    let mut text = String::new();
    let mut pieces = Vec::new();
    for (part, own) in parts.into_iter().filter(|(part, _)| !part.is_empty()) {
        let at = text.len() as u32;
        pieces.extend(own.into_iter().map(|p| Piece {
            start: p.start + at,
            end: p.end + at,
            ..p
        }));
        text.push_str(&part);
    }
    (text, pieces)
}

/// The pieces a scalar already has, or one piece for all of it.
fn old_pieces(tree: &Tree, text: &str) -> Vec<Piece> {
    if tree.pieces.is_empty() {
        vec![Piece {
            start: 0,
            end: text.len() as u32,
            origin: tree.origin,
            overrode: tree.overrode,
        }]
    } else {
        tree.pieces.clone()
    }
}

/// `extra` are the `commonLabels` field specs of the build's configurations, which go with
/// the selectors.
pub fn labels(
    resources: &mut [Resource],
    node: Node<'_>,
    selectors: bool,
    templates: bool,
    extra: &[FieldSpec],
) {
    let pairs = string_pairs(node);
    if pairs.is_empty() {
        return;
    }
    let origin = node.origin();
    for resource in resources.iter_mut() {
        let kind = resource.kind().to_string();
        let mut targets = Vec::new();
        maps_at(
            &mut resource.tree,
            "metadata/labels",
            true,
            origin,
            &mut targets,
        );
        let specs = SELECTOR_SPECS
            .iter()
            .filter(|_| selectors)
            .chain(TEMPLATE_SPECS.iter().filter(|_| templates));
        let mut paths: Vec<(&str, bool)> = Vec::new();
        for (kinds, path, create) in specs {
            if kinds.contains(&kind.as_str()) {
                paths.push((path, *create));
            }
        }
        for target in targets {
            set_pairs(target, &pairs);
        }
        for (path, create) in paths {
            let mut targets = Vec::new();
            maps_at(&mut resource.tree, path, create, origin, &mut targets);
            for target in targets {
                set_pairs(target, &pairs);
            }
        }
        if selectors {
            set_pairs_at(resource, extra, origin, &pairs);
        }
    }
}

/// Sets `pairs` in the maps that configured field specs name in `resource`.
fn set_pairs_at(
    resource: &mut Resource,
    specs: &[FieldSpec],
    origin: Origin,
    pairs: &[(Tree, Tree)],
) {
    let specs: Vec<&FieldSpec> = specs.iter().filter(|s| s.applies(resource)).collect();
    for spec in specs {
        let empty = || Tree::map(Vec::new(), origin);
        spec.visit(&mut resource.tree, origin, &empty, &mut |map| {
            if map.is_null() {
                *map = Tree::map(Vec::new(), origin);
            }
            if map.is_map() {
                set_pairs(map, pairs);
            }
        });
    }
}

/// `extra` are the `commonAnnotations` field specs of the build's configurations.
pub fn annotations(resources: &mut [Resource], node: Node<'_>, extra: &[FieldSpec]) {
    let pairs = string_pairs(node);
    if pairs.is_empty() {
        return;
    }
    let origin = node.origin();
    for resource in resources.iter_mut() {
        let kind = resource.kind().to_string();
        let mut paths = vec![("metadata/annotations", true)];
        for (kinds, path, create) in ANNOTATION_SPECS {
            if kinds.contains(&kind.as_str()) {
                paths.push((path, *create));
            }
        }
        for (path, create) in paths {
            let mut targets = Vec::new();
            maps_at(&mut resource.tree, path, create, origin, &mut targets);
            for target in targets {
                set_pairs(target, &pairs);
            }
        }
        set_pairs_at(resource, extra, origin, &pairs);
    }
}

const SCALABLE: &[&str] = &[
    "Deployment",
    "ReplicationController",
    "ReplicaSet",
    "StatefulSet",
];

/// `extra` are the `replicas` field specs of the build's configurations (custom kinds).
pub fn replicas(resources: &mut [Resource], item: Node<'_>, extra: &[FieldSpec]) {
    let (Some(name), Some(count)) = (item.text("name"), item.get("count")) else {
        return;
    };
    let Some(value) = count.as_text() else { return };
    for resource in resources.iter_mut() {
        let matches = resource.name() == name || resource.original_name == name;
        let origin = count.origin();
        let replicas = || Tree::scalar(value, true, origin);
        if matches && SCALABLE.contains(&resource.kind()) {
            resource
                .tree
                .map_entry("spec", origin)
                .set("replicas", replicas(), origin);
        }
        if !matches {
            continue;
        }
        let specs: Vec<&FieldSpec> = extra.iter().filter(|s| s.applies(resource)).collect();
        for spec in specs {
            spec.visit(&mut resource.tree, origin, &replicas, &mut |node| {
                node.replace_with(replicas())
            });
        }
    }
}

/// `image.Split` of kustomize: name, tag and digest of an image as written.
fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (colon, at) {
        (None, None) => (image, "", ""),
        (c, Some(d)) if c.is_none_or(|c| d < c) => {
            (&image[..slash + d], "", &image[slash + d + 1..])
        }
        (Some(c), Some(d)) => (
            &image[..slash + c],
            &image[slash + c + 1..slash + d],
            &image[slash + d + 1..],
        ),
        (Some(c), None) => (&image[..slash + c], &image[slash + c + 1..], ""),
        (None, Some(_)) => (image, "", ""),
    }
}

/// `image.IsImageMatched` of kustomize: the entry's name, as a pattern, then an optional
/// digest marker and tag.
fn image_matches(image: &str, name: &str) -> bool {
    regex::Regex::new(&format!("^{name}(@sha256)?(:[a-zA-Z0-9_.{{}}-]*)?$"))
        .is_ok_and(|pattern| pattern.is_match(image))
}

/// `extra` are the `images` field specs of the build's configurations: image fields of
/// custom kinds outside `containers` lists.
pub fn images(resources: &mut [Resource], item: Node<'_>, extra: &[FieldSpec]) {
    let Some(name) = item.text("name") else {
        return;
    };
    let new_name = item
        .get("newName")
        .and_then(|n| Some((n.as_text()?.to_string(), n.origin())));
    let new_tag = item
        .get("newTag")
        .and_then(|n| Some((n.as_str()?.to_string(), n.origin())));
    let digest = item
        .get("digest")
        .and_then(|n| Some((n.as_text()?.to_string(), n.origin())));
    let update = |image: &mut Tree| {
        let Some(text) = image.as_text().map(str::to_string) else {
            return;
        };
        if !image_matches(&text, name) {
            return;
        }
        let whole = image.origin;
        let (old_name, old_tag, old_digest) = split_image(&text);
        let mut parts: Vec<(String, Origin)> = Vec::new();
        let name_part = new_name.clone().unwrap_or((old_name.to_string(), whole));
        let (tag, tag_origin, dig, dig_origin) = match (&new_tag, &digest) {
            (Some((t, to)), Some((d, d_o))) => (t.clone(), *to, d.clone(), *d_o),
            (Some((t, to)), None) => (t.clone(), *to, String::new(), whole),
            (None, Some((d, d_o))) => (String::new(), whole, d.clone(), *d_o),
            (None, None) => (old_tag.to_string(), whole, old_digest.to_string(), whole),
        };
        parts.push(name_part);
        if !tag.is_empty() {
            parts.push((format!(":{tag}"), tag_origin));
        }
        if !dig.is_empty() {
            parts.push((format!("@{dig}"), dig_origin));
        }
        let (value, pieces) = concat(parts.into_iter().map(|(part, origin)| {
            let piece = whole_piece(&part, origin);
            (part, piece)
        }));
        let plain = matches!(image.value, Value::Scalar { plain: true, .. });
        let changed = value != text;
        *image = Tree::scalar(value, plain, whole);
        image.pieces = pieces;
        if changed {
            image.overrode = Some(whole);
        }
    };
    for resource in resources.iter_mut() {
        visit_containers(&mut resource.tree, &mut |container| {
            if let Some(image) = container.get_mut("image") {
                update(image);
            }
        });
        // Container images are found wherever they are already; the specs add the others.
        let specs: Vec<&FieldSpec> = extra
            .iter()
            .filter(|s| s.applies(resource) && !s.ends_in_container_image())
            .collect();
        for spec in specs {
            let origin = item.origin();
            let empty = || Tree::string("", origin);
            spec.visit(&mut resource.tree, origin, &empty, &mut |image| {
                update(image)
            });
        }
    }
}

/// Every item of every `containers` and `initContainers` list anywhere in an object, as
/// kustomize's image transformer finds them (custom resources included).
fn visit_containers(tree: &mut Tree, visit: &mut dyn FnMut(&mut Tree)) {
    match &mut tree.value {
        Value::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                if matches!(key.as_text(), Some("containers" | "initContainers"))
                    && let Value::Seq(items) = &mut value.value
                {
                    for item in items.iter_mut().filter(|i| i.is_map()) {
                        visit(item);
                    }
                }
                visit_containers(value, visit);
            }
        }
        Value::Seq(items) => {
            for item in items {
                visit_containers(item, visit);
            }
        }
        Value::Scalar { .. } => {}
    }
}

/// Whether a patch `target` (group, version, kind, name as a pattern, namespace, label and
/// annotation selectors) selects a resource.
pub fn selects(target: &Tree, resource: &Resource) -> bool {
    let field = |key: &str| target.text(key);
    let pattern = |value: &str, wanted: &str| {
        regex::Regex::new(&format!("^(?:{wanted})$")).is_ok_and(|p| p.is_match(value))
    };
    if field("group").is_some_and(|g| g != resource.group())
        || field("version").is_some_and(|v| v != resource.version())
        || field("kind").is_some_and(|k| !pattern(resource.kind(), k))
        || field("namespace").is_some_and(|n| !pattern(resource.namespace().unwrap_or(""), n))
    {
        return false;
    }
    if let Some(name) = field("name")
        && !pattern(resource.name(), name)
        && !pattern(&resource.original_name, name)
    {
        return false;
    }
    let selector_matches = |selector: Option<&str>, field: &str| {
        selector.is_none_or(|selector| {
            let map = resource.tree.path(&["metadata", field]);
            selector
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .all(|term| match term.split_once("!=") {
                    Some((k, v)) => map.and_then(|m| m.text(k.trim())) != Some(v.trim()),
                    None => match term.split_once('=') {
                        Some((k, v)) => {
                            map.and_then(|m| m.text(k.trim()))
                                == Some(v.trim_start_matches('=').trim())
                        }
                        None => map.and_then(|m| m.get(term)).is_some(),
                    },
                })
        })
    };
    selector_matches(field("labelSelector"), "labels")
        && selector_matches(field("annotationSelector"), "annotations")
}

/// Whether a strategic merge patch without a target is about this resource.
pub fn same_object(patch: &Tree, resource: &Resource) -> bool {
    let name = patch.path(&["metadata", "name"]).and_then(Tree::as_text);
    let namespace = patch
        .path(&["metadata", "namespace"])
        .and_then(Tree::as_text);
    patch.text("kind") == Some(resource.kind())
        && name.is_some_and(|n| n == resource.name() || n == resource.original_name)
        && namespace.is_none_or(|n| {
            Some(n) == resource.namespace() || Some(n) == resource.original_namespace.as_deref()
        })
}

/// Appends the content hash to every generated name that keeps it.
pub fn hash_generated_names(resources: &mut [Resource]) {
    for resource in resources.iter_mut() {
        let Some(generated) = resource.generated.filter(|g| g.hash_suffix) else {
            continue;
        };
        let suffix = hash_suffix(resource);
        if let Some(name) = resource
            .tree
            .get_mut("metadata")
            .and_then(|m| m.get_mut("name"))
        {
            let Some(old) = name.as_text().map(str::to_string) else {
                continue;
            };
            let mut pieces = old_pieces(name, &old);
            let text = format!("{old}-{suffix}");
            pieces.push(Piece {
                start: old.len() as u32,
                end: text.len() as u32,
                origin: generated.origin,
                overrode: None,
            });
            let origin = name.origin;
            *name = Tree::string(text, origin);
            name.pieces = pieces;
        }
    }
}

/// One rename: objects of `kind` first named `from` are now `to`.
struct Rename {
    kind: String,
    from: String,
    to: Tree,
    namespace: Option<String>,
}

/// Points references at renamed objects (a prefix, suffix or hash changed their names), for
/// the references kustomize's `nameReference` configuration follows.
/// `extra` are the `nameReference` entries of the build's configurations: fields of any kind
/// that name an object of another.
pub fn fix_name_references(resources: &mut [Resource], extra: &[NameReference]) {
    let renames: Vec<Rename> = resources
        .iter()
        .filter(|r| r.name() != r.original_name)
        .filter_map(|r| {
            let to = r.tree.path(&["metadata", "name"])?.clone();
            Some(Rename {
                kind: r.kind().to_string(),
                from: r.original_name.clone(),
                to,
                namespace: r.namespace().map(str::to_string),
            })
        })
        .collect();
    if renames.is_empty() {
        return;
    }
    for resource in resources.iter_mut() {
        let namespace = resource.namespace().map(str::to_string);
        let kind = resource.kind().to_string();
        let lookup = |target: &str, name: &str| -> Option<Tree> {
            let candidates: Vec<&Rename> = renames
                .iter()
                .filter(|r| r.kind == target && r.from == name)
                .collect();
            candidates
                .iter()
                .find(|r| r.namespace == namespace || r.namespace.is_none() || namespace.is_none())
                .or(candidates.first())
                .map(|r| r.to.clone())
        };
        let mut follow = |target: &str, node: &mut Tree| {
            if let Some(name) = node.as_text()
                && let Some(to) = lookup(target, name)
            {
                *node = to;
            }
        };
        let configured: Vec<(&str, &FieldSpec)> = extra
            .iter()
            .flat_map(|r| r.specs.iter().map(move |spec| (r.kind.as_str(), spec)))
            .filter(|(_, spec)| spec.applies(resource))
            .collect();
        references(&kind, &mut resource.tree, &mut follow);
        for (target, spec) in configured {
            spec.visit_existing(&mut resource.tree, &mut |node| follow(target, node));
        }
    }
}

/// Calls `visit(target kind, node)` for every field of an object that names another object.
fn references(kind: &str, tree: &mut Tree, visit: &mut dyn FnMut(&str, &mut Tree)) {
    if let Some(spec) = pod_spec(kind, tree) {
        pod_references(spec, visit);
    }
    match kind {
        "Ingress" => {
            for_path(tree, &["spec", "tls", "[]", "secretName"], &mut |n| {
                visit("Secret", n)
            });
            for path in [
                &[
                    "spec", "rules", "[]", "http", "paths", "[]", "backend", "service", "name",
                ][..],
                &[
                    "spec",
                    "rules",
                    "[]",
                    "http",
                    "paths",
                    "[]",
                    "backend",
                    "serviceName",
                ],
                &["spec", "defaultBackend", "service", "name"],
                &["spec", "backend", "serviceName"],
            ] {
                for_path(tree, path, &mut |n| visit("Service", n));
            }
        }
        "ServiceAccount" => {
            for_path(tree, &["imagePullSecrets", "[]", "name"], &mut |n| {
                visit("Secret", n)
            });
            for_path(tree, &["secrets", "[]", "name"], &mut |n| {
                visit("Secret", n)
            });
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            if let Some(role) = tree.get_mut("roleRef") {
                let target = role.text("kind").unwrap_or("Role").to_string();
                if let Some(name) = role.get_mut("name") {
                    visit(&target, name);
                }
            }
            if let Some(Value::Seq(subjects)) = tree.get_mut("subjects").map(|s| &mut s.value) {
                for subject in subjects {
                    if subject.text("kind") == Some("ServiceAccount")
                        && let Some(name) = subject.get_mut("name")
                    {
                        visit("ServiceAccount", name);
                    }
                }
            }
        }
        "StatefulSet" => for_path(tree, &["spec", "serviceName"], &mut |n| visit("Service", n)),
        "HorizontalPodAutoscaler" => {
            if let Some(target) = tree
                .get_mut("spec")
                .and_then(|s| s.get_mut("scaleTargetRef"))
            {
                let kind = target.text("kind").unwrap_or_default().to_string();
                if let Some(name) = target.get_mut("name") {
                    visit(&kind, name);
                }
            }
        }
        "APIService" => for_path(tree, &["spec", "service", "name"], &mut |n| {
            visit("Service", n)
        }),
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
            for_path(
                tree,
                &["webhooks", "[]", "clientConfig", "service", "name"],
                &mut |n| visit("Service", n),
            );
        }
        _ => {}
    }
}

fn pod_spec<'t>(kind: &str, tree: &'t mut Tree) -> Option<&'t mut Tree> {
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "PodTemplate" => &["template", "spec"],
        _ => return None,
    };
    let mut node = tree;
    for step in path {
        node = node.get_mut(step)?;
    }
    Some(node)
}

/// The fields of a pod spec that name another object, by the kind they name (kustomize's
/// `nameReference` configuration for pod specs). `[]` stands for every item of a list.
const POD_REFERENCES: &[(&str, &[&str])] = &[
    ("ServiceAccount", &["serviceAccountName"]),
    ("ServiceAccount", &["serviceAccount"]),
    ("PriorityClass", &["priorityClassName"]),
    ("Secret", &["imagePullSecrets", "[]", "name"]),
    ("ConfigMap", &["volumes", "[]", "configMap", "name"]),
    ("Secret", &["volumes", "[]", "secret", "secretName"]),
    (
        "PersistentVolumeClaim",
        &["volumes", "[]", "persistentVolumeClaim", "claimName"],
    ),
    (
        "ConfigMap",
        &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "configMap",
            "name",
        ],
    ),
    (
        "Secret",
        &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "secret",
            "name",
        ],
    ),
];

/// The fields of each container (any of the three lists) that name another object.
const CONTAINER_REFERENCES: &[(&str, &[&str])] = &[
    (
        "ConfigMap",
        &["env", "[]", "valueFrom", "configMapKeyRef", "name"],
    ),
    (
        "Secret",
        &["env", "[]", "valueFrom", "secretKeyRef", "name"],
    ),
    ("ConfigMap", &["envFrom", "[]", "configMapRef", "name"]),
    ("Secret", &["envFrom", "[]", "secretRef", "name"]),
];

fn pod_references(spec: &mut Tree, visit: &mut dyn FnMut(&str, &mut Tree)) {
    for (target, path) in POD_REFERENCES {
        for_path(spec, path, &mut |n| visit(target, n));
    }
    for group in crate::model::CONTAINER_GROUPS {
        for (target, path) in CONTAINER_REFERENCES {
            let path: Vec<&str> = [group, "[]"]
                .into_iter()
                .chain(path.iter().copied())
                .collect();
            for_path(spec, &path, &mut |n| visit(target, n));
        }
    }
}

fn for_path(tree: &mut Tree, path: &[&str], visit: &mut dyn FnMut(&mut Tree)) {
    let Some((head, rest)) = path.split_first() else {
        visit(tree);
        return;
    };
    if *head == "[]" {
        if let Value::Seq(items) = &mut tree.value {
            for item in items {
                for_path(item, rest, visit);
            }
        }
    } else if let Some(child) = tree.get_mut(head) {
        for_path(child, rest, visit);
    }
}

/// A `vars` entry: `$(name)` stands for a field of an object of the build.
#[derive(Debug, Clone)]
pub struct Var {
    name: String,
    kind: String,
    object: String,
    field: String,
    origin: Origin,
}

pub fn read_vars(kustomization: &Kustomization<'_>) -> Vec<Var> {
    kustomization
        .list("vars")
        .into_iter()
        .filter_map(|var| {
            let objref = var.get("objref")?;
            Some(Var {
                name: var.text("name")?.to_string(),
                kind: objref.text("kind")?.to_string(),
                object: objref.text("name")?.to_string(),
                // kustomize reads these keys as Go's JSON does, whatever their case.
                field: var
                    .get("fieldref")
                    .and_then(|f| f.text("fieldPath").or_else(|| f.text("fieldpath")))
                    .unwrap_or("metadata.name")
                    .to_string(),
                origin: var.origin(),
            })
        })
        .collect()
}

/// Replaces `$(VAR)` in containers' `command`, `args` and `env` values with the field each
/// variable names.
/// `extra` are the `varReference` field specs of the build's configurations: more fields,
/// beyond containers' command, args and env, where `$(VAR)` is replaced.
pub fn resolve_vars(
    resources: &mut [Resource],
    vars: &[Var],
    extra: &[FieldSpec],
    problem: &mut dyn FnMut(Origin, String),
) {
    if vars.is_empty() {
        return;
    }
    let mut values: Vec<(String, Tree)> = Vec::new();
    for var in vars {
        let found = resources.iter().find(|r| {
            r.kind() == var.kind && (r.original_name == var.object || r.name() == var.object)
        });
        let value = found.and_then(|r| field_value(&r.tree, &var.field));
        match value {
            Some(value) => values.push((format!("$({})", var.name), value)),
            None => problem(
                var.origin,
                format!(
                    "var `{}`: no {} `{}` with `{}` in the build",
                    var.name, var.kind, var.object, var.field
                ),
            ),
        }
    }
    let substitute = |node: &mut Tree| substitute_vars(node, &values);
    let specs: Vec<FieldSpec> = super::config::default_var_references()
        .into_iter()
        .chain(extra.iter().cloned())
        .collect();
    for resource in resources.iter_mut() {
        let specs: Vec<&FieldSpec> = specs.iter().filter(|s| s.applies(resource)).collect();
        for spec in specs {
            spec.visit_existing(&mut resource.tree, &mut |node| substitute(node));
        }
        visit_containers(&mut resource.tree, &mut |container| {
            for key in ["command", "args"] {
                if let Some(Value::Seq(items)) = container.get_mut(key).map(|c| &mut c.value) {
                    items.iter_mut().for_each(substitute);
                }
            }
            for (list, field) in [("env", "value"), ("volumeMounts", "mountPath")] {
                if let Some(Value::Seq(items)) = container.get_mut(list).map(|e| &mut e.value) {
                    for item in items {
                        if let Some(value) = item.get_mut(field) {
                            substitute(value);
                        }
                    }
                }
            }
        });
    }
}

/// Replaces `$(VAR)`s in a scalar, or in every scalar of a map or list (labels, annotations).
/// A value that is one variable and nothing else becomes that variable's value, type and all.
fn substitute_vars(node: &mut Tree, values: &[(String, Tree)]) {
    match &mut node.value {
        Value::Map(entries) => {
            for (_, value) in entries.iter_mut() {
                substitute_vars(value, values);
            }
            return;
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                substitute_vars(item, values);
            }
            return;
        }
        Value::Scalar { .. } => {}
    }
    let Some(text) = node.as_text() else { return };
    if !text.contains("$(") {
        return;
    }
    if let Some((_, value)) = values.iter().find(|(pattern, _)| pattern == text) {
        *node = value.clone();
        return;
    }
    let mut out = text.to_string();
    let mut origin = node.origin;
    for (pattern, value) in values {
        if out.contains(pattern.as_str()) {
            out = out.replace(pattern.as_str(), value.as_text().unwrap_or_default());
            origin = value.origin;
        }
    }
    if out != text {
        *node = Tree::string(out, origin);
    }
}

/// The value at a dotted field path (`spec.ports[0].port`, `metadata.name`).
fn field_value(tree: &Tree, path: &str) -> Option<Tree> {
    let mut node = tree;
    for step in path.split('.') {
        let (key, index) = match step.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (step, None),
        };
        if !key.is_empty() {
            node = node.get(key)?;
        }
        if let Some(index) = index {
            node = node.items().get(index)?;
        }
    }
    Some(node.clone())
}

/// One step of a replacement's field path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    /// `[name=value]`: the list item whose `name` is `value`.
    Select(String, String),
    All,
}

/// Splits `spec.template.spec.containers.[name=app].image` (dots inside brackets kept).
fn field_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                current.push(c);
            }
            ']' => {
                depth -= 1;
                current.push(c);
            }
            '.' if depth == 0 => steps.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    steps.push(current);
    steps
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s == "*" {
                return Step::All;
            }
            match s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                Some(inner) => match inner.split_once('=') {
                    Some((k, v)) => Step::Select(k.to_string(), v.to_string()),
                    None => inner
                        .parse()
                        .map_or(Step::Key(inner.to_string()), Step::Index),
                },
                None => s.parse().map_or(Step::Key(s), Step::Index),
            }
        })
        .collect()
}

fn nodes_at<'t>(
    tree: &'t mut Tree,
    steps: &[Step],
    create: bool,
    origin: Origin,
    out: &mut Vec<&'t mut Tree>,
) {
    let Some((head, rest)) = steps.split_first() else {
        out.push(tree);
        return;
    };
    match head {
        Step::Key(key) => {
            if tree.get(key).is_none() {
                if !create || !(tree.is_map() || tree.is_null()) {
                    return;
                }
                tree.set(key, Tree::map(Vec::new(), origin), origin);
            }
            if let Some(child) = tree.get_mut(key) {
                nodes_at(child, rest, create, origin, out);
            }
        }
        Step::Index(index) => {
            if let Value::Seq(items) = &mut tree.value
                && let Some(item) = items.get_mut(*index)
            {
                nodes_at(item, rest, create, origin, out);
            }
        }
        Step::Select(key, value) => {
            if let Value::Seq(items) = &mut tree.value {
                for item in items
                    .iter_mut()
                    .filter(|i| i.text(key) == Some(value.as_str()))
                {
                    nodes_at(item, rest, create, origin, out);
                }
            }
        }
        Step::All => match &mut tree.value {
            Value::Seq(items) => {
                for item in items {
                    nodes_at(item, rest, create, origin, out);
                }
            }
            Value::Map(entries) => {
                for (_, value) in entries {
                    nodes_at(value, rest, create, origin, out);
                }
            }
            Value::Scalar { .. } => {}
        },
    }
}

/// One `replacements` entry: copies a source field into target fields.
pub fn replace(resources: &mut [Resource], replacement: &Tree) -> Result<(), (Origin, String)> {
    let fail = |message: &str| (replacement.origin, message.to_string());
    let source = replacement
        .get("source")
        .ok_or_else(|| fail("a replacement needs a `source`"))?;
    let from = resources
        .iter()
        .find(|r| selects(source, r))
        .ok_or_else(|| fail("the replacement's source selects no resource"))?;
    let path = source.text("fieldPath").unwrap_or("metadata.name");
    let mut from_tree = from.tree.clone();
    let mut found = Vec::new();
    nodes_at(
        &mut from_tree,
        &field_path(path),
        false,
        replacement.origin,
        &mut found,
    );
    let mut value = found
        .first()
        .map(|n| (*n).clone())
        .ok_or_else(|| fail("the source field does not exist"))?;
    if let Some(options) = source.get("options")
        && let (Some(delimiter), Some(text)) = (options.text("delimiter"), value.as_text())
    {
        let index = options
            .text("index")
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0);
        let part = text
            .split(delimiter)
            .nth(index)
            .unwrap_or_default()
            .to_string();
        value = Tree::string(part, value.origin);
    }
    for target in replacement
        .get("targets")
        .map(Tree::items)
        .unwrap_or_default()
    {
        let Some(select) = target.get("select") else {
            continue;
        };
        let rejects = target.get("reject").map(Tree::items).unwrap_or_default();
        let options = target.get("options");
        let create = options.and_then(|o| o.text("create")) == Some("true");
        for resource in resources.iter_mut() {
            if !selects(select, resource) || rejects.iter().any(|r| selects(r, resource)) {
                continue;
            }
            for path in target
                .get("fieldPaths")
                .map(Tree::items)
                .unwrap_or_default()
            {
                let Some(path) = path.as_text() else { continue };
                let mut slots = Vec::new();
                nodes_at(
                    &mut resource.tree,
                    &field_path(path),
                    create,
                    value.origin,
                    &mut slots,
                );
                for slot in slots {
                    let mut replaced = with_delimiter(slot, &value, options);
                    // A field that held a string keeps holding one (kustomize keeps its tag).
                    if let (Value::Scalar { plain: false, .. }, Value::Scalar { plain, text }) =
                        (&slot.value, &mut replaced.value)
                        && *plain
                        && !text.is_empty()
                    {
                        *plain = false;
                    }
                    if let (
                        Value::Scalar {
                            plain: true,
                            text: old,
                        },
                        Value::Scalar { plain, .. },
                    ) = (&slot.value, &mut replaced.value)
                        && !is_typed(old)
                    {
                        *plain = false;
                    }
                    *slot = replaced;
                }
            }
        }
    }
    Ok(())
}

/// Whether a plain scalar reads as something other than a string (YAML 1.2 core schema).
fn is_typed(text: &str) -> bool {
    matches!(
        text,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || text.parse::<f64>().is_ok()
}

/// The value a target field gets: the whole source value, or one delimited part replaced.
fn with_delimiter(slot: &Tree, value: &Tree, options: Option<&Tree>) -> Tree {
    let Some(delimiter) = options.and_then(|o| o.text("delimiter")) else {
        return value.clone();
    };
    let index = options
        .and_then(|o| o.text("index"))
        .and_then(|i| i.parse::<usize>().ok())
        .unwrap_or(0);
    let Some(current) = slot.as_text() else {
        return value.clone();
    };
    let mut parts: Vec<&str> = current.split(delimiter).collect();
    let new = value.as_text().unwrap_or_default();
    if index < parts.len() {
        parts[index] = new;
    } else {
        parts.push(new);
    }
    Tree::string(parts.join(delimiter), value.origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_as_kustomize_splits_them() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), ("nginx", "1.2", ""));
        assert_eq!(
            split_image("localhost:5000/app:v1"),
            ("localhost:5000/app", "v1", "")
        );
        assert_eq!(split_image("app@sha256:abc"), ("app", "", "sha256:abc"));
        assert_eq!(
            split_image("r.io/app:v1@sha256:abc"),
            ("r.io/app", "v1", "sha256:abc")
        );
    }

    #[test]
    fn image_names_match_as_patterns_with_optional_tag() {
        assert!(image_matches("klinematrix/backend", "klinematrix/backend"));
        assert!(image_matches(
            "klinematrix/backend:1",
            "klinematrix/backend"
        ));
        assert!(image_matches("app@sha256:abc", "app"));
        assert!(!image_matches("docker.io/library/nginx", "nginx"));
        assert!(!image_matches("nginx-extra:1", "nginx"));
    }

    #[test]
    fn field_paths_keep_dots_inside_brackets() {
        assert_eq!(
            field_path("spec.containers.[name=a.b].image"),
            vec![
                Step::Key("spec".into()),
                Step::Key("containers".into()),
                Step::Select("name".into(), "a.b".into()),
                Step::Key("image".into())
            ]
        );
    }
}
