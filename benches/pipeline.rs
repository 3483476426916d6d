//! The pipeline benchmark: a deterministic corpus shaped like a real repository, linted with
//! every rule, against a parse-only baseline over the same files; plus the whole-process time
//! of one small file on standard input, which is what an editor pays on save, and of one named
//! file, which is what a pre-commit run pays (it reads the repository to resolve references).
//!
//! `cargo bench --bench pipeline` (set `KUBELINT_BENCH_FILES` to change the corpus size).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubelint::check::check_paths;
use kubelint::config::Config;
use kubelint::discover::{self, read_text};
use kubelint::rules::RuleSet;
use rayon::prelude::*;

mod common;
use common::median;

const CONFIG: &str = r#"environments:
  prod:
    paths: ["prod/**"]
    platform: ack
    region: cn-shanghai
    namespace: prod
    registries:
      team.azurecr.io: { pull-secret: acr-secret }
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
  test:
    paths: ["test/**"]
    platform: aks
    region: koreacentral
"#;

/// The rules of the first issue, the baseline the rule pack's cost is measured against.
const FIRST_FOUR: &[&str] = &[
    "dockerhub-image-in-china",
    "mirror-digest",
    "missing-image-pull-secret",
    "hardcoded-clb-spec",
];

const IMAGES: &[&str] = &[
    "redis:7.2-alpine",
    "registry.cn-hangzhou.aliyuncs.com/library/redis:7.2-alpine",
    "team.azurecr.io/app/backend:prod-v0.6.0",
    "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "quay.io/prometheus/node-exporter:v1.8.2",
    "busybox",
];

/// One file: a Deployment, its Service and a ConfigMap, varied by `n` without randomness.
fn manifest(n: usize) -> String {
    let image = IMAGES[n % IMAGES.len()];
    let secrets = if n.is_multiple_of(3) {
        "      imagePullSecrets: [ { name: acr-secret } ]\n"
    } else {
        ""
    };
    format!(
        "# service {n}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{n}\n  labels: {{ app: app-{n}, tier: backend }}\nspec:\n  replicas: {replicas}\n  selector: {{ matchLabels: {{ app: app-{n} }} }}\n  template:\n    metadata: {{ labels: {{ app: app-{n} }} }}\n    spec:\n{secrets}      containers:\n        - name: app\n          image: \"{image}\"\n          ports: [ {{ containerPort: 8000 }} ]\n          env:\n            - {{ name: MODE, value: production }}\n            - name: DB\n              valueFrom: {{ secretKeyRef: {{ name: backend-secrets, key: mongodb-url }} }}\n          resources:\n            requests: {{ cpu: 100m, memory: 128Mi }}\n            limits: {{ cpu: 500m, memory: 512Mi }}\n          readinessProbe: {{ httpGet: {{ path: /health, port: 8000 }} }}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{n}\n  annotations:\n    service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small\nspec:\n  type: LoadBalancer\n  selector: {{ app: app-{n} }}\n  ports: [ {{ port: 80, targetPort: 8000 }} ]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: app-{n}-config }}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n",
        replicas = 1 + n % 3
    )
}

fn generate(root: &Path, files: usize) -> u64 {
    let mut bytes = 0;
    std::fs::write(root.join(".kubelint.yaml"), CONFIG).expect("corpus folder is writable");
    for n in 0..files {
        let env = ["prod", "test", "base"][n % 3];
        let dir = root.join(env).join(format!("team-{}", n / 100));
        std::fs::create_dir_all(&dir).expect("corpus folder is writable");
        let text = manifest(n);
        bytes += text.len() as u64;
        std::fs::write(dir.join(format!("app-{n}.yaml")), text).expect("corpus folder is writable");
    }
    bytes
}

