//! The `yaml` stage: text in, spanned documents out, with syntax problems as data.

mod aliasing;
pub mod edit;
mod emit;
mod owned;
mod parse;
mod tree;

pub use crate::source::{Position, SourceFile};
pub use emit::{Emit, emit};
pub use owned::{MAX_COPIED_NODES, Piece, TooLarge, Tree, Value};
pub use parse::{Comment, Problem, ProblemKind, Stream, parse, parse_json};
pub use tree::{Document, Node, NodeId, ScalarType};

#[cfg(test)]
mod tests;
