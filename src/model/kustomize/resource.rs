//! A resource during a build: its effective tree and the identity references name it by.

use crate::source::Origin;
use crate::yaml::Tree;

/// One object being built.
#[derive(Debug, Clone)]
pub struct Resource {
    pub tree: Tree,
    /// The name and namespace it was read or generated with. References written against
    /// these follow the resource when a prefix, suffix or hash renames it.
    pub original_name: String,
    pub original_namespace: Option<String>,
    /// Made by a generator: it gets the content-hash suffix unless that is disabled.
    pub generated: Option<Generated>,
}

#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub hash_suffix: bool,
    /// The generator entry's `name`, for a finding about it.
    pub origin: Origin,
}

impl Resource {
    pub fn new(tree: Tree) -> Resource {
        let original_name = tree
            .path(&["metadata", "name"])
            .and_then(Tree::as_text)
            .unwrap_or_default()
            .to_string();
        let original_namespace = tree
            .path(&["metadata", "namespace"])
            .and_then(Tree::as_text)
            .map(str::to_string);
        Resource {
            tree,
            original_name,
            original_namespace,
            generated: None,
        }
    }

    pub fn kind(&self) -> &str {
        self.tree.text("kind").unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.tree.text("apiVersion").unwrap_or_default()
    }

    /// The API group: `apps` of `apps/v1`, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    pub fn version(&self) -> &str {
        let api = self.api_version();
        api.rsplit_once('/').map_or(api, |(_, version)| version)
    }

    pub fn name(&self) -> &str {
        self.tree
            .path(&["metadata", "name"])
            .and_then(Tree::as_text)
            .unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.tree
            .path(&["metadata", "namespace"])
            .and_then(Tree::as_text)
    }

    /// Whether the object's kind is one of Kubernetes' own (so the built-in merge keys apply).
    pub fn is_builtin_kind(&self) -> bool {
        let group = self.group();
        group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
    }

    /// Whether the kind lives outside namespaces. Custom kinds are taken as namespaced, as
    /// kustomize takes them without a schema (even a ClusterIssuer gets the namespace).
    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind())
    }
}

/// Kinds that have no namespace (kustomize's list for its namespace transformer).
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];
