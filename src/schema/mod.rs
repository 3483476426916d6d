//! Schema validation, offline and positioned: objects checked against the Kubernetes API
//! schemas of the release each environment targets (embedded, compiled on first use), the
//! CRDs found in the repository and the schema folders the config names, every problem at
//! the node the user edits; and the table of deprecated and removed API versions.
//!
//! It reads spanned trees (`yaml`) and the project's objects (`model`), and hands problems
//! to the `rules` stage, which makes them findings.

mod catalog;
mod compiled;
pub mod deprecations;
mod embedded;
mod validate;
mod version;

pub use catalog::{Catalog, Verdict};
pub use compiled::CelRule;
pub use embedded::RELEASES;
pub use validate::{Outcome, Problem, RuleCheck};
pub use version::KubeVersion;
