//! A finding: what is wrong, how bad, and the exact bytes it is about.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;

use crate::yaml::SourceFile;

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

/// A second place in the same file that explains the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Range<usize>,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub url: Option<String>,
    pub file: Arc<SourceFile>,
    /// Byte range in `file.text`; empty for a point such as the end of a broken document.
    pub span: Range<usize>,
    pub related: Vec<Related>,
    pub object: Option<ObjectRef>,
}

impl Finding {
    /// The order of every output: file, position, rule, then message so ties stay stable.
    pub fn order(&self, other: &Finding) -> Ordering {
        (
            self.file.path.as_str(),
            self.span.start,
            &*self.rule,
            &self.message,
        )
            .cmp(&(
                other.file.path.as_str(),
                other.span.start,
                &*other.rule,
                &other.message,
            ))
    }
}
