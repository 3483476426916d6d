//! Evaluating compiled rules over one object, in every environment its file deploys to.

use std::ops::Range;
use std::sync::Arc;

use crate::config::Env;
use crate::finding::{Finding, ObjectRef, Related, Severity};
use crate::model::{ImageUse, Located, Project};
use crate::source::Origin;
use crate::yaml::Node;

use super::facts::{Fact, Scope, Step, walk};
use super::{CompiledClause, Each, Rule, RuleSet, Subject, ids};

impl RuleSet {
    /// Every finding of every rule on one object. Findings that two environments share (the
    /// same rule on the same bytes) are the caller's to merge.
    pub fn evaluate<'a>(&self, project: &Project<'a>, located: &Located<'a>) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_image_references(project, located, &mut out);
        let envs: Vec<Option<&Env>> = if located.envs.is_empty() {
            vec![None]
        } else {
            located.envs.iter().map(|e| Some(&**e)).collect()
        };
        for env in envs {
            for rule in self
                .rules
                .iter()
                .filter(|r| r.applies_to(located.object.kind))
            {
                rule.evaluate(project, located, env, &mut out);
            }
        }
        out
    }

    fn check_image_references(
        &self,
        project: &Project<'_>,
        located: &Located<'_>,
        out: &mut Vec<Finding>,
    ) {
        let Some(pod) = &located.object.pod else {
            return;
        };
        for image in pod.containers.iter().filter_map(|c| c.image.as_ref()) {
            if let Err(problem) = &image.parsed {
                let origin = reference_origin(project, image, problem.offset);
                let message = if image.text.is_empty() {
                    format!("invalid image reference: {problem}")
                } else {
                    format!("invalid image reference `{}`: {problem}", image.text)
                };
                out.extend(
                    self.builtin_finding(ids::INVALID_IMAGE_REFERENCE, origin, message)
                        .map(|f| Finding {
                            object: Some(object_ref(located, None)),
                            ..f
                        }),
                );
            }
        }
    }
}

/// From the offending character to the end of the value; the whole node when the scalar's
/// source text is not the value itself (escapes, block scalars, a value a build set).
/// Quotes are one byte; a plain value may end in a multi-byte character, so slices use `get`.
fn reference_origin(project: &Project<'_>, image: &ImageUse<'_>, offset: usize) -> Origin {
    let origin = image.node.origin();
    let node = origin.range();
    let Some(source) = project
        .source_text(origin.file)
        .and_then(|t| t.get(node.clone()))
    else {
        return origin;
    };
    let inner_start = if source == image.text {
        node.start
    } else if source.len() >= 2 && source.get(1..source.len() - 1) == Some(image.text) {
        node.start + 1
    } else {
        return origin;
    };
    let start = inner_start + offset.min(image.text.len());
    Origin::new(
        origin.file,
        start..(inner_start + image.text.len()).max(start),
    )
}

/// Where a part of the image points: the registry (the name, when the registry is implied),
/// the tag, or the `@algorithm:hex` digest, which is what the user deletes. In a built
/// image, the line that set that part (an overlay's `newName`, `newTag` or `digest`).
fn image_part_origin(scope: &Scope<'_, '_>, part: &Fact) -> Option<Origin> {
    let image = scope.container?.image.as_ref()?;
    if matches!(part, Fact::ImageDigest) {
        image.parsed.as_ref().ok()?.digest.as_ref()?;
    }
    Some(image.node.origin_of(image_part(image.text, part)?))
}

/// The bytes of an image reference that hold its registry (the name, when the registry is
/// implied), its tag (after the `:`) or its digest (from the `@`).
pub(super) fn image_part(text: &str, part: &Fact) -> Option<Range<usize>> {
    let digest_at = text.find('@');
    let name_end = digest_at.unwrap_or(text.len());
    let last_slash = text[..name_end].rfind('/').map_or(0, |i| i + 1);
    let tag_at = text[last_slash..name_end].find(':').map(|i| last_slash + i);
    match part {
        Fact::ImageDigest => digest_at.map(|at| at..text.len()),
        Fact::ImageTag => tag_at.map(|at| at + 1..name_end),
        _ => {
            let first = text.find('/').filter(|&slash| {
                let host = &text[..slash];
                host.contains(['.', ':']) || host == "localhost"
            });
            Some(first.map_or(0..tag_at.unwrap_or(name_end), |slash| 0..slash))
        }
    }
}

pub(super) fn object_ref(located: &Located<'_>, env: Option<&Env>) -> ObjectRef {
    ObjectRef {
        kind: located.object.kind.to_string(),
        name: located.object.name.map(str::to_string),
        namespace: located.namespace(env).map(str::to_string),
    }
}

impl RuleSet {
    /// A finding of a code-checked rule, or `None` when the config disabled it.
    pub fn builtin_finding(&self, id: &str, origin: Origin, message: String) -> Option<Finding> {
        let rule = self.get(id)?;
        Some(finding(
            rule,
            rule.severity,
            message,
            None,
            origin,
            None,
            None,
        ))
    }
}

