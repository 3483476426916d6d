//! The protocol over an in-memory connection: the server runs on its own thread, as over stdio.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notify, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionOrCommand, Diagnostic, HoverContents, NumberOrString, Position,
    PublishDiagnosticsParams, Range, TextEdit, Uri,
};
use serde_json::{Value, json};

use super::convert::{self, Encoding};
use super::serve;

/// Long enough for a slow, shared machine; a hang fails the test instead of stalling it.
const PATIENCE: Duration = Duration::from_secs(60);

/// A Pod whose fourth line holds non-ASCII text, an astral character among it, before the
/// `latest` tag that `mutable-image-tag` flags.
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: { name: \"café-🚀\" }\nspec: { containers: [ { name: \"日本🚀\", image: \"redis:latest\" } ] }\n";

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<bool, String>>>,
    next_id: i32,
    /// Notifications read while waiting for something else.
    seen: Vec<Notification>,
    root: tempfile::TempDir,
}

impl Client {
    /// A server on a workspace holding `files`, initialized with `capabilities`.
    fn start(files: &[(&str, &str)], capabilities: Value) -> Client {
        let root = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let (server, connection) = Connection::memory();
        let server = std::thread::spawn(move || serve(server));
        let mut client = Client {
            connection,
            server: Some(server),
            next_id: 0,
            seen: Vec::new(),
            root,
        };
        let uri = client.uri("");
        let result = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri, "capabilities": capabilities }),
        );
        assert!(result.response_result.is_ok(), "{result:?}");
        client.notify("initialized", json!({}));
        client
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    fn uri(&self, relative: &str) -> Uri {
        convert::uri_of(&self.path(relative)).unwrap()
    }

    fn notify(&self, method: &str, params: Value) {
        let notification = Notification::new(method.into(), params);
        self.connection
            .sender
            .send(Message::Notification(notification))
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.into(), params);
        self.connection
            .sender
            .send(Message::Request(request))
            .unwrap();
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => return response,
                Message::Notification(notification) => self.seen.push(notification),
                _ => {}
            }
        }
    }

    fn receive(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(PATIENCE)
            .expect("the server answers")
    }

    /// The next notification `method`, among those seen already or still to come.
    fn notification(&mut self, method: &str) -> Value {
        if let Some(index) = self.seen.iter().position(|n| n.method == method) {
            return self.seen.remove(index).params;
        }
        loop {
            match self.receive() {
                Message::Notification(n) if n.method == method => return n.params,
                Message::Notification(n) => self.seen.push(n),
                _ => {}
            }
        }
    }

    /// The diagnostics of the next publication for `relative` that `wanted` accepts.
    fn diagnostics(
        &mut self,
        relative: &str,
        wanted: impl Fn(&[Diagnostic]) -> bool,
    ) -> Vec<Diagnostic> {
        let uri = self.uri(relative);
        loop {
            let params: PublishDiagnosticsParams =
                serde_json::from_value(self.notification(notify::PublishDiagnostics::METHOD))
                    .unwrap();
            if params.uri == uri && wanted(&params.diagnostics) {
                return params.diagnostics;
            }
        }
    }

    fn open(&self, relative: &str, text: &str) {
        self.notify(
            notify::DidOpenTextDocument::METHOD,
            json!({ "textDocument": {
                "uri": self.uri(relative), "languageId": "yaml", "version": 1, "text": text
            }}),
        );
    }

    fn change(&self, relative: &str, version: i32, text: &str) {
        self.notify(
            notify::DidChangeTextDocument::METHOD,
            json!({
                "textDocument": { "uri": self.uri(relative), "version": version },
                "contentChanges": [ { "text": text } ]
            }),
        );
    }

    fn shutdown(mut self) {
        let response = self.request(req::Shutdown::METHOD, Value::Null);
        assert!(response.response_result.is_ok(), "{response:?}");
        self.notify(notify::Exit::METHOD, Value::Null);
        let outcome = self.server.take().unwrap().join().unwrap();
        assert_eq!(outcome, Ok(true));
    }
}

