//! The CEL rules of CRD schemas (`x-kubernetes-validations`), evaluated as the API server
//! evaluates them on CREATE: `self` is the value the rule sits on, with the same CEL
//! environment and Kubernetes libraries as admission policies. A transition rule (one that
//! reads `oldSelf`) compares with the stored object, which a create has not: it is skipped,
//! as the API server skips it.

use std::sync::{Arc, OnceLock};

use cel::{Context, Value};

use crate::finding::Severity;
use crate::schema::{CelRule, RuleCheck};
use crate::source::Origin;
use crate::yaml::Node;

use super::{Failure, classify, library, value};

/// What one rule said about one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFinding {
    pub origin: Origin,
    pub message: String,
    /// Error when the API server would reject the value; info when kubelint cannot tell.
    pub severity: Severity,
}

fn environment() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    Arc::clone(ENV.get_or_init(|| Arc::new(library::environment())))
}

fn is_transition(rule: &CelRule) -> bool {
    let source = &rule.rule;
    source.match_indices("oldSelf").any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = source[at + "oldSelf".len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

fn shortened(source: &str) -> String {
    let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(80) {
        Some((at, _)) => format!("`{}…`", &flat[..at]),
        None => format!("`{flat}`"),
    }
}

/// Evaluates each rule against its value; only failures and rules kubelint could not
/// evaluate give findings. Failures at one node are one finding, their messages joined: a
/// run keeps one finding of a rule id per span.
pub fn evaluate(checks: &[RuleCheck<'_, '_>]) -> Vec<RuleFinding> {
    let mut joined: Vec<RuleFinding> = Vec::new();
    for finding in evaluate_each(checks) {
        let same =
            |f: &&mut RuleFinding| f.origin == finding.origin && f.severity == finding.severity;
        match joined.iter_mut().find(|f| same(f)) {
            Some(kept) => {
                kept.message.push_str("; ");
                kept.message.push_str(&finding.message);
            }
            None => joined.push(finding),
        }
    }
    joined
}

fn evaluate_each(checks: &[RuleCheck<'_, '_>]) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let wanted: Vec<&RuleCheck<'_, '_>> =
        checks.iter().filter(|c| !is_transition(c.rule)).collect();
    if wanted.is_empty() {
        return out;
    }
    let env = environment();
    let mut shared = Context::with_env(Arc::clone(&env));
    library::register(&mut shared)
        .expect("the Kubernetes functions do not clash with the standard environment's");
    for check in wanted {
        let rule = check.rule;
        let info = |why: String| RuleFinding {
            origin: check.anchor,
            message: format!(
                "{}: the CRD's rule {} not evaluated: {why}",
                check.path,
                shortened(&rule.rule)
            ),
            severity: Severity::Info,
        };
        let program = match rule
            .program
            .get_or_init(|| super::compile(&env, &rule.rule))
        {
            Ok(program) => program,
            Err(error) => {
                let first = error.lines().next().unwrap_or_default();
                out.push(info(first.to_string()));
                continue;
            }
        };
        let Ok(this) = value::to_value(check.node) else {
            out.push(info("the value is too large to convert".into()));
            continue;
        };
        let mut context = shared.new_inner_scope();
        context.add_variable_from_value("self", this);
        match program.execute(&context).map_err(|e| classify(e, &rule.rule)) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => out.push(violation(check, &context, &env)),
            Ok(other) => out.push(info(format!("it gives {other:?}, not a bool"))),
            Err(Failure::Unsupported(reason)) => out.push(info(reason)),
            Err(Failure::Error(error)) => out.push(RuleFinding {
                origin: check.anchor,
                message: format!(
                    "{}: the CRD's rule {} fails on this value: {error} (the API server rejects it)",
                    check.path,
                    shortened(&rule.rule)
                ),
                severity: Severity::Error,
            }),
            Err(Failure::Broken) => {}
        }
    }
    out
}

/// A failed rule: its `messageExpression`, else its `message`, else the rule itself, at
/// the node its `fieldPath` names, else at the value.
fn violation(check: &RuleCheck<'_, '_>, context: &Context<'_, '_>, env: &cel::Env) -> RuleFinding {
    let rule = check.rule;
    let from_expression =
        rule.message_expression.as_deref().and_then(|source| {
            match super::compile(env, source).ok()?.execute(context) {
                Ok(Value::String(text)) if !text.trim().is_empty() => Some(text.to_string()),
                _ => None,
            }
        });
    let text = from_expression
        .or_else(|| rule.message.clone())
        .unwrap_or_else(|| format!("failed rule: {}", rule.rule.trim()));
    let origin = rule
        .field_path
        .as_deref()
        .and_then(|path| field_origin(check.node, path))
        .unwrap_or(check.anchor);
    RuleFinding {
        origin,
        message: match check.path.as_str() {
            "the object" => text.trim().to_string(),
            path => format!("{path}: {}", text.trim()),
        },
        severity: Severity::Error,
    }
}

/// Where `fieldPath` points: a scalar itself, a collection its key (as schema problems do).
fn field_origin(node: Node<'_>, path: &str) -> Option<Origin> {
    let target = value::field_node(node, path)?;
    if target.as_str().is_some() {
        return Some(target.origin());
    }
    let (parent, last) = path.rsplit_once('.')?;
    let owner = if parent.is_empty() {
        node
    } else {
        value::field_node(node, parent)?
    };
    owner.entry(last).map(|(key, _)| key.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(source: &str) -> CelRule {
        CelRule {
            rule: source.into(),
            message: None,
            message_expression: None,
            field_path: None,
            program: OnceLock::new(),
        }
    }

    #[test]
    fn only_rules_reading_old_self_are_transition_rules() {
        assert!(is_transition(&rule("self == oldSelf")));
        assert!(is_transition(&rule("oldSelf.x <= self.x")));
        assert!(!is_transition(&rule("self.oldSelfish == 1")));
        assert!(!is_transition(&rule("self.x > 1")));
    }
}
