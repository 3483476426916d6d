//! Facts: the named values a rule's conditions and messages read, resolved once at compile
//! time from their names so evaluation never matches strings.

use std::borrow::Cow;

use crate::config::Env;
use crate::model::{Container, Located, Project};
use crate::yaml::Node;

/// Everything a rule can see while it looks at one subject.
pub struct Scope<'s, 'a> {
    pub project: &'s Project<'a>,
    pub located: &'s Located<'a>,
    pub env: Option<&'s Env>,
    pub container: Option<&'s Container<'a>>,
}

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    EnvName,
    EnvPlatform,
    EnvRegion,
    EnvNamespace,
    ObjectKind,
    ObjectName,
    ObjectNamespace,
    ObjectApiVersion,
    /// A path from the object's root, e.g. `object.metadata.annotations["a/b"]`.
    ObjectPath(Vec<Step>),
    ContainerGroup,
    /// A path from the container's mapping, e.g. `container.livenessProbe`.
    ContainerPath(Vec<Step>),
    Image,
    ImageRegistry,
    ImageRepository,
    ImageTag,
    ImageDigest,
    ImageCanonical,
    ImageMutable,
    /// The pull secret the environment configures for the image's registry.
    RegistryPullSecret,
    /// The mirror the environment configures for the image's registry.
    MirrorVia,
    MirrorDigests,
    /// The pod's own `imagePullSecrets` plus those of its ServiceAccount.
    PodPullSecrets,
    PodServiceAccount,
}

impl Fact {
    pub fn parse(name: &str) -> Result<Fact, String> {
        let fact = match name {
            "env.name" => Fact::EnvName,
            "env.platform" => Fact::EnvPlatform,
            "env.region" => Fact::EnvRegion,
            "env.namespace" => Fact::EnvNamespace,
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
            "image.mutable" => Fact::ImageMutable,
            "registry.pull-secret" => Fact::RegistryPullSecret,
            "mirror.via" => Fact::MirrorVia,
            "mirror.digests" => Fact::MirrorDigests,
            "pod.pull-secrets" => Fact::PodPullSecrets,
            "pod.service-account" => Fact::PodServiceAccount,
            _ => {
                if let Some(path) = name.strip_prefix("object.") {
                    Fact::ObjectPath(parse_path(path)?)
                } else if let Some(path) = name.strip_prefix("container.") {
                    Fact::ContainerPath(parse_path(path)?)
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
                | Fact::ObjectKind
                | Fact::ObjectName
                | Fact::ObjectNamespace
                | Fact::ObjectApiVersion
                | Fact::ObjectPath(_)
        )
    }

    /// The node behind a path fact, for rules that point at it.
    pub fn node<'a>(&self, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
        match self {
            Fact::ObjectPath(steps) => walk(scope.located.object.root, steps),
            Fact::ContainerPath(steps) => walk(scope.container?.node, steps),
            Fact::Image => scope.container?.image.as_ref().map(|i| i.node),
            _ => None,
        }
    }

    pub fn read<'a>(&self, scope: &Scope<'_, 'a>) -> Value<'a> {
        let env = scope.env.map(|e| &e.spec);
        let object = &scope.located.object;
        let image = scope.container.and_then(|c| c.image.as_ref());
        let parsed = image.and_then(|i| i.parsed.as_ref().ok());
        let registry = parsed.map(|p| p.registry.as_str());
        let owned =
            |s: Option<&str>| s.map_or(Value::Absent, |s| Value::Text(Cow::Owned(s.into())));
        let borrowed =
            |s: Option<&'a str>| s.map_or(Value::Absent, |s| Value::Text(Cow::Borrowed(s)));
        match self {
            Fact::EnvName => owned(scope.env.map(|e| e.name.as_str())),
            Fact::EnvPlatform => owned(env.and_then(|e| e.platform).map(|p| p.as_str())),
            Fact::EnvRegion => owned(env.and_then(|e| e.region.as_deref())),
            Fact::EnvNamespace => owned(env.and_then(|e| e.namespace.as_deref())),
            Fact::ObjectKind => borrowed(Some(object.kind)),
            Fact::ObjectName => borrowed(object.name),
            Fact::ObjectNamespace => owned(scope.located.namespace(scope.env)),
            Fact::ObjectApiVersion => borrowed(Some(object.api_version)),
            Fact::ObjectPath(_) | Fact::ContainerPath(_) => {
                self.node(scope).map_or(Value::Absent, Value::Node)
            }
            Fact::ContainerGroup => owned(scope.container.map(|c| c.group)),
            Fact::Image => borrowed(image.map(|i| i.text)),
            Fact::ImageRegistry => owned(registry),
            Fact::ImageRepository => owned(parsed.map(|p| p.repository.as_str())),
            Fact::ImageTag => owned(parsed.and_then(|p| p.tag.as_deref())),
            Fact::ImageDigest => owned(parsed.and_then(|p| p.digest.as_deref())),
            Fact::ImageCanonical => {
                parsed.map_or(Value::Absent, |p| Value::Text(p.canonical().into()))
            }
            Fact::ImageMutable => {
                parsed.map_or(Value::Absent, |p| Value::Bool(p.has_mutable_tag()))
            }
            Fact::RegistryPullSecret => owned(
                registry
                    .and_then(|r| env?.registries.get(r))
                    .and_then(|r| r.pull_secret.as_deref()),
            ),
            Fact::MirrorVia => owned(
                registry
                    .and_then(|r| env?.mirror_for(r))
                    .map(|m| m.via.as_str()),
            ),
            Fact::MirrorDigests => registry
                .and_then(|r| env?.mirror_for(r))
                .map_or(Value::Absent, |m| Value::Bool(m.digests)),
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
        }
    }
}

fn walk<'a>(start: Node<'a>, steps: &[Step]) -> Option<Node<'a>> {
    steps.iter().try_fold(start, |node, step| match step {
        Step::Key(key) => node.get(key),
        Step::Index(index) => node.items().nth(*index),
    })
}

/// Parses `a.b["c.d"][0]` into steps.
fn parse_path(path: &str) -> Result<Vec<Step>, String> {
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
            if quoted {
                steps.push(Step::Key(body[1..body.len() - 1].to_string()));
            } else if let Ok(index) = body.parse() {
                steps.push(Step::Index(index));
            } else {
                return bad("brackets hold a quoted key or an index");
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