fn has(rule: &str) -> impl Fn(&[Diagnostic]) -> bool + '_ {
    move |diagnostics| diagnostics.iter().any(|d| code(d) == rule)
}

fn lacks(rule: &str) -> impl Fn(&[Diagnostic]) -> bool + '_ {
    move |diagnostics| !diagnostics.iter().any(|d| code(d) == rule)
}

fn code(diagnostic: &Diagnostic) -> &str {
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => code,
        _ => "",
    }
}

fn find<'d>(diagnostics: &'d [Diagnostic], rule: &str) -> &'d Diagnostic {
    diagnostics.iter().find(|d| code(d) == rule).unwrap()
}

const CONFIG: &str = "rules: {}\n";

#[test]
fn an_opened_buffer_gets_diagnostics_at_utf16_positions_on_a_non_ascii_line() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    let diagnostics = client.diagnostics("pod.yaml", has("mutable-image-tag"));
    let tag = find(&diagnostics, "mutable-image-tag");
    // `latest` starts after 51 characters, one of them astral: two UTF-16 units.
    assert_eq!(
        tag.range,
        Range::new(Position::new(3, 52), Position::new(3, 58))
    );
    assert_eq!(tag.source.as_deref(), Some("kubelint"));
    let href = tag.code_description.as_ref().unwrap().href.as_str();
    assert!(href.ends_with("docs/rules.md#mutable-image-tag"), "{href}");
    client.shutdown();
}

#[test]
fn a_client_that_offers_utf8_gets_byte_columns() {
    let capabilities = json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } });
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], capabilities);
    client.open("pod.yaml", POD);
    let diagnostics = client.diagnostics("pod.yaml", has("mutable-image-tag"));
    let start = POD.lines().nth(3).unwrap().find("latest").unwrap() as u32;
    let tag = find(&diagnostics, "mutable-image-tag");
    assert_eq!(tag.range.start, Position::new(3, start));
    client.shutdown();
}

#[test]
fn a_changed_buffer_is_linted_again_from_its_new_text() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    client.diagnostics("pod.yaml", has("mutable-image-tag"));
    client.change("pod.yaml", 2, &POD.replace("redis:latest", "redis:7.2.4"));
    client.diagnostics("pod.yaml", lacks("mutable-image-tag"));
    client.shutdown();
}

/// Applies one file's text edits, as an editor would.
fn apply(text: &str, edits: &[TextEdit]) -> String {
    let file = crate::source::SourceFile::new("", text);
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let start = convert::offset(&file, e.range.start, Encoding::Utf16);
            let end = convert::offset(&file, e.range.end, Encoding::Utf16);
            (start, end, e.new_text.as_str())
        })
        .collect();
    edits.sort();
    let mut out = text.to_string();
    for (start, end, new) in edits.into_iter().rev() {
        out.replace_range(start..end, new);
    }
    out
}

fn actions_at(client: &mut Client, relative: &str, at: Position) -> Vec<lsp_types::CodeAction> {
    let response = client.request(
        req::CodeActionRequest::METHOD,
        json!({
            "textDocument": { "uri": client.uri(relative) },
            "range": Range::new(at, at),
            "context": { "diagnostics": [] }
        }),
    );
    let actions: Vec<CodeActionOrCommand> =
        serde_json::from_value(response.response_result.unwrap()).unwrap();
    actions
        .into_iter()
        .filter_map(|a| match a {
            CodeActionOrCommand::CodeAction(action) => Some(action),
            CodeActionOrCommand::Command(_) => None,
        })
        .collect()
}

#[allow(clippy::mutable_key_type)] // `Uri` hashes its text; see `actions::workspace_edit`.
fn edits_of(action: &lsp_types::CodeAction, uri: &Uri) -> Vec<TextEdit> {
    let changes = action.edit.as_ref().unwrap().changes.as_ref().unwrap();
    changes[uri].clone()
}

