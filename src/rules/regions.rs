//! Which regions are in mainland China, read from the documented list in `data/regions.yaml`,
//! which build.rs embeds as JSON.

use std::sync::OnceLock;

use serde::Deserialize;

const REGIONS: &str = include_str!(concat!(env!("OUT_DIR"), "/regions.json"));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Regions {
    mainland_china: RegionSet,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionSet {
    prefixes: Vec<String>,
    regions: Vec<String>,
    except: Vec<String>,
}

fn regions() -> &'static Regions {
    static PARSED: OnceLock<Regions> = OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str(REGIONS).expect("data/regions.yaml is valid (a unit test reads it)")
    })
}

/// Whether a cloud region lies in mainland China, where Docker Hub and other foreign
/// registries cannot be reached reliably.
pub fn is_mainland_china(region: &str) -> bool {
    let set = &regions().mainland_china;
    let region = region.to_ascii_lowercase();
    !set.except.contains(&region)
        && (set.regions.contains(&region) || set.prefixes.iter().any(|p| region.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_regions_of_every_cloud_but_not_hong_kong() {
        for region in ["cn-shanghai", "cn-north-1", "chinaeast2", "CN-Beijing"] {
            assert!(is_mainland_china(region), "{region}");
        }
        for region in ["cn-hongkong", "koreacentral", "ap-southeast-1", "china"] {
            assert!(!is_mainland_china(region), "{region}");
        }
    }
}
