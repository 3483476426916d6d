//! What static Helm values linting adds to a run: 100 charts (each a `Chart.yaml`, a
//! `values.yaml` with several image blocks and annotation maps, `values-prod.yaml` and
//! `values-test.yaml`, and templates), checked with every rule, against the same bytes as
//! plain YAML files that are no chart's values (parsed, but never layered or read as images).
//!
//! `cargo bench --bench helm` (set `KUBELINT_BENCH_CHARTS` to change the number of charts).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubelint::check::check_paths;
use kubelint::config::Config;
use kubelint::rules::RuleSet;

const CONFIG: &str = r#"environments:
  prod:
    paths: []
    platform: ack
    region: cn-shanghai
    registries:
      team.azurecr.io: { pull-secret: acr-secret }
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
  test:
    paths: []
    platform: aks
    region: koreacentral
"#;

fn values(n: usize) -> String {
    let mut text = format!("replicaCount: {}\nimagePullSecrets: []\n", 1 + n % 3);
    for component in ["controller", "webhook", "metrics", "backend", "worker"] {
        text.push_str(&format!(
            "{component}:\n  image:\n    registry: registry.k8s.io\n    repository: team/{component}-{n}\n    tag: v1.{n}.0\n    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n    pullPolicy: IfNotPresent\n  service:\n    type: ClusterIP\n    port: 80\n    annotations:\n      prometheus.io/scrape: \"true\"\n  resources:\n    requests: {{ cpu: 100m, memory: 128Mi }}\n    limits: {{ cpu: 500m, memory: 512Mi }}\n  nodeSelector: {{}}\n  tolerations: []\n  extraArgs: [--v=2, --log-format=json]\n"
        ));
    }
    text
}

const PROD: &str = "controller:\n  image:\n    registry: registry.cn-hangzhou.aliyuncs.com\n    digest: \"\"\n  service:\n    type: LoadBalancer\n    annotations:\n      service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: slb.s1.small\n";
const TEST: &str = "worker:\n  image:\n    repository: team.azurecr.io/worker\n";
const TEMPLATE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n";

/// `charts` charts under `charts/`; as plain files (`as_charts` false), the same texts
/// under names no chart or config makes values.
fn generate(root: &Path, charts: usize, as_charts: bool) {
    std::fs::write(root.join(".kubelint.yaml"), CONFIG).expect("bench folder is writable");
    for n in 0..charts {
        let dir = root.join("charts").join(format!("app-{n}"));
        std::fs::create_dir_all(dir.join("templates")).expect("bench folder is writable");
        let chart =
            format!("apiVersion: v2\nname: app-{n}\nversion: 0.1.{n}\nappVersion: \"1.{n}\"\n");
        let (prefix, chart_name) = if as_charts {
            ("values", "Chart.yaml")
        } else {
            ("data", "chart.yaml")
        };
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).expect("bench folder is writable")
        };
        write(chart_name, &chart);
        write(&format!("{prefix}.yaml"), &values(n));
        write(&format!("{prefix}-prod.yaml"), PROD);
        write(&format!("{prefix}-test.yaml"), TEST);
        write("templates/deployment.yaml", TEMPLATE);
    }
}

fn time(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

fn main() {
    let charts: usize = std::env::var("KUBELINT_BENCH_CHARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let with_charts = tempfile::tempdir().expect("a temporary folder");
    let plain = tempfile::tempdir().expect("a temporary folder");
    generate(with_charts.path(), charts, true);
    generate(plain.path(), charts, false);
    let run = |root: &Path| {
        std::env::set_current_dir(root).expect("the bench folder exists");
        let config = Config::load(&root.join(".kubelint.yaml")).expect("the bench config is valid");
        let rules = RuleSet::load(&config).expect("the built-in rules compile");
        check_paths(&[PathBuf::from(".")], &config, &rules)
    };
    let charted = run(with_charts.path());
    assert!(
        charted.findings.len() >= charts,
        "each chart's prod values hard-code the CLB spec"
    );
    let (objects, findings) = (charted.objects, charted.findings.len());
    drop(charted);
    let baseline = run(plain.path());
    assert!(baseline.findings.is_empty());
    drop(baseline);
    // Interleaved, so that a machine that speeds up or slows down weighs on both sides alike.
    let (mut helm_times, mut plain_times) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        helm_times.push(time(|| drop(run(with_charts.path()))));
        plain_times.push(time(|| drop(run(plain.path()))));
    }
    helm_times.sort();
    plain_times.sort();
    let (helm, plain_time) = (helm_times[7], plain_times[7]);
    let added = helm.saturating_sub(plain_time);
    println!(
        "{charts} charts, {} releases' objects, {findings} findings",
        objects
    );
    println!(
        "check with values layered:     {:>7.1} ms (median of 15)",
        helm.as_secs_f64() * 1e3
    );
    println!(
        "same files, not values:        {:>7.1} ms",
        plain_time.as_secs_f64() * 1e3
    );
    println!(
        "added by static values linting: {:>6.1} ms (target < 50 ms)",
        added.as_secs_f64() * 1e3
    );
}
