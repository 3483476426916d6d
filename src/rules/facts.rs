//! Facts: the named values a rule's conditions and messages read, resolved once at compile
//! time from their names so evaluation never matches strings.

use std::borrow::Cow;

use crate::config::Env;
use crate::model::{Container, Located, Project};
use crate::yaml::Node;

use super::refs::Reference;
use super::regions::is_mainland_china;

/// Everything a rule can see while it looks at one subject.
#[derive(Clone, Copy)]
pub struct Scope<'s, 'a> {
    pub project: &'s Project<'a>,
    pub located: &'s Located<'a>,
    pub env: Option<&'s Env>,
    pub container: Option<&'s Container<'a>>,
    /// The list item being looked at: a rule's `each` item, or a quantifier's; for a
    /// reference, the node that refers.
    pub item: Option<Node<'a>>,
    /// The reference being looked at, for rules `for: reference`.
    pub reference: Option<&'s Reference<'a>>,
}

/// `securityContext` fields a pod sets for all its containers; a container's own value wins,
/// field by field (a container's `seccompProfile` replaces the pod's whole), as the kubelet
/// merges them. The other fields (`privileged`, `capabilities`, ...) exist only on containers.
const POD_LEVEL_SECURITY: &[&str] = &[
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "windowsOptions",
];

/// A value read from a scope. Absent is a value too: `not-in` holds for it, `in` does not.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'v> {
    Absent,
    Text(Cow<'v, str>),
    Bool(bool),
    List(Vec<Cow<'v, str>>),
    /// A node of the object found by a path: a collection, or a scalar read as text.
    Node(Node<'v>),
}

impl<'v> Value<'v> {
    /// The value as text, when it has one: lists and collections have none.
    pub fn text(&self) -> Option<Cow<'v, str>> {
        match self {
            Value::Text(text) => Some(text.clone()),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Node(node) => node.as_text().map(Cow::Borrowed),
            Value::Absent | Value::List(_) => None,
        }
    }

    pub fn is_present(&self) -> bool {
        match self {
            Value::Absent => false,
            Value::Node(node) => node.as_text().is_some() || node.as_str().is_none(),
            _ => true,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Value::List(items) => items.is_empty(),
            Value::Node(node) => match node.as_str() {
                Some(_) => node.as_text().is_none_or(str::is_empty),
                None => node.items().next().is_none() && node.entries().is_empty(),
            },
            other => other.text().is_none_or(|t| t.is_empty()),
        }
    }
}

/// One step of a path into a node: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// `[*]`: every item of a sequence (for `each` and quantifiers' `of`).
    Every,
    /// `[~]`: every key of a mapping, so a rule can point at the annotation it names.
    Keys,
    /// `[=]`: every value of a mapping (each label's value).
    Values,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    EnvName,
    EnvPlatform,
    EnvRegion,
    EnvNamespace,
    /// Whether the environment's region is in mainland China (`data/regions.yaml`).
    EnvMainlandChina,
    ObjectKind,
    /// The object as a message names it: `Deployment web`, or `Helm release app` for the
    /// values of a release (a `HelmValues` object is not a kind anyone applies).
    Object,
    ObjectName,
    ObjectNamespace,
    ObjectApiVersion,
    /// A path from the object's root, e.g. `object.metadata.annotations["a/b"]`.
    ObjectPath(Vec<Step>),
    ContainerGroup,
    /// A path from the container's mapping, e.g. `container.livenessProbe`.
    ContainerPath(Vec<Step>),
    /// A path from the pod spec, e.g. `pod.hostNetwork`.
    PodPath(Vec<Step>),
    /// The effective securityContext of the container (pod level, then container), e.g.
    /// `security.runAsNonRoot`; the pod's own without a container in scope.
    Security(Vec<Step>),
    /// The current list item, or a path from it: `item`, `item.name`.
    Item(Vec<Step>),
    Image,
    ImageRegistry,
    ImageRepository,
    ImageTag,
    ImageDigest,
    ImageCanonical,
    /// The reference without its registry: repository, then `:tag` and `@digest` if any.
    ImagePath,
    ImageMutable,
    /// The pull secret the environment configures for the image's registry.
    RegistryPullSecret,
    /// The mirror the environment configures for the image's registry.
    MirrorVia,
    MirrorDigests,
    /// The pod's own `imagePullSecrets` plus those of its ServiceAccount.
    PodPullSecrets,
    PodServiceAccount,
    /// The kind a reference names.
    RefKind,
    /// The name a reference gives (a node).
    RefName,
    /// The key or port a reference names (a node).
    RefMember,
    /// The namespace a reference looks in.
    RefNamespace,
    /// Whether the reference is `optional: true`.
    RefOptional,
    /// Whether the repository (or the config, or every cluster) has the named object.
    TargetFound,
    /// Whether the named object has the named key or port (true without one).
    TargetHasMember,
    /// Whether the named Service is headless.
    TargetHeadless,
    /// What creates the named object, when it is not written itself.
    TargetVia,
    /// The target's keys or ports, `` `a`, `b` ``, when known.
    TargetMembers,
    /// `; did you mean `x`?` for a near miss.
    TargetDidYouMean,
    /// Something of the environment kubelint cannot read, which may create the target.
    TargetOpaque,
    /// Whether the repository has any workload's pods in the reference's namespace.
    TargetNamespaceHasPods,
}

