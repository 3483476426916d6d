//! ValidatingAdmissionPolicy at commit time: the policies and bindings of the repository,
//! compiled once, evaluated with CEL against every object they match, as the API server
//! would on CREATE. Each failed validation is an `admission-policy` finding at the node the
//! validation's `fieldPath` names, graded by the binding's `validationActions`.

mod compile;
pub mod crd;
mod library;
mod matching;
mod value;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use cel::{Context, ExecutionError, Program, Value};

use crate::config::Env;
use crate::finding::{Finding, Related, Severity};
use crate::model::{Located, Project};
use crate::source::Origin;
use crate::yaml::Node;

use super::{RuleSet, ids};
use compile::compile;
use matching::{
    Match, Namespace, Request, Selector, group_version, is_cluster_scoped, resource_of,
};

const POLICY_KIND: &str = "ValidatingAdmissionPolicy";
const BINDING_KIND: &str = "ValidatingAdmissionPolicyBinding";
const GROUP: &str = "admissionregistration.k8s.io";

/// One CEL expression of a policy, compiled once.
struct Expression {
    source: String,
    origin: Origin,
    program: Result<Program, String>,
}

impl Expression {
    fn read(node: Node<'_>, env: &cel::Env) -> Option<Expression> {
        let source = node.as_text()?.to_string();
        let program = compile(env, &source);
        Some(Expression {
            source,
            origin: node.origin(),
            program,
        })
    }

    /// The expression shortened for a message.
    fn quoted(&self) -> String {
        let flat: String = self.source.split_whitespace().collect::<Vec<_>>().join(" ");
        match flat.char_indices().nth(80) {
            Some((at, _)) => format!("`{}…`", &flat[..at]),
            None => format!("`{flat}`"),
        }
    }
}

struct Validation {
    expression: Expression,
    message: Option<String>,
    message_expression: Option<Expression>,
    field_path: Option<String>,
}

struct Policy {
    name: String,
    constraints: Match,
    /// `paramKind` as (apiVersion, kind).
    param_kind: Option<(String, String)>,
    conditions: Vec<(String, Expression)>,
    variables: Vec<(String, Expression)>,
    validations: Vec<Validation>,
    /// `failurePolicy: Ignore`: an expression that fails to evaluate lets the request through.
    ignore_failures: bool,
}

struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    selector: Option<Selector>,
    /// `parameterNotFoundAction: Allow`: a missing param lets the request through.
    allow_missing: bool,
}

struct Binding {
    name: String,
    policy: usize,
    resources: Match,
    param_ref: Option<ParamRef>,
    severity: Severity,
    actions: String,
    /// The environments the binding deploys to; none: every environment.
    envs: Vec<String>,
}

/// An object of the repository that a policy may take as `params`.
struct Param {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
    value: Value,
}

/// A Namespace object of the repository, for `namespaceSelector` and `namespaceObject`.
struct NamespaceObject {
    labels: BTreeMap<String, String>,
    value: Value,
}

/// Every policy and binding of a run, ready to evaluate.
#[derive(Default)]
pub struct Admission {
    env: Arc<cel::Env>,
    policies: Vec<Policy>,
    bindings: Vec<Binding>,
    params: Vec<Param>,
    namespaces: HashMap<String, NamespaceObject>,
    /// Expressions that do not compile, reported once at the expression.
    broken: Vec<(String, Origin, String)>,
}

fn labels_of(root: Node<'_>) -> BTreeMap<String, String> {
    root.path("metadata.labels")
        .map(|l| l.entries())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| Some((k.as_text()?.to_string(), v.as_text()?.to_string())))
        .collect()
}

fn is_admission(located: &Located<'_>, kind: &str) -> bool {
    located.object.kind == kind && group_version(located.object.api_version).0 == GROUP
}

fn named_list<'a>(node: Option<Node<'a>>) -> impl Iterator<Item = (String, Node<'a>)> {
    node.into_iter()
        .flat_map(|list| list.items())
        .map(|item| (item.text("name").unwrap_or_default().to_string(), item))
}