#[test]
fn code_actions_offer_the_rules_fix_and_a_suppression_for_the_line() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    let diagnostics = client.diagnostics("pod.yaml", has("privilege-escalation-allowed"));
    let at = find(&diagnostics, "privilege-escalation-allowed")
        .range
        .start;
    let actions = actions_at(&mut client, "pod.yaml", at);
    let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
    let uri = client.uri("pod.yaml");
    let fix = actions
        .iter()
        .find(|a| a.title == "set allowPrivilegeEscalation: false")
        .unwrap_or_else(|| panic!("{titles:?}"));
    let fixed = apply(POD, &edits_of(fix, &uri));
    assert!(fixed.contains("allowPrivilegeEscalation: false"), "{fixed}");
    client.change("pod.yaml", 2, &fixed);
    client.diagnostics("pod.yaml", lacks("privilege-escalation-allowed"));

    let disable = actions
        .iter()
        .find(|a| a.title == "Disable privilege-escalation-allowed for this line")
        .unwrap_or_else(|| panic!("{titles:?}"));
    let edits = edits_of(disable, &uri);
    assert_eq!(
        edits,
        vec![TextEdit::new(
            Range::new(Position::new(3, 0), Position::new(3, 0)),
            "# kubelint-disable-next-line privilege-escalation-allowed\n".into()
        )]
    );
    client.change("pod.yaml", 3, &apply(POD, &edits));
    let after = client.diagnostics("pod.yaml", lacks("privilege-escalation-allowed"));
    assert!(has("mutable-image-tag")(&after), "{after:?}");
    client.shutdown();
}

#[test]
fn hover_on_a_finding_shows_the_rules_explanation() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    let diagnostics = client.diagnostics("pod.yaml", has("mutable-image-tag"));
    let at = find(&diagnostics, "mutable-image-tag").range.start;
    let params = json!({
        "textDocument": { "uri": client.uri("pod.yaml") },
        "position": Position::new(at.line, at.character + 1)
    });
    let response = client.request(req::HoverRequest::METHOD, params.clone());
    let hover: lsp_types::Hover =
        serde_json::from_value(response.response_result.unwrap()).unwrap();
    let HoverContents::Markup(markup) = hover.contents else {
        panic!("{hover:?}")
    };
    let rules = crate::rules::RuleSet::load(&crate::config::Config::empty(".".into())).unwrap();
    let explained = crate::rules::docs::explain(rules.get("mutable-image-tag").unwrap());
    assert_eq!(markup.value, explained);
    let nothing = json!({
        "textDocument": { "uri": client.uri("pod.yaml") },
        "position": Position::new(0, 0)
    });
    let response = client.request(req::HoverRequest::METHOD, nothing);
    assert_eq!(response.response_result.ok(), Some(Value::Null));
    client.shutdown();
}

#[test]
fn saving_the_config_reloads_rules_and_a_broken_one_keeps_the_old() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    client.diagnostics("pod.yaml", has("mutable-image-tag"));
    let save = |client: &Client| {
        client.notify(
            notify::DidSaveTextDocument::METHOD,
            json!({ "textDocument": { "uri": client.uri(".kubelint.yaml") } }),
        )
    };
    std::fs::write(
        client.path(".kubelint.yaml"),
        "rules:\n  disable: [mutable-image-tag]\n",
    )
    .unwrap();
    save(&client);
    client.diagnostics("pod.yaml", lacks("mutable-image-tag"));

    std::fs::write(client.path(".kubelint.yaml"), "rules:\n  disable: [\n").unwrap();
    save(&client);
    let shown = client.notification(notify::ShowMessage::METHOD);
    let message = shown["message"].as_str().unwrap();
    assert_eq!(shown["type"], json!(1), "an error: {shown}");
    assert!(message.contains(".kubelint.yaml:"), "{message}");
    let at = message.split(".kubelint.yaml:").nth(1).unwrap();
    let mut numbers = at.split(':').take(2).map(|n| n.trim().parse::<u32>());
    assert!(numbers.all(|n| n.is_ok()), "line:column in {message}");
    client.change("pod.yaml", 2, POD);
    client.diagnostics("pod.yaml", lacks("mutable-image-tag"));
    client.shutdown();
}

