//! Evaluating compiled rules over one object, in every environment its file deploys to.

use std::ops::Range;
use std::sync::Arc;

use crate::config::Env;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::model::{ImageUse, Located, Project};
use crate::yaml::{Node, SourceFile};

use super::facts::{Fact, Scope, Step, walk};
use super::{CompiledClause, Each, Rule, RuleSet, Subject, ids};

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

impl RuleSet {
    /// A finding of a code-checked rule, or `None` when the config disabled it.
    pub fn builtin_finding(
        &self,
        id: &str,
        file: &Arc<SourceFile>,
        span: Range<usize>,
        message: String,
    ) -> Option<Finding> {
        let rule = self.get(id)?;
        Some(finding(
            rule,
            rule.severity,
            message,
            None,
            file,
            span,
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
    file: &Arc<SourceFile>,
    span: Range<usize>,
    object: Option<ObjectRef>,
) -> Finding {
    Finding {
        rule: Arc::clone(&rule.id),
        severity,
        message,
        help,
        url: Some(rule.url.clone()),
        file: Arc::clone(file),
        span,
        related: Vec::new(),
        object,
    }
}

impl Rule {
    fn applies_to(&self, kind: &str) -> bool {
        self.on && !self.builtin && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
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
        };
        match self.walk.0 {
            Subject::Object => self.evaluate_items(&scope, out),
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

    /// The subject itself, or each item of the rule's `each` within it.
    fn evaluate_items(&self, scope: &Scope<'_, '_>, out: &mut Vec<Finding>) {
        let items = match &self.walk.1 {
            None => return self.evaluate_scope(scope, out),
            Some(Each::Path(path)) => path.nodes(scope),
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
            let Some(span) = clause.span(scope) else {
                continue;
            };
            out.push(finding(
                self,
                clause.severity,
                clause.message.render(scope),
                clause.help.as_ref().map(|h| h.render(scope)),
                &scope.located.file.source,
                span,
                Some(object_ref(scope.located, scope.env)),
            ));
            // The first clause that fires speaks for the rule on this subject.
            return;
        }
    }
}

impl CompiledClause {
    /// The bytes the finding points at: the first present `at` node (or its key), else the
    /// subject itself. A clause whose `at` nodes are all absent does not fire.
    fn span(&self, scope: &Scope<'_, '_>) -> Option<Range<usize>> {
        if self.at.is_empty() {
            return default_node(self.subject, scope).map(|n| n.span());
        }
        self.at.iter().find_map(|fact| match fact {
            Fact::ImageDigest => digest_span(scope),
            fact if self.at_key => key_of(fact, scope).map(|n| n.span()),
            fact => fact.node(scope).map(|n| n.span()),
        })
    }
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