impl Policy {
    fn read(root: Node<'_>, name: &str, env: &cel::Env) -> Policy {
        let spec = root.get("spec");
        let get = |key: &str| spec.and_then(|s| s.get(key));
        let expressions = |key: &str| -> Vec<(String, Expression)> {
            named_list(get(key))
                .filter_map(|(name, item)| {
                    Some((name, Expression::read(item.get("expression")?, env)?))
                })
                .collect()
        };
        let validations = get("validations")
            .into_iter()
            .flat_map(|list| list.items())
            .filter_map(|item| {
                Some(Validation {
                    expression: Expression::read(item.get("expression")?, env)?,
                    message: item.text("message").map(str::to_string),
                    message_expression: item
                        .get("messageExpression")
                        .and_then(|n| Expression::read(n, env)),
                    field_path: item.text("fieldPath").map(str::to_string),
                })
            })
            .collect();
        let param_kind = get("paramKind").and_then(|p| {
            Some((
                p.text("apiVersion")?.to_string(),
                p.text("kind")?.to_string(),
            ))
        });
        Policy {
            name: name.to_string(),
            constraints: Match::read(get("matchConstraints")),
            param_kind,
            conditions: expressions("matchConditions"),
            variables: expressions("variables"),
            validations,
            ignore_failures: spec.and_then(|s| s.text("failurePolicy")) == Some("Ignore"),
        }
    }

    fn expressions(&self) -> impl Iterator<Item = &Expression> {
        self.conditions
            .iter()
            .chain(&self.variables)
            .map(|(_, e)| e)
            .chain(
                self.validations.iter().flat_map(|v| {
                    std::iter::once(&v.expression).chain(v.message_expression.as_ref())
                }),
            )
    }
}

/// The severity of a binding's `validationActions`: the gravest of Deny (error), Warn
/// (warning) and Audit (info); none (an empty list) is what the API server rejects, so Deny.
fn severity_of(actions: &[&str]) -> Severity {
    actions
        .iter()
        .map(|a| match *a {
            "Warn" => Severity::Warning,
            "Audit" => Severity::Info,
            _ => Severity::Error,
        })
        .max()
        .unwrap_or(Severity::Error)
}