impl Fact {
    pub fn parse(name: &str) -> Result<Fact, String> {
        let fact = match name {
            "env.name" => Fact::EnvName,
            "env.platform" => Fact::EnvPlatform,
            "env.region" => Fact::EnvRegion,
            "env.namespace" => Fact::EnvNamespace,
            "env.mainland-china" => Fact::EnvMainlandChina,
            "object" => Fact::Object,
            "object.kind" => Fact::ObjectKind,
            "object.name" => Fact::ObjectName,
            "object.namespace" => Fact::ObjectNamespace,
            "object.api-version" => Fact::ObjectApiVersion,
            "container.group" => Fact::ContainerGroup,
            "image" => Fact::Image,
            "image.registry" => Fact::ImageRegistry,
            "image.repository" => Fact::ImageRepository,
            "image.tag" => Fact::ImageTag,
            "image.digest" => Fact::ImageDigest,
            "image.canonical" => Fact::ImageCanonical,
            "image.path" => Fact::ImagePath,
            "image.mutable" => Fact::ImageMutable,
            "registry.pull-secret" => Fact::RegistryPullSecret,
            "mirror.via" => Fact::MirrorVia,
            "mirror.digests" => Fact::MirrorDigests,
            "pod.pull-secrets" => Fact::PodPullSecrets,
            "pod.service-account" => Fact::PodServiceAccount,
            "item" => Fact::Item(Vec::new()),
            "ref.kind" => Fact::RefKind,
            "ref.name" => Fact::RefName,
            "ref.member" => Fact::RefMember,
            "ref.namespace" => Fact::RefNamespace,
            "ref.optional" => Fact::RefOptional,
            "target.found" => Fact::TargetFound,
            "target.has-member" => Fact::TargetHasMember,
            "target.headless" => Fact::TargetHeadless,
            "target.via" => Fact::TargetVia,
            "target.members" => Fact::TargetMembers,
            "target.did-you-mean" => Fact::TargetDidYouMean,
            "target.opaque" => Fact::TargetOpaque,
            "target.namespace-has-pods" => Fact::TargetNamespaceHasPods,
            _ => {
                if let Some(path) = name.strip_prefix("object.") {
                    Fact::ObjectPath(parse_path(path)?)
                } else if let Some(path) = name.strip_prefix("container.") {
                    Fact::ContainerPath(parse_path(path)?)
                } else if let Some(path) = name.strip_prefix("pod.") {
                    Fact::PodPath(parse_path(path)?)
                } else if let Some(path) = name.strip_prefix("security.") {
                    Fact::Security(parse_path(path)?)
                } else if let Some(path) = name.strip_prefix("item.") {
                    Fact::Item(parse_path(path)?)
                } else {
                    return Err(format!("unknown fact `{name}`"));
                }
            }
        };
        Ok(fact)
    }

