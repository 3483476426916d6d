//! `kubelint lsp`: the Language Server Protocol over stdio, on rust-analyzer's transport
//! (`lsp-server`). The same pipeline as `check`, over a [`Session`](crate::session::Session)
//! that holds the workspace in memory with the editor's buffers laid over it.

mod actions;
mod convert;
mod diagnostics;
mod hover;
mod server;
#[cfg(test)]
mod tests;

use lsp_server::Connection;

use crate::check::Outcome;
use crate::finding::Finding;
use crate::source::FileId;

pub use server::serve;

/// Serves the client on standard input and output until it exits or closes stdin; the exit
/// code the protocol asks for (0 after `shutdown`, else 1).
pub fn run_stdio() -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let result = serve(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(true), Ok(())) => 0,
        (Ok(_), _) => 1,
        (Err(error), _) => {
            eprintln!("kubelint lsp: {error}");
            1
        }
    }
}

/// The last lint of an open document: the run's outcome and the document's file in it.
pub(crate) struct Linted {
    pub outcome: Outcome,
    pub file: Option<FileId>,
}

impl Linted {
    /// The findings in the document itself.
    pub fn own(&self) -> impl Iterator<Item = &Finding> {
        self.outcome
            .findings
            .iter()
            .filter(|finding| Some(finding.origin.file) == self.file)
    }
}
