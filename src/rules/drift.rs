//! Drift (K8S-002): what an environment gets from Git, compared with what its cluster runs,
//! as `kubectl get deploy,sts,ds,cronjob,svc,ingress,cm -A -o yaml` prints it. Each
//! difference is a `drift` finding at the Git line, with the live value in the message.
//!
//! Only what a person sets is compared: images, replicas, env, resources, labels and
//! annotations. What the API server defaults or controllers own (status, managedFields,
//! uids, kubectl's last-applied annotation, a Deployment's revision, containers a webhook
//! injects, resources a LimitRange fills in, replicas Git leaves to an autoscaler) is not,
//! so an object freshly applied from Git shows no drift.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::Env;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::model::{Container, Located, Object, Project};
use crate::yaml::Node;

use super::{RuleSet, ids, quantity};

/// The kinds the `kubectl get` of the README prints: only these can be missing from a dump.
pub const KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "CronJob",
    "Service",
    "Ingress",
    "ConfigMap",
];

/// Annotations and labels that the API server, kubectl or a controller writes.
const OWNED_METADATA: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/restartedAt",
    "kubernetes.io/change-cause",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
    "app.kubernetes.io/managed-by",
];

/// Objects every cluster has that no repository deploys.
const CLUSTER_MADE: &[(&str, &str)] =
    &[("ConfigMap", "kube-root-ca.crt"), ("Service", "kubernetes")];

type Key = (String, String, String);

fn key(object: &Object<'_>, namespace: Option<&str>) -> Option<Key> {
    Some((
        object.kind.to_string(),
        namespace.unwrap_or("default").to_string(),
        object.name?.to_string(),
    ))
}

/// The differences between the objects `project` deploys to `env` and the objects of the
/// live dump (`live`, read as objects of a parsed file).
pub fn compare<'a>(
    project: &Project<'a>,
    live: &'a [Object<'a>],
    env: &Env,
    rules: &RuleSet,
) -> Vec<Finding> {
    let mut git: BTreeMap<Key, &Located<'a>> = BTreeMap::new();
    for located in project
        .objects
        .iter()
        .filter(|l| KINDS.contains(&l.object.kind))
        .filter(|l| l.envs.iter().any(|e| e.name == env.name))
    {
        if let Some(key) = key(&located.object, located.namespace(Some(env))) {
            git.entry(key).or_insert(located);
        }
    }
    let namespaces: HashSet<String> = git.keys().map(|(_, ns, _)| ns.clone()).collect();
    let mut live_by_key: HashMap<Key, &Object<'a>> = HashMap::new();
    for object in live.iter().filter(|o| KINDS.contains(&o.kind)) {
        if let Some(key) = key(object, object.namespace) {
            live_by_key.entry(key).or_insert(object);
        }
    }
    let mut out = Vec::new();
    let drift = Drift { rules, env };
    for (key, located) in &git {
        match live_by_key.remove(key) {
            Some(running) => drift.object(located, running, &mut out),
            None => drift.push(
                located,
                identity(located.object.root),
                Severity::Info,
                format!(
                    "{}/{} is in Git for {} but not in the cluster (namespace {})",
                    key.0, key.2, env.name, key.1
                ),
                &mut out,
            ),
        }
    }
    let mut extra: Vec<(Key, &Object<'a>)> = live_by_key
        .into_iter()
        .filter(|((kind, ns, name), object)| {
            namespaces.contains(ns)
                && object.root.path("metadata.ownerReferences").is_none()
                && !CLUSTER_MADE.contains(&(kind.as_str(), name.as_str()))
        })
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    for ((kind, ns, name), object) in extra {
        let message = format!(
            "{kind}/{name} runs in the cluster (namespace {ns}) but is not in Git for {}",
            env.name
        );
        if let Some(mut finding) =
            rules.builtin_finding(ids::DRIFT, identity(object.root).origin(), message)
        {
            finding.severity = Severity::Info;
            finding.object = Some(ObjectRef {
                kind,
                name: Some(name),
                namespace: Some(ns),
            });
            finding.envs = vec![env.name.as_str().into()];
            out.push(finding);
        }
    }
    out
}

/// Where a finding about a whole object points: its name, else its kind.
fn identity(root: Node<'_>) -> Node<'_> {
    root.path("metadata.name")
        .or_else(|| root.get("kind"))
        .unwrap_or(root)
}

/// A value in one line, as a message quotes it: a scalar's text, a collection in flow style
/// with sorted keys, so two spellings of the same value read the same.
fn flat(node: Node<'_>) -> String {
    if node.as_str().is_some() {
        return node.as_text().unwrap_or_default().to_string();
    }
    if node.is_mapping() {
        let mut entries: Vec<(String, String)> = node
            .entries()
            .into_iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), flat(v)))
            .collect();
        entries.sort();
        let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{{{}}}", inner.join(", "))
    } else {
        let items: Vec<String> = node.items().map(flat).collect();
        format!("[{}]", items.join(", "))
    }
}

