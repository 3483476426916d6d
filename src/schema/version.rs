//! A Kubernetes release as a target: `1.33`. Patch releases do not change the API, so they
//! are accepted and dropped.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Kubernetes `1.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    minor: u16,
}

impl KubeVersion {
    pub const fn new(minor: u16) -> Self {
        KubeVersion { minor }
    }

    /// `1.33`, `v1.33` or `1.33.2`.
    pub fn parse(text: &str) -> Option<KubeVersion> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts = text.split('.');
        let (major, minor) = (parts.next()?, parts.next()?);
        let patch_ok = parts.next().is_none_or(|p| p.parse::<u32>().is_ok());
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if major != "1" || !digits(minor) || !patch_ok || parts.next().is_some() {
            return None;
        }
        minor.parse().ok().map(KubeVersion::new)
    }

    /// The newest embedded release: the default target.
    pub fn newest() -> KubeVersion {
        super::embedded::RELEASES[super::embedded::RELEASES.len() - 1]
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

/// In the config: an embedded release, else an error at the value listing them. Written as
/// a string (`"1.30"`) or plainly (`1.30`, which YAML would read as the number 1.3, so the
/// text as written is what counts).
impl<'de> Deserialize<'de> for KubeVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let releases = super::embedded::RELEASES;
        KubeVersion::parse(&text)
            .filter(|v| releases.contains(v))
            .ok_or_else(|| {
                let known: Vec<String> = releases.iter().map(ToString::to_string).collect();
                serde::de::Error::custom(format!(
                    "unknown Kubernetes version `{text}`: kubelint has the schemas of {}",
                    known.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_or_without_v_and_patch() {
        assert_eq!(KubeVersion::parse("1.33"), Some(KubeVersion::new(33)));
        assert_eq!(KubeVersion::parse("v1.33.2"), Some(KubeVersion::new(33)));
        assert_eq!(KubeVersion::parse("2.1"), None);
        assert_eq!(KubeVersion::parse("1."), None);
        assert_eq!(KubeVersion::parse("1.3x"), None);
        assert!(KubeVersion::new(9) < KubeVersion::new(16));
        assert_eq!(KubeVersion::new(35).to_string(), "1.35");
    }
}
