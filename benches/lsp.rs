//! The editor benchmark, through the protocol: `kubelint lsp`'s server on an in-memory
//! connection (as over stdio, without the pipe) in a generated 5,000-file workspace.
//!
//! - the first diagnostics of a buffer opened right after `initialize`, against the time the
//!   background workspace read takes (the first must not wait for the second);
//! - one changed buffer re-linted: `didChange` to its `publishDiagnostics`, less the 200 ms
//!   the server waits for typing to pause (target 10 ms).
//!
//! `cargo bench --bench lsp`; medians, after one warm-up run.

use std::path::Path;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

mod common;
use common::generate;

/// What the server waits after a change before it lints (`server::DEBOUNCE`).
const DEBOUNCE: Duration = Duration::from_millis(200);

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn notify(client: &Connection, method: &str, params: Value) {
    let notification = Notification::new(method.into(), params);
    client
        .sender
        .send(Message::Notification(notification))
        .expect("the server is running");
}

/// Waits for the next diagnostics of `uri` with `version` (any version when `None`).
fn diagnostics(client: &Connection, uri: &str, version: Option<i64>) {
    loop {
        match client.receiver.recv().expect("the server answers") {
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                let same_uri = n.params["uri"] == uri;
                let same_version = version.is_none_or(|v| n.params["version"] == v);
                if same_uri && same_version {
                    return;
                }
            }
            Message::Request(request) => {
                // A watcher registration: accept it as a client does.
                let response = lsp_server::Response::new_ok(request.id, Value::Null);
                client
                    .sender
                    .send(Message::Response(response))
                    .expect("the server is running");
            }
            _ => {}
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let workspace = tempfile::tempdir().expect("a temporary folder");
    generate(workspace.path(), 5_000);
    let root = std::fs::canonicalize(workspace.path()).expect("the workspace exists");
    std::env::set_current_dir(&root).expect("the workspace exists");
    let (server, client) = Connection::memory();
    let server = std::thread::spawn(move || kubelint::lsp::serve(server));

    let started = Instant::now();
    let initialize = Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }),
    );
    client
        .sender
        .send(Message::Request(initialize))
        .expect("the server is running");
    match client.receiver.recv().expect("the server answers") {
        Message::Response(response) => assert!(response.response_result.is_ok(), "{response:?}"),
        other => panic!("expected the initialize response, got {other:?}"),
    }
    notify(&client, "initialized", json!({}));
    let path = root.join("team-7/app-777.yaml");
    let uri = uri(&path);
    let text = std::fs::read_to_string(&path).expect("the workspace has the file");
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
    );
    diagnostics(&client, &uri, Some(1));
    let first = started.elapsed();
    // Once the workspace is read, the server lints the open buffer again.
    diagnostics(&client, &uri, Some(1));
    let loaded = started.elapsed();
    println!(
        "first diagnostics of a buffer opened at start: {:>8.1} ms",
        ms(first)
    );
    println!(
        "workspace of 5,000 files read (background):    {:>8.1} ms",
        ms(loaded)
    );

    let mut version = 1;
    let relint = |version: &mut i64| {
        *version += 1;
        let changed = format!("{text}# edit {version}\n");
        let sent = Instant::now();
        notify(
            &client,
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": *version },
                "contentChanges": [ { "text": changed } ],
            }),
        );
        diagnostics(&client, &uri, Some(*version));
        sent.elapsed().saturating_sub(DEBOUNCE)
    };
    relint(&mut version);
    let mut times: Vec<Duration> = (0..31).map(|_| relint(&mut version)).collect();
    times.sort();
    println!(
        "didChange to publishDiagnostics, less the {} ms debounce, 5,000 files: {:>6.2} ms",
        DEBOUNCE.as_millis(),
        ms(times[times.len() / 2])
    );

    let shutdown = Request::new(RequestId::from(2), "shutdown".into(), Value::Null);
    client
        .sender
        .send(Message::Request(shutdown))
        .expect("the server is running");
    notify(&client, "exit", Value::Null);
    drop(client);
    let _ = server.join();
}
