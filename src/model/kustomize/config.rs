//! `configurations:`, kustomize's transformer configurations: files that tell the built-in
//! transformers where else to look — which fields of a custom kind name a Service or a
//! Secret (`nameReference`), take the namespace, hold images, labels, annotations, replicas,
//! or `$(VAR)`s. Every kubebuilder operator ships some (`config/crd/kustomizeconfig.yaml`),
//! and Argo Rollouts documents one for its kinds.
//!
//! As kustomize merges them, a kustomization's transformers use its own configurations and
//! those of everything it includes, and the references renamed once at the top use all of
//! them. These are additions to kubelint's built-in tables, which stay as they are.

use crate::source::Origin;
use crate::yaml::{Node, Tree, Value};

use super::resource::Resource;

/// Where a transformer looks in objects of a kind: `path` from the object's root, every list
/// on the way walked item by item, as kustomize walks field specs.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    kind: Option<String>,
    group: Option<String>,
    path: Vec<String>,
    /// Make the field (and the maps above it) when it is missing.
    pub create: bool,
}

/// A kind whose renamed objects the fields of `specs` follow.
#[derive(Debug, Clone, PartialEq)]
pub struct NameReference {
    pub kind: String,
    pub specs: Vec<FieldSpec>,
}

/// The field specs a build's configurations add, by the transformer that reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Configurations {
    pub name_references: Vec<NameReference>,
    pub namespace: Vec<FieldSpec>,
    pub var_references: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
}

impl Configurations {
    /// Reads one configuration file's document; keys it cannot apply (kustomize knows a few
    /// more, such as `namePrefix`) come back with their nodes, so the build can say what it
    /// skipped.
    pub fn read(root: Node<'_>) -> (Configurations, Vec<Node<'_>>) {
        let mut config = Configurations::default();
        let mut skipped = Vec::new();
        for (key, value) in root.entries() {
            let specs = || value.items().filter_map(FieldSpec::read).collect();
            match key.as_str() {
                Some("nameReference") => {
                    config.name_references = value
                        .items()
                        .filter_map(|item| {
                            Some(NameReference {
                                kind: item.text("kind")?.to_string(),
                                specs: item
                                    .get("fieldSpecs")?
                                    .items()
                                    .filter_map(FieldSpec::read)
                                    .collect(),
                            })
                        })
                        .collect()
                }
                Some("namespace") => config.namespace = specs(),
                Some("varReference") => config.var_references = specs(),
                Some("commonLabels") => config.common_labels = specs(),
                Some("commonAnnotations") => config.common_annotations = specs(),
                Some("images") => config.images = specs(),
                Some("replicas") => config.replicas = specs(),
                _ => skipped.push(key),
            }
        }
        (config, skipped)
    }

    /// Adds what an included kustomization's (or another file's) configurations say.
    pub fn extend(&mut self, other: Configurations) {
        self.name_references.extend(other.name_references);
        self.namespace.extend(other.namespace);
        self.var_references.extend(other.var_references);
        self.common_labels.extend(other.common_labels);
        self.common_annotations.extend(other.common_annotations);
        self.images.extend(other.images);
        self.replicas.extend(other.replicas);
    }
}

/// Where kustomize replaces `$(VAR)`s by default besides containers' `command`, `args`,
/// `env` values and `volumeMounts` paths (which kubelint finds in every object): its
/// `varReference` field specs, by kind (`None`: every kind).
const VAR_REFERENCES: &[(Option<&str>, &str)] = &[
    (None, "metadata/labels"),
    (None, "metadata/annotations"),
    (Some("Deployment"), "spec/template/metadata/annotations"),
    (Some("Ingress"), "spec/rules/host"),
    (Some("Ingress"), "spec/tls/hosts"),
    (Some("Ingress"), "spec/tls/secretName"),
    (Some("Service"), "spec/ports/port"),
    (Some("Service"), "spec/ports/targetPort"),
    (Some("Pod"), "spec/volumes/nfs/server"),
    (Some("Deployment"), "spec/template/spec/volumes/nfs/server"),
    (Some("DaemonSet"), "spec/template/spec/volumes/nfs/server"),
    (Some("ReplicaSet"), "spec/template/spec/volumes/nfs/server"),
    (Some("StatefulSet"), "spec/template/spec/volumes/nfs/server"),
    (Some("Job"), "spec/template/spec/volumes/nfs/server"),
    // kustomize's own path for CronJobs, which skips the pod template's `spec`.
    (
        Some("CronJob"),
        "spec/jobTemplate/spec/template/volumes/nfs/server",
    ),
    (
        Some("StatefulSet"),
        "spec/volumeClaimTemplates/spec/nfs/server",
    ),
    (Some("PersistentVolume"), "spec/nfs/server"),
];

/// kustomize's default `varReference` field specs (see [`VAR_REFERENCES`]).
pub fn default_var_references() -> Vec<FieldSpec> {
    VAR_REFERENCES
        .iter()
        .map(|(kind, path)| FieldSpec {
            kind: kind.map(str::to_string),
            group: None,
            path: path.split('/').map(str::to_string).collect(),
            create: false,
        })
        .collect()
}

