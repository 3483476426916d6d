//! References: rules `for: reference` declare, in data, which nodes of an object name another
//! object (and which of its keys or ports), and the engine resolves each against the
//! repository's inventory. Conditions then read `ref.*` (what is named) and `target.*` (what
//! the inventory holds).

use crate::config::Env;
use crate::model::Located;
use crate::model::inventory::{Entry, effective_namespace};
use crate::model::summary::{Members, PodTemplate};
use crate::yaml::Node;

use super::cond::selector_matches_with;
use super::facts::{Fact, Scope, Step, parse_path, walk};
use super::schema::{self, CoveredBy};

/// One kind of reference, compiled from a rule file's `references:` entry.
#[derive(Debug, Clone)]
pub struct RefSpec {
    /// Each node that refers (a path fact; `[*]` fans out).
    pub at: Fact,
    /// The kinds of object it is read in; every kind when empty.
    kinds: Vec<String>,
    kind: RefKind,
    /// The name, under the node; the node itself when empty.
    name: Vec<Step>,
    /// Keys or ports named under the node; each is its own reference.
    members: Vec<Vec<Step>>,
    optional: Option<Vec<Step>>,
    namespace: Option<Vec<Step>>,
    /// Pods chosen by the label selector at this path, instead of an object by name.
    selector: Option<Fact>,
    /// The reverse: whether an object of `kind` covers this one.
    covered_by: Option<CoveredBy>,
}

#[derive(Debug, Clone)]
enum RefKind {
    Fixed(String),
    /// A path under the node that names the kind, and the kind when it is absent.
    From(Vec<Step>, Option<String>),
}

/// One reference of one object, resolved against the inventory.
#[derive(Debug)]
pub struct Reference<'a> {
    pub site: Node<'a>,
    pub kind: String,
    pub name: Option<Node<'a>>,
    pub member: Option<Node<'a>>,
    pub namespace: String,
    pub optional: bool,
    /// It names pods by a label selector rather than an object by name.
    pub by_selector: bool,
    pub target: Target,
}

/// What the inventory holds for a reference.
#[derive(Debug)]
pub struct Target {
    /// The named object (none for a selector, which finds pods).
    pub entry: Option<Entry>,
    pub found: bool,
    pub has_member: bool,
}

impl RefSpec {
    pub fn compile(spec: &schema::ReferenceSpec) -> Result<RefSpec, String> {
        let at = Fact::parse(&spec.at)?;
        if !at.is_path() {
            return Err(format!("references: `{}` is not a path", spec.at));
        }
        let under = |path: &Option<String>| path.as_deref().map(parse_path).transpose();
        let kind = match (&spec.kind, &spec.kind_from) {
            (Some(kind), None) => RefKind::Fixed(kind.clone()),
            (None, Some(from)) => RefKind::From(parse_path(from)?, spec.kind_default.clone()),
            _ => return Err("references: give exactly one of `kind` and `kind-from`".into()),
        };
        let selector = spec
            .selector
            .as_deref()
            .map(Fact::parse)
            .transpose()?
            .filter(Fact::is_path);
        if spec.selector.is_some() && selector.is_none() {
            return Err(
                "references: `selector` names a path such as `object.spec.selector`".into(),
            );
        }
        let plain = spec.selector.is_none() && spec.name.is_none() && spec.member.is_empty();
        if spec.covered_by.is_some() && !(plain && matches!(kind, RefKind::Fixed(_))) {
            return Err(
                "references: `covered-by` takes a `kind`, and no `selector`, `name` or `member`"
                    .into(),
            );
        }
        Ok(RefSpec {
            covered_by: spec.covered_by,
            at,
            kinds: spec.kinds.clone(),
            kind,
            name: under(&spec.name)?.unwrap_or_default(),
            members: spec
                .member
                .iter()
                .map(|m| parse_path(m))
                .collect::<Result<_, _>>()?,
            optional: under(&spec.optional)?,
            namespace: under(&spec.namespace)?,
            selector,
        })
    }

    /// Whether the references sit in containers, so each container is a scope.
    pub fn in_containers(&self) -> bool {
        matches!(self.at, Fact::ContainerPath(_))
    }