    /// Whether the fact needs a container in scope (rules `for: image`).
    pub fn needs_container(&self) -> bool {
        !matches!(
            self,
            Fact::EnvName
                | Fact::EnvPlatform
                | Fact::EnvRegion
                | Fact::EnvNamespace
                | Fact::EnvMainlandChina
                | Fact::ObjectKind
                | Fact::Object
                | Fact::ObjectName
                | Fact::ObjectNamespace
                | Fact::ObjectApiVersion
                | Fact::ObjectPath(_)
                | Fact::PodPath(_)
                | Fact::Security(_)
                | Fact::Item(_)
        ) && !self.needs_reference()
    }

    /// Whether the fact reads a reference (rules `for: reference`).
    pub fn needs_reference(&self) -> bool {
        matches!(
            self,
            Fact::RefKind
                | Fact::RefName
                | Fact::RefMember
                | Fact::RefNamespace
                | Fact::RefOptional
                | Fact::TargetFound
                | Fact::TargetHasMember
                | Fact::TargetHeadless
                | Fact::TargetVia
                | Fact::TargetMembers
                | Fact::TargetDidYouMean
                | Fact::TargetOpaque
                | Fact::TargetNamespaceHasPods
        )
    }

    /// Whether the fact is a node the rule can point at or iterate.
    pub fn is_path(&self) -> bool {
        matches!(
            self,
            Fact::ObjectPath(_)
                | Fact::ContainerPath(_)
                | Fact::PodPath(_)
                | Fact::Security(_)
                | Fact::Item(_)
        )
    }

