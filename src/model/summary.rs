//! What one file (or one build) defines that other objects may name: objects by kind, name and
//! namespace, the keys of Secrets and ConfigMaps, the ports of Services, the labels and port
//! names of pod templates, and what kubelint cannot read. Summaries own their strings and
//! depend on nothing but the parsed documents, so a cache between runs or an editor that
//! re-reads one buffer can keep and replace them one file at a time.

use serde::{Deserialize, Serialize};

use crate::source::{FileId, Origin};
use crate::yaml::{Document, Node};

use super::cover::{Cover, cover_of};
use super::object::{Object, PodSpecPaths, objects_of};
use super::{InputKind, ParsedFile};

/// Everything one file or build defines. Origins are stored as byte ranges alone (the cache
/// keeps summaries between runs, where file ids change): [`Summary::in_file`] re-attaches them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub objects: Vec<Defined>,
    /// Parts of a kustomization kubelint does not build, which may create anything.
    pub opaque: Vec<Opaque>,
    /// The file holds objects that matter beyond this summary, so a session keeps it parsed
    /// for every run: CRDs (schemas), admission policy bindings, Namespaces (policies read
    /// their labels) and ServiceAccounts (their pull secrets).
    #[serde(default)]
    pub context: bool,
    /// The file holds a ValidatingAdmissionPolicy, whose params may be objects of any kind in
    /// any file: a session then reads every file in full.
    #[serde(default)]
    pub policy: bool,
    /// PodDisruptionBudgets, NetworkPolicies and HPAs: what covers which workloads.
    #[serde(default)]
    pub covers: Vec<Cover>,
}

/// Kinds whose objects the run reads beyond their summary (see [`Summary::context`]).
const CONTEXT_KINDS: &[&str] = &[
    "CustomResourceDefinition",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "Namespace",
    "ServiceAccount",
];

/// Origins in a summary as the byte range alone; the file is the summary's own.
pub(super) mod range {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::source::{FileId, Origin};

    pub fn serialize<S: Serializer>(origin: &Origin, serializer: S) -> Result<S::Ok, S::Error> {
        (origin.start, origin.end).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Origin, D::Error> {
        let (start, end) = <(u32, u32)>::deserialize(deserializer)?;
        Ok(Origin {
            file: FileId(0),
            start,
            end,
        })
    }
}

/// One object that references can name, or one that another object creates (the Secret of a
/// cert-manager Certificate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Defined {
    pub kind: String,
    pub name: String,
    /// The namespace the object sets itself; the environment supplies a default.
    pub namespace: Option<String>,
    /// Its name (its `kind` without one): where a related location points.
    #[serde(with = "range")]
    pub origin: Origin,
    pub members: Members,
    /// A Service with `clusterIP: None`.
    pub headless: bool,
    /// The labels and container ports of a workload's pods.
    pub pod: Option<PodTemplate>,
    /// What creates it when it is not written itself: `Certificate tls`.
    pub via: Option<String>,
}

/// The keys of a Secret or ConfigMap, the port names and numbers of a Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Members {
    /// What it holds is known, and only that.
    Known(Vec<String>),
    /// What it holds is not known (an operator fills it): every key is taken to exist.
    Any,
}

