//! The `yaml` stage: text in, spanned documents out, with syntax problems as data.

mod aliasing;
mod parse;
mod source;
mod tree;

pub use parse::{Comment, Problem, ProblemKind, Stream, parse, parse_json};
pub use source::{Position, SourceFile};
pub use tree::{Document, Node, NodeId};

#[cfg(test)]
mod tests;