    /// The node a path starts from, and the steps from there.
    pub fn start<'a>(&self, scope: &Scope<'_, 'a>) -> Option<(Node<'a>, &[Step])> {
        match self {
            Fact::ObjectPath(steps) => Some((scope.located.object.root, steps)),
            Fact::ContainerPath(steps) => Some((scope.container?.node, steps)),
            Fact::PodPath(steps) => Some((scope.located.object.pod.as_ref()?.node, steps)),
            Fact::Item(steps) => Some((scope.item?, steps)),
            Fact::Security(steps) => {
                let (Step::Key(field), _) = steps.split_first()? else {
                    return None;
                };
                let own = scope
                    .container
                    .and_then(|c| c.node.get("securityContext"))
                    .filter(|context| context.get(field).is_some());
                let pod = || {
                    let pod_level =
                        scope.container.is_none() || POD_LEVEL_SECURITY.contains(&field.as_str());
                    pod_level.then_some(())?;
                    scope
                        .located
                        .object
                        .pod
                        .as_ref()?
                        .node
                        .get("securityContext")
                };
                Some((own.or_else(pod)?, steps.as_slice()))
            }
            _ => None,
        }
    }

    /// Every node a path reaches, `[*]` fanning out over sequence items; a path that ends on
    /// a sequence without `[*]` is one node.
    pub fn nodes<'a>(&self, scope: &Scope<'_, 'a>) -> Vec<Node<'a>> {
        let Some((start, steps)) = self.start(scope) else {
            return Vec::new();
        };
        let mut nodes = vec![start];
        for step in steps {
            nodes = nodes
                .into_iter()
                .flat_map(|node| -> Vec<Node<'a>> {
                    match step {
                        Step::Key(key) => node.get(key).into_iter().collect(),
                        Step::Index(index) => node.items().nth(*index).into_iter().collect(),
                        Step::Every => node.items().collect(),
                        Step::Keys => node.entries().into_iter().map(|(k, _)| k).collect(),
                        Step::Values => node.entries().into_iter().map(|(_, v)| v).collect(),
                    }
                })
                .collect();
        }
        nodes
    }

    /// The node behind a path fact, for rules that point at it.
    pub fn node<'a>(&self, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
        match self {
            Fact::Image => scope.container?.image.as_ref().map(|i| i.node),
            Fact::RefName => scope.reference?.name,
            Fact::RefMember => scope.reference?.member,
            _ => {
                let (start, steps) = self.start(scope)?;
                walk(start, steps)
            }
        }
    }

    pub fn read<'a>(&self, scope: &Scope<'_, 'a>) -> Value<'a> {
        let env = scope.env.map(|e| &e.spec);
        let object = &scope.located.object;
        let image = scope.container.and_then(|c| c.image.as_ref());
        let parsed = image.and_then(|i| i.parsed.as_ref().ok());
        let registry = parsed.map(|p| p.registry.as_str());
        // The mirror an image goes through: the one configured for its registry, or the
        // mirror itself when the image names the mirror's host.
        let mirror = || {
            let mirrors = &env?.mirrors;
            let registry = registry?;
            mirrors
                .get(registry)
                .or_else(|| mirrors.values().find(|m| m.via == registry))
        };
        let owned =
            |s: Option<&str>| s.map_or(Value::Absent, |s| Value::Text(Cow::Owned(s.into())));
        let borrowed =
            |s: Option<&'a str>| s.map_or(Value::Absent, |s| Value::Text(Cow::Borrowed(s)));
        match self {
            Fact::EnvName => owned(scope.env.map(|e| e.name.as_str())),
            Fact::EnvPlatform => owned(env.and_then(|e| e.platform).map(|p| p.as_str())),
            Fact::EnvRegion => owned(env.and_then(|e| e.region.as_deref())),
            Fact::EnvNamespace => owned(env.and_then(|e| e.namespace.as_deref())),
            Fact::EnvMainlandChina => env
                .and_then(|e| e.region.as_deref())
                .map_or(Value::Absent, |r| Value::Bool(is_mainland_china(r))),
            Fact::ObjectKind => borrowed(Some(object.kind)),
            Fact::Object => {
                let kind = if object.kind == crate::model::helm::KIND {
                    "Helm release"
                } else {
                    object.kind
                };
                let named = object
                    .name
                    .map_or_else(|| kind.to_string(), |n| format!("{kind} {n}"));
                Value::Text(Cow::Owned(named))
            }
            Fact::ObjectName => borrowed(object.name),
            Fact::ObjectNamespace => owned(scope.located.namespace(scope.env)),
            Fact::ObjectApiVersion => borrowed(Some(object.api_version)),
            Fact::ObjectPath(_)
            | Fact::ContainerPath(_)
            | Fact::PodPath(_)
            | Fact::Security(_)
            | Fact::Item(_) => self.node(scope).map_or(Value::Absent, Value::Node),
            Fact::ContainerGroup => owned(scope.container.map(|c| c.group)),
            Fact::Image => borrowed(image.map(|i| i.text)),
            Fact::ImageRegistry => owned(registry),
            Fact::ImageRepository => owned(parsed.map(|p| p.repository.as_str())),
            Fact::ImageTag => owned(parsed.and_then(|p| p.tag.as_deref())),
            Fact::ImageDigest => owned(parsed.and_then(|p| p.digest.as_deref())),
            Fact::ImageCanonical => {
                parsed.map_or(Value::Absent, |p| Value::Text(p.canonical().into()))
            }
            Fact::ImagePath => parsed.map_or(Value::Absent, |p| {
                let tag = p
                    .tag
                    .as_deref()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default();
                let digest = p
                    .digest
                    .as_deref()
                    .map(|d| format!("@{d}"))
                    .unwrap_or_default();
                Value::Text(format!("{}{tag}{digest}", p.repository).into())
            }),
            Fact::ImageMutable => {
                parsed.map_or(Value::Absent, |p| Value::Bool(p.has_mutable_tag()))
            }
            Fact::RegistryPullSecret => owned(
                registry
                    .and_then(|r| env?.registries.get(r))
                    .and_then(|r| r.pull_secret.as_deref()),
            ),
            Fact::MirrorVia => owned(mirror().map(|m| m.via.as_str())),
            Fact::MirrorDigests => mirror().map_or(Value::Absent, |m| Value::Bool(m.digests)),
            Fact::PodPullSecrets => match &object.pod {
                None => Value::Absent,
                Some(pod) => {
                    let namespace = scope.located.namespace(scope.env);
                    let borrowed_by_account = scope
                        .project
                        .service_account_pull_secrets(namespace, pod.service_account);
                    let secrets = pod.pull_secrets.iter().chain(borrowed_by_account);
                    Value::List(secrets.map(|s| Cow::Borrowed(*s)).collect())
                }
            },
            Fact::PodServiceAccount => borrowed(object.pod.as_ref().map(|p| p.service_account)),
            Fact::RefName | Fact::RefMember => self.node(scope).map_or(Value::Absent, Value::Node),
            fact => read_reference(fact, scope),
        }
    }
}