/// The one place a `Finding` is made, so where findings point is decided here alone.
fn finding(
    rule: &Rule,
    severity: Severity,
    message: String,
    help: Option<String>,
    origin: Origin,
    object: Option<ObjectRef>,
    env: Option<&Env>,
) -> Finding {
    Finding {
        rule: Arc::clone(&rule.id),
        severity,
        message,
        help,
        url: Some(rule.url.clone()),
        origin,
        related: Vec::new(),
        object,
        envs: env
            .map(|e| Arc::from(e.name.as_str()))
            .into_iter()
            .collect(),
        policy: None,
        fix: None,
    }
}

impl Rule {
    fn applies_to(&self, kind: &str) -> bool {
        // Helm values' synthetic objects get the image rules and the rules that name them.
        let any_kind = self.kinds.is_empty()
            && (kind != crate::model::helm::KIND || self.walk.0 == Subject::Image);
        self.on && !self.builtin && (any_kind || self.kinds.iter().any(|k| k == kind))
    }

    fn evaluate<'a>(
        &self,
        project: &Project<'a>,
        located: &Located<'a>,
        env: Option<&Env>,
        out: &mut Vec<Finding>,
    ) {
        let scope = Scope {
            project,
            located,
            env,
            container: None,
            item: None,
            reference: None,
        };
        match self.walk.0 {
            Subject::Object => self.evaluate_items(&scope, out),
            Subject::Reference => self.evaluate_references(&scope, out),
            Subject::Pod => {
                if located.object.pod.is_some() {
                    self.evaluate_items(&scope, out);
                }
            }
            subject => {
                let containers = located.object.pod.iter().flat_map(|pod| &pod.containers);
                for container in containers.filter(|c| {
                    subject != Subject::Image || c.image.as_ref().is_some_and(|i| i.parsed.is_ok())
                }) {
                    let scope = Scope {
                        container: Some(container),
                        ..scope
                    };
                    self.evaluate_items(&scope, out);
                }
            }
        }
    }

    /// Each reference of the rule's `references`, in the object or in each of its containers.
    fn evaluate_references(&self, scope: &Scope<'_, '_>, out: &mut Vec<Finding>) {
        let containers = scope.located.object.pod.iter().flat_map(|p| &p.containers);
        for spec in &self.references {
            let scopes: Vec<Scope<'_, '_>> = if spec.in_containers() {
                containers
                    .clone()
                    .map(|container| Scope {
                        container: Some(container),
                        ..*scope
                    })
                    .collect()
            } else {
                vec![*scope]
            };
            for scope in &scopes {
                for reference in spec.resolve(scope) {
                    let scope = Scope {
                        item: Some(reference.site),
                        reference: Some(&reference),
                        ..*scope
                    };
                    self.evaluate_scope(&scope, out);
                }
            }
        }
    }

    /// The subject itself, or each item of the rule's `each` within it.
    fn evaluate_items(&self, scope: &Scope<'_, '_>, out: &mut Vec<Finding>) {
        let items = match &self.walk.1 {
            None => return self.evaluate_scope(scope, out),
            Some(Each::Paths(paths)) => paths.iter().flat_map(|p| p.nodes(scope)).collect(),
            Some(Each::Template(template)) => template.items(scope),
        };
        for item in items {
            self.evaluate_scope(
                &Scope {
                    item: Some(item),
                    ..*scope
                },
                out,
            );
        }
    }

    fn evaluate_scope(&self, scope: &Scope<'_, '_>, out: &mut Vec<Finding>) {
        if self.when.as_ref().is_some_and(|w| !w.holds(scope)) {
            return;
        }
        for clause in &self.clauses {
            if clause.condition.as_ref().is_some_and(|c| !c.holds(scope)) {
                continue;
            }
            let Some((origin, node)) = clause.target(scope) else {
                continue;
            };
            let mut finding = finding(
                self,
                clause.severity,
                clause.message.render(scope),
                clause.help.as_ref().map(|h| h.render(scope)),
                origin,
                Some(object_ref(scope.located, scope.env)),
                scope.env,
            );
            if let Some(node) = node {
                finding.related = related(scope.project, node, origin);
            }
            finding.fix = clause
                .fix
                .as_ref()
                .and_then(|fix| fix.build(scope, origin, clause.fix_target(scope), &self.id));
            let target = scope
                .reference
                .and_then(|r| r.target.entry.as_ref())
                .and_then(|e| e.origin);
            if let (Some(related), Some(target)) = (&clause.related, target) {
                finding.related.push(Related {
                    origin: target,
                    message: related.render(scope),
                });
            }
            out.push(finding);
            // The first clause that fires speaks for the rule on this subject.
            return;
        }
    }
}

impl CompiledClause {
    /// The bytes the finding points at: the first present `at` node (or its key, or a part
    /// of the image), else the subject itself. A clause whose `at` nodes are all absent does
    /// not fire.
    fn target<'a>(&self, scope: &Scope<'_, 'a>) -> Option<(Origin, Option<Node<'a>>)> {
        if self.at.is_empty() {
            return default_target(self.subject, scope);
        }
        self.at.iter().find_map(|fact| match fact {
            Fact::ImageRegistry | Fact::ImageTag | Fact::ImageDigest => {
                let image = scope.container?.image.as_ref()?;
                Some((image_part_origin(scope, fact)?, Some(image.node)))
            }
            fact if self.at_key => key_of(fact, scope).map(|n| (n.origin(), Some(n))),
            fact => fact.node(scope).map(|n| (n.origin(), Some(n))),
        })
    }
}

