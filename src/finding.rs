//! A finding: what is wrong, how bad, and the exact bytes it is about.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;

use crate::source::{Origin, Sources};

/// How bad a finding is; ordered so that `Error` is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// A second place, in this file or another, that explains the finding: the first of two
/// duplicate keys, the base line a patch overrode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub origin: Origin,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub url: Option<String>,
    /// The bytes the finding is about, in the file the user edits; empty for a point such as
    /// the end of a broken document.
    pub origin: Origin,
    pub related: Vec<Related>,
    pub object: Option<ObjectRef>,
    /// The environments whose builds share this finding, when it is about a file that more
    /// than one environment deploys (a base both overlays include); empty otherwise.
    pub envs: Vec<Arc<str>>,
    /// The ValidatingAdmissionPolicy an `admission-policy` finding comes from.
    pub policy: Option<String>,
    /// The edits that fix the finding, when its rule declares a fix that applies here.
    pub fix: Option<Fix>,
}

/// Whether a fix keeps what the manifest means (`Safe`, applied by `--fix`) or may change
/// how the workload runs (`Unsafe`, applied only with `--unsafe-fixes`), as ruff marks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// One text edit: the bytes of `origin` become `text`. An empty origin is an insertion.
/// Edits are on origins, so a fix lands in whichever file set the value (a base, a values
/// file, a kustomization), and the editor turns the same origins into UTF-16 ranges.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edit {
    pub origin: Origin,
    pub text: String,
}

/// What `--fix` applies and an editor offers as a code action: a title and edits that are
/// applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    /// Sorted by position, never overlapping one another.
    pub edits: Vec<Edit>,
}

impl Finding {
    pub fn span(&self) -> Range<usize> {
        self.origin.range()
    }

    /// The order of every output: file path, position, rule, then message so ties stay
    /// stable. File ids never decide it, so the order files were read in never shows.
    pub fn order(&self, other: &Finding, sources: &Sources) -> Ordering {
        (
            sources[self.origin.file].path.as_str(),
            self.origin.start,
            &*self.rule,
            &self.message,
        )
            .cmp(&(
                sources[other.origin.file].path.as_str(),
                other.origin.start,
                &*other.rule,
                &other.message,
            ))
    }
}
