//! kubelint: a static policy linter for Kubernetes manifests, Helm values and Kustomize trees.
//!
//! The pipeline flows one way — `discover` → `yaml` → `model` → `rules` → `report` — and
//! [`check`] runs it end to end; `main.rs` only parses the command line.

pub mod check;
pub mod cli;
pub mod config;
pub mod discover;
pub mod finding;
pub mod fix;
pub mod lsp;
pub mod model;
pub mod report;
pub mod rules;
pub mod schema;
pub mod session;
pub mod source;
pub mod yaml;
