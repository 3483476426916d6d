//! The inventory: every object of the repository that a reference can name, per environment
//! and namespace, plus what the config says exists outside Git and what every cluster has.
//! It is made from per-file summaries, so a file's part can be kept or replaced alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Env;
use crate::source::{FileId, Origin};

use super::cover::{CoverIndex, Seen};
use super::summary::{Members, Opaque, PodTemplate, Summary};

/// Kinds without a namespace: a reference to them ignores the referrer's namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// ClusterRoles every cluster has (besides the `system:` ones).
const DEFAULT_CLUSTER_ROLES: &[&str] = &["cluster-admin", "admin", "edit", "view"];

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// The namespace an object lands in: its own, else its environment's, else `default`; none
/// for cluster-scoped kinds.
pub fn effective_namespace(kind: &str, own: Option<&str>, env: Option<&Env>) -> String {
    if is_cluster_scoped(kind) {
        return String::new();
    }
    own.or_else(|| env.and_then(|e| e.spec.namespace.as_deref()))
        .unwrap_or("default")
        .to_string()
}

/// One object a reference can find.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The environment it deploys to; `None` for a file no environment names, which every
    /// environment sees.
    pub env: Option<Arc<str>>,
    /// Where it is defined; `None` for what the config declares.
    pub origin: Option<Origin>,
    pub members: Members,
    pub headless: bool,
    /// What creates it, when it is not written itself.
    pub via: Option<String>,
}

#[derive(Debug, Clone)]
struct PodEntry {
    env: Option<Arc<str>>,
    /// The file (or build) that defines the pods.
    file: FileId,
    template: PodTemplate,
}

/// An inventory shared between runs (a session's, of every file but those a run re-reads),
/// with the files whose entries no longer count in this run.
#[derive(Debug, Clone)]
pub struct Base {
    pub inventory: Arc<Inventory>,
    /// The files the base holds.
    pub files: Arc<HashSet<FileId>>,
}

/// Every object of the repository by kind, namespace and name.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Ordered, so that the names of one kind in one namespace ("did you mean") are one
    /// range rather than a scan of every object for each missing reference.
    objects: BTreeMap<ObjectKey, Vec<Entry>>,
    /// Pod templates by namespace, for selectors.
    pods: HashMap<String, Vec<PodEntry>>,
    /// Where each label (namespace, key, value) is, as indexes into `pods`, so a selector
    /// looks at the pods that carry one of its labels rather than at every pod.
    pod_labels: HashMap<(String, String, String), Vec<usize>>,
    opaque: Vec<(Option<Arc<str>>, Opaque)>,
    /// What a session already knows, under this run's own entries: a run then adds only the
    /// files it re-read (a buffer, what the builds read) rather than every file again.
    base: Option<(Arc<Inventory>, HashSet<FileId>)>,
    covers: CoverIndex,
}

impl Inventory {
    /// Puts `base` under this inventory, hiding the entries of its files in `hidden` (files
    /// this run reads for itself).
    pub fn set_base(&mut self, base: Arc<Inventory>, hidden: HashSet<FileId>) {
        self.base = Some((base, hidden));
    }

    /// The base's part of a lookup, without the files this run hides.
    fn base(&self) -> Option<(&Inventory, &HashSet<FileId>)> {
        self.base.as_ref().map(|(base, hidden)| (&**base, hidden))
    }

    /// Adds what a file or build defines, deployed to `envs` (none: no environment).
    pub fn add(&mut self, summary: &Summary, envs: &[Arc<Env>]) {
        self.add_all_but_objects(summary, envs);
        for (key, entry) in object_records(summary, envs) {
            self.objects.entry(key).or_default().push(entry);
        }
    }

