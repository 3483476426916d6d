//! The server loop: one thread answers the client, lints buffers and publishes diagnostics;
//! the workspace read runs on a thread of its own and hands a loaded session back. The loop
//! blocks on the client, the debounce timer and that hand-over, so it never spins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, at, never, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notify, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileSystemWatcher, GlobPattern,
    HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, MessageType,
    PositionEncodingKind, PublishDiagnosticsParams, Registration, RegistrationParams,
    ServerCapabilities, ServerInfo, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;

use crate::config::{self, Config};
use crate::rules::RuleSet;
use crate::session::Session;
use crate::source::{FileId, SourceFile};

use super::Linted;
use super::convert::{self, Encoding};

/// How long typing must pause before a changed buffer is linted.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// An open document the server lints.
struct Document {
    uri: Uri,
    path: PathBuf,
    version: i32,
    text: String,
    linted: Option<Linted>,
}

/// A session the background thread has read the workspace into, for the config generation
/// it was started with (a config reload makes older ones stale).
struct Loaded {
    generation: u64,
    session: Session,
}

struct Server {
    connection: Connection,
    cwd: PathBuf,
    root: PathBuf,
    encoding: Encoding,
    config: Arc<Config>,
    rules: Arc<RuleSet>,
    session: Session,
    generation: u64,
    loading: Receiver<Loaded>,
    is_loading: bool,
    /// Files changed on disk while the background read ran, replayed on the session it hands over.
    changed_while_loading: Vec<PathBuf>,
    /// By URI as the client wrote it.
    documents: BTreeMap<String, Document>,
    /// When each changed document is due to be linted.
    pending: BTreeMap<String, Instant>,
    shut_down: bool,
}

/// Serves one client on `connection` until `exit` or the end of its input; whether the client
/// asked for `shutdown` first.
pub fn serve(connection: Connection) -> Result<bool, String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(error) => {
            let message = format!("invalid initialize params: {error}");
            respond(
                &connection,
                Response::new_err(id, invalid_params(), message),
            );
            return Ok(false);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = workspace_root(&params).unwrap_or_else(|| cwd.clone());
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref())
        .is_some_and(|offered| offered.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "kubelint".into(),
            version: Some(env!("KUBELINT_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let (config, rules, problem) = match load_config(&root) {
        Ok((config, rules)) => (config, rules, None),
        Err(problem) => (
            Config::empty(root.clone()),
            RuleSet::default(),
            Some(problem),
        ),
    };
    let (config, rules) = (Arc::new(config), Arc::new(rules));
    let session = Session::new(root.clone(), Arc::clone(&config), Arc::clone(&rules));
    let mut server = Server {
        connection,
        cwd,
        root,
        encoding,
        config,
        rules,
        session: session.with_cache(false),
        generation: 0,
        loading: never(),
        is_loading: false,
        changed_while_loading: Vec::new(),
        documents: BTreeMap::new(),
        pending: BTreeMap::new(),
        shut_down: false,
    };
    if let Some(problem) = problem {
        server.show_error(problem);
    }
    if watches_files(&params) {
        server.register_watchers();
    }
    server.start_loading();
    server.run()
}

/// The workspace folder (the first one), else the deprecated root URI.
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| &folder.uri);
    #[allow(deprecated)]
    let uri = folder.or(params.root_uri.as_ref())?;
    convert::path_of(uri)
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

fn watches_files(params: &InitializeParams) -> bool {
    params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.did_change_watched_files)
        .and_then(|watched| watched.dynamic_registration)
        .unwrap_or(false)
}

/// The workspace's `.kubelint.yaml` (found upward from the root) and its rules; a broken one
/// is its error, at its file:line:column.
fn load_config(root: &Path) -> Result<(Config, RuleSet), String> {
    let config = match Config::find(root) {
        Some(path) => Config::load(&path).map_err(|e| e.to_string())?,
        None => Config::empty(root.to_path_buf()),
    };
    let rules = RuleSet::load(&config).map_err(|e| e.to_string())?;
    Ok((config, rules))
}

fn is_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == config::FILE_NAME)
}

/// The files the server lints: YAML and JSON, as the walk reads them.
fn is_linted(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
}

fn respond(connection: &Connection, response: Response) {
    // A client that has gone away ends the loop through its closed input.
    let _ = connection.sender.send(Message::Response(response));
}

fn invalid_params() -> i32 {
    ErrorCode::InvalidParams as i32
}

