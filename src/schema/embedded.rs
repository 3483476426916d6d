//! The Kubernetes API schemas embedded in the binary (`data/kubernetes-schemas.json`, see
//! `scripts/kubernetes-schemas.py`), read and compiled on first use, one release at a time:
//! a run that validates nothing never pays for them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;
use serde_json::value::RawValue;

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

/// The embedded file, read without building its trees: each definition stays raw JSON until
/// a run needs it, so validating one Deployment parses only the definitions it reaches.
#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    names: Vec<&'a str>,
    #[serde(borrow)]
    defs: Vec<&'a RawValue>,
    #[serde(borrow)]
    versions: Vec<DataRelease<'a>>,
}

#[derive(Deserialize)]
struct DataRelease<'a> {
    version: &'a str,
    /// Per name, the index of its definition in `defs`, or -1 when the release lacks it.
    defs: Vec<i64>,
    #[serde(borrow)]
    kinds: Vec<(&'a str, &'a str, u32)>,
}

/// A definition compiled with everything it refers to.
pub struct Compiled {
    pub arena: Arena,
    pub root: SchemaId,
}

/// One release's schemas, each definition compiled on first use.
pub struct Release {
    data: &'static DataRelease<'static>,
    kinds: HashMap<(&'static str, &'static str), u32>,
    compiled: Vec<OnceLock<Option<Compiled>>>,
}

impl Release {
    /// The schema of objects of `kind` in `api_version`, if the release serves it.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&Compiled> {
        let name = *self.kinds.get(&(api_version, kind))?;
        self.definition(name)
    }

    /// The schema of every object's `metadata`.
    pub fn object_meta(&self) -> Option<&Compiled> {
        let name = data().names.iter().position(|n| *n == OBJECT_META)?;
        self.definition(name as u32)
    }

    fn definition(&self, name: u32) -> Option<&Compiled> {
        self.compiled
            .get(name as usize)?
            .get_or_init(|| {
                let data = data();
                let lookup = |index: u32| {
                    let def = *self.data.defs.get(index as usize)?;
                    let raw = data.defs.get(usize::try_from(def).ok()?)?;
                    let schema: Json = serde_json::from_str(raw.get()).ok()?;
                    Some((data.names[index as usize], schema))
                };
                let mut compiler = Compiler::new(Dialect::Written);
                let root = compiler.definition(&lookup, name)?;
                Some(Compiled {
                    arena: compiler.arena,
                    root,
                })
            })
            .as_ref()
    }
}

fn data() -> &'static Data<'static> {
    static DATA_READ: OnceLock<Data<'static>> = OnceLock::new();
    DATA_READ.get_or_init(|| {
        serde_json::from_str(DATA)
            .unwrap_or_else(|e| unreachable!("the embedded schemas are generated JSON: {e}"))
    })
}

/// The schemas of `version`, or `None` when it is not embedded.
pub fn release(version: KubeVersion) -> Option<&'static Release> {
    static READ: [OnceLock<Release>; RELEASES.len()] = [const { OnceLock::new() }; 10];
    let at = RELEASES.iter().position(|&r| r == version)?;
    Some(READ[at].get_or_init(|| {
        let data = data();
        let wanted = version.to_string();
        let Some(release) = data.versions.iter().find(|r| r.version == wanted) else {
            unreachable!("RELEASES lists only embedded releases (a test checks)");
        };
        Release {
            data: release,
            kinds: release
                .kinds
                .iter()
                .map(|&(api_version, kind, name)| ((api_version, kind), name))
                .collect(),
            compiled: (0..data.names.len()).map(|_| OnceLock::new()).collect(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_releases_are_exactly_the_embedded_ones() {
        let embedded: Vec<&str> = data().versions.iter().map(|r| r.version).collect();
        let listed: Vec<String> = RELEASES.iter().map(ToString::to_string).collect();
        assert_eq!(embedded, listed);
    }

    #[test]
    fn every_release_knows_deployments_and_not_removed_betas() {
        for version in RELEASES {
            let release = release(version).expect("embedded");
            assert!(release.kind("apps/v1", "Deployment").is_some(), "{version}");
            assert!(release.object_meta().is_some(), "{version}");
            assert!(
                release.kind("extensions/v1beta1", "Ingress").is_none(),
                "{version}"
            );
        }
    }
}