    /// The inventory of many summaries, as `add` of each in turn makes it. Each object's
    /// record is made and sorted on every core, and the tree built at once from the sorted
    /// keys: adding 30,000 objects one by one, each name cloned and searched for in the
    /// tree on one core, was a fifth of a warm `kubelint check one-file.yaml`.
    pub fn of_summaries(summaries: &[(&Summary, &[Arc<Env>])]) -> Inventory {
        let mut inventory = Inventory::default();
        for (summary, envs) in summaries {
            inventory.add_all_but_objects(summary, envs);
        }
        let mut records: Vec<(ObjectKey, Entry)> = summaries
            .par_iter()
            .flat_map_iter(|(summary, envs)| object_records(summary, envs))
            .collect();
        // Stable, so that two definitions alike keep the order of the summaries, as `add`
        // then `seal` keep it.
        records.par_sort_by(|(a, first), (b, second)| {
            a.cmp(b).then_with(|| order(first).cmp(&order(second)))
        });
        let mut grouped: Vec<(ObjectKey, Vec<Entry>)> = Vec::new();
        for (key, entry) in records {
            match grouped.last_mut() {
                Some((last, entries)) if *last == key => entries.push(entry),
                _ => grouped.push((key, vec![entry])),
            }
        }
        inventory.objects = grouped.into_iter().collect();
        inventory
    }

    /// The pods, covers and opaque parts of what a file or build defines.
    fn add_all_but_objects(&mut self, summary: &Summary, envs: &[Arc<Env>]) {
        for (env, env_name) in deployed_to(envs) {
            for defined in &summary.objects {
                let Some(pod) = &defined.pod else {
                    continue;
                };
                let namespace =
                    effective_namespace(&defined.kind, defined.namespace.as_deref(), env);
                let pods = self.pods.entry(namespace.clone()).or_default();
                for (key, value) in &pod.labels {
                    let label = (namespace.clone(), key.clone(), value.clone());
                    self.pod_labels.entry(label).or_default().push(pods.len());
                }
                pods.push(PodEntry {
                    env: env_name.clone(),
                    file: defined.origin.file,
                    template: pod.clone(),
                });
            }
            for cover in &summary.covers {
                let namespace = effective_namespace(&cover.kind, cover.namespace.as_deref(), env);
                self.covers.add(cover, namespace, env_name.clone());
            }
            for opaque in &summary.opaque {
                self.opaque.push((env_name.clone(), opaque.clone()));
            }
        }
    }

    /// Adds what an environment's config says exists outside Git: `external-secrets` (keys
    /// unknown when none are listed) and `external`.
    pub fn add_external(&mut self, env: &Env) {
        let name: Arc<str> = Arc::from(env.name.as_str());
        let mut add = |kind: &str, object: &str, namespace: Option<&str>, members: Members| {
            let namespace = effective_namespace(kind, namespace, Some(env));
            self.objects
                .entry((kind.to_string(), namespace, object.to_string()))
                .or_default()
                .push(Entry {
                    env: Some(Arc::clone(&name)),
                    origin: None,
                    members,
                    headless: false,
                    via: Some(format!("the config of environment {}", env.name)),
                });
        };
        for (secret, keys) in &env.spec.external_secrets {
            let members = if keys.is_empty() {
                Members::Any
            } else {
                Members::Known(keys.iter().map(|k| k.0.clone()).collect())
            };
            add("Secret", secret, None, members);
        }
        for external in &env.spec.external {
            let members = match &external.keys {
                None => Members::Any,
                Some(keys) => Members::Known(keys.iter().map(|k| k.0.clone()).collect()),
            };
            add(
                &external.kind,
                &external.name,
                external.namespace.as_deref(),
                members,
            );
        }
    }

    /// Keeps every list in one order whatever order files were added in, so answers (the
    /// related location, the suggestion) do not depend on threads or path order.
    pub fn seal(&mut self) {
        for entries in self.objects.values_mut() {
            entries.sort_by(|a, b| order(a).cmp(&order(b)));
        }
    }