impl Admission {
    /// Reads the policies, bindings, params and namespaces among the project's objects.
    pub fn build(project: &Project<'_>) -> Admission {
        // Most runs have no policy: they pay nothing for CEL, not even its environment.
        if !project.objects.iter().any(|l| is_admission(l, POLICY_KIND)) {
            return Admission::default();
        }
        let env = Arc::new(library::environment());
        let mut policies: Vec<Policy> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for located in project
            .objects
            .iter()
            .filter(|l| is_admission(l, POLICY_KIND))
        {
            let Some(name) = located.object.name else {
                continue;
            };
            if by_name.contains_key(name) {
                continue;
            }
            by_name.insert(name.to_string(), policies.len());
            policies.push(Policy::read(located.object.root, name, &env));
        }
        let mut bindings = Vec::new();
        for located in project
            .objects
            .iter()
            .filter(|l| is_admission(l, BINDING_KIND))
        {
            let root = located.object.root;
            let spec = root.get("spec");
            let Some(&policy) = spec
                .and_then(|s| s.text("policyName"))
                .and_then(|p| by_name.get(p))
            else {
                // A binding of a policy that lives only in the cluster: nothing to evaluate.
                continue;
            };
            let actions: Vec<&str> = spec
                .and_then(|s| s.get("validationActions"))
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|a| a.as_text())
                .collect();
            let param_ref = spec.and_then(|s| s.get("paramRef")).map(|p| ParamRef {
                name: p.text("name").map(str::to_string),
                namespace: p.text("namespace").map(str::to_string),
                selector: p.get("selector").map(Selector::read),
                allow_missing: p.text("parameterNotFoundAction") == Some("Allow"),
            });
            bindings.push(Binding {
                name: located.object.name.unwrap_or_default().to_string(),
                policy,
                resources: Match::read(spec.and_then(|s| s.get("matchResources"))),
                param_ref,
                severity: severity_of(&actions),
                actions: if actions.is_empty() {
                    "Deny".into()
                } else {
                    actions.join(", ")
                },
                envs: located.envs.iter().map(|e| e.name.clone()).collect(),
            });
        }
        // Bindings in a stable order, whatever order the files were read in.
        bindings.sort_by(|a, b| (&a.name, a.policy).cmp(&(&b.name, b.policy)));
        let param_kinds: Vec<&(String, String)> = policies
            .iter()
            .filter_map(|p| p.param_kind.as_ref())
            .collect();
        let mut params = Vec::new();
        let mut namespaces = HashMap::new();
        for located in &project.objects {
            let object = &located.object;
            let wanted = param_kinds
                .iter()
                .any(|(v, k)| v == object.api_version && k == object.kind);
            if wanted && let (Some(name), Ok(value)) = (object.name, value::to_value(object.root)) {
                params.push(Param {
                    api_version: object.api_version.to_string(),
                    kind: object.kind.to_string(),
                    name: name.to_string(),
                    namespace: located
                        .namespace(located.envs.first().map(|e| &**e))
                        .map(str::to_string),
                    labels: labels_of(object.root),
                    value,
                });
            }
            if object.kind == "Namespace"
                && object.api_version == "v1"
                && let (Some(name), Ok(value)) = (object.name, value::to_value(object.root))
            {
                let mut labels = labels_of(object.root);
                labels.insert("kubernetes.io/metadata.name".into(), name.to_string());
                namespaces.insert(name.to_string(), NamespaceObject { labels, value });
            }
        }
        let broken = policies
            .iter()
            .flat_map(|p| {
                p.expressions().filter_map(|e| {
                    let error = e.program.as_ref().err()?;
                    Some((p.name.clone(), e.origin, error.clone()))
                })
            })
            .collect();
        Admission {
            env,
            policies,
            bindings,
            params,
            namespaces,
            broken,
        }
    }

    /// Expressions that are not compiled, once each, at the expression.
    pub fn problems(&self, rules: &RuleSet) -> Vec<Finding> {
        self.broken
            .iter()
            .filter_map(|(policy, origin, error)| {
                let message = format!(
                    "policy `{policy}`: not evaluated: {}",
                    error.lines().next().unwrap_or_default()
                );
                let mut finding = rules.builtin_finding(ids::ADMISSION_POLICY, *origin, message)?;
                finding.severity = Severity::Info;
                finding.policy = Some(policy.clone());
                Some(finding)
            })
            .collect()
    }

    /// The findings of every binding whose policy matches the object, in each environment
    /// the object deploys to.
    pub fn evaluate(&self, located: &Located<'_>, rules: &RuleSet) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.bindings.is_empty() {
            return out;
        }
        let object = &located.object;
        let (group, version) = group_version(object.api_version);
        let resource = resource_of(object.kind);
        let namespaced = !is_cluster_scoped(object.kind);
        let request = Request {
            group,
            version,
            resource: &resource,
            name: object.name.unwrap_or_default(),
            namespaced,
        };
        let labels = labels_of(object.root);
        // The object as CEL sees it, converted once however many policies match it.
        let converted: OnceLock<Result<Value, value::TooLarge>> = OnceLock::new();
        let envs: Vec<Option<&Env>> = if located.envs.is_empty() {
            vec![None]
        } else {
            located.envs.iter().map(|e| Some(&**e)).collect()
        };
        for env in envs {
            let namespace_name = if namespaced {
                located.namespace(env)
            } else {
                None
            };
            let namespace_object = namespace_name.and_then(|n| self.namespaces.get(n));
            let mut namespace_labels = namespace_object
                .map(|n| n.labels.clone())
                .unwrap_or_default();
            if let Some(name) = namespace_name {
                namespace_labels.insert("kubernetes.io/metadata.name".into(), name.to_string());
            }
            let namespace = Namespace {
                name: namespace_name,
                labels: namespace_labels,
                known: namespace_object.is_some(),
            };
            // What every policy sees of this object, bound once: CEL copies a value into
            // its own form when it is bound, so binding per policy would copy the object
            // per policy.
            let mut shared: Option<Context<'_, '_>> = None;
            for binding in &self.bindings {
                let policy = &self.policies[binding.policy];
                let deployed = match env {
                    Some(env) => binding.envs.is_empty() || binding.envs.contains(&env.name),
                    None => binding.envs.is_empty(),
                };
                if !deployed
                    || !policy
                        .constraints
                        .matches(&request, &labels, &namespace, true)
                    || !binding
                        .resources
                        .matches(&request, &labels, &namespace, false)
                {
                    continue;
                }
                let run = Run {
                    admission: self,
                    located,
                    env,
                    rules,
                    policy,
                    binding,
                };
                let object_value = match converted.get_or_init(|| value::to_value(object.root)) {
                    Ok(value) => value,
                    Err(value::TooLarge) => {
                        run.not_evaluated(
                            None,
                            "the object is too large to convert".into(),
                            &mut out,
                        );
                        continue;
                    }
                };
                let context = shared.get_or_insert_with(|| {
                    let mut context = Context::with_env(Arc::clone(&self.env));
                    library::register(&mut context).expect(
                        "the Kubernetes functions do not clash with the standard environment's",
                    );
                    context.add_variable_from_value("object", object_value.clone());
                    context.add_variable_from_value("oldObject", Value::Null);
                    let request = request_value(&request, object.kind, namespace_name);
                    context.add_variable_from_value("request", request);
                    let namespace = namespace_object.map_or(Value::Null, |n| n.value.clone());
                    context.add_variable_from_value("namespaceObject", namespace);
                    context
                });
                run.with_params(context, namespace_name, &mut out);
            }
        }
        out
    }
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    let map: HashMap<String, Value> = entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Value::from(map)
}

