//! Documents read as Kubernetes objects, and the pod spec inside each workload.

use std::collections::BTreeMap;

use crate::yaml::{Document, Node};

use super::image::{ImageRef, ImageRefError};

/// Where the pod spec sits in each built-in workload kind.
const POD_SPEC_PATHS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("Deployment", "spec.template.spec"),
    ("StatefulSet", "spec.template.spec"),
    ("DaemonSet", "spec.template.spec"),
    ("ReplicaSet", "spec.template.spec"),
    ("ReplicationController", "spec.template.spec"),
    ("Job", "spec.template.spec"),
    ("CronJob", "spec.jobTemplate.spec.template.spec"),
    ("PodTemplate", "template.spec"),
];

/// The three container lists of a pod spec, in the order Kubernetes documents them.
pub const CONTAINER_GROUPS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// One Kubernetes object: a mapping with `apiVersion` and `kind`.
#[derive(Debug)]
pub struct Object<'a> {
    pub root: Node<'a>,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    /// The namespace the object sets itself; environments supply a default.
    pub namespace: Option<&'a str>,
    pub pod: Option<PodSpec<'a>>,
}

#[derive(Debug)]
pub struct PodSpec<'a> {
    pub node: Node<'a>,
    pub containers: Vec<Container<'a>>,
    /// The names under `imagePullSecrets`.
    pub pull_secrets: Vec<&'a str>,
    /// `serviceAccountName` (or the deprecated `serviceAccount`), `default` when unset.
    pub service_account: &'a str,
}

#[derive(Debug)]
pub struct Container<'a> {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub group: &'static str,
    pub node: Node<'a>,
    pub name: Option<&'a str>,
    pub image: Option<ImageUse<'a>>,
}

/// An image as written in a manifest, with the node it came from.
#[derive(Debug)]
pub struct ImageUse<'a> {
    pub node: Node<'a>,
    pub text: &'a str,
    pub parsed: Result<ImageRef, ImageRefError>,
}

/// Pod-spec paths by kind: the built-in workloads plus those the config adds for custom kinds.
#[derive(Debug, Clone)]
pub struct PodSpecPaths(BTreeMap<String, String>);

impl PodSpecPaths {
    pub fn new(custom: &BTreeMap<String, String>) -> Self {
        let mut paths: BTreeMap<String, String> = POD_SPEC_PATHS
            .iter()
            .map(|(kind, path)| (kind.to_string(), path.to_string()))
            .collect();
        paths.extend(custom.iter().map(|(k, v)| (k.clone(), v.clone())));
        PodSpecPaths(paths)
    }

    fn get(&self, kind: &str) -> Option<&str> {
        self.0.get(kind).map(String::as_str)
    }
}

impl Default for PodSpecPaths {
    fn default() -> Self {
        PodSpecPaths::new(&BTreeMap::new())
    }
}

/// The objects of one document: itself, or the items of a `kind: List`.
pub fn objects_of<'a>(doc: &'a Document, pod_paths: &PodSpecPaths) -> Vec<Object<'a>> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match read_object(root, pod_paths) {
        Some(list) if list.kind == "List" || list.kind.ends_with("List") && list.pod.is_none() => {
            let items = root.get("items");
            out.extend(
                items
                    .iter()
                    .flat_map(|items| items.items())
                    .filter_map(|item| read_object(item, pod_paths)),
            );
        }
        Some(object) => out.push(object),
        None => {}
    }
    out
}

fn read_object<'a>(root: Node<'a>, pod_paths: &PodSpecPaths) -> Option<Object<'a>> {
    let api_version = root.text("apiVersion")?;
    let kind = root.text("kind")?;
    let metadata = root.get("metadata");
    let pod = pod_paths
        .get(kind)
        .and_then(|path| root.path(path))
        .filter(Node::is_mapping)
        .map(read_pod_spec);
    Some(Object {
        root,
        api_version,
        kind,
        name: metadata.and_then(|m| m.text("name")),
        namespace: metadata.and_then(|m| m.text("namespace")),
        pod,
    })
}

fn read_pod_spec(node: Node<'_>) -> PodSpec<'_> {
    let containers = CONTAINER_GROUPS
        .iter()
        .flat_map(|&group| {
            node.get(group)
                .into_iter()
                .flat_map(|list| list.items())
                .filter(Node::is_mapping)
                .map(move |c| read_container(group, c))
        })
        .collect();
    let pull_secrets = node
        .get("imagePullSecrets")
        .into_iter()
        .flat_map(|list| list.items())
        .filter_map(|secret| secret.text("name"))
        .collect();
    let service_account = node
        .text("serviceAccountName")
        .or_else(|| node.text("serviceAccount"))
        .unwrap_or("default");
    PodSpec {
        node,
        containers,
        pull_secrets,
        service_account,
    }
}

fn read_container<'a>(group: &'static str, node: Node<'a>) -> Container<'a> {
    let image = node.get("image").and_then(|image| {
        let text = image.as_text()?;
        Some(ImageUse {
            node: image,
            text,
            parsed: ImageRef::parse(text),
        })
    });
    Container {
        group,
        node,
        name: node.text("name"),
        image,
    }
}