    /// The object of `kind` named `name` in `namespace` that environment `env` sees: its own
    /// objects and those of no environment (every object, for no environment). Objects
    /// every cluster has are found too.
    pub fn find(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        env: Option<&str>,
    ) -> Option<Entry> {
        self.find_with(kind, namespace, name, env, |_| true)
    }

    /// The same, preferring a definition that `wanted` accepts: when two files define the
    /// same name (two apps of a samples repository), the one with the key counts.
    pub fn find_with(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        env: Option<&str>,
        wanted: impl Fn(&Entry) -> bool,
    ) -> Option<Entry> {
        let namespace = if is_cluster_scoped(kind) {
            ""
        } else {
            namespace
        };
        let key = (kind.to_string(), namespace.to_string(), name.to_string());
        let mut seen: Vec<&Entry> = self
            .objects
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|e| visible(e.env.as_deref(), env))
            .collect();
        if let Some((base, hidden)) = self.base() {
            seen.extend(
                base.objects
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|e| e.origin.is_none_or(|o| !hidden.contains(&o.file)))
                    .filter(|e| visible(e.env.as_deref(), env)),
            );
            // In the order one inventory of everything would keep.
            seen.sort_by(|a, b| order(a).cmp(&order(b)));
        }
        let found = seen.iter().find(|e| wanted(e)).or(seen.first());
        found.map(|e| (*e).clone()).or_else(|| built_in(kind, name))
    }

    /// The names and entries of `kind` in `namespace`, in name order.
    fn placed<'i: 'q, 'q>(
        &'i self,
        kind: &'q str,
        namespace: &'q str,
    ) -> impl Iterator<Item = (&'i str, &'i [Entry])> + 'q {
        let from = (kind.to_string(), namespace.to_string(), String::new());
        self.objects
            .range(from..)
            .take_while(move |((k, ns, _), _)| k == kind && ns == namespace)
            .map(|((_, _, name), entries)| (name.as_str(), entries.as_slice()))
    }

    /// Names of `kind` in `namespace` that `env` sees, for "did you mean".
    pub fn names(&self, kind: &str, namespace: &str, env: Option<&str>) -> Vec<&str> {
        let namespace = if is_cluster_scoped(kind) {
            ""
        } else {
            namespace
        };
        let mut names: Vec<&str> = self
            .placed(kind, namespace)
            .filter(|(_, entries)| entries.iter().any(|e| visible(e.env.as_deref(), env)))
            .map(|(name, _)| name)
            .collect();
        if let Some((base, hidden)) = self.base() {
            names.extend(
                base.placed(kind, namespace)
                    .filter(|(_, entries)| {
                        entries.iter().any(|e| {
                            e.origin.is_none_or(|o| !hidden.contains(&o.file))
                                && visible(e.env.as_deref(), env)
                        })
                    })
                    .map(|(name, _)| name),
            );
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The pod templates in `namespace` that `env` sees whose labels `matches` accepts.
    /// `required` is a label every match carries (one the selector demands), so only the
    /// pods with it are tried: a Service per workload stays linear, not quadratic.
    pub fn pods<'i>(
        &'i self,
        namespace: &str,
        env: Option<&str>,
        required: Option<(&str, &str)>,
        matches: impl Fn(&dyn Fn(&str) -> Option<&'i str>) -> bool,
    ) -> Vec<&'i PodTemplate> {
        let mut found = self.own_pods(namespace, env, required, &matches, None);
        if let Some((base, hidden)) = self.base() {
            found.extend(base.own_pods(namespace, env, required, &matches, Some(hidden)));
        }
        found
    }

    fn own_pods<'i>(
        &'i self,
        namespace: &str,
        env: Option<&str>,
        required: Option<(&str, &str)>,
        matches: &impl Fn(&dyn Fn(&str) -> Option<&'i str>) -> bool,
        hidden: Option<&HashSet<FileId>>,
    ) -> Vec<&'i PodTemplate> {
        let all = self.pods.get(namespace).map_or(&[][..], Vec::as_slice);
        let candidates: Box<dyn Iterator<Item = &PodEntry>> = match required {
            Some((key, value)) => {
                let label = (namespace.to_string(), key.to_string(), value.to_string());
                let indexes = self.pod_labels.get(&label).map_or(&[][..], Vec::as_slice);
                Box::new(indexes.iter().filter_map(|&i| all.get(i)))
            }
            None => Box::new(all.iter()),
        };
        candidates
            .filter(|pod| hidden.is_none_or(|h| !h.contains(&pod.file)))
            .filter(|pod| visible(pod.env.as_deref(), env))
            .filter(|pod| {
                let label = |key: &str| {
                    pod.template
                        .labels
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.as_str())
                };
                matches(&label)
            })
            .map(|pod| &pod.template)
            .collect()
    }

    /// The first `kind` (a PodDisruptionBudget, a NetworkPolicy) in `namespace` that `env`
    /// sees whose selector matches pods with `labels`.
    pub fn selecting(
        &self,
        kind: &str,
        namespace: &str,
        env: Option<&str>,
        labels: &[(&str, &str)],
    ) -> Option<Entry> {
        let own = self.covers.selecting(kind, namespace, env, labels, None);
        let base = self.base().and_then(|(base, hidden)| {
            base.covers
                .selecting(kind, namespace, env, labels, Some(hidden))
        });
        first_cover(own, base)
    }

    /// The first `kind` (a HorizontalPodAutoscaler) in `namespace` that `env` sees whose
    /// target is the object `(kind, name)`.
    pub fn targeting(
        &self,
        kind: &str,
        namespace: &str,
        env: Option<&str>,
        target: (&str, &str),
    ) -> Option<Entry> {
        let own = self.covers.targeting(kind, namespace, env, target, None);
        let base = self.base().and_then(|(base, hidden)| {
            base.covers
                .targeting(kind, namespace, env, target, Some(hidden))
        });
        first_cover(own, base)
    }

    /// Whether `env` sees any workload's pods in `namespace`: a namespace without any is
    /// managed elsewhere (a Helm release, an operator), so selectors there are not judged.
    pub fn has_pods(&self, namespace: &str, env: Option<&str>) -> bool {
        let own = self
            .pods
            .get(namespace)
            .is_some_and(|pods| pods.iter().any(|p| visible(p.env.as_deref(), env)));
        own || self.base().is_some_and(|(base, hidden)| {
            base.pods.get(namespace).is_some_and(|pods| {
                pods.iter()
                    .any(|p| !hidden.contains(&p.file) && visible(p.env.as_deref(), env))
            })
        })
    }

    /// Something in `env` that kubelint cannot read and that may create what is missing:
    /// pods (`pods`), or any named object.
    pub fn opaque(&self, env: Option<&str>, pods: bool) -> Option<&Opaque> {
        let base = self.base().into_iter().flat_map(|(base, hidden)| {
            base.opaque
                .iter()
                .filter(move |(_, o)| !hidden.contains(&o.origin.file))
        });
        self.opaque
            .iter()
            .chain(base)
            .filter(|(e, o)| visible(e.as_deref(), env) && (pods || !o.pods_only))
            .map(|(_, opaque)| opaque)
            .min_by_key(|o| (o.origin.file, o.origin.start))
    }
}

