//! What the rules read in effective values: image blocks and Service annotation maps, each
//! turned into a synthetic object of its own kind (`HelmValues`) so the image rules and
//! `hardcoded-clb-spec` read it exactly as they read a manifest, while every other rule
//! leaves it alone.

use crate::source::Origin;
use crate::yaml::{Piece, Tree, Value};

/// The kind of the synthetic objects; rules apply to it only when they look at images or
/// name it in `kinds`.
pub const KIND: &str = "HelmValues";
pub const API_VERSION: &str = "kubelint.io/v1";

/// Values nest deeper than this only in hostile input; the walk stops there.
const MAX_DEPTH: usize = 256;

/// The release the values belong to.
pub struct Release<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// The chart's `appVersion`, which most charts use when an image's `tag` is empty.
    pub app_version: Option<&'a Tree>,
}

/// One synthetic object per image block and per Service annotation map, in values order.
pub fn synthetic_objects(values: &Tree, release: &Release<'_>) -> Vec<Tree> {
    let mut walk = Walk {
        release,
        global: values.get("global"),
        out: Vec::new(),
        path: Vec::new(),
        ancestors: Vec::new(),
    };
    walk.visit(values);
    walk.out
}

struct Walk<'v, 'r> {
    release: &'r Release<'r>,
    global: Option<&'v Tree>,
    out: Vec<Tree>,
    path: Vec<String>,
    ancestors: Vec<&'v Tree>,
}

impl<'v> Walk<'v, '_> {
    fn visit(&mut self, node: &'v Tree) {
        if self.path.len() > MAX_DEPTH {
            return;
        }
        match &node.value {
            Value::Map(entries) => {
                if let Some(image) = self.image_of_block(node) {
                    self.push_image(image, node);
                    return;
                }
                self.ancestors.push(node);
                for (key, value) in entries {
                    let Some(name) = key.as_text() else {
                        continue;
                    };
                    self.path.push(name.to_string());
                    if name == "image" && matches!(value.value, Value::Scalar { .. }) {
                        if value.as_text().is_some_and(|t| !t.is_empty()) {
                            self.push_image(value.clone(), node);
                        }
                    } else if name == "annotations"
                        && value.is_map()
                        && self.path.len() >= 2
                        && self.path[self.path.len() - 2] == "service"
                    {
                        self.push_annotations(value);
                    } else {
                        self.visit(value);
                    }
                    self.path.pop();
                }
                self.ancestors.pop();
            }
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.path.push(index.to_string());
                    self.visit(item);
                    self.path.pop();
                }
            }
            Value::Scalar { .. } => {}
        }
    }

    /// `{registry, repository|image, tag, digest}` (with Bitnami's `global.imageRegistry`):
    /// the image as the chart's template assembles it, each part remembering its leaf.
    fn image_of_block(&self, block: &'v Tree) -> Option<Tree> {
        let scalar = |key: &str| {
            block
                .get(key)
                .filter(|v| matches!(v.value, Value::Scalar { .. }))
        };
        let repository =
            scalar("repository").filter(|r| r.as_text().is_some_and(|t| !t.is_empty()));
        let (name, registry) = match repository {
            Some(repository) => {
                let global = self
                    .global
                    .and_then(|g| g.get("imageRegistry"))
                    .filter(|r| r.as_text().is_some_and(|t| !t.is_empty()));
                (repository, global.or(scalar("registry")))
            }
            None => {
                let registry = scalar("registry")?;
                let image =
                    scalar("image").filter(|i| i.as_text().is_some_and(|t| !t.is_empty()))?;
                (image, Some(registry))
            }
        };
        let mut parts = Assembled::default();
        if let Some(registry) = registry.filter(|r| r.as_text().is_some_and(|t| !t.is_empty())) {
            parts.push(&format!("{}/", leaf_text(registry)), registry);
        }
        parts.push(leaf_text(name), name);
        let tag = scalar("tag").filter(|t| t.as_text().is_some_and(|t| !t.is_empty()));
        if let Some(tag) = tag.or(self.release.app_version) {
            parts.push(&format!(":{}", leaf_text(tag)), tag);
        }
        if let Some(digest) =
            scalar("digest").filter(|d| d.as_text().is_some_and(|t| !t.is_empty()))
        {
            parts.push(&format!("@{}", leaf_text(digest)), digest);
        }
        Some(Tree {
            value: Value::Scalar {
                text: parts.text,
                plain: false,
            },
            origin: name.origin,
            pieces: parts.pieces,
            overrode: None,
        })
    }

    fn push_image(&mut self, image: Tree, block: &'v Tree) {
        let at = image.origin;
        let container = Tree::map(
            vec![
                entry("name", Tree::string(self.path.join("."), at), at),
                entry("image", image, at),
            ],
            at,
        );
        let mut spec = vec![entry("containers", Tree::seq(vec![container], at), at)];
        let secrets = self.pull_secrets(block);
        if !secrets.is_empty() {
            spec.push(entry("imagePullSecrets", Tree::seq(secrets, at), at));
        }
        let object = self.object(Vec::new(), vec![entry("spec", Tree::map(spec, at), at)], at);
        self.out.push(object);
    }

    fn push_annotations(&mut self, annotations: &Tree) {
        let at = annotations.origin;
        let metadata = vec![entry("annotations", annotations.clone(), at)];
        let object = self.object(metadata, Vec::new(), at);
        self.out.push(object);
    }

    /// The block's own `pullSecrets`, the nearest `imagePullSecrets` above it, and
    /// `global.imagePullSecrets`, each item `{name: x}` or `x`.
    fn pull_secrets(&self, block: &'v Tree) -> Vec<Tree> {
        let nearest = self
            .ancestors
            .iter()
            .rev()
            .find_map(|a| a.get("imagePullSecrets"));
        let lists = [
            block.get("pullSecrets"),
            nearest,
            self.global.and_then(|g| g.get("imagePullSecrets")),
        ];
        lists
            .into_iter()
            .flatten()
            .flat_map(Tree::items)
            .filter_map(|item| {
                let name = item.get("name").unwrap_or(item);
                name.as_text()?;
                Some(Tree::map(
                    vec![entry("name", name.clone(), name.origin)],
                    name.origin,
                ))
            })
            .collect()
    }

    fn object(&self, mut metadata: Vec<(Tree, Tree)>, rest: Vec<(Tree, Tree)>, at: Origin) -> Tree {
        metadata.insert(0, entry("name", Tree::string(self.release.name, at), at));
        if let Some(namespace) = self.release.namespace {
            metadata.insert(1, entry("namespace", Tree::string(namespace, at), at));
        }
        let mut entries = vec![
            entry("apiVersion", Tree::string(API_VERSION, at), at),
            entry("kind", Tree::string(KIND, at), at),
            entry("metadata", Tree::map(metadata, at), at),
        ];
        entries.extend(rest);
        Tree::map(entries, at)
    }
}

