//! The `yaml` stage: text in, spanned documents out, with syntax problems as data.

mod parse;
mod source;
mod tree;

pub use parse::{Comment, Problem, ProblemKind, Stream, parse};
pub use source::{Position, SourceFile};
pub use tree::{Document, Node, NodeId, ScalarType};

#[cfg(test)]
mod tests;
