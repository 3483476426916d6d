//! The same Pods as one flow-style line (what `jq -c` or `kubectl get -o json | jq -c` writes)
//! and as many lines (pretty JSON): linting time must grow linearly with the size in both
//! shapes, and the one-line shape must not cost much more than the other.
//!
//! `cargo bench --bench long_lines` (set `KUBELINT_BENCH_MB` to a list of sizes, e.g. `1,2,4`).
//! Each size reports, for each shape, the median of five runs of the check alone and of the
//! check plus the human and JSON reports (every Pod has one finding, so reports see as many
//! findings as Pods, all on one line in the one-line shape).

use std::path::Path;

use kubelint::check::check_text;
use kubelint::config::Config;
use kubelint::report::{self, FailOn, Format};
use kubelint::rules::RuleSet;
use serde_json::json;

mod common;
use common::median;

/// A `kind: List` of Pods, each with an ACR image and no pull secret, about `megabytes` MB.
fn pods(megabytes: usize) -> serde_json::Value {
    let pod = |n: usize| {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("app-{n}"),
                "labels": { "app": format!("app-{n}"), "tier": "backend" },
                "annotations": { "team.example.com/owner": "platform", "note": "x".repeat(64) },
            },
            "spec": {
                "containers": [{
                    "name": "app",
                    "image": format!("team.azurecr.io/app/backend:v{n}"),
                    "ports": [{ "containerPort": 8000 }],
                    "env": [{ "name": "MODE", "value": "production" }],
                    "resources": { "requests": { "cpu": "100m", "memory": "128Mi" } },
                }],
            },
        })
    };
    let one = serde_json::to_string(&pod(0)).map_or(500, |s| s.len());
    let count = megabytes * 1_000_000 / one;
    json!({ "apiVersion": "v1", "kind": "List", "items": (0..count).map(pod).collect::<Vec<_>>() })
}

fn main() {
    let sizes: Vec<usize> = std::env::var("KUBELINT_BENCH_MB")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 4, 8]);
    let config = Config::empty(std::env::current_dir().unwrap_or_default());
    let rules = RuleSet::load(&config).expect("the built-in rules compile");
    let context = report::Context {
        rules: &rules,
        color: false,
        root: None,
        step_summary: None,
        fail_on: FailOn::Error,
    };
    let path = Path::new("pods.json");
    println!("| size | shape | bytes | findings | check | check + human + json |");
    println!("|---|---|---|---|---|---|");
    for megabytes in sizes {
        let value = pods(megabytes);
        let shapes = [
            ("one line", serde_json::to_string(&value)),
            ("many lines", serde_json::to_string_pretty(&value)),
        ];
        for (shape, text) in shapes {
            let text = text.expect("JSON serialises");
            let mut findings = 0;
            let check = median(5, || {
                findings = check_text(text.as_bytes(), path, &config, &rules)
                    .findings
                    .len()
            });
            let reported = median(5, || {
                let outcome = check_text(text.as_bytes(), path, &config, &rules);
                for format in [Format::Human, Format::Json] {
                    report::write(&outcome, format, &context, &mut std::io::sink())
                        .expect("writing to a sink");
                }
            });
            println!(
                "| {megabytes} MB | {shape} | {} | {findings} | {:.0} ms | {:.0} ms |",
                text.len(),
                check.as_secs_f64() * 1000.0,
                reported.as_secs_f64() * 1000.0
            );
        }
    }
}