fn entry(key: &str, value: Tree, at: Origin) -> (Tree, Tree) {
    (Tree::string(key, at), value)
}

/// A scalar's text as a template prints it (`tag: 1.25` prints `1.25`).
fn leaf_text(leaf: &Tree) -> &str {
    match &leaf.value {
        Value::Scalar { text, .. } => text,
        _ => "",
    }
}

/// A scalar built from parts, with where each part came from.
#[derive(Default)]
struct Assembled {
    text: String,
    pieces: Vec<Piece>,
}

impl Assembled {
    /// Appends `part`, the text of `leaf` (with its joint), set where `leaf` was set.
    fn push(&mut self, part: &str, leaf: &Tree) {
        let start = crate::source::offset(self.text.len());
        self.text.push_str(part);
        self.pieces.push(Piece {
            start,
            end: crate::source::offset(self.text.len()),
            origin: leaf.origin,
            overrode: leaf.overrode,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn objects(text: &str) -> Vec<Tree> {
        let stream = parse(text).in_file(FileId(0));
        let values = Tree::from_node(stream.documents[0].root().unwrap()).unwrap();
        let release = Release {
            name: "r",
            namespace: Some("ns"),
            app_version: None,
        };
        synthetic_objects(&values, &release)
    }

    fn images(text: &str) -> Vec<String> {
        objects(text)
            .iter()
            .filter_map(|o| o.path(&["spec", "containers"]))
            .flat_map(|c| {
                c.items()
                    .iter()
                    .filter_map(|c| c.text("image").map(str::to_string))
            })
            .collect()
    }

    #[test]
    fn every_image_block_shape_is_assembled_as_the_chart_prints_it() {
        let text = "a: {image: 'redis:7'}\nb: {image: {repository: nginx, tag: 1.25, pullPolicy: Always}}\nc:\n  image: {registry: registry.k8s.io, image: ingress-nginx/controller, tag: v1.9.4, digest: 'sha256:ab'}\nd: {image: {repository: x, tag: ''}}\n";
        assert_eq!(
            images(text),
            [
                "redis:7",
                "nginx:1.25",
                "registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:ab",
                "x"
            ]
        );
    }

    #[test]
    fn bitnamis_global_registry_wins_over_the_blocks_own() {
        let text = "global: {imageRegistry: mirror.example}\nimage: {registry: docker.io, repository: bitnami/redis, tag: '7'}\n";
        assert_eq!(images(text), ["mirror.example/bitnami/redis:7"]);
    }

    #[test]
    fn each_part_of_an_assembled_image_remembers_its_leaf() {
        let text = "image:\n  registry: r.example\n  repository: app\n  digest: sha256:00\n";
        let objects = objects(text);
        let image = objects[0].path(&["spec", "containers"]).unwrap().items()[0]
            .get("image")
            .unwrap()
            .clone();
        let digest_at = image.as_text().unwrap().find('@').unwrap() as u32;
        let piece = image.pieces.iter().find(|p| p.start == digest_at).unwrap();
        assert_eq!(&text[piece.origin.range()], "sha256:00");
    }

    #[test]
    fn pull_secrets_come_from_the_block_the_nearest_list_and_global() {
        let text = "global: {imagePullSecrets: [g]}\nimagePullSecrets: [{name: top}]\nimage: {repository: a, pullSecrets: [own]}\n";
        let objects = objects(text);
        let secrets: Vec<_> = objects[0]
            .path(&["spec", "imagePullSecrets"])
            .unwrap()
            .items()
            .iter()
            .map(|s| s.text("name").unwrap().to_string())
            .collect();
        assert_eq!(secrets, ["own", "top", "g"]);
    }

    #[test]
    fn only_service_annotation_maps_become_objects() {
        let text = "controller:\n  service:\n    annotations: {a: b}\n  podAnnotations: {c: d}\nservice: {annotations: {e: f}}\n";
        let objects = objects(text);
        let annotated: Vec<_> = objects
            .iter()
            .filter_map(|o| o.path(&["metadata", "annotations"]))
            .map(|a| a.entries()[0].0.as_text().unwrap().to_string())
            .collect();
        assert_eq!(annotated, ["a", "e"]);
    }
}