impl Members {
    pub fn has(&self, member: &str) -> bool {
        match self {
            Members::Known(members) => members.iter().any(|m| m == member),
            Members::Any => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodTemplate {
    pub labels: Vec<(String, String)>,
    /// The names of every container's `ports`.
    pub port_names: Vec<String>,
}

/// A part of the repository kubelint does not render: a kustomization's `helmCharts` or
/// generator plugins (which may create anything), or a Helm release's values (whose chart's
/// workloads, and so their pods, kubelint does not see).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opaque {
    #[serde(with = "range")]
    pub origin: Origin,
    /// What it is, for messages: `` `helmCharts` in overlays/prod/kustomization.yaml ``.
    pub what: String,
    /// It creates workloads only (a Helm release): it explains missing pods, not names.
    pub pods_only: bool,
}

/// Kustomization fields whose output kubelint does not build.
const OPAQUE_FIELDS: &[&str] = &["helmCharts", "generators", "transformers"];

/// Keys the token controller writes into a `kubernetes.io/service-account-token` Secret.
const TOKEN_KEYS: &[&str] = &["token", "ca.crt", "namespace"];

/// Keys cert-manager writes into a Certificate's Secret.
const CERTIFICATE_KEYS: &[&str] = &["tls.crt", "tls.key", "ca.crt"];

impl Summary {
    /// What a parsed file defines: the objects of a manifest, the opaque parts of a
    /// kustomization, nothing for Helm values.
    pub fn of_file(file: &ParsedFile, pod_paths: &PodSpecPaths) -> Summary {
        match file.kind {
            InputKind::Manifest => Summary::of_documents(&file.stream.documents, pod_paths),
            InputKind::Kustomization => Summary {
                opaque: opaque_fields(file),
                ..Summary::default()
            },
            InputKind::HelmValues => Summary {
                opaque: vec![Opaque {
                    origin: crate::source::Origin::new(file.id, 0..0),
                    what: format!("the Helm release that {} configures", file.source.path),
                    pods_only: true,
                }],
                ..Summary::default()
            },
        }
    }

    /// What documents define (a file's, or those a build made).
    pub fn of_documents(documents: &[Document], pod_paths: &PodSpecPaths) -> Summary {
        let mut summary = Summary::default();
        for document in documents {
            for object in objects_of(document, pod_paths) {
                summary.context |= CONTEXT_KINDS.contains(&object.kind);
                summary.policy |= object.kind == "ValidatingAdmissionPolicy";
                define(&object, pod_paths, &mut summary);
            }
        }
        summary
    }

    /// The same summary with every origin in file `id` (a cached summary, or one kept while
    /// a file's id changed).
    pub fn in_file(mut self, id: FileId) -> Summary {
        for defined in &mut self.objects {
            defined.origin.file = id;
        }
        for opaque in &mut self.opaque {
            opaque.origin.file = id;
        }
        for cover in &mut self.covers {
            cover.origin.file = id;
        }
        self
    }
}

fn opaque_fields(file: &ParsedFile) -> Vec<Opaque> {
    let root = file.stream.documents.first().and_then(Document::root);
    OPAQUE_FIELDS
        .iter()
        .filter_map(|field| {
            let (key, _) = root?.entry(field)?;
            Some(Opaque {
                origin: key.origin(),
                what: format!("`{field}` in {}", file.source.path),
                pods_only: false,
            })
        })
        .collect()
}

fn define(object: &Object<'_>, pod_paths: &PodSpecPaths, summary: &mut Summary) {
    let root = object.root;
    let Some(name) = object.name else {
        return;
    };
    let metadata = root.get("metadata");
    let origin = metadata
        .and_then(|m| m.get("name"))
        .or_else(|| root.get("kind"))
        .unwrap_or(root)
        .origin();
    let namespace = object.namespace.map(str::to_string);
    summary.covers.extend(cover_of(object, origin));
    let out = &mut summary.objects;
    let mut defined = Defined {
        kind: object.kind.to_string(),
        name: name.to_string(),
        namespace: namespace.clone(),
        origin,
        members: Members::Known(Vec::new()),
        headless: false,
        pod: None,
        via: None,
    };
    match object.kind {
        "Secret" | "ConfigMap" => {
            let mut keys = keys_of(root, &["data", "stringData", "binaryData"]);
            if root.text("type") == Some("kubernetes.io/service-account-token") {
                keys.extend(TOKEN_KEYS.iter().map(|k| k.to_string()));
            }
            defined.members = Members::Known(keys);
        }
        "Service" => {
            let spec = root.get("spec");
            defined.headless = spec.and_then(|s| s.text("clusterIP")) == Some("None");
            let ports = spec.and_then(|s| s.get("ports"));
            let members = ports
                .into_iter()
                .flat_map(|p| p.items())
                .flat_map(|port| [port.get("name"), port.get("port")])
                .flatten()
                .filter_map(|n| n.as_text().map(str::to_string))
                .collect();
            defined.members = Members::Known(members);
        }
        _ => {}
    }
    if let Some(pod) = &object.pod {
        let labels = pod_paths
            .labels_path(object.kind)
            .and_then(|path| root.path(&path))
            .map(|labels| {
                labels
                    .entries()
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_text()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let port_names = pod
            .containers
            .iter()
            .filter_map(|c| c.node.get("ports"))
            .flat_map(|ports| ports.items())
            .filter_map(|port| port.text("name").map(str::to_string))
            .collect();
        defined.pod = Some(PodTemplate { labels, port_names });
    }
    let produced = produced_secret(object, name);
    out.push(defined);
    if let Some((secret, members, at)) = produced {
        out.push(Defined {
            kind: "Secret".into(),
            name: secret,
            namespace,
            origin: at.origin(),
            members,
            headless: false,
            pod: None,
            via: Some(format!("{} {name}", object.kind)),
        });
    }
}

/// The Secret an operator creates from this object: cert-manager's Certificate
/// (`spec.secretName`), external-secrets' ExternalSecret (`spec.target.name`, else its own
/// name), Bitnami's SealedSecret (its own name, with its encrypted keys).
fn produced_secret<'a>(object: &Object<'a>, name: &'a str) -> Option<(String, Members, Node<'a>)> {
    let root = object.root;
    let spec = root.get("spec");
    let own_name = || root.get("metadata").and_then(|m| m.get("name"));
    match object.kind {
        "Certificate" if object.api_version.starts_with("cert-manager.io/") => {
            let at = spec?.get("secretName")?;
            let known = CERTIFICATE_KEYS.iter().map(|k| k.to_string()).collect();
            Some((at.as_text()?.to_string(), Members::Known(known), at))
        }
        "ExternalSecret" => {
            let target = spec.and_then(|s| s.path("target.name"));
            let at = target.or_else(own_name)?;
            let secret = at.as_text().unwrap_or(name).to_string();
            let from_all = spec.is_some_and(|s| s.get("dataFrom").is_some());
            let members = if from_all {
                Members::Any
            } else {
                let keys = spec
                    .and_then(|s| s.get("data"))
                    .into_iter()
                    .flat_map(|d| d.items())
                    .filter_map(|item| item.text("secretKey").map(str::to_string))
                    .collect();
                Members::Known(keys)
            };
            Some((secret, members, at))
        }
        "SealedSecret" => {
            let keys = keys_of(root, &["spec.encryptedData"]);
            Some((name.to_string(), Members::Known(keys), own_name()?))
        }
        _ => None,
    }
}

fn keys_of(root: Node<'_>, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|path| root.path(path))
        .flat_map(|map| map.entries())
        .filter_map(|(key, _)| key.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn summary(text: &str) -> Summary {
        Summary::of_documents(&parse(text).documents, &PodSpecPaths::default())
    }

    #[test]
    fn secrets_and_config_maps_list_the_keys_of_every_data_field() {
        let found = summary(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\ndata: {a: eA==}\nstringData: {b: x}\n",
        );
        let secret = &found.objects[0];
        assert_eq!(
            (secret.kind.as_str(), secret.name.as_str()),
            ("Secret", "s")
        );
        assert_eq!(secret.namespace.as_deref(), Some("n"));
        assert_eq!(secret.members, Members::Known(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn services_list_port_names_and_numbers_and_whether_they_are_headless() {
        let found = summary(
            "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {clusterIP: None, ports: [{name: pg, port: 5432}]}\n",
        );
        assert!(found.objects[0].headless);
        assert!(found.objects[0].members.has("pg") && found.objects[0].members.has("5432"));
    }

    #[test]
    fn workloads_carry_their_pod_labels_and_port_names() {
        let found = summary(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: w, ports: [{name: http, containerPort: 80}]}]}\n",
        );
        let pod = found.objects[0].pod.as_ref().unwrap();
        assert_eq!(pod.labels, [("app".to_string(), "web".to_string())]);
        assert_eq!(pod.port_names, ["http"]);
    }

    #[test]
    fn a_certificate_defines_the_secret_cert_manager_creates() {
        let found = summary(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\nspec: {secretName: web-tls}\n",
        );
        let secret = &found.objects[1];
        assert_eq!(
            (secret.kind.as_str(), secret.name.as_str()),
            ("Secret", "web-tls")
        );
        assert_eq!(secret.via.as_deref(), Some("Certificate web"));
        assert!(secret.members.has("tls.crt"));
    }

    #[test]
    fn an_external_secret_reading_everything_has_any_key() {
        let found = summary(
            "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: app}\nspec: {dataFrom: [{extract: {key: app}}]}\n",
        );
        assert_eq!(found.objects[1].name, "app");
        assert_eq!(found.objects[1].members, Members::Any);
    }
}
