//! Evaluating compiled rules over one object, in every environment its file deploys to.

use std::sync::Arc;

use crate::config::Env;
use crate::finding::{Finding, ObjectRef};
use crate::model::image::ImagePart;
use crate::model::{ImageUse, Located, Project};
use crate::source::Origin;
use crate::yaml::Node;

use super::cond::Cond;
use super::facts::{Fact, Scope, Step};
use super::{CompiledClause, Rule, RuleSet, Subject, ids};

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
                let message = format!("invalid image reference `{}`: {problem}", image.text);
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
    } else if source.len() >= 2 && &source[1..source.len() - 1] == image.text {
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

fn object_ref(located: &Located<'_>, env: Option<&Env>) -> ObjectRef {
    ObjectRef {
        kind: located.object.kind.to_string(),
        name: located.object.name.map(str::to_string),
        namespace: located.namespace(env).map(str::to_string),
    }
}

impl Rule {
    fn applies_to(&self, kind: &str) -> bool {
        // Helm values' synthetic objects get the image rules and the rules that name them.
        let any_kind = self.kinds.is_empty()
            && (kind != crate::model::helm::KIND || self.subject == Some(Subject::Image));
        !self.builtin && (any_kind || self.kinds.iter().any(|k| k == kind))
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
            Some(Subject::Image) => {
                let containers = located.object.pod.iter().flat_map(|pod| &pod.containers);
                for container in
                    containers.filter(|c| c.image.as_ref().is_some_and(|i| i.parsed.is_ok()))
                {
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
            let Some(origin) = clause.origin(scope) else {
                continue;
            };
            out.push(Finding {
                rule: Arc::clone(&self.id),
                severity: clause.severity,
                message: clause.message.render(scope),
                help: clause.help.as_ref().map(|h| h.render(scope)),
                url: Some(self.url.clone()),
                origin,
                related: Vec::new(),
                object: Some(object_ref(scope.located, scope.env)),
                envs: scope
                    .env
                    .map(|e| Arc::from(e.name.as_str()))
                    .into_iter()
                    .collect(),
            });
            // The first clause that fires speaks for the rule on this subject.
            return;
        }
    }
}

impl CompiledClause {
    /// The bytes the finding points at: the `at` node (or its key), else the subject itself.
    fn origin(&self, scope: &Scope<'_, '_>) -> Option<Origin> {
        let node = match &self.at {
            Some(fact) if self.at_key => key_of(fact, scope),
            Some(fact) => fact.node(scope),
            None => default_node(scope),
        };
        node.map(|n| match self.image_part(scope) {
            // An image assembled from several values leaves: the leaf of the part at fault.
            Some(at) if n.has_pieces() => n.origin_of(at..at),
            _ => n.origin(),
        })
    }

    /// Where in the image text the part this clause tests starts (its first image fact).
    fn image_part(&self, scope: &Scope<'_, '_>) -> Option<usize> {
        let text = scope.container?.image.as_ref()?.text;
        let part = self
            .condition
            .iter()
            .flat_map(Cond::facts)
            .find_map(|f| match f {
                Fact::ImageDigest => Some(ImagePart::Digest),
                Fact::ImageTag | Fact::ImageMutable => Some(ImagePart::Tag),
                Fact::ImageRegistry | Fact::RegistryPullSecret | Fact::MirrorVia => {
                    Some(ImagePart::Registry)
                }
                _ => None,
            })?;
        Some(part.offset(text))
    }
}

fn default_node<'a>(scope: &Scope<'_, 'a>) -> Option<Node<'a>> {
    if let Some(image) = scope.container.and_then(|c| c.image.as_ref()) {
        return Some(image.node);
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