struct Drift<'r> {
    rules: &'r RuleSet,
    env: &'r Env,
}

impl Drift<'_> {
    fn push(
        &self,
        located: &Located<'_>,
        at: Node<'_>,
        severity: Severity,
        message: String,
        out: &mut Vec<Finding>,
    ) {
        let Some(mut finding) = self.rules.builtin_finding(ids::DRIFT, at.origin(), message) else {
            return;
        };
        finding.severity = finding.severity.min(severity);
        finding.object = Some(super::eval::object_ref(located, Some(self.env)));
        finding.envs = vec![self.env.name.as_str().into()];
        out.push(finding);
    }

    fn differ(&self, located: &Located<'_>, at: Node<'_>, message: String, out: &mut Vec<Finding>) {
        self.push(located, at, Severity::Error, message, out);
    }

    fn object(&self, located: &Located<'_>, live: &Object<'_>, out: &mut Vec<Finding>) {
        let git = located.object.root;
        for field in ["labels", "annotations"] {
            self.metadata(located, field, live.root, out);
        }
        if let Some(replicas) = git.path("spec.replicas").filter(|n| n.as_text().is_some()) {
            let live_replicas = live.root.path("spec.replicas").and_then(|n| n.as_text());
            let git_replicas = replicas.as_text().unwrap_or_default();
            if live_replicas != Some(git_replicas) {
                let message = format!(
                    "the cluster runs {} replicas; Git says {git_replicas}",
                    live_replicas.unwrap_or("no")
                );
                self.differ(located, replicas, message, out);
            }
        }
        let (Some(pod), Some(live_pod)) = (&located.object.pod, &live.pod) else {
            return;
        };
        for container in &pod.containers {
            let live_container = live_pod
                .containers
                .iter()
                .find(|c| c.group == container.group && c.name == container.name);
            let name = container.name.unwrap_or_default();
            let Some(live_container) = live_container else {
                let at = container.node.get("name").unwrap_or(container.node);
                let message = format!("container `{name}` is not in the cluster; Git has it");
                self.differ(located, at, message, out);
                continue;
            };
            self.container(located, container, live_container, out);
        }
    }

    fn metadata(&self, located: &Located<'_>, field: &str, live: Node<'_>, out: &mut Vec<Finding>) {
        let git_root = located.object.root;
        let path = format!("metadata.{field}");
        let singular = field.trim_end_matches('s');
        let entries = |node: Option<Node<'_>>| -> Vec<(String, String)> {
            node.map(|n| n.entries())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| Some((k.as_text()?.to_string(), flat(v))))
                .filter(|(k, _)| !OWNED_METADATA.contains(&k.as_str()))
                .collect()
        };
        let git_node = git_root.path(&path);
        let live_entries: BTreeMap<String, String> =
            entries(live.path(&path)).into_iter().collect();
        let mut git_keys = HashSet::new();
        for (key, value) in git_node.map(|n| n.entries()).unwrap_or_default() {
            let Some(name) = key.as_text() else { continue };
            if OWNED_METADATA.contains(&name) {
                continue;
            }
            git_keys.insert(name.to_string());
            let git_value = flat(value);
            match live_entries.get(name) {
                Some(live_value) if *live_value == git_value => {}
                Some(live_value) => self.differ(
                    located,
                    value,
                    format!("{singular} `{name}` is `{live_value}` in the cluster; Git says `{git_value}`"),
                    out,
                ),
                None => self.differ(
                    located,
                    key,
                    format!("{singular} `{name}` is not in the cluster; Git sets `{git_value}`"),
                    out,
                ),
            }
        }
        for (name, value) in live_entries.iter().filter(|(k, _)| !git_keys.contains(*k)) {
            let at = git_root
                .path("metadata")
                .and_then(|m| m.entry(field).map(|(k, _)| k))
                .unwrap_or_else(|| identity(git_root));
            let message =
                format!("the cluster has {singular} `{name}: {value}`; Git does not set it");
            self.differ(located, at, message, out);
        }
    }

    fn container(
        &self,
        located: &Located<'_>,
        git: &Container<'_>,
        live: &Container<'_>,
        out: &mut Vec<Finding>,
    ) {
        let name = git.name.unwrap_or_default();
        if let (Some(image), Some(live_image)) = (&git.image, &live.image)
            && image.text != live_image.text
        {
            let message = format!(
                "the cluster runs `{}`; Git says `{}` (container `{name}`)",
                live_image.text, image.text
            );
            self.differ(located, image.node, message, out);
        }
        self.env_vars(located, git, live, out);
        self.resources(located, git, live, out);
    }

    fn env_vars(
        &self,
        located: &Located<'_>,
        git: &Container<'_>,
        live: &Container<'_>,
        out: &mut Vec<Finding>,
    ) {
        let container = git.name.unwrap_or_default();
        fn vars<'n>(container: &Container<'n>) -> Vec<(String, Node<'n>)> {
            container
                .node
                .get("env")
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|v| Some((v.text("name")?.to_string(), v)))
                .collect()
        }
        let value_of = |var: Node<'_>| -> String {
            match var.get("valueFrom") {
                Some(from) => flat(from),
                None => var.get("value").map(flat).unwrap_or_default(),
            }
        };
        let live_vars: HashMap<String, Node<'_>> = vars(live).into_iter().collect();
        let git_vars = vars(git);
        for (name, var) in &git_vars {
            let git_value = value_of(*var);
            match live_vars.get(name) {
                Some(live_var) if value_of(*live_var) == git_value => {}
                Some(live_var) => {
                    let at = var
                        .get("valueFrom")
                        .or_else(|| var.get("value"))
                        .unwrap_or(*var);
                    let message = format!(
                        "env `{name}` of `{container}` is `{}` in the cluster; Git says `{git_value}`",
                        value_of(*live_var)
                    );
                    self.differ(located, at, message, out);
                }
                None => {
                    let at = var.get("name").unwrap_or(*var);
                    let message = format!(
                        "env `{name}` of `{container}` is not set in the cluster; Git sets it"
                    );
                    self.differ(located, at, message, out);
                }
            }
        }
        let mut extra: Vec<(&String, &Node<'_>)> = live_vars
            .iter()
            .filter(|(name, _)| !git_vars.iter().any(|(g, _)| g == *name))
            .collect();
        extra.sort_by(|a, b| a.0.cmp(b.0));
        for (name, var) in extra {
            let at = git
                .node
                .entry("env")
                .map(|(k, _)| k)
                .or_else(|| git.node.get("name"))
                .unwrap_or(git.node);
            let message = format!(
                "the cluster sets env `{name}` = `{}` on `{container}`; Git does not",
                value_of(*var)
            );
            self.differ(located, at, message, out);
        }
    }

    /// The requests and limits Git sets, each compared by value (`1000m` is `1`); what only
    /// the cluster has may come from a LimitRange, and is not drift.
    fn resources(
        &self,
        located: &Located<'_>,
        git: &Container<'_>,
        live: &Container<'_>,
        out: &mut Vec<Finding>,
    ) {
        let container = git.name.unwrap_or_default();
        for group in ["requests", "limits"] {
            let Some(set) = git.node.get("resources").and_then(|r| r.get(group)) else {
                continue;
            };
            let live_set = live.node.get("resources").and_then(|r| r.get(group));
            for (key, value) in set.entries() {
                let (Some(resource), Some(text)) = (key.as_text(), value.as_text()) else {
                    continue;
                };
                let live_text = live_set.and_then(|s| s.text(resource));
                let same = live_text.is_some_and(|l| l == text || same_quantity(l, text));
                if !same {
                    let message = format!(
                        "{group}.{resource} of `{container}` is `{}` in the cluster; Git says `{text}`",
                        live_text.unwrap_or("unset")
                    );
                    self.differ(located, value, message, out);
                }
            }
        }
    }
}

/// Whether two quantities are one amount however written (`1000m` and `1`, `1024Mi` and
/// `1Gi`), as the API server normalises them.
fn same_quantity(a: &str, b: &str) -> bool {
    match (quantity::parse(a), quantity::parse(b)) {
        (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_match_by_amount_not_spelling() {
        assert!(same_quantity("1000m", "1"));
        assert!(same_quantity("1024Mi", "1Gi"));
        assert!(!same_quantity("1G", "1Gi"));
        assert!(!same_quantity("lots", "lots"));
    }

    #[test]
    fn flat_values_sort_keys_so_spellings_agree() {
        let stream = crate::yaml::parse(
            "a: {secretKeyRef: {name: s, key: k}}\nb:\n  secretKeyRef:\n    key: k\n    name: s\n",
        );
        let root = stream.documents[0].root().unwrap();
        assert_eq!(
            flat(root.get("a").unwrap()),
            "{secretKeyRef: {key: k, name: s}}"
        );
        assert_eq!(flat(root.get("a").unwrap()), flat(root.get("b").unwrap()));
    }
}