impl Server {
    fn run(mut self) -> Result<bool, String> {
        loop {
            let incoming = self.connection.receiver.clone();
            let loading = self.loading.clone();
            let timer = self
                .pending
                .values()
                .min()
                .map_or_else(never, |&due| at(due));
            select! {
                recv(incoming) -> message => match message {
                    Err(_) => return Ok(self.shut_down),
                    Ok(Message::Request(request)) => self.request(request),
                    Ok(Message::Notification(n)) if n.method == notify::Exit::METHOD => {
                        return Ok(self.shut_down);
                    }
                    Ok(Message::Notification(n)) => self.notification(n),
                    Ok(Message::Response(_)) => {}
                },
                recv(loading) -> loaded => {
                    self.loading = never();
                    self.is_loading = false;
                    if let Ok(loaded) = loaded {
                        self.loaded(loaded);
                    }
                },
                recv(timer) -> _ => self.lint_due(),
            }
        }
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn show_error(&self, message: String) {
        let params = ShowMessageParams {
            typ: MessageType::ERROR,
            message: format!("kubelint: {message}"),
        };
        self.send(Message::Notification(Notification::new(
            notify::ShowMessage::METHOD.into(),
            params,
        )));
    }

    fn register_watchers(&self) {
        let watcher = |glob: &str| FileSystemWatcher {
            glob_pattern: GlobPattern::String(glob.into()),
            kind: None,
        };
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![
                watcher("**/*.{yaml,yml,json}"),
                watcher(&format!("**/{}", config::FILE_NAME)),
            ],
        };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "kubelint-watched-files".into(),
                method: notify::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.send(Message::Request(Request::new(
            RequestId::from("kubelint-register-watchers".to_string()),
            req::RegisterCapability::METHOD.into(),
            params,
        )));
    }

    /// Reads the workspace on a thread of its own, into a new session for this config.
    fn start_loading(&mut self) {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        let mut session = Session::new(
            self.root.clone(),
            Arc::clone(&self.config),
            Arc::clone(&self.rules),
        )
        .with_cache(false);
        let generation = self.generation;
        self.changed_while_loading.clear();
        std::thread::spawn(move || {
            session.load();
            let _ = sender.send(Loaded {
                generation,
                session,
            });
        });
        self.loading = receiver;
        self.is_loading = true;
    }