/// Where an object is filed: kind, namespace, name.
type ObjectKey = (String, String, String);

/// The order of one name's definitions: by environment, then where they are.
fn order(entry: &Entry) -> (Option<&str>, Option<(FileId, u32)>) {
    (
        entry.env.as_deref(),
        entry.origin.map(|o| (o.file, o.start)),
    )
}

/// The environments a summary deploys to, each with its name as entries keep it; a file of
/// no environment is one of no name.
fn deployed_to(envs: &[Arc<Env>]) -> Vec<(Option<&Env>, Option<Arc<str>>)> {
    if envs.is_empty() {
        return vec![(None, None)];
    }
    envs.iter()
        .map(|env| (Some(&**env), Some(Arc::from(env.name.as_str()))))
        .collect()
}

/// The entry of each object a summary defines, in each environment it deploys to.
fn object_records(summary: &Summary, envs: &[Arc<Env>]) -> Vec<(ObjectKey, Entry)> {
    let mut records = Vec::new();
    for (env, env_name) in deployed_to(envs) {
        for defined in &summary.objects {
            let namespace = effective_namespace(&defined.kind, defined.namespace.as_deref(), env);
            let entry = Entry {
                env: env_name.clone(),
                origin: Some(defined.origin),
                members: defined.members.clone(),
                headless: defined.headless,
                via: defined.via.clone(),
            };
            records.push((
                (defined.kind.clone(), namespace, defined.name.clone()),
                entry,
            ));
        }
    }
    records
}