/// The facts of a reference and its target; absent outside rules `for: reference`.
fn read_reference<'a>(fact: &Fact, scope: &Scope<'_, 'a>) -> Value<'a> {
    let Some(reference) = scope.reference else {
        return Value::Absent;
    };
    let target = &reference.target;
    let text = |s: Option<String>| s.map_or(Value::Absent, |s| Value::Text(Cow::Owned(s)));
    match fact {
        Fact::RefKind => text(Some(reference.kind.clone())),
        Fact::RefNamespace => text(Some(reference.namespace.clone())),
        Fact::RefOptional => Value::Bool(reference.optional),
        Fact::TargetFound => Value::Bool(target.found),
        Fact::TargetHasMember => Value::Bool(target.has_member),
        Fact::TargetHeadless => target
            .entry
            .as_ref()
            .map_or(Value::Absent, |e| Value::Bool(e.headless)),
        Fact::TargetVia => text(target.entry.as_ref().and_then(|e| e.via.clone())),
        Fact::TargetMembers => text(reference.members()),
        Fact::TargetDidYouMean => text(reference.did_you_mean(scope)),
        Fact::TargetOpaque => text(
            scope
                .project
                .inventory
                .opaque(scope.env.map(|e| e.name.as_str()), reference.by_selector)
                .map(|o| o.what.clone()),
        ),
        Fact::TargetNamespaceHasPods => Value::Bool(
            scope
                .project
                .inventory
                .has_pods(&reference.namespace, scope.env.map(|e| e.name.as_str())),
        ),
        _ => Value::Absent,
    }
}

/// The first node a path reaches (`[*]` takes the first item).
pub fn walk<'a>(start: Node<'a>, steps: &[Step]) -> Option<Node<'a>> {
    steps.iter().try_fold(start, |node, step| match step {
        Step::Key(key) => node.get(key),
        Step::Index(index) => node.items().nth(*index),
        Step::Every => node.items().next(),
        Step::Keys => node.entries().first().map(|(k, _)| *k),
        Step::Values => node.entries().first().map(|(_, v)| *v),
    })
}

/// Parses `a.b["c.d"][0]` into steps.
pub(super) fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| Err(format!("invalid path `{path}`: {why}"));
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return bad("`[` without `]`");
            };
            let body = &inner[..close];
            let quoted = body.len() >= 2
                && (body.starts_with('"') && body.ends_with('"')
                    || body.starts_with('\'') && body.ends_with('\''));
            if body == "*" {
                steps.push(Step::Every);
            } else if body == "~" {
                steps.push(Step::Keys);
            } else if body == "=" {
                steps.push(Step::Values);
            } else if quoted {
                steps.push(Step::Key(body[1..body.len() - 1].to_string()));
            } else if let Ok(index) = body.parse() {
                steps.push(Step::Index(index));
            } else {
                return bad("brackets hold a quoted key, an index, `*`, `~` or `=`");
            }
            rest = &inner[close + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return bad("empty key");
            }
            steps.push(Step::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        if let Some(after_dot) = rest.strip_prefix('.') {
            if after_dot.is_empty() {
                return bad("trailing `.`");
            }
            rest = after_dot;
        }
    }
    if steps.is_empty() {
        return bad("empty path");
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_take_dotted_keys_quoted_keys_and_indexes() {
        let fact = Fact::parse(r#"object.metadata.annotations["a.b/c"].x[2]"#).unwrap();
        let Fact::ObjectPath(steps) = fact else {
            panic!("{fact:?}")
        };
        assert_eq!(
            steps,
            [
                Step::Key("metadata".into()),
                Step::Key("annotations".into()),
                Step::Key("a.b/c".into()),
                Step::Key("x".into()),
                Step::Index(2)
            ]
        );
    }

    #[test]
    fn unknown_facts_and_broken_paths_are_errors() {
        assert!(
            Fact::parse("image.regsitry")
                .unwrap_err()
                .contains("unknown fact")
        );
        assert!(Fact::parse("object.a[").unwrap_err().contains("without"));
        assert!(Fact::parse("object.a.").unwrap_err().contains("trailing"));
        assert!(
            Fact::parse("container.[x]")
                .unwrap_err()
                .contains("brackets")
        );
    }
}