    /// Swaps in the loaded session, with the buffers and changes it missed, and lints again.
    fn loaded(&mut self, loaded: Loaded) {
        if loaded.generation != self.generation {
            return;
        }
        let mut session = loaded.session;
        for path in self.changed_while_loading.drain(..) {
            session.file_changed(&path);
        }
        for document in self.documents.values() {
            session.set_overlay(&document.path, document.text.clone());
        }
        self.session = session;
        self.lint_all();
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        let response = if self.shut_down {
            Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shut down".into(),
            )
        } else {
            match request.method.as_str() {
                req::Shutdown::METHOD => {
                    self.shut_down = true;
                    Response::new_ok(id, ())
                }
                req::HoverRequest::METHOD => match parse::<HoverParams>(request.params) {
                    Ok(params) => Response::new_ok(id, self.hover(params)),
                    Err(message) => Response::new_err(id, invalid_params(), message),
                },
                req::CodeActionRequest::METHOD => match parse::<CodeActionParams>(request.params) {
                    Ok(params) => Response::new_ok(id, self.code_actions(params)),
                    Err(message) => Response::new_err(id, invalid_params(), message),
                },
                other => Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("kubelint does not handle `{other}`"),
                ),
            }
        };
        respond(&self.connection, response);
    }

    fn notification(&mut self, notification: Notification) {
        let params = notification.params;
        let parsed = match notification.method.as_str() {
            notify::DidOpenTextDocument::METHOD => parse(params).map(|p| self.opened(p)),
            notify::DidChangeTextDocument::METHOD => parse(params).map(|p| self.changed(p)),
            notify::DidSaveTextDocument::METHOD => parse(params).map(|p| self.saved(p)),
            notify::DidCloseTextDocument::METHOD => parse(params).map(|p| self.closed(p)),
            notify::DidChangeWatchedFiles::METHOD => parse(params).map(|p| self.watched(p)),
            _ => Ok(()),
        };
        // A notification has no reply: a malformed one is logged and dropped.
        if let Err(message) = parsed {
            eprintln!("kubelint lsp: {}: {message}", notification.method);
        }
    }

    fn opened(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let Some(path) = convert::path_of(&item.uri).filter(|p| is_linted(p)) else {
            return;
        };
        self.session.set_overlay(&path, item.text.clone());
        let key = item.uri.as_str().to_string();
        let document = Document {
            uri: item.uri,
            path,
            version: item.version,
            text: item.text,
            linted: None,
        };
        self.documents.insert(key.clone(), document);
        self.lint(&key);
    }

    fn changed(&mut self, params: DidChangeTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_string();
        let Some(document) = self.documents.get_mut(&key) else {
            return;
        };
        for change in params.content_changes {
            match change.range {
                None => document.text = change.text,
                // Incremental changes from a client that ignored the full-sync capability.
                Some(range) => {
                    let file = SourceFile::new("", document.text.as_str());
                    let start = convert::offset(&file, range.start, self.encoding);
                    let end = convert::offset(&file, range.end, self.encoding).max(start);
                    document.text.replace_range(start..end, &change.text);
                }
            }
        }
        document.version = params.text_document.version;
        self.session
            .set_overlay(&document.path, document.text.clone());
        self.pending.insert(key, Instant::now() + DEBOUNCE);
    }

    fn saved(&mut self, params: DidSaveTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        if is_config(&path) {
            self.reload_config();
            return;
        }
        self.disk_changed(&path);
        let key = params.text_document.uri.as_str().to_string();
        if self.documents.contains_key(&key) {
            self.pending.remove(&key);
            self.lint(&key);
        }
    }

    fn closed(&mut self, params: DidCloseTextDocumentParams) {
        let key = params.text_document.uri.as_str().to_string();
        self.pending.remove(&key);
        let Some(document) = self.documents.remove(&key) else {
            return;
        };
        self.session.clear_overlay(&document.path);
        self.disk_changed(&document.path);
        self.publish(document.uri, Vec::new(), None);
    }

    fn watched(&mut self, params: DidChangeWatchedFilesParams) {
        let mut reload = false;
        for change in params.changes {
            match convert::path_of(&change.uri) {
                Some(path) if is_config(&path) => reload = true,
                Some(path) => self.disk_changed(&path),
                None => {}
            }
        }
        if reload {
            self.reload_config();
        } else {
            self.lint_all();
        }
    }

    fn disk_changed(&mut self, path: &Path) {
        self.session.file_changed(path);
        if self.is_loading {
            self.changed_while_loading.push(path.to_path_buf());
        }
    }

    /// `.kubelint.yaml` changed: new rules and environments for every open document, or, when
    /// it is broken, an error message and the old config kept.
    fn reload_config(&mut self) {
        match load_config(&self.root) {
            Err(problem) => self.show_error(problem),
            Ok((config, rules)) => {
                self.config = Arc::new(config);
                self.rules = Arc::new(rules);
                self.generation += 1;
                let mut session = Session::new(
                    self.root.clone(),
                    Arc::clone(&self.config),
                    Arc::clone(&self.rules),
                )
                .with_cache(false);
                for document in self.documents.values() {
                    session.set_overlay(&document.path, document.text.clone());
                }
                self.session = session;
                self.start_loading();
                self.lint_all();
            }
        }
    }

    fn hover(&mut self, params: HoverParams) -> Option<lsp_types::Hover> {
        let at = params.text_document_position_params;
        let key = at.text_document.uri.as_str().to_string();
        self.lint_if_pending(&key);
        let linted = self.documents.get(&key)?.linted.as_ref()?;
        let file = &linted.outcome.sources[linted.file?];
        let offset = convert::offset(file, at.position, self.encoding);
        super::hover::hover(linted, offset, &self.rules)
    }

    fn code_actions(&mut self, params: CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let key = params.text_document.uri.as_str().to_string();
        self.lint_if_pending(&key);
        let Some(linted) = self.documents.get(&key).and_then(|d| d.linted.as_ref()) else {
            return Vec::new();
        };
        let Some(file) = linted.file.map(|id| &linted.outcome.sources[id]) else {
            return Vec::new();
        };
        let start = convert::offset(file, params.range.start, self.encoding);
        let end = convert::offset(file, params.range.end, self.encoding).max(start);
        super::actions::actions(linted, start..end, &self.rules, &self.cwd, self.encoding)
    }

    /// A request about a document waiting for its debounced lint answers from its current text.
    fn lint_if_pending(&mut self, key: &str) {
        if self.pending.remove(key).is_some() {
            self.lint(key);
        }
    }

    fn lint_due(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .pending
            .iter()
            .filter(|&(_, &when)| when <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            self.pending.remove(&key);
            self.lint(&key);
        }
    }

    fn lint_all(&mut self) {
        self.pending.clear();
        let keys: Vec<String> = self.documents.keys().cloned().collect();
        for key in keys {
            self.lint(&key);
        }
    }

    fn lint(&mut self, key: &str) {
        let Some(path) = self.documents.get(key).map(|d| d.path.clone()) else {
            return;
        };
        let outcome = self.session.check(std::slice::from_ref(&path));
        let file = (0..outcome.sources.len() as u32)
            .map(FileId)
            .find(|&id| convert::source_path(&outcome.sources, id, &self.cwd) == path);
        let linted = Linted { outcome, file };
        let diagnostics = linted
            .own()
            .map(|finding| {
                super::diagnostics::diagnostic(
                    finding,
                    &linted.outcome.sources,
                    &self.rules,
                    &self.cwd,
                    self.encoding,
                )
            })
            .collect();
        let Some(document) = self.documents.get_mut(key) else {
            return;
        };
        document.linted = Some(linted);
        let (uri, version) = (document.uri.clone(), document.version);
        self.publish(uri, diagnostics, Some(version));
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            notify::PublishDiagnostics::METHOD.into(),
            params,
        )));
    }
}

fn parse<P: DeserializeOwned>(params: serde_json::Value) -> Result<P, String> {
    serde_json::from_value(params).map_err(|e| format!("invalid params: {e}"))
}
