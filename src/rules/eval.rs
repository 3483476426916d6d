//! Evaluating compiled rules over one object, in every environment its file deploys to.

use std::ops::Range;
use std::sync::Arc;

use crate::config::Env;
use crate::finding::{Finding, ObjectRef};
use crate::model::{ImageUse, Located, Project};
use crate::yaml::Node;

use super::facts::{Fact, Scope, Step};
use super::{CompiledClause, Rule, RuleSet, Subject, ids};

impl RuleSet {
    /// Every finding of every rule on one object. Findings that two environments share (the
    /// same rule on the same bytes) are the caller's to merge.
    pub fn evaluate<'a>(&self, project: &Project<'a>, located: &Located<'a>) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_image_references(located, &mut out);
        let envs: Vec<Option<&Env>> = if located.file.envs.is_empty() {
            vec![None]
        } else {
            located.file.envs.iter().map(|e| Some(&**e)).collect()
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

    fn check_image_references(&self, located: &Located<'_>, out: &mut Vec<Finding>) {
        let Some(pod) = &located.object.pod else {
            return;
        };
        for image in pod.containers.iter().filter_map(|c| c.image.as_ref()) {
            if let Err(problem) = &image.parsed {
                let span = reference_span(&located.file.source.text, image, problem.offset);
                let message = if image.text.is_empty() {
                    format!("invalid image reference: {problem}")
                } else {
                    format!("invalid image reference `{}`: {problem}", image.text)
                };
                out.extend(
                    self.builtin_finding(
                        ids::INVALID_IMAGE_REFERENCE,
                        &located.file.source,
                        span,
                        message,
                    )
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
/// source text is not the value itself (escapes, block scalars).
fn reference_span(text: &str, image: &ImageUse<'_>, offset: usize) -> Range<usize> {
    let node = image.node.span();
    let source = &text[node.clone()];
    let inner_start = if source == image.text {
        node.start
    } else if source.len() >= 2 && &source[1..source.len() - 1] == image.text {
        node.start + 1
    } else {
        return node;
    };
    let start = inner_start + offset.min(image.text.len());
    start..(inner_start + image.text.len()).max(start)
}

/// The `@algorithm:hex` part of the image value, which is what the user deletes.
fn digest_span(scope: &Scope<'_, '_>) -> Option<Range<usize>> {
    let image = scope.container?.image.as_ref()?;
    image.parsed.as_ref().ok()?.digest.as_ref()?;
    let node = image.node.span();
    let source = scope.located.file.source.text.get(node.clone())?;
    let at = source.rfind('@')?;
    let end = source.trim_end_matches(['"', '\'']).len().max(at);
    Some(node.start + at..node.start + end)
}

fn object_ref(located: &Located<'_>, env: Option<&Env>) -> ObjectRef {
    ObjectRef {
        kind: located.object.kind.to_string(),
        name: located.object.name.map(str::to_string),
        namespace: located.namespace(env).map(str::to_string),
    }
}

impl Rule {
    fn applies_to(&self, kind: &str) -> bool {
        !self.builtin && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }

    fn evaluate<'a>(
        &self,
        project: &Project<'a>,
        located: &Located<'a>,
        env: Option<&Env>,
        out: &mut Vec<Finding>,
    ) {
        match self.subject {
            Some(Subject::Object) => {
                let scope = Scope {
                    project,
                    located,
                    env,
                    container: None,
                };
                self.evaluate_scope(&scope, out);
            }
            Some(subject @ (Subject::Image | Subject::Container)) => {
                let containers = located.object.pod.iter().flat_map(|pod| &pod.containers);
                for container in containers.filter(|c| {
                    subject == Subject::Container
                        || c.image.as_ref().is_some_and(|i| i.parsed.is_ok())
                }) {
                    let scope = Scope {
                        project,
                        located,
                        env,
                        container: Some(container),
                    };
                    self.evaluate_scope(&scope, out);
                }
            }
            None => {}
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
            let Some(span) = clause.span(scope) else {
                continue;
            };
            out.push(Finding {
                rule: Arc::clone(&self.id),
                severity: clause.severity,
                message: clause.message.render(scope),
                help: clause.help.as_ref().map(|h| h.render(scope)),
                url: Some(self.url.clone()),
                file: Arc::clone(&scope.located.file.source),
                span,
                related: Vec::new(),
                object: Some(object_ref(scope.located, scope.env)),
            });
            // The first clause that fires speaks for the rule on this subject.
            return;
        }
    }
}

impl CompiledClause {
    /// The bytes the finding points at: the `at` node (or its key), else the subject itself.
    fn span(&self, scope: &Scope<'_, '_>) -> Option<Range<usize>> {
        let node = match &self.at {
            Some(Fact::ImageDigest) => return digest_span(scope),
            Some(fact) if self.at_key => key_of(fact, scope),
            Some(fact) => fact.node(scope),
            None => default_node(self.subject, scope),
        };
        node.map(|n| n.span())
    }
}

/// Where a finding on the subject itself points: the image value, the container's name (the
/// container mapping when it has none), or the object's name (its `kind` when it has none).
fn default_node<'a>(subject: Subject, scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
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
    let (start, steps) = match fact {
        Fact::ObjectPath(steps) => (scope.located.object.root, steps),
        Fact::ContainerPath(steps) => (scope.container?.node, steps),
        _ => return fact.node(scope),
    };
    let (Step::Key(last), parents) = steps.split_last()? else {
        return None;
    };
    let parent = parents.iter().try_fold(start, |node, step| match step {
        Step::Key(key) => node.get(key),
        Step::Index(index) => node.items().nth(*index),
    })?;
    parent.entry(last).map(|(key, _)| key)
}