/// `request` of an admission review for a CREATE of the object, with an anonymous user.
fn request_value(request: &Request<'_>, kind: &str, namespace: Option<&str>) -> Value {
    let text = |s: &str| Value::from(s.to_string());
    map(vec![
        ("operation", text("CREATE")),
        (
            "kind",
            map(vec![
                ("group", text(request.group)),
                ("version", text(request.version)),
                ("kind", text(kind)),
            ]),
        ),
        (
            "resource",
            map(vec![
                ("group", text(request.group)),
                ("version", text(request.version)),
                ("resource", text(request.resource)),
            ]),
        ),
        ("name", text(request.name)),
        ("namespace", namespace.map_or(Value::Null, text)),
        (
            "userInfo",
            map(vec![
                ("username", text("")),
                ("groups", Value::List(Arc::new(Vec::new()))),
            ]),
        ),
        ("dryRun", Value::Bool(false)),
    ])
}

/// One binding of one policy against one object in one environment.
struct Run<'r, 'a> {
    admission: &'r Admission,
    located: &'r Located<'a>,
    env: Option<&'r Env>,
    rules: &'r RuleSet,
    policy: &'r Policy,
    binding: &'r Binding,
}

/// Why an expression gave no verdict.
#[derive(Clone)]
enum Failure {
    /// It calls a function of a Kubernetes library kubelint does not implement.
    Unsupported(String),
    /// It failed as it would in the API server (a missing field, a wrong type).
    Error(String),
    /// It does not compile: reported once, at the expression, by `Admission::problems`.
    Broken,
}

