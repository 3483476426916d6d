//! Code actions on the findings under the editor's selection: the rule's fix, whose edits may
//! land in another file (the values file or base that set the value), and a suppression
//! comment for the finding's line.

use std::collections::HashMap;
use std::path::Path;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, TextEdit, Uri, WorkspaceEdit,
};

use crate::finding::{Applicability, Edit, Finding};
use crate::rules::RuleSet;
use crate::source::Sources;
use crate::yaml::edit::{Text, suppress_above};

use super::Linted;
use super::convert::{self, Encoding};
use super::diagnostics::diagnostic;

/// The actions for the findings of the linted document that touch `selection` (byte offsets
/// of the document, ends included, so a cursor at a finding's edge counts).
pub fn actions(
    linted: &Linted,
    selection: std::ops::Range<usize>,
    rules: &RuleSet,
    cwd: &Path,
    encoding: Encoding,
) -> Vec<CodeActionOrCommand> {
    let sources = &linted.outcome.sources;
    let mut out = Vec::new();
    let mut disabled: Vec<(&str, usize)> = Vec::new();
    for finding in linted.own() {
        let span = finding.span();
        if span.start > selection.end || span.end < selection.start {
            continue;
        }
        let diagnostics = vec![diagnostic(finding, sources, rules, cwd, encoding)];
        if let Some(fix) = &finding.fix
            && let Some(edit) = workspace_edit(&fix.edits, sources, cwd, encoding)
        {
            out.push(action(
                fix.title.clone(),
                diagnostics.clone(),
                edit,
                fix.applicability == Applicability::Safe,
            ));
        }
        let source = &sources[finding.origin.file];
        let line = source.line_index(span.start);
        if disabled.contains(&(&*finding.rule, line)) {
            continue;
        }
        disabled.push((&*finding.rule, line));
        let text = Text {
            file: finding.origin.file,
            text: &source.text,
        };
        if let Some(edit) = suppress_above(text, span.start, &finding.rule)
            .and_then(|edit| workspace_edit(&[edit], sources, cwd, encoding))
        {
            out.push(action(
                format!("Disable {} for this line", finding.rule),
                diagnostics,
                edit,
                false,
            ));
        }
    }
    out
}

fn action(
    title: String,
    diagnostics: Vec<Diagnostic>,
    edit: WorkspaceEdit,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(diagnostics),
        edit: Some(edit),
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}

/// Edits on origins as text edits per file URI; `None` when a file has no URI. `changes`, the
/// form every client applies, is keyed by `Uri`, whose interior mutability is a parse cache:
/// lsp-types hashes and compares its text, so the key cannot change under the map.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(
    edits: &[Edit],
    sources: &Sources,
    cwd: &Path,
    encoding: Encoding,
) -> Option<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in edits {
        let uri = convert::uri_of(&convert::source_path(sources, edit.origin.file, cwd))?;
        let range = convert::range(&sources[edit.origin.file], edit.origin, encoding);
        changes
            .entry(uri)
            .or_default()
            .push(TextEdit::new(range, edit.text.clone()));
    }
    Some(WorkspaceEdit::new(changes))
}

/// Whether a finding is one the hover at `offset` explains.
pub fn covers(finding: &Finding, offset: usize) -> bool {
    let span = finding.span();
    span.start <= offset && offset <= span.end
}
