use std::path::Path;
use std::sync::Arc;

use cel::{Context, Value};

use super::library;
use crate::check::check_buffer;
use crate::config::Config;
use crate::rules::RuleSet;

/// What one expression evaluates to with the Kubernetes functions.
fn eval(source: &str) -> Result<Value, String> {
    let env = Arc::new(library::environment());
    let program = super::compile(&env, source)?;
    let mut context = Context::with_env(env);
    library::register(&mut context).unwrap();
    program.execute(&context).map_err(|e| e.to_string())
}

#[test]
fn quantities_compare_by_value_across_suffixes() {
    assert_eq!(
        eval("quantity('1Gi').isGreaterThan(quantity('1G'))"),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("quantity('500m').compareTo(quantity('0.5'))"),
        Ok(Value::Int(0))
    );
    assert_eq!(eval("quantity('2k').asInteger()"), Ok(Value::Int(2000)));
    assert_eq!(eval("isQuantity('1GB')"), Ok(Value::Bool(false)));
    assert!(
        eval("quantity('1GB')")
            .unwrap_err()
            .contains("invalid quantity")
    );
}

#[test]
fn regex_and_list_functions_follow_the_kubernetes_libraries() {
    assert_eq!(eval("'abc 123'.find('[0-9]+')"), Ok(Value::from("123")));
    assert_eq!(
        eval("'a1b2c3'.findAll('[0-9]', 2).size()"),
        Ok(Value::Int(2))
    );
    assert_eq!(eval("[1, 2, 2, 5].isSorted()"), Ok(Value::Bool(true)));
    assert_eq!(eval("[3, 1].isSorted()"), Ok(Value::Bool(false)));
    assert_eq!(eval("[1, 2, 3].sum()"), Ok(Value::Int(6)));
    assert_eq!(eval("[4, 9, 2].max()"), Ok(Value::Int(9)));
    assert_eq!(eval("[4, 9, 2].min()"), Ok(Value::Int(2)));
    assert_eq!(eval("'a,b'.split(',').size()"), Ok(Value::Int(2)));
    assert_eq!(eval("matches('v1.2.3', '^v1\\\\.')"), Ok(Value::Bool(true)));
}

fn findings(text: &str) -> Vec<(String, String)> {
    let rules = RuleSet::load(&Config::empty(".".into())).unwrap();
    // The text alone: the repository around the test (testdata's policies) is not read.
    let outcome = check_buffer(
        text.as_bytes(),
        Path::new("policy.yaml"),
        &[],
        &[],
        &Config::empty(".".into()),
        &rules,
    );
    outcome
        .findings
        .iter()
        .filter(|f| &*f.rule == "admission-policy")
        .map(|f| (f.severity.as_str().to_string(), f.message.clone()))
        .collect()
}

const POLICY: &str = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: p }
spec:
  failurePolicy: FAILURE
  matchConstraints:
    resourceRules: [ { apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments] } ]
  validations:
    - expression: EXPRESSION
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: b }
spec: { policyName: p, validationActions: [Deny] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec: { replicas: 2 }
";

fn policy(expression: &str, failure: &str) -> String {
    POLICY
        .replace("EXPRESSION", expression)
        .replace("FAILURE", failure)
}

#[test]
fn an_expression_that_does_not_compile_is_reported_once_at_the_policy() {
    let found = findings(&policy("\"object.spec.replicas <\"", "Fail"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "info");
    assert!(found[0].1.contains("does not compile"), "{found:?}");
}

#[test]
fn a_failing_expression_is_not_evaluated_unless_the_policy_ignores_failures() {
    let missing = "\"object.spec.template.spec.containers.size() > 0\"";
    let found = findings(&policy(missing, "Fail"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("fails on this object"), "{found:?}");
    assert_eq!(findings(&policy(missing, "Ignore")), Vec::new());
}

#[test]
fn request_and_old_object_are_those_of_a_create() {
    let create = "\"request.operation == 'CREATE' && oldObject == null && request.name == 'web'\"";
    assert_eq!(findings(&policy(create, "Fail")), Vec::new());
    let found = findings(&policy("\"request.operation == 'UPDATE'\"", "Fail"));
    assert_eq!(found[0].0, "error");
    assert!(
        found[0].1.starts_with("policy `p`: failed expression:"),
        "{found:?}"
    );
}

#[test]
fn a_broken_expression_reads_as_its_first_error_and_how_many_follow() {
    let env = library::environment();
    let long = "1 + ) ".repeat(200);
    let message = super::compile(&env, &long).err().unwrap();
    let (first, rest) = message.rsplit_once('\n').unwrap();
    assert!(
        first.starts_with("it does not compile: ERROR: <input>:1:"),
        "{first}"
    );
    assert!(rest.ends_with(" more errors)"), "{rest}");
    // The line and its caret once, not once per error.
    assert!(message.len() < 3 * long.len(), "{} bytes", message.len());
}

/// `1 + 1 + …` with `terms` terms: a tree that nests `terms` levels.
fn sum(terms: usize) -> String {
    vec!["1"; terms].join(" + ")
}

#[test]
fn deepest_evaluated_nesting_fits_a_worker_threads_stack() {
    let deepest = super::compile::MAX_DEPTH;
    // On a thread with the stack of the command's workers, whatever the test harness gives.
    let value = std::thread::Builder::new()
        .stack_size(crate::check::WORKER_STACK_BYTES)
        .spawn(move || eval(&sum(deepest)))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(value, Ok(Value::Int(deepest as i64)));
    let message = eval(&sum(deepest + 1)).unwrap_err();
    assert!(message.contains("levels deep"), "{message}");
}

#[test]
fn an_expression_nested_thousands_of_levels_deep_is_refused_without_a_crash() {
    let env = library::environment();
    // `1 + 1 + …` 20,000 deep overflowed the main thread's stack in a release build. A level
    // takes two bytes at least: `1+`, `.b`.
    for deep in [
        vec!["1"; 40_000].join("+"),
        format!("a{}", ".b".repeat(40_000)),
        format!("a{}", "[0]".repeat(30_000)),
    ] {
        let message = super::compile(&env, &deep).err().unwrap();
        assert!(message.contains("levels deep"), "{message}");
    }
    let broken = "1 + ) ".repeat(16_000);
    assert!(super::compile(&env, &broken).is_err());
}

#[test]
fn an_expression_longer_than_cel_gos_limit_is_refused_unparsed() {
    let env = library::environment();
    let message = super::compile(&env, &"1".repeat(100_001)).err().unwrap();
    assert_eq!(
        message,
        "it is 100001 characters long, over cel-go's limit of 100000"
    );
}

#[test]
fn a_long_expression_of_ordinary_depth_compiles() {
    // Shaped as gateway-api's safe-upgrades policy: over the length parsed in place, so it
    // is parsed on a thread of its own, whose stack a debug parser overflowed.
    let source = "object.spec.group != 'example.com' || oldObject == null || ( \
        has(object.metadata.annotations) && object.metadata.annotations.exists(k, k == 'example.com/channel') && \
        object.metadata.annotations['example.com/channel'] == 'standard' ) || ( \
        oldObject != null && has(oldObject.metadata.annotations) && oldObject.metadata.annotations.exists(k, k == 'example.com/channel') && \
        oldObject.metadata.annotations['example.com/channel'] == 'experimental' )";
    assert!(source.len() > 256, "{}", source.len());
    let env = library::environment();
    assert!(super::compile(&env, source).is_ok());
}