    /// Every reference this spec finds in a scope: the name of each node, and each member
    /// it names.
    pub fn resolve<'a>(&self, scope: &Scope<'_, 'a>) -> Vec<Reference<'a>> {
        let mut out = Vec::new();
        let kind = scope.located.object.kind;
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k == kind) {
            return out;
        }
        if let (Some(covered_by), RefKind::Fixed(kind)) = (self.covered_by, &self.kind) {
            return self.resolve_covered(scope, covered_by, kind);
        }
        for site in self.at.nodes(scope) {
            let Some(kind) = self.kind_of(site) else {
                continue;
            };
            let namespace = match self.namespace.as_ref().and_then(|p| walk(site, p)) {
                Some(ns) => ns.as_text().unwrap_or_default().to_string(),
                None => own_namespace(&kind, scope.located, scope.env),
            };
            let optional = self
                .optional
                .as_ref()
                .and_then(|p| walk(site, p))
                .and_then(|n| n.as_text())
                == Some("true");
            let name = if self.selector.is_some() {
                None
            } else {
                match walk(site, &self.name).filter(|n| n.as_text().is_some_and(|t| !t.is_empty()))
                {
                    Some(name) => Some(name),
                    None => continue,
                }
            };
            let members = self.members.iter().flat_map(|path| nodes_under(site, path));
            let members: Vec<Option<Node<'a>>> = std::iter::once(None)
                .chain(members.filter(|m| m.as_text().is_some()).map(Some))
                .collect();
            for member in members {
                let target = match &self.selector {
                    Some(selector) => {
                        let Some(selector) =
                            selector.node(scope).filter(|s| !s.entries().is_empty())
                        else {
                            break;
                        };
                        select(scope, selector, &namespace, member)
                    }
                    None => find(scope, &kind, &namespace, name, member),
                };
                out.push(Reference {
                    site,
                    kind: kind.clone(),
                    name,
                    member,
                    namespace: namespace.clone(),
                    optional,
                    by_selector: self.selector.is_some(),
                    target,
                });
            }
        }
        out
    }

    /// Each node at `at`, with the first object of `kind` that covers the object (its pods
    /// labelled as the node says, or the object itself) as the target.
    fn resolve_covered<'a>(
        &self,
        scope: &Scope<'_, 'a>,
        covered_by: CoveredBy,
        kind: &str,
    ) -> Vec<Reference<'a>> {
        let object = &scope.located.object;
        let namespace = own_namespace(kind, scope.located, scope.env);
        let inventory = &scope.project.inventory;
        let env = env_name(scope);
        let mut out = Vec::new();
        for site in self.at.nodes(scope) {
            let entry = match covered_by {
                CoveredBy::Selector => {
                    let labels: Vec<(&str, &str)> = site
                        .entries()
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?, v.as_text()?)))
                        .collect();
                    inventory.selecting(kind, &namespace, env, &labels)
                }
                CoveredBy::ScaleTarget => {
                    let Some(name) = object.name else { continue };
                    inventory.targeting(kind, &namespace, env, (object.kind, name))
                }
            };
            out.push(Reference {
                site,
                kind: kind.to_string(),
                name: None,
                member: None,
                namespace: namespace.clone(),
                optional: false,
                by_selector: true,
                target: Target {
                    found: entry.is_some(),
                    has_member: entry.is_some(),
                    entry,
                },
            });
        }
        out
    }

    fn kind_of(&self, site: Node<'_>) -> Option<String> {
        match &self.kind {
            RefKind::Fixed(kind) => Some(kind.clone()),
            RefKind::From(path, default) => walk(site, path)
                .and_then(|n| n.as_text())
                .map(str::to_string)
                .or_else(|| default.clone()),
        }
    }
}

/// The namespace a reference looks in: the referring object's.
fn own_namespace(kind: &str, located: &Located<'_>, env: Option<&Env>) -> String {
    let namespace = effective_namespace("Pod", located.object.namespace, env);
    if crate::model::inventory::is_cluster_scoped(kind) {
        String::new()
    } else {
        namespace
    }
}