impl Run<'_, '_> {
    /// Evaluates once per param the binding selects (once without params when the policy
    /// takes none).
    fn with_params(
        &self,
        shared: &Context<'_, '_>,
        namespace: Option<&str>,
        out: &mut Vec<Finding>,
    ) {
        let Some((api_version, kind)) = &self.policy.param_kind else {
            self.evaluate(shared, Value::Null, out);
            return;
        };
        let Some(reference) = &self.binding.param_ref else {
            let message = format!(
                "binding `{}` names no paramRef, which the policy's paramKind {kind} needs",
                self.binding.name
            );
            self.not_evaluated(None, message, out);
            return;
        };
        let param_namespace = reference.namespace.as_deref().or(namespace);
        let found: Vec<&Param> = self
            .admission
            .params
            .iter()
            .filter(|p| &p.api_version == api_version && &p.kind == kind)
            .filter(|p| p.namespace.is_none() || p.namespace.as_deref() == param_namespace)
            .filter(|p| match (&reference.name, &reference.selector) {
                (Some(name), _) => &p.name == name,
                (None, Some(selector)) => selector.matches(|k| p.labels.get(k).map(String::as_str)),
                (None, None) => false,
            })
            .collect();
        if found.is_empty() {
            if !reference.allow_missing {
                let wanted = reference
                    .name
                    .as_deref()
                    .map_or("matching the paramRef's selector".to_string(), |n| {
                        format!("`{n}`")
                    });
                let message = format!("no {kind} {wanted} in the repository to use as params");
                self.not_evaluated(None, message, out);
            }
            return;
        }
        for param in found {
            self.evaluate(shared, param.value.clone(), out);
        }
    }