#[test]
fn a_closed_buffer_has_its_diagnostics_cleared() {
    let mut client = Client::start(&[(".kubelint.yaml", CONFIG)], json!({}));
    client.open("pod.yaml", POD);
    client.diagnostics("pod.yaml", has("mutable-image-tag"));
    client.notify(
        notify::DidCloseTextDocument::METHOD,
        json!({ "textDocument": { "uri": client.uri("pod.yaml") } }),
    );
    client.diagnostics("pod.yaml", |d| d.is_empty());
    client.shutdown();
}

#[test]
fn bad_params_and_unknown_methods_are_error_responses_not_crashes() {
    let mut client = Client::start(&[], json!({}));
    let response = client.request(req::HoverRequest::METHOD, json!({ "nonsense": true }));
    assert_eq!(
        response.response_result.err().map(|e| e.code),
        Some(lsp_server::ErrorCode::InvalidParams as i32)
    );
    let response = client.request("kubelint/unknown", json!({}));
    assert_eq!(
        response.response_result.err().map(|e| e.code),
        Some(lsp_server::ErrorCode::MethodNotFound as i32)
    );
    client.notify(
        notify::DidOpenTextDocument::METHOD,
        json!({ "textDocument": 7 }),
    );
    client.open("pod.yaml", POD);
    client.diagnostics("pod.yaml", has("mutable-image-tag"));
    client.shutdown();
}

#[test]
fn the_server_ends_when_its_input_closes() {
    let client = Client::start(&[], json!({}));
    let Client {
        connection, server, ..
    } = client;
    drop(connection);
    assert_eq!(server.unwrap().join().unwrap(), Ok(false));
}

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { LOG_LEVEL: info }\n";

const POD_WITH_KEY: &str = "apiVersion: v1\nkind: Pod\nmetadata: { name: web }\nspec:\n  containers:\n    - name: web\n      image: nginx:1.25.3\n      env: [ { name: L, valueFrom: { configMapKeyRef: { name: settings, key: LOG_LEVL } } } ]\n";

#[test]
fn once_the_workspace_is_read_a_finding_links_the_other_file_it_refers_to() {
    let files = [(".kubelint.yaml", CONFIG), ("cm.yaml", CONFIG_MAP)];
    let mut client = Client::start(&files, json!({}));
    client.open("pod.yaml", POD_WITH_KEY);
    let diagnostics = client.diagnostics("pod.yaml", has("missing-configmap-key"));
    let missing = find(&diagnostics, "missing-configmap-key");
    assert_eq!(missing.range.start, Position::new(7, 77));
    let related = missing.related_information.as_ref().unwrap();
    assert_eq!(related.len(), 1, "{related:?}");
    assert_eq!(related[0].location.uri, client.uri("cm.yaml"));
    // The ConfigMap's name, on its third line.
    assert_eq!(related[0].location.range.start, Position::new(2, 18));
    assert_eq!(related[0].message, "ConfigMap `settings` is defined here");
    client.shutdown();
}

#[test]
fn a_file_changed_on_disk_is_read_again() {
    let files = [(".kubelint.yaml", CONFIG), ("cm.yaml", CONFIG_MAP)];
    let mut client = Client::start(&files, json!({}));
    client.open("pod.yaml", POD_WITH_KEY);
    client.diagnostics("pod.yaml", has("missing-configmap-key"));
    let fixed = CONFIG_MAP.replace("LOG_LEVEL: info", "LOG_LEVEL: info, LOG_LEVL: x");
    std::fs::write(client.path("cm.yaml"), fixed).unwrap();
    client.notify(
        notify::DidChangeWatchedFiles::METHOD,
        json!({ "changes": [ { "uri": client.uri("cm.yaml"), "type": 2 } ] }),
    );
    client.diagnostics("pod.yaml", lacks("missing-configmap-key"));
    client.shutdown();
}
