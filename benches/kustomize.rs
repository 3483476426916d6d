//! Kustomize builds: 300 overlays over 10 shared bases, built and linted with every rule, in
//! the three environments the overlays deploy to. Each overlay sets a namespace, a name
//! prefix, labels, an `images:` entry, a strategic merge patch and a JSON patch, and generates
//! a ConfigMap, so every transformer runs on every object of every build.
//!
//! `cargo bench --bench kustomize` (set `KUBELINT_BENCH_OVERLAYS` to change the count).

use std::path::Path;
use std::time::{Duration, Instant};

use kubelint::check::check_paths;
use kubelint::config::Config;
use kubelint::rules::RuleSet;

const CONFIG: &str = r#"environments:
  prod:
    paths: ["overlays/prod-*"]
    platform: ack
    region: cn-shanghai
    registries:
      team.azurecr.io: { pull-secret: acr-secret }
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
  staging:
    paths: ["overlays/staging-*"]
    platform: ack
    region: cn-hangzhou
  test:
    paths: ["overlays/test-*"]
    platform: aks
    region: koreacentral
"#;

fn base(n: usize) -> [(String, String); 3] {
    let dir = format!("bases/app-{n}");
    [
        (
            format!("{dir}/kustomization.yaml"),
            "resources: [deployment.yaml, service.yaml]\ncommonLabels: { app.kubernetes.io/part-of: bench }\n".into(),
        ),
        (
            format!("{dir}/deployment.yaml"),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{ name: app-{n} }}\nspec:\n  replicas: 1\n  selector: {{ matchLabels: {{ app: app-{n} }} }}\n  template:\n    metadata: {{ labels: {{ app: app-{n} }} }}\n    spec:\n      containers:\n        - name: app\n          image: team/app-{n}\n          envFrom: [ {{ configMapRef: {{ name: settings }} }} ]\n          resources:\n            requests: {{ cpu: 100m, memory: 128Mi }}\n            limits: {{ memory: 256Mi }}\n          readinessProbe: {{ httpGet: {{ path: /ready, port: 8000 }} }}\n          livenessProbe: {{ httpGet: {{ path: /live, port: 8000 }} }}\n        - name: cache\n          image: redis:7.2-alpine\n"),
        ),
        (
            format!("{dir}/service.yaml"),
            format!("apiVersion: v1\nkind: Service\nmetadata: {{ name: app-{n} }}\nspec:\n  selector: {{ app: app-{n} }}\n  ports: [ {{ port: 80, targetPort: 8000 }} ]\n"),
        ),
    ]
}

fn overlay(env: &str, n: usize, bases: usize) -> (String, String) {
    let base = n % bases;
    (
        format!("overlays/{env}-{n}/kustomization.yaml"),
        format!(
            "resources: [../../bases/app-{base}]\nnamespace: {env}-{n}\nnamePrefix: {env}-\nlabels:\n  - pairs: {{ team: t{n} }}\n    includeSelectors: true\nimages:\n  - name: team/app-{base}\n    newName: team.azurecr.io/app-{base}\n    newTag: v1.{n}.0\nconfigMapGenerator:\n  - name: settings\n    literals: [MODE={env}, SHARD={n}]\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {{ name: app-{base} }}\n      spec:\n        template:\n          spec:\n            imagePullSecrets: [ {{ name: acr-secret }} ]\n  - target: {{ kind: Deployment }}\n    patch: |-\n      - {{ op: replace, path: /spec/replicas, value: 3 }}\n"
        ),
    )
}

fn main() {
    let overlays: usize = std::env::var("KUBELINT_BENCH_OVERLAYS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let bases = 10;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("writable");
        std::fs::write(path, text).expect("writable");
    };
    write(".kubelint.yaml", CONFIG);
    for n in 0..bases {
        for (path, text) in base(n) {
            write(&path, &text);
        }
    }
    let envs = ["prod", "staging", "test"];
    for n in 0..overlays {
        let (path, text) = overlay(envs[n % envs.len()], n, bases);
        write(&path, &text);
    }
    std::env::set_current_dir(root).expect("the corpus folder");
    let config = Config::load(Path::new(".kubelint.yaml")).expect("the bench config loads");
    let rules = RuleSet::load(&config).expect("the built-in rules load");
    let paths = [root.to_path_buf()];
    let run = || {
        let started = Instant::now();
        let outcome = check_paths(&paths, &config, &rules);
        (started.elapsed(), outcome.objects, outcome.findings.len())
    };
    let (_, objects, findings) = run();
    let mut times: Vec<Duration> = (0..15).map(|_| run().0).collect();
    times.sort();
    println!(
        "{overlays} overlays over {bases} bases: {objects} built objects, {findings} findings"
    );
    println!(
        "build and lint, all default rules: median {:.1} ms (min {:.1}, max {:.1}) over {} runs",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}