    /// One evaluation, in a scope of its own over the object's shared variables.
    fn evaluate(&self, shared: &Context<'_, '_>, params: Value, out: &mut Vec<Finding>) {
        let mut context = shared.new_inner_scope();
        context.add_variable_from_value("params", params);
        for (name, condition) in &self.policy.conditions {
            match self.run(&context, condition) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return,
                Ok(other) => {
                    let what = format!("match condition `{name}` gives {other:?}, not a bool");
                    return self.not_evaluated(Some(condition), what, out);
                }
                Err(failure) => {
                    return self.failed(
                        condition,
                        &format!("match condition `{name}`"),
                        failure,
                        out,
                    );
                }
            }
        }
        let mut variables: HashMap<String, Value> = HashMap::new();
        let mut unset: Vec<(String, Failure)> = Vec::new();
        for (name, variable) in &self.policy.variables {
            context.add_variable_from_value("variables", variables.clone());
            match self.run(&context, variable) {
                Ok(value) => {
                    variables.insert(name.clone(), value);
                }
                Err(failure) => unset.push((name.clone(), failure)),
            }
        }
        context.add_variable_from_value("variables", variables);
        for (index, validation) in self.policy.validations.iter().enumerate() {
            let what = format!("validation {}", index + 1);
            let uses = |name: &str| {
                validation
                    .expression
                    .source
                    .contains(&format!("variables.{name}"))
            };
            if let Some((name, failure)) = unset.iter().find(|(name, _)| uses(name)) {
                let variable = &self.policy.variables.iter().find(|(n, _)| n == name);
                let expression = variable.map(|(_, e)| e).unwrap_or(&validation.expression);
                self.failed(
                    expression,
                    &format!("variable `{name}`"),
                    failure.clone(),
                    out,
                );
                continue;
            }
            match self.run(&context, &validation.expression) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => self.violation(&context, validation, out),
                Ok(other) => {
                    let message = format!("{what} gives {other:?}, not a bool");
                    self.not_evaluated(Some(&validation.expression), message, out);
                }
                Err(failure) => self.failed(&validation.expression, &what, failure, out),
            }
        }
    }

    fn run(&self, context: &Context<'_, '_>, expression: &Expression) -> Result<Value, Failure> {
        let program = expression.program.as_ref().map_err(|_| Failure::Broken)?;
        program
            .execute(context)
            .map_err(|error| classify(error, &expression.source))
    }

    fn violation(
        &self,
        context: &Context<'_, '_>,
        validation: &Validation,
        out: &mut Vec<Finding>,
    ) {
        let from_expression =
            validation
                .message_expression
                .as_ref()
                .and_then(|e| match self.run(context, e) {
                    Ok(Value::String(text)) if !text.trim().is_empty() => Some(text.to_string()),
                    _ => None,
                });
        let text = from_expression
            .or_else(|| validation.message.clone())
            .unwrap_or_else(|| {
                format!("failed expression: {}", validation.expression.source.trim())
            });
        let root = self.located.object.root;
        let at = validation
            .field_path
            .as_deref()
            .and_then(|path| value::field_node(root, path));
        let message = format!("policy `{}`: {}", self.policy.name, text.trim());
        self.push(
            at,
            message,
            self.binding.severity,
            Some(&validation.expression),
            out,
        );
    }

    fn failed(
        &self,
        expression: &Expression,
        what: &str,
        failure: Failure,
        out: &mut Vec<Finding>,
    ) {
        match failure {
            Failure::Broken => {}
            Failure::Unsupported(reason) => self.not_evaluated(
                Some(expression),
                format!("{what} {}: {reason}", expression.quoted()),
                out,
            ),
            // As the API server does with `failurePolicy: Ignore`, a failing expression
            // lets the object through.
            Failure::Error(_) if self.policy.ignore_failures => {}
            Failure::Error(error) => {
                let message = format!(
                    "{what} {} fails on this object: {error} (the API server would reject it, as failurePolicy is Fail)",
                    expression.quoted()
                );
                self.not_evaluated(Some(expression), message, out)
            }
        }
    }

    fn not_evaluated(&self, expression: Option<&Expression>, why: String, out: &mut Vec<Finding>) {
        let message = format!("policy `{}`: not evaluated: {why}", self.policy.name);
        self.push(None, message, Severity::Info, expression, out);
    }

    fn push(
        &self,
        at: Option<Node<'_>>,
        message: String,
        severity: Severity,
        expression: Option<&Expression>,
        out: &mut Vec<Finding>,
    ) {
        let root = self.located.object.root;
        let node = at
            .or_else(|| root.path("metadata.name"))
            .or_else(|| root.get("kind"))
            .unwrap_or(root);
        let Some(mut finding) =
            self.rules
                .builtin_finding(ids::ADMISSION_POLICY, node.origin(), message)
        else {
            return;
        };
        finding.severity = severity;
        finding.help = Some(format!(
            "binding `{}` ({}) applies this policy here",
            self.binding.name, self.binding.actions
        ));
        finding.object = Some(super::eval::object_ref(self.located, self.env));
        finding.policy = Some(self.policy.name.clone());
        finding.envs = self
            .env
            .map(|e| Arc::from(e.name.as_str()))
            .into_iter()
            .collect();
        if let Some(expression) = expression {
            finding.related.push(Related {
                origin: expression.origin,
                message: "the policy's expression".into(),
            });
        }
        out.push(finding);
    }
}

/// An undeclared function of a Kubernetes library is "not evaluated"; anything else is the
/// expression failing as it would in the cluster.
fn classify(error: ExecutionError, source: &str) -> Failure {
    let message = error.to_string();
    if let ExecutionError::UndeclaredReference(name) = &error
        && let Some((_, library)) = library::UNSUPPORTED.iter().find(|(f, _)| **f == **name)
    {
        return Failure::Unsupported(format!(
            "`{name}` is in the Kubernetes {library} library, which kubelint does not implement"
        ));
    }
    if let ExecutionError::UndeclaredReference(name) = &error
        && source.contains(&format!("{name}("))
    {
        return Failure::Unsupported(format!("kubelint does not implement the function `{name}`"));
    }
    if let ExecutionError::UndeclaredReference(name) = &error
        && name.as_str() == "authorizer"
    {
        return Failure::Unsupported("`authorizer` needs the cluster's RBAC".into());
    }
    Failure::Error(message)
}

#[cfg(test)]
mod tests;
