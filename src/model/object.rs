//! Documents read as Kubernetes objects, and the pod spec inside each workload.

use std::collections::BTreeMap;

use crate::yaml::{Document, Node, ScalarType};

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
    // An image block of Helm values, read as a pod of one container (see `model::helm`).
    (super::helm::KIND, "spec"),
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

    /// Where a workload's pod labels sit: beside its pod spec (`spec.template.metadata.labels`
    /// for `spec.template.spec`; a Pod's own `metadata.labels`).
    pub fn labels_path(&self, kind: &str) -> Option<String> {
        let spec = self.get(kind)?;
        Some(match spec.strip_suffix("spec") {
            Some(parent) => format!("{parent}metadata.labels"),
            None => format!("{spec}.metadata.labels"),
        })
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
        // `kind: List` (kubectl get -o yaml), and typed lists such as `PodList`.
        Some(list)
            if list.kind == "List"
                || (list.kind.ends_with("List") && root.get("items").is_some()) =>
        {
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
    let image = node.get("image").map(|image| {
        let text = image.as_str().unwrap_or("");
        let parsed = match image.scalar_type() {
            Some(ScalarType::String) => ImageRef::parse(text),
            other => Err(not_a_string(other)),
        };
        ImageUse {
            node: image,
            text,
            parsed,
        }
    });
    Container {
        group,
        node,
        name: node.text("name"),
        image,
    }
}

/// `image: 123`, `image: null` or a list: the API server rejects the pod, so it is an invalid
/// reference rather than a Docker Hub image named `123`.
fn not_a_string(found: Option<ScalarType>) -> ImageRefError {
    let what = match found {
        Some(ScalarType::Null) => "null",
        Some(ScalarType::Bool) => "a boolean (quote it)",
        Some(ScalarType::Number) => "a number (quote it)",
        Some(ScalarType::String) => "a string",
        None => "a list or a mapping",
    };
    ImageRefError {
        message: format!("an image must be a string, not {what}"),
        offset: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn objects(text: &str, custom: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        let custom = custom
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let paths = PodSpecPaths::new(&custom);
        let stream = parse(text);
        let mut out = Vec::new();
        for doc in &stream.documents {
            for object in objects_of(doc, &paths) {
                let images = object
                    .pod
                    .iter()
                    .flat_map(|p| &p.containers)
                    .map(|c| format!("{}={}", c.group, c.image.as_ref().map_or("-", |i| i.text)))
                    .collect();
                out.push((
                    format!("{}/{}", object.kind, object.name.unwrap_or("?")),
                    images,
                ));
            }
        }
        out
    }

    #[test]
    fn a_list_is_unpacked_into_its_items() {
        let text = "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{image: x}]}}\n  - {apiVersion: v1, kind: Service, metadata: {name: b}}\n  - not an object\n";
        assert_eq!(
            objects(text, &[]),
            [
                ("Pod/a".to_string(), vec!["containers=x".to_string()]),
                ("Service/b".to_string(), vec![])
            ]
        );
    }

    #[test]
    fn every_container_group_is_read_in_documented_order() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  ephemeralContainers: [{image: e}]\n  containers: [{image: c}, {name: no-image}]\n  initContainers: [{image: i}]\n";
        let images = &objects(text, &[])[0].1;
        assert_eq!(
            images,
            &[
                "initContainers=i",
                "containers=c",
                "containers=-",
                "ephemeralContainers=e"
            ]
        );
    }

    #[test]
    fn cronjobs_and_configured_custom_kinds_have_pod_specs() {
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{image: x}]}}}}}\n";
        assert_eq!(objects(cron, &[])[0].1, ["containers=x"]);
        let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {template: {spec: {containers: [{image: y}]}}}\n";
        assert!(objects(rollout, &[])[0].1.is_empty());
        assert_eq!(
            objects(rollout, &[("Rollout", "spec.template.spec")])[0].1,
            ["containers=y"]
        );
    }

    #[test]
    fn documents_without_api_version_and_kind_are_not_objects() {
        assert!(objects("services: {web: {image: nginx}}\n", &[]).is_empty());
        assert!(objects("kind: Pod\n", &[]).is_empty());
        assert!(objects("- a\n- b\n", &[]).is_empty());
    }

    #[test]
    fn the_service_account_defaults_to_default() {
        let stream =
            parse("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n");
        let object = objects_of(&stream.documents[0], &PodSpecPaths::default()).remove(0);
        assert_eq!(object.pod.unwrap().service_account, "default");
    }
}