/// The other places a finding at `node` involves, in a built object: the lines that set the
/// other parts of an assembled value (the base's image name beside an overlay's `newTag`),
/// and the value a patch, an overlay or a later values file overrode.
fn related(project: &Project<'_>, node: Node<'_>, at: Origin) -> Vec<Related> {
    let mut related: Vec<Related> = Vec::new();
    let mut push = |origin: Origin, message: String| {
        if origin != at && !related.iter().any(|r| r.origin == origin) {
            related.push(Related { origin, message });
        }
    };
    let value = node.as_str().unwrap_or("");
    // Parts set in the finding's own file sit beside it; those from other files are news.
    let elsewhere = node.pieces().iter().filter(|p| p.origin.file != at.file);
    for piece in elsewhere {
        // A tag's `:`, a digest's `@` and a registry's `/` are joints, not what a line sets.
        let part = value.get(piece.start as usize..piece.end as usize);
        if let Some(part) = part.map(|p| p.trim_matches([':', '@', '/'])) {
            push(piece.origin, format!("`{part}` is set here"));
        }
    }
    // What the value replaced: the whole node's, or the part's the finding is at.
    let part_overrode = node
        .pieces()
        .iter()
        .find(|p| p.origin == at)
        .and_then(|p| p.overrode);
    if let Some(overrode) = node.overrode().or(part_overrode) {
        let old = project
            .source_text(overrode.file)
            .and_then(|text| text.get(overrode.range()))
            .filter(|old| !old.contains('\n') && old.chars().count() <= MAX_QUOTED_CHARS);
        let message = match old {
            Some(old) => format!("overrides `{old}`, set here"),
            None => "overrides the value set here".to_string(),
        };
        push(overrode, message);
    }
    related
}

/// Longer overridden values are pointed at, not quoted.
const MAX_QUOTED_CHARS: usize = 80;

impl CompiledClause {
    /// The node a fix's `replace` rewrites: the first present `at` node, else the subject's.
    fn fix_target<'a>(&self, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
        if self.at.is_empty() {
            return default_node(self.subject, scope);
        }
        self.at.iter().find_map(|fact| match fact {
            Fact::Image => scope.container?.image.as_ref().map(|i| i.node),
            Fact::ImageRegistry | Fact::ImageTag | Fact::ImageDigest => None,
            fact => fact.node(scope),
        })
    }
}

/// Where a finding on the subject itself points; a built image points at the line that set
/// its name (an overlay's `newName`), which is where its registry is changed.
fn default_target<'a>(
    subject: Subject,
    scope: &Scope<'_, 'a>,
) -> Option<(Origin, Option<Node<'a>>)> {
    if let (Subject::Image, Some(image)) = (subject, scope.container.and_then(|c| c.image.as_ref()))
        && image.node.has_pieces()
    {
        return Some((image.node.origin_of(0..image.text.len()), Some(image.node)));
    }
    default_node(subject, scope).map(|n| (n.origin(), Some(n)))
}

/// Where a finding on the subject itself points: a list item's `name` (a port's number), the
/// image value, the container's name (the container mapping when it has none), or the
/// object's name (its `kind` when it has none).
fn default_node<'a>(subject: Subject, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
    if let Some(item) = scope.item {
        return Some(
            item.get("name")
                .or_else(|| item.get("containerPort"))
                .unwrap_or(item),
        );
    }
    if let Some(container) = scope.container {
        return match (subject, &container.image) {
            (Subject::Image, Some(image)) => Some(image.node),
            _ => Some(container.node.get("name").unwrap_or(container.node)),
        };
    }
    let root = scope.located.object.root;
    root.get("metadata")
        .and_then(|m| m.get("name"))
        .or_else(|| root.get("kind"))
}

/// The key node under which a path fact's value sits.
fn key_of<'a>(fact: &Fact, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
    let Some((start, steps)) = fact.start(scope) else {
        return fact.node(scope);
    };
    let (Step::Key(last), parents) = steps.split_last()? else {
        return None;
    };
    walk(start, parents)?.entry(last).map(|(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parts_are_found_as_runtimes_split_them() {
        let text = "localhost:5000/team/app:v1@sha256:abc";
        assert_eq!(
            &text[image_part(text, &Fact::ImageRegistry).unwrap()],
            "localhost:5000"
        );
        assert_eq!(&text[image_part(text, &Fact::ImageTag).unwrap()], "v1");
        assert_eq!(
            &text[image_part(text, &Fact::ImageDigest).unwrap()],
            "@sha256:abc"
        );
        assert_eq!(
            &"redis:7"[image_part("redis:7", &Fact::ImageRegistry).unwrap()],
            "redis"
        );
        assert_eq!(image_part("redis", &Fact::ImageTag), None);
    }
}