fn time(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

fn main() {
    let files: usize = std::env::var("KUBELINT_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let corpus = tempfile::tempdir().expect("a temporary folder");
    let bytes = generate(corpus.path(), files);
    std::env::set_current_dir(corpus.path()).expect("the corpus folder exists");
    let config =
        Config::load(&corpus.path().join(".kubelint.yaml")).expect("the bench config is valid");
    let rules = RuleSet::load(&config).expect("the built-in rules compile");
    let paths = [PathBuf::from(".")];
    // The same run with only the first four rules (and the checks in code): the rule pack's
    // cost is the difference.
    let others: Vec<&str> = rules
        .rules()
        .iter()
        .filter(|r| r.on && !r.builtin && !FIRST_FOUR.contains(&&*r.id))
        .map(|r| &*r.id)
        .collect();
    let first_four_config = corpus.path().join("first-four.kubelint.yaml");
    std::fs::write(
        &first_four_config,
        format!("{CONFIG}rules:\n  disable: [{}]\n", others.join(", ")),
    )
    .expect("corpus folder is writable");
    let first_four_config = Config::load(&first_four_config).expect("the bench config is valid");
    let first_four = RuleSet::load(&first_four_config).expect("the built-in rules compile");
    // Every rule but the API ones: schema validation's cost is the difference.
    let no_schema_config = corpus.path().join("no-schema.kubelint.yaml");
    std::fs::write(
        &no_schema_config,
        format!("{CONFIG}rules:\n  disable: [schema-invalid, schema-unknown-kind, deprecated-api, removed-api]\n"),
    )
    .expect("corpus folder is writable");
    let no_schema_config = Config::load(&no_schema_config).expect("the bench config is valid");
    let no_schema = RuleSet::load(&no_schema_config).expect("the built-in rules compile");

    let parse_only = || {
        let inputs = discover::discover(&paths, &config).inputs;
        let documents: usize = inputs
            .par_iter()
            .map(|input| {
                let bytes = std::fs::read(&input.path).unwrap_or_default();
                let loaded = read_text(&input.display, &bytes);
                kubelint::yaml::parse(loaded.source.text).documents.len()
            })
            .sum();
        assert!(documents >= files);
    };
    let full = || check_paths(&paths, &config, &rules);
    let four = || check_paths(&paths, &first_four_config, &first_four);
    let without_schema = || check_paths(&paths, &no_schema_config, &no_schema);
    parse_only();
    let outcome = full();
    let (objects, findings) = (outcome.objects, outcome.findings.len());
    drop(outcome);
    let four_findings = four().findings.len();
    // Interleaved, so that a machine that speeds up or slows down during the run (shared
    // cores) weighs on all sides alike.
    let (mut parse_times, mut full_times, mut four_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut no_schema_times = Vec::new();
    for _ in 0..9 {
        parse_times.push(time(parse_only));
        four_times.push(time(|| drop(four())));
        full_times.push(time(|| drop(full())));
        no_schema_times.push(time(|| drop(without_schema())));
    }
    parse_times.sort();
    full_times.sort();
    four_times.sort();
    no_schema_times.sort();
    let (parse_only, full, four) = (parse_times[4], full_times[4], four_times[4]);
    let no_schema = no_schema_times[4];

    // On save an editor pipes its buffer in, standing for the file's path.
    let small = "prod/team-0/app-0.yaml";
    let text = std::fs::read(corpus.path().join(small)).expect("the corpus has its first file");
    let binary = env!("CARGO_BIN_EXE_kubelint");
    let run = |args: &[&str], stdin: Option<&[u8]>| {
        let mut child = std::process::Command::new(binary)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the kubelint binary runs");
        if let Some(mut pipe) = child.stdin.take() {
            std::io::Write::write_all(&mut pipe, stdin.unwrap_or_default())
                .expect("kubelint reads its input");
        }
        assert_eq!(child.wait().expect("kubelint ends").code(), Some(1));
    };
    let on_save = median(30, || {
        run(&["check", "-", "--stdin-filename", small], Some(&text))
    });
    // pre-commit names the file; the rest of the repository is read to resolve references.
    let named = median(5, || run(&["check", small], None));

    let mb = bytes as f64 / 1e6;
    let rate = |d: Duration| (files as f64 / d.as_secs_f64(), mb / d.as_secs_f64());
    let (pf, pm) = rate(parse_only);
    let (ff, fm) = rate(full);
    println!(
        "corpus: {files} files, {objects} objects, {mb:.1} MB, {findings} findings, {} threads",
        rayon::current_num_threads()
    );
    println!(
        "parse only (discover+read+parse):  {:>8.1} ms  {pf:>9.0} files/s  {pm:>6.1} MB/s",
        parse_only.as_secs_f64() * 1e3
    );
    println!(
        "full check (parse+model+rules):    {:>8.1} ms  {ff:>9.0} files/s  {fm:>6.1} MB/s",
        full.as_secs_f64() * 1e3
    );
    println!(
        "full / parse-only:                 {:>8.2}x",
        full.as_secs_f64() / parse_only.as_secs_f64()
    );
    println!(
        "without schema validation:         {:>8.1} ms  (full / this: {:.2}x)",
        no_schema.as_secs_f64() * 1e3,
        full.as_secs_f64() / no_schema.as_secs_f64()
    );
    println!(
        "first four rules only:             {:>8.1} ms  ({four_findings} findings)",
        four.as_secs_f64() * 1e3
    );
    println!(
        "all default rules / first four:    {:>8.2}x  ({} rules on)",
        full.as_secs_f64() / four.as_secs_f64(),
        rules.rules().iter().filter(|r| r.on).count()
    );
    println!(
        "one file on save (stdin), process: {:>8.2} ms",
        on_save.as_secs_f64() * 1e3
    );
    println!(
        "one named file + repo references:  {:>8.2} ms",
        named.as_secs_f64() * 1e3
    );
}
