//! Deprecated and removed API versions, from the table in `data/api-deprecations.yaml`, which
//! build.rs embeds as JSON.

use std::sync::OnceLock;

use serde::Deserialize;

use super::version::KubeVersion;

const TABLE: &str = include_str!(concat!(env!("OUT_DIR"), "/api-deprecations.json"));

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Row {
    api_version: String,
    kinds: Vec<String>,
    deprecated_in: String,
    removed_in: Option<String>,
    replacement: String,
}

/// One API version of some kinds that is going or gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    pub api_version: String,
    pub kinds: Vec<String>,
    pub deprecated_in: KubeVersion,
    pub removed_in: Option<KubeVersion>,
    pub replacement: String,
}

/// What a target release makes of an object's API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<'t> {
    Deprecated(&'t Deprecation),
    Removed(&'t Deprecation),
}

fn table() -> &'static [Deprecation] {
    static READ: OnceLock<Vec<Deprecation>> = OnceLock::new();
    READ.get_or_init(|| {
        let rows: Vec<Row> = serde_json::from_str(TABLE).unwrap_or_else(|e| {
            unreachable!("data/api-deprecations.yaml is checked by a test: {e}")
        });
        let version = |text: &str| {
            KubeVersion::parse(text)
                .unwrap_or_else(|| unreachable!("a test checks the table's versions: {text}"))
        };
        rows.into_iter()
            .map(|row| Deprecation {
                deprecated_in: version(&row.deprecated_in),
                removed_in: row.removed_in.as_deref().map(version),
                api_version: row.api_version,
                kinds: row.kinds,
                replacement: row.replacement,
            })
            .collect()
    })
}

/// Whether `kind` in `api_version` is deprecated or removed in `target`.
pub fn status(api_version: &str, kind: &str, target: KubeVersion) -> Option<Status<'static>> {
    let row = table()
        .iter()
        .find(|row| row.api_version == api_version && row.kinds.iter().any(|k| k == kind))?;
    match row.removed_in {
        Some(removed) if target >= removed => Some(Status::Removed(row)),
        _ if target >= row.deprecated_in => Some(Status::Deprecated(row)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::embedded::{RELEASES, release};

    #[test]
    fn the_table_reads_and_each_removal_matches_the_embedded_schemas() {
        for row in table() {
            assert!(
                row.removed_in.is_none_or(|r| r > row.deprecated_in),
                "{row:?}"
            );
            for kind in &row.kinds {
                // From its deprecation on, the release serves it exactly until its removal.
                for version in RELEASES.into_iter().filter(|&v| v >= row.deprecated_in) {
                    let served = release(version)
                        .expect("embedded")
                        .kind(&row.api_version, kind)
                        .is_some();
                    let removed = row.removed_in.is_some_and(|r| version >= r);
                    assert_eq!(served, !removed, "{} {kind} in {version}", row.api_version);
                }
            }
        }
    }

    #[test]
    fn a_beta_cronjob_is_deprecated_then_removed() {
        let status = |minor| status("batch/v1beta1", "CronJob", KubeVersion::new(minor));
        assert_eq!(status(20), None);
        assert!(matches!(status(21), Some(Status::Deprecated(_))));
        assert!(matches!(status(25), Some(Status::Removed(_))));
        assert_eq!(
            super::status("batch/v1", "CronJob", KubeVersion::new(35)),
            None
        );
    }
}
