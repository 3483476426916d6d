//! The Kubernetes API schemas embedded in the binary (`data/kubernetes-schemas.json`, see
//! `scripts/kubernetes-schemas.py`), read and compiled on first use, one release at a time:
//! a run that validates nothing never pays for them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;

use super::compiled::{Arena, Compiler, Dialect, SchemaId};
use super::version::KubeVersion;

const DATA: &str = include_str!("../../data/kubernetes-schemas.json");

/// The embedded releases, oldest first; `data/kubernetes-schemas.json` holds exactly these
/// (a test checks), so the config can be checked without reading the schemas.
pub const RELEASES: [KubeVersion; 10] = [
    KubeVersion::new(28),
    KubeVersion::new(29),
    KubeVersion::new(30),
    KubeVersion::new(31),
    KubeVersion::new(32),
    KubeVersion::new(33),
    KubeVersion::new(34),
    KubeVersion::new(35),
    KubeVersion::new(36),
    KubeVersion::new(37),
];

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

#[derive(Deserialize)]
struct Data {
    names: Vec<String>,
    defs: Vec<Json>,
    versions: Vec<DataRelease>,
}

#[derive(Deserialize)]
struct DataRelease {
    version: String,
    /// Per name, the index of its definition in `defs`, or -1 when the release lacks it.
    defs: Vec<i64>,
    kinds: Vec<(String, String, u32)>,
}

/// One release's compiled schemas.
pub struct Release {
    pub arena: Arena,
    kinds: HashMap<(String, String), SchemaId>,
    pub object_meta: SchemaId,
}

impl Release {
    /// The schema of objects of `kind` in `api_version`, if the release serves it.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<SchemaId> {
        self.kinds
            .get(&(api_version.to_string(), kind.to_string()))
            .copied()
    }
}

fn data() -> &'static Data {
    static DATA_READ: OnceLock<Data> = OnceLock::new();
    DATA_READ.get_or_init(|| {
        serde_json::from_str(DATA)
            .unwrap_or_else(|e| unreachable!("the embedded schemas are generated JSON: {e}"))
    })
}

/// The compiled schemas of `version`, or `None` when it is not embedded.
pub fn release(version: KubeVersion) -> Option<&'static Release> {
    static COMPILED: [OnceLock<Release>; RELEASES.len()] = [const { OnceLock::new() }; 10];
    let at = RELEASES.iter().position(|&r| r == version)?;
    Some(COMPILED[at].get_or_init(|| compile(version)))
}

fn compile(version: KubeVersion) -> Release {
    let data = data();
    let wanted = version.to_string();
    let Some(release) = data.versions.iter().find(|r| r.version == wanted) else {
        unreachable!("RELEASES lists only embedded releases (a test checks)");
    };
    let mut compiler = Compiler::new(Dialect::Written);
    compiler.reserve(data.names.len());
    for (name_index, &def) in release.defs.iter().enumerate() {
        if let Some(schema) = usize::try_from(def).ok().and_then(|d| data.defs.get(d)) {
            compiler.define(name_index as SchemaId, &data.names[name_index], schema);
        }
    }
    let kinds = release
        .kinds
        .iter()
        .map(|(api_version, kind, name)| ((api_version.clone(), kind.clone()), *name))
        .collect();
    let object_meta = data
        .names
        .iter()
        .position(|n| n == OBJECT_META)
        .unwrap_or_else(|| unreachable!("every release defines ObjectMeta"))
        as SchemaId;
    Release {
        arena: compiler.arena,
        kinds,
        object_meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_releases_are_exactly_the_embedded_ones() {
        let embedded: Vec<&str> = data().versions.iter().map(|r| r.version.as_str()).collect();
        let listed: Vec<String> = RELEASES.iter().map(ToString::to_string).collect();
        assert_eq!(embedded, listed);
    }

    #[test]
    fn every_release_knows_deployments_and_not_removed_betas() {
        for version in RELEASES {
            let release = release(version).expect("embedded");
            assert!(release.kind("apps/v1", "Deployment").is_some(), "{version}");
            assert!(
                release.kind("extensions/v1beta1", "Ingress").is_none(),
                "{version}"
            );
        }
    }
}