/// The first in file order of a cover this run found and one its base found.
fn first_cover(own: Option<Seen>, base: Option<Seen>) -> Option<Entry> {
    let (env, origin) = own
        .into_iter()
        .chain(base)
        .min_by_key(|(_, origin)| (origin.file, origin.start))?;
    Some(Entry {
        env,
        origin: Some(origin),
        members: Members::Known(Vec::new()),
        headless: false,
        via: None,
    })
}

/// An object of no environment is seen everywhere; a reference from no environment sees all.
pub(super) fn visible(object_env: Option<&str>, from: Option<&str>) -> bool {
    object_env.is_none() || from.is_none() || object_env == from
}

/// What every cluster has: the `default` ServiceAccount and `kube-root-ca.crt` ConfigMap of
/// each namespace, the default and `system:` ClusterRoles, and kube-system's bootstrap Roles.
fn built_in(kind: &str, name: &str) -> Option<Entry> {
    let members = match (kind, name) {
        ("ServiceAccount", "default") => Members::Any,
        ("ConfigMap", "kube-root-ca.crt") => Members::Known(vec!["ca.crt".into()]),
        ("ClusterRole", name)
            if DEFAULT_CLUSTER_ROLES.contains(&name) || name.starts_with("system:") =>
        {
            Members::Any
        }
        // The Roles of kube-system that the control plane bootstraps.
        ("Role", name)
            if name == "extension-apiserver-authentication-reader"
                || name.starts_with("system:") =>
        {
            Members::Any
        }
        _ => return None,
    };
    Some(Entry {
        env: None,
        origin: None,
        members,
        headless: false,
        via: Some("Kubernetes itself".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;
    use crate::model::PodSpecPaths;
    use crate::yaml::parse;

    fn env(name: &str, namespace: Option<&str>) -> Arc<Env> {
        Arc::new(Env {
            name: name.into(),
            spec: Environment {
                namespace: namespace.map(str::to_string),
                ..Environment::default()
            },
        })
    }

    fn summary(text: &str) -> Summary {
        Summary::of_documents(&parse(text).documents, &PodSpecPaths::default())
    }

    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: eA==}\n";

    #[test]
    fn many_summaries_at_once_make_the_inventory_adding_each_makes() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 80}]}]}\n";
        let config_map =
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, namespace: ops}\ndata: {k: v}\n";
        let texts = [SECRET, deployment, SECRET, config_map, deployment, SECRET];
        let summaries: Vec<Summary> = texts
            .iter()
            .enumerate()
            .map(|(file, text)| summary(text).in_file(FileId(file as u32)))
            .collect();
        let prod = [env("prod", Some("shop"))];
        let both = [env("prod", Some("shop")), env("test", None)];
        // Later files first, and the same names in several files and environments, so the
        // order entries end in is not the order they were added in.
        let pairs: Vec<(&Summary, &[Arc<Env>])> = summaries
            .iter()
            .enumerate()
            .rev()
            .map(|(file, summary)| {
                let envs: &[Arc<Env>] = [&prod[..], &both[..], &[]][file % 3];
                (summary, envs)
            })
            .collect();
        let mut one_by_one = Inventory::default();
        for (summary, envs) in &pairs {
            one_by_one.add(summary, envs);
        }
        one_by_one.seal();
        let mut at_once = Inventory::of_summaries(&pairs);
        at_once.seal();
        assert_eq!(
            format!("{:?}", at_once.objects),
            format!("{:?}", one_by_one.objects)
        );
        let sorted = |map: &dyn Fn(&Inventory) -> Vec<String>, inventory: &Inventory| {
            let mut lines = map(inventory);
            lines.sort();
            lines
        };
        let pods = |i: &Inventory| i.pods.iter().map(|p| format!("{p:?}")).collect();
        let labels = |i: &Inventory| i.pod_labels.iter().map(|l| format!("{l:?}")).collect();
        assert_eq!(sorted(&pods, &at_once), sorted(&pods, &one_by_one));
        assert_eq!(sorted(&labels, &at_once), sorted(&labels, &one_by_one));
        assert_eq!(at_once.objects.len(), 5);
    }

    #[test]
    fn objects_take_their_environments_namespace_and_stay_in_it() {
        let mut inventory = Inventory::default();
        inventory.add(&summary(SECRET), &[env("prod", Some("shop"))]);
        assert!(
            inventory
                .find("Secret", "shop", "s", Some("prod"))
                .is_some()
        );
        assert!(
            inventory
                .find("Secret", "default", "s", Some("prod"))
                .is_none()
        );
        assert!(
            inventory
                .find("Secret", "shop", "s", Some("test"))
                .is_none()
        );
        assert!(inventory.find("Secret", "shop", "s", None).is_some());
    }

    #[test]
    fn objects_of_no_environment_are_seen_by_every_environment() {
        let mut inventory = Inventory::default();
        inventory.add(&summary(SECRET), &[]);
        assert!(
            inventory
                .find("Secret", "default", "s", Some("prod"))
                .is_some()
        );
    }

    #[test]
    fn cluster_scoped_kinds_ignore_the_namespace() {
        let mut inventory = Inventory::default();
        let issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\n";
        inventory.add(&summary(issuer), &[env("prod", Some("shop"))]);
        assert!(
            inventory
                .find("ClusterIssuer", "other", "le", Some("prod"))
                .is_some()
        );
    }

    #[test]
    fn external_secrets_without_keys_hold_any_key() {
        let mut inventory = Inventory::default();
        let mut prod = (*env("prod", None)).clone();
        prod.spec.external_secrets.insert("acr".into(), Vec::new());
        inventory.add_external(&prod);
        let found = inventory
            .find("Secret", "default", "acr", Some("prod"))
            .unwrap();
        assert!(found.members.has("anything"));
    }

    #[test]
    fn of_two_definitions_of_one_name_the_one_with_the_key_counts() {
        let mut inventory = Inventory::default();
        let config_map = |key: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: conf}}\ndata: {{{key}: x}}\n"
            )
        };
        inventory.add(&summary(&config_map("a")), &[]);
        inventory.add(&summary(&config_map("b")), &[]);
        let with_b =
            inventory.find_with("ConfigMap", "default", "conf", None, |e| e.members.has("b"));
        assert!(with_b.is_some_and(|e| e.members.has("b")));
        let with_c =
            inventory.find_with("ConfigMap", "default", "conf", None, |e| e.members.has("c"));
        assert!(with_c.is_some_and(|e| !e.members.has("c")));
    }

    #[test]
    fn a_required_label_narrows_the_pods_tried_to_those_that_carry_it() {
        let mut inventory = Inventory::default();
        for app in ["web", "api"] {
            let pod = format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {app}, labels: {{app: {app}}}}}\nspec: {{containers: []}}\n"
            );
            inventory.add(&summary(&pod), &[]);
        }
        let tried = std::cell::Cell::new(0);
        let found = inventory.pods("default", None, Some(("app", "web")), |_| {
            tried.set(tried.get() + 1);
            true
        });
        assert_eq!((found.len(), tried.get()), (1, 1));
        assert_eq!(inventory.pods("default", None, None, |_| true).len(), 2);
    }

    #[test]
    fn a_base_under_an_inventory_answers_as_one_inventory_of_everything_but_hidden_files() {
        let in_file = |text: &str, file: u32| summary(text).in_file(FileId(file));
        let web = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\nspec: {containers: []}\n";
        let mut base = Inventory::default();
        base.add(&in_file(SECRET, 0), &[]);
        base.add(&in_file(web, 1), &[]);
        base.add(&in_file(&SECRET.replace("name: s", "name: t"), 2), &[]);
        base.seal();
        let mut run = Inventory::default();
        run.add(&in_file(&SECRET.replace("name: s", "name: u"), 3), &[]);
        run.seal();
        run.set_base(Arc::new(base), [FileId(2)].into_iter().collect());
        assert!(run.find("Secret", "default", "s", None).is_some());
        assert!(run.find("Secret", "default", "u", None).is_some());
        assert!(
            run.find("Secret", "default", "t", None).is_none(),
            "file 2 is hidden"
        );
        assert_eq!(run.names("Secret", "default", None), ["s", "u"]);
        assert_eq!(
            run.pods("default", None, Some(("app", "web")), |_| true)
                .len(),
            1
        );
        assert!(run.has_pods("default", None));
    }

    #[test]
    fn covers_in_a_base_count_unless_their_file_is_hidden() {
        let in_file = |text: &str, file: u32| summary(text).in_file(FileId(file));
        let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}}\n";
        let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {scaleTargetRef: {kind: Deployment, name: web}}\n";
        let mut base = Inventory::default();
        base.add(&in_file(pdb, 0), &[]);
        base.add(&in_file(hpa, 1), &[]);
        base.seal();
        let base = Arc::new(base);
        let covered = |hidden: &[u32]| {
            let mut run = Inventory::default();
            run.seal();
            run.set_base(base.clone(), hidden.iter().map(|&f| FileId(f)).collect());
            let labels = [("app", "web")];
            let pdb = run.selecting("PodDisruptionBudget", "default", None, &labels);
            let target = ("Deployment", "web");
            let hpa = run.targeting("HorizontalPodAutoscaler", "default", None, target);
            (pdb.is_some(), hpa.is_some())
        };
        assert_eq!(covered(&[]), (true, true));
        assert_eq!(covered(&[0]), (false, true), "the PDB's file is hidden");
        assert_eq!(covered(&[1]), (true, false), "the HPA's file is hidden");
    }

    #[test]
    fn names_are_those_of_one_kind_in_one_namespace_only() {
        let object = |kind: &str, namespace: &str, name: &str| {
            format!(
                "apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
            )
        };
        let mut inventory = Inventory::default();
        for (kind, namespace, name) in [
            ("Secret", "shop", "b"),
            ("Secret", "shop", "a"),
            ("Secret", "shopping", "c"),
            ("Secret", "sho", "d"),
            ("SecretList", "shop", "e"),
            ("ConfigMap", "shop", "f"),
        ] {
            inventory.add(&summary(&object(kind, namespace, name)), &[]);
        }
        inventory.seal();
        assert_eq!(inventory.names("Secret", "shop", None), ["a", "b"]);
        assert_eq!(inventory.names("Secret", "shopping", None), ["c"]);
        assert!(inventory.names("Secret", "elsewhere", None).is_empty());
    }

    #[test]
    fn every_namespace_has_its_default_service_account() {
        let inventory = Inventory::default();
        assert!(
            inventory
                .find("ServiceAccount", "x", "default", None)
                .is_some()
        );
        assert!(
            inventory
                .find("ClusterRole", "", "system:auth-delegator", None)
                .is_some()
        );
        assert!(
            inventory
                .find("ServiceAccount", "x", "worker", None)
                .is_none()
        );
    }
}
