//! The generated repository the session and editor benchmarks share: each file a Deployment,
//! its Service and a ConfigMap, whose `secretKeyRef` names an external Secret of the config and
//! whose `configMapKeyRef` names the ConfigMap of the next file, so every file resolves
//! against the others. Also the median the benchmarks report. Each benchmark uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"environments:
  prod:
    paths: ["**"]
    namespace: shop
    external-secrets: { backend-secrets: [mongodb-url] }
"#;

fn manifest(n: usize, files: usize) -> String {
    let next = (n + 1) % files;
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{n}\n  labels: {{ app: app-{n} }}\nspec:\n  selector: {{ matchLabels: {{ app: app-{n} }} }}\n  template:\n    metadata: {{ labels: {{ app: app-{n} }} }}\n    spec:\n      containers:\n        - name: app\n          image: \"team.example.com/app:1.{n}.0\"\n          ports: [ {{ name: http, containerPort: 8000 }} ]\n          env:\n            - name: DB\n              valueFrom: {{ secretKeyRef: {{ name: backend-secrets, key: mongodb-url }} }}\n            - name: LEVEL\n              valueFrom: {{ configMapKeyRef: {{ name: app-{next}-config, key: LOG_LEVEL }} }}\n          resources:\n            requests: {{ cpu: 100m, memory: 128Mi }}\n            limits: {{ memory: 512Mi }}\n---\napiVersion: v1\nkind: Service\nmetadata: {{ name: app-{n} }}\nspec:\n  selector: {{ app: app-{n} }}\n  ports: [ {{ name: http, port: 80, targetPort: http }} ]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: app-{n}-config }}\ndata: {{ LOG_LEVEL: info }}\n"
    )
}

pub fn generate(root: &Path, files: usize) {
    std::fs::write(root.join(".kubelint.yaml"), CONFIG).expect("corpus folder is writable");
    for n in 0..files {
        let dir = root.join(format!("team-{}", n / 100));
        std::fs::create_dir_all(&dir).expect("corpus folder is writable");
        std::fs::write(dir.join(format!("app-{n}.yaml")), manifest(n, files))
            .expect("corpus folder is writable");
    }
}

/// The median of `runs` timings after one warm-up run.
pub fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    work();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
