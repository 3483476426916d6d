//! What ValidatingAdmissionPolicy evaluation adds to a run: 10 policies (each bound with
//! Deny, matching Deployments) evaluated against 10,000 Deployments in 100 files, against the
//! same files without the policies' bindings (so nothing is evaluated).
//!
//! `cargo bench --bench admission` (`KUBELINT_BENCH_OBJECTS` changes the number of objects).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubelint::check::check_paths;
use kubelint::config::Config;
use kubelint::rules::RuleSet;

/// Ten validations of the kinds clusters enforce: limits, labels, registries, quantities.
const VALIDATIONS: [&str; 10] = [
    "object.spec.replicas <= 20",
    "has(object.metadata.labels) && 'team' in object.metadata.labels",
    "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
    "object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits))",
    "object.spec.template.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(quantity('2Gi')) <= 0)",
    "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))",
    "object.metadata.name.matches('^[a-z0-9-]+$')",
    "!has(object.spec.template.spec.hostNetwork) || !object.spec.template.spec.hostNetwork",
    "object.spec.template.spec.containers.map(c, c.name).size() == object.spec.template.spec.containers.size()",
    "object.spec.template.spec.containers.all(c, c.name.size() <= 63)",
];

fn policies(bound: bool) -> String {
    let mut text = String::new();
    for (n, expression) in VALIDATIONS.iter().enumerate() {
        text.push_str(&format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{ name: policy-{n} }}\nspec:\n  matchConstraints:\n    resourceRules: [ {{ apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments] }} ]\n  validations:\n    - expression: \"{expression}\"\n---\n"
        ));
        if bound {
            text.push_str(&format!(
                "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{ name: policy-{n} }}\nspec: {{ policyName: policy-{n}, validationActions: [Deny] }}\n---\n"
            ));
        }
    }
    text
}

fn deployment(n: usize) -> String {
    // Every tenth breaks the replica limit, so findings are made too.
    let replicas = if n.is_multiple_of(10) { 30 } else { 3 };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{n}\n  labels: {{ team: shop, app: app-{n} }}\nspec:\n  replicas: {replicas}\n  selector: {{ matchLabels: {{ app: app-{n} }} }}\n  template:\n    metadata: {{ labels: {{ app: app-{n} }} }}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/shop/app-{n}:1.{n}.0\n          resources:\n            requests: {{ cpu: 100m, memory: 128Mi }}\n            limits: {{ cpu: 500m, memory: 512Mi }}\n        - name: sidecar\n          image: registry.example.com/shop/proxy:2.1.0\n          resources:\n            limits: {{ cpu: 100m, memory: 64Mi }}\n---\n"
    )
}

fn generate(root: &Path, objects: usize, bound: bool) {
    std::fs::write(root.join("policies.yaml"), policies(bound)).expect("bench folder is writable");
    let per_file = 100;
    for file in 0..objects.div_ceil(per_file) {
        let text: String = (file * per_file..((file + 1) * per_file).min(objects))
            .map(deployment)
            .collect();
        std::fs::write(root.join(format!("apps-{file}.yaml")), text)
            .expect("bench folder is writable");
    }
}

fn time(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

fn main() {
    let objects: usize = std::env::var("KUBELINT_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let bound = tempfile::tempdir().expect("a temporary folder");
    let unbound = tempfile::tempdir().expect("a temporary folder");
    generate(bound.path(), objects, true);
    generate(unbound.path(), objects, false);
    let config = Config::empty(PathBuf::from("."));
    let rules = RuleSet::load(&config).expect("the built-in rules compile");
    let run = |root: &Path| check_paths(&[root.to_path_buf()], &config, &rules);
    let count = |outcome: &kubelint::check::Outcome| {
        outcome
            .findings
            .iter()
            .filter(|f| &*f.rule == "admission-policy")
            .count()
    };
    let evaluated = run(bound.path());
    assert_eq!(
        count(&evaluated),
        objects.div_ceil(10),
        "every tenth object is denied"
    );
    drop(evaluated);
    assert_eq!(count(&run(unbound.path())), 0);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    // Interleaved, so that a machine that speeds up or slows down weighs on both sides alike.
    for _ in 0..7 {
        with.push(time(|| drop(run(bound.path()))));
        without.push(time(|| drop(run(unbound.path()))));
    }
    with.sort();
    without.sort();
    let (with, without) = (with[3], without[3]);
    let added = with.saturating_sub(without);
    println!(
        "{} policies x {objects} objects ({} evaluations)",
        VALIDATIONS.len(),
        VALIDATIONS.len() * objects
    );
    println!(
        "check with the policies bound: {:>8.1} ms (median of 7)",
        with.as_secs_f64() * 1e3
    );
    println!(
        "same files, policies unbound:  {:>8.1} ms",
        without.as_secs_f64() * 1e3
    );
    println!(
        "added by policy evaluation:    {:>8.1} ms ({:.2} µs per policy and object)",
        added.as_secs_f64() * 1e3,
        added.as_secs_f64() * 1e6 / (VALIDATIONS.len() * objects) as f64
    );
}
