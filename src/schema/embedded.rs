//! The Kubernetes API schemas embedded in the binary (`data/kubernetes-schemas.jsonl`, see
//! `scripts/kubernetes-schemas.py`), read and compiled on first use, one release and one
//! definition at a time: a run that validates nothing never pays for them, and one that
//! validates a Deployment decodes the header, its release's line and the definitions a
//! Deployment reaches, not the whole file.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;

use super::compiled::{Arena, Compiler, Dialect, SchemaId};
use super::version::KubeVersion;

const DATA: &str = include_str!("../../data/kubernetes-schemas.jsonl");

/// The embedded releases, oldest first; `data/kubernetes-schemas.jsonl` holds exactly these
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

/// The file's first line: the definition names (`$ref`s are their indexes) and releases.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    names: Vec<&'a str>,
    #[serde(borrow)]
    releases: Vec<&'a str>,
}

/// The embedded file split into lines (a scan for newlines, no decoding), and its header.
struct Data {
    names: Vec<&'static str>,
    releases: Vec<&'static str>,
    lines: Vec<&'static str>,
}

impl Data {
    /// The line of definition `index`, undecoded.
    fn definition(&self, index: usize) -> Option<&'static str> {
        self.lines.get(1 + self.releases.len() + index).copied()
    }
}

#[derive(Deserialize)]
struct DataRelease<'a> {
    /// Per name, the index of its definition, or -1 when the release lacks it.
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
    defs: Vec<i64>,
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
                    let def = *self.defs.get(index as usize)?;
                    let line = data.definition(usize::try_from(def).ok()?)?;
                    let schema: Json = serde_json::from_str(line).ok()?;
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

fn data() -> &'static Data {
    static DATA_READ: OnceLock<Data> = OnceLock::new();
    DATA_READ.get_or_init(|| {
        let lines: Vec<&str> = DATA.lines().collect();
        let header: Header<'static> = lines
            .first()
            .and_then(|line| serde_json::from_str(line).ok())
            .unwrap_or_else(|| unreachable!("the embedded schemas start with their header"));
        Data {
            names: header.names,
            releases: header.releases,
            lines,
        }
    })
}

/// The schemas of `version`, or `None` when it is not embedded.
pub fn release(version: KubeVersion) -> Option<&'static Release> {
    static READ: [OnceLock<Release>; RELEASES.len()] = [const { OnceLock::new() }; 10];
    let at = RELEASES.iter().position(|&r| r == version)?;
    Some(READ[at].get_or_init(|| {
        let data = data();
        let wanted = version.to_string();
        let Some(line) = data.releases.iter().position(|r| *r == wanted) else {
            unreachable!("RELEASES lists only embedded releases (a test checks)");
        };
        let release: DataRelease<'static> = serde_json::from_str(data.lines[1 + line])
            .unwrap_or_else(|e| unreachable!("the embedded schemas are generated JSON: {e}"));
        Release {
            defs: release.defs,
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
        let embedded: Vec<&str> = data().releases.clone();
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