fn nodes_under<'a>(start: Node<'a>, steps: &[Step]) -> Vec<Node<'a>> {
    let mut nodes = vec![start];
    for step in steps {
        nodes = nodes
            .into_iter()
            .flat_map(|node| -> Vec<Node<'a>> {
                match step {
                    Step::Every => node.items().collect(),
                    other => walk(node, std::slice::from_ref(other))
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
    }
    nodes
}

fn env_name<'s>(scope: &Scope<'s, '_>) -> Option<&'s str> {
    scope.env.map(|e| e.name.as_str())
}

fn find(
    scope: &Scope<'_, '_>,
    kind: &str,
    namespace: &str,
    name: Option<Node<'_>>,
    member: Option<Node<'_>>,
) -> Target {
    let name = name.and_then(|n| n.as_text()).unwrap_or_default();
    let member_text = member.and_then(|m| m.as_text());
    let entry =
        scope
            .project
            .inventory
            .find_with(kind, namespace, name, env_name(scope), |entry| {
                member_text.is_none_or(|m| entry.members.has(m))
            });
    let has_member = match (&entry, member_text) {
        (Some(entry), Some(member)) => entry.members.has(member),
        (found, _) => found.is_some(),
    };
    Target {
        found: entry.is_some(),
        entry,
        has_member,
    }
}

fn select(
    scope: &Scope<'_, '_>,
    selector: Node<'_>,
    namespace: &str,
    member: Option<Node<'_>>,
) -> Target {
    let pods: Vec<&PodTemplate> = scope.project.inventory.pods(
        namespace,
        env_name(scope),
        required_label(selector),
        |label| selector_matches_with(selector, label),
    );
    let has_member = match member.and_then(|m| m.as_text()) {
        Some(member) => pods
            .iter()
            .any(|p| p.port_names.iter().any(|n| n == member)),
        None => !pods.is_empty(),
    };
    Target {
        found: !pods.is_empty(),
        entry: None,
        has_member,
    }
}

/// A label every pod the selector matches carries: an entry of a plain map (a Service's) or
/// of `matchLabels`, or an `In` expression with one value.
fn required_label<'a>(selector: Node<'a>) -> Option<(&'a str, &'a str)> {
    let pair = |(key, value): (Node<'a>, Node<'a>)| Some((key.as_str()?, value.as_str()?));
    let has_selector_keys =
        selector.get("matchLabels").is_some() || selector.get("matchExpressions").is_some();
    let map = if has_selector_keys {
        selector.get("matchLabels")
    } else {
        Some(selector)
    };
    if let Some(found) = map.and_then(|m| m.entries().into_iter().find_map(pair)) {
        return Some(found);
    }
    selector
        .get("matchExpressions")?
        .items()
        .find_map(|expression| {
            let values: Vec<Node<'a>> = expression.get("values")?.items().collect();
            match (expression.text("operator"), values.as_slice()) {
                (Some("In"), [only]) => Some((expression.text("key")?, only.as_str()?)),
                _ => None,
            }
        })
}

impl Reference<'_> {
    /// `; did you mean `x`?` for the nearest known key (the target exists) or name.
    pub fn did_you_mean(&self, scope: &Scope<'_, '_>) -> Option<String> {
        let (wanted, candidates): (&str, Vec<String>) =
            match (&self.target.entry, self.member.and_then(|m| m.as_text())) {
                (Some(entry), Some(member)) => match &entry.members {
                    Members::Known(members) => (member, members.clone()),
                    Members::Any => return None,
                },
                (None, _) if self.name.is_some() => {
                    let names =
                        scope
                            .project
                            .inventory
                            .names(&self.kind, &self.namespace, env_name(scope));
                    let name = self.name.and_then(|n| n.as_text())?;
                    (name, names.into_iter().map(str::to_string).collect())
                }
                _ => return None,
            };
        nearest(wanted, &candidates).map(|near| format!("; did you mean `{near}`?"))
    }

    /// The target's keys or ports as `` `a`, `b` ``, when they are known.
    pub fn members(&self) -> Option<String> {
        match &self.target.entry.as_ref()?.members {
            Members::Known(members) if members.is_empty() => Some("none".into()),
            Members::Known(members) => Some(
                members
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Members::Any => None,
        }
    }
}

/// The closest candidate within a third of the name's length (at least one edit, at most
/// three): close enough to be a typo, not a different name.
fn nearest<'c>(wanted: &str, candidates: &'c [String]) -> Option<&'c str> {
    let limit = (wanted.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .filter(|c| *c != wanted)
        .map(|c| (strsim::levenshtein(wanted, c), c))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_names_one_label_every_match_carries() {
        let stream = crate::yaml::parse(concat!(
            "plain: {app: web}\n",
            "labels: {matchLabels: {app: api}, matchExpressions: [{key: t, operator: Exists}]}\n",
            "expression: {matchExpressions: [{key: tier, operator: In, values: [front]}]}\n",
            "open: {matchExpressions: [{key: tier, operator: In, values: [a, b]}]}\n",
        ));
        let root = stream.documents[0].root().unwrap();
        let required = |key: &str| required_label(root.get(key).unwrap());
        assert_eq!(required("plain"), Some(("app", "web")));
        assert_eq!(required("labels"), Some(("app", "api")));
        assert_eq!(required("expression"), Some(("tier", "front")));
        assert_eq!(required("open"), None);
    }

    #[test]
    fn a_typo_is_suggested_and_a_different_name_is_not() {
        let names = vec!["jwt-secret".to_string(), "backend-secrets".to_string()];
        assert_eq!(nearest("backend-secret", &names), Some("backend-secrets"));
        assert_eq!(nearest("jwt-secrte", &names), Some("jwt-secret"));
        assert_eq!(nearest("mongodb-url", &names), None);
        assert_eq!(nearest("jwt-secret", &names), None);
    }
}
