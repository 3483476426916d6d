//! Which objects a policy or binding matches, decided statically as the API server would
//! decide it for a CREATE: resource rules, label selectors on the object and its namespace.

use std::collections::BTreeMap;

pub use crate::model::cover::Selector;
use crate::yaml::Node;

/// Kinds that live outside namespaces: a namespace selector does not apply to them.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// The resource (plural, lowercase) of a kind, as the API server's REST mapper names it for
/// the built-in kinds and as CRDs conventionally name theirs.
pub fn resource_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    match lower.as_str() {
        "endpoints" => lower,
        _ if lower.ends_with('y')
            && !["ay", "ey", "oy", "uy"].iter().any(|v| lower.ends_with(v)) =>
        {
            format!("{}ies", &lower[..lower.len() - 1])
        }
        _ if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("ch") => {
            format!("{lower}es")
        }
        _ => format!("{lower}s"),
    }
}

/// The group and version of an `apiVersion`: `apps/v1` → (`apps`, `v1`), `v1` → (``, `v1`).
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// What a request for one object looks like to matching.
pub struct Request<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub name: &'a str,
    pub namespaced: bool,
}

/// One of `resourceRules` (or `excludeResourceRules`).
#[derive(Debug, Default)]
pub struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    names: Vec<String>,
    scope: Option<String>,
}

fn strings(node: Option<Node<'_>>) -> Vec<String> {
    node.into_iter()
        .flat_map(|n| n.items())
        .filter_map(|item| item.as_text().map(str::to_string))
        .collect()
}

fn any_or(list: &[String], value: &str) -> bool {
    list.iter().any(|item| item == "*" || item == value)
}

impl ResourceRule {
    pub fn read(node: Node<'_>) -> ResourceRule {
        ResourceRule {
            groups: strings(node.get("apiGroups")),
            versions: strings(node.get("apiVersions")),
            resources: strings(node.get("resources")),
            operations: strings(node.get("operations")),
            names: strings(node.get("resourceNames")),
            scope: node.text("scope").map(str::to_string),
        }
    }

    fn matches(&self, request: &Request<'_>) -> bool {
        let resource = self.resources.iter().any(|r| {
            r == "*"
                || r == "*/*"
                || r == request.resource
                || r.strip_suffix("/*") == Some(request.resource)
        });
        let scope = match self.scope.as_deref() {
            Some("Cluster") => !request.namespaced,
            Some("Namespaced") => request.namespaced,
            _ => true,
        };
        any_or(&self.groups, request.group)
            && any_or(&self.versions, request.version)
            && resource
            && any_or(&self.operations, "CREATE")
            && (self.names.is_empty() || self.names.iter().any(|n| n == request.name))
            && scope
    }
}

/// `matchConstraints` of a policy, or `matchResources` of a binding.
#[derive(Debug, Default)]
pub struct Match {
    rules: Vec<ResourceRule>,
    excluded: Vec<ResourceRule>,
    namespaces: Option<Selector>,
    objects: Option<Selector>,
}

/// What is known of the namespace an object lands in.
pub struct Namespace<'a> {
    pub name: Option<&'a str>,
    /// The labels of its Namespace object in the repository, with the
    /// `kubernetes.io/metadata.name` label the API server sets on every namespace.
    pub labels: BTreeMap<String, String>,
    /// Whether a Namespace object was found, so labels beyond the name are known.
    pub known: bool,
}

impl Match {
    pub fn read(node: Option<Node<'_>>) -> Match {
        let Some(node) = node else {
            return Match::default();
        };
        let rules = |key: &str| -> Vec<ResourceRule> {
            node.get(key)
                .into_iter()
                .flat_map(|list| list.items())
                .map(ResourceRule::read)
                .collect()
        };
        Match {
            rules: rules("resourceRules"),
            excluded: rules("excludeResourceRules"),
            namespaces: node.get("namespaceSelector").map(Selector::read),
            objects: node.get("objectSelector").map(Selector::read),
        }
    }

    /// Whether the request matches. `rules_required`: a policy's constraints match nothing
    /// without resource rules; a binding without them narrows nothing.
    pub fn matches(
        &self,
        request: &Request<'_>,
        labels: &BTreeMap<String, String>,
        namespace: &Namespace<'_>,
        rules_required: bool,
    ) -> bool {
        let ruled = if self.rules.is_empty() {
            !rules_required
        } else {
            self.rules.iter().any(|r| r.matches(request))
        };
        if !ruled || self.excluded.iter().any(|r| r.matches(request)) {
            return false;
        }
        if self
            .objects
            .as_ref()
            .is_some_and(|s| !s.matches(|k| labels.get(k).map(String::as_str)))
        {
            return false;
        }
        match &self.namespaces {
            Some(selector) if request.namespaced => {
                // Labels of a namespace not in the repository are unknown, except its name.
                let decidable =
                    namespace.known || selector.keys().all(|k| k == "kubernetes.io/metadata.name");
                decidable
                    && namespace.name.is_some()
                    && selector.matches(|k| namespace.labels.get(k).map(String::as_str))
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_become_the_resources_rules_name() {
        assert_eq!(resource_of("Pod"), "pods");
        assert_eq!(resource_of("Ingress"), "ingresses");
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("Endpoints"), "endpoints");
        assert_eq!(resource_of("Gateway"), "gateways");
        assert_eq!(
            resource_of("CustomResourceDefinition"),
            "customresourcedefinitions"
        );
    }

    #[test]
    fn selectors_read_labels_and_expressions() {
        let stream = crate::yaml::parse(
            "matchLabels: {app: web}\nmatchExpressions: [{key: tier, operator: NotIn, values: [db]}]\n",
        );
        let selector = Selector::read(stream.documents[0].root().unwrap());
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let matches = |pairs: &[(&str, &str)]| {
            let labels = labels(pairs);
            selector.matches(|k| labels.get(k).map(String::as_str))
        };
        assert!(matches(&[("app", "web")]));
        assert!(!matches(&[("app", "web"), ("tier", "db")]));
        assert!(!matches(&[]));
    }
}