impl FieldSpec {
    fn read(node: Node<'_>) -> Option<FieldSpec> {
        let path = node.text("path")?;
        Some(FieldSpec {
            kind: node.text("kind").map(str::to_string),
            group: node.text("group").map(str::to_string),
            // `containers[]` and `containers` say the same: lists are walked either way.
            path: path
                .split('/')
                .filter(|step| !step.is_empty())
                .map(|step| step.trim_end_matches("[]").to_string())
                .collect(),
            create: node.text("create") == Some("true"),
        })
    }

    /// Whether the spec is about objects like `resource` (no kind or group: every object).
    pub fn applies(&self, resource: &Resource) -> bool {
        self.kind.as_deref().is_none_or(|k| k == resource.kind())
            && self.group.as_deref().is_none_or(|g| g == resource.group())
    }

    /// Whether the spec names the `image` of a `containers` or `initContainers` item, which
    /// the image transformer finds in every object anyway.
    pub fn ends_in_container_image(&self) -> bool {
        matches!(
            self.path
                .iter()
                .rev()
                .take(2)
                .map(String::as_str)
                .collect::<Vec<_>>()[..],
            ["image", "containers" | "initContainers"]
        )
    }

    /// Calls `visit` on every node at the spec's path that is there, whatever `create` says.
    pub fn visit_existing(&self, tree: &mut Tree, visit: &mut dyn FnMut(&mut Tree)) {
        let nothing = Origin::new(crate::source::FileId(0), 0..0);
        walk(
            tree,
            &self.path,
            false,
            nothing,
            &|| Tree::map(Vec::new(), nothing),
            visit,
        );
    }

    /// Calls `visit` on every node at the spec's path in `tree`, making missing maps (at
    /// `origin`) and the last field (as `empty`) when the spec says `create`.
    pub fn visit(
        &self,
        tree: &mut Tree,
        origin: Origin,
        empty: &dyn Fn() -> Tree,
        visit: &mut dyn FnMut(&mut Tree),
    ) {
        walk(tree, &self.path, self.create, origin, empty, visit);
    }
}

fn walk(
    tree: &mut Tree,
    path: &[String],
    create: bool,
    origin: Origin,
    empty: &dyn Fn() -> Tree,
    visit: &mut dyn FnMut(&mut Tree),
) {
    if let Value::Seq(items) = &mut tree.value {
        for item in items {
            walk(item, path, create, origin, empty, visit);
        }
        return;
    }
    let Some((head, rest)) = path.split_first() else {
        visit(tree);
        return;
    };
    if tree.get(head).is_none() {
        if !create || !tree.is_map() {
            return;
        }
        let made = if rest.is_empty() {
            empty()
        } else {
            Tree::map(Vec::new(), origin)
        };
        tree.set(head, made, origin);
    }
    if let Some(child) = tree.get_mut(head) {
        walk(child, rest, create, origin, empty, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn tree(text: &str) -> Tree {
        let stream = parse(text).in_file(FileId(1));
        Tree::from_node(stream.documents[0].root().unwrap()).unwrap()
    }

    #[test]
    fn field_specs_walk_every_list_on_their_path() {
        let stream = parse("images:\n  - path: spec/pods/containers[]/image\n    kind: Box\n");
        let (config, skipped) = Configurations::read(stream.documents[0].root().unwrap());
        assert!(skipped.is_empty());
        let mut object = tree(
            "kind: Box\nspec:\n  pods:\n    - containers: [{image: a}, {image: b}]\n    - containers: [{image: c}]\n",
        );
        let resource = Resource::new(object.clone());
        assert!(config.images[0].applies(&resource));
        let mut seen = Vec::new();
        let origin = Origin::new(FileId(2), 0..0);
        config.images[0].visit(
            &mut object,
            origin,
            &|| Tree::string("", origin),
            &mut |n| seen.push(n.as_text().unwrap().to_string()),
        );
        assert_eq!(seen, ["a", "b", "c"]);
    }

    #[test]
    fn a_spec_that_creates_makes_the_missing_field() {
        let stream =
            parse("namespace:\n  - {path: spec/service/namespace, kind: Hook, create: true}\n");
        let (config, _) = Configurations::read(stream.documents[0].root().unwrap());
        let mut object = tree("kind: Hook\nspec: {}\n");
        let origin = Origin::new(FileId(2), 0..3);
        config.namespace[0].visit(
            &mut object,
            origin,
            &|| Tree::string("", origin),
            &mut |n| *n = Tree::string("prod", origin),
        );
        assert_eq!(
            object
                .path(&["spec", "service", "namespace"])
                .and_then(Tree::as_text),
            Some("prod")
        );
    }

    #[test]
    fn keys_kubelint_does_not_apply_come_back_with_their_nodes() {
        let stream = parse("namePrefix:\n  - {path: metadata/name}\nnamespace: []\n");
        let (_, skipped) = Configurations::read(stream.documents[0].root().unwrap());
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].as_str(), Some("namePrefix"));
    }
}
