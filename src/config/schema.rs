//! The shape of `.kubelint.yaml`, typed so that every mistake is reported at its line:column.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::finding::Severity;
use crate::schema::KubeVersion;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Named environments: which paths deploy to which cluster.
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    #[serde(default)]
    pub rules: RulesConfig,
    /// Globs (relative to the config file) that are never linted.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub helm: HelmConfig,
    /// Pod-spec paths for custom workload kinds, such as `Rollout: spec.template.spec`.
    #[serde(default)]
    pub pod_specs: BTreeMap<String, String>,
    /// The Kubernetes release objects are validated for when no environment says.
    pub kubernetes_version: Option<KubeVersion>,
    /// Folders of JSON schema files for custom resources (relative to the config file), in
    /// the layouts kubeconform reads.
    #[serde(default)]
    pub schemas: Vec<Spanned<String>>,
    /// Folders (relative to the config file) whose ValidatingAdmissionPolicies and bindings
    /// apply to the linted objects, besides those of the linted tree: a platform team's
    /// policies kept in another repository. Read, never reported.
    #[serde(default)]
    pub admission_policies: Vec<Spanned<String>>,
}

/// What one cluster is, and which paths deploy to it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Environment {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    pub platform: Option<Platform>,
    #[serde(default, deserialize_with = "non_empty_option")]
    pub region: Option<String>,
    /// The namespace of objects that do not set one.
    #[serde(default, deserialize_with = "non_empty_option")]
    pub namespace: Option<String>,
    /// Private registries by host, with the pull secret pods need for each.
    #[serde(default)]
    pub registries: BTreeMap<String, Registry>,
    /// Public registries reached through a mirror, by the host images name.
    #[serde(default)]
    pub mirrors: BTreeMap<String, Mirror>,
    /// Secrets created outside Git, with the keys each holds.
    #[serde(default)]
    pub external_secrets: BTreeMap<String, Vec<NonEmpty>>,
    /// The Kubernetes release the cluster runs: which schemas and API versions apply.
    pub kubernetes_version: Option<KubeVersion>,
    /// Any other object the cluster has without Git (an operator's Issuer, a Terraform
    /// ConfigMap), so references to it resolve.
    #[serde(default)]
    pub external: Vec<External>,
}

/// An object that exists in the cluster but not in the repository.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct External {
    #[serde(deserialize_with = "non_empty")]
    pub kind: String,
    #[serde(deserialize_with = "non_empty")]
    pub name: String,
    /// Its namespace; the environment's (else `default`) when unset.
    #[serde(default, deserialize_with = "non_empty_option")]
    pub namespace: Option<String>,
    /// The keys of a Secret or ConfigMap, the port names and numbers of a Service; when
    /// unset, any key or port is taken to exist.
    #[serde(default)]
    pub keys: Option<Vec<NonEmpty>>,
}

impl Environment {
    /// The mirror an image from `registry` goes through: the one configured for that
    /// registry, or the mirror that is `registry` itself (an image that already names the
    /// mirror host, as Helm values pointed at a China mirror do).
    pub fn mirror_for(&self, registry: &str) -> Option<&Mirror> {
        self.mirrors.get(registry).or_else(|| {
            self.mirrors
                .values()
                .find(|m| m.via.split('/').next() == Some(registry))
        })
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ack,
    Aks,
    Eks,
    Gke,
    Other,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ack => "ack",
            Platform::Aks => "aks",
            Platform::Eks => "eks",
            Platform::Gke => "gke",
            Platform::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Registry {
    #[serde(default, deserialize_with = "non_empty_option")]
    pub pull_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Mirror {
    /// The mirror host (and path prefix) that serves the registry's images.
    #[serde(deserialize_with = "non_empty")]
    pub via: String,
    /// Whether the mirror serves images by digest; many mirrors re-push and change them.
    #[serde(default = "yes")]
    pub digests: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesConfig {
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    /// Rules that are off by default, turned on.
    #[serde(default)]
    pub enable: Vec<Spanned<String>>,
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<Severity>>,
    /// Extra folders of rule files, relative to the config file and inside its folder.
    #[serde(default)]
    pub folders: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HelmConfig {
    /// Values files of charts that live elsewhere: glob → chart. Keys keep their position so
    /// a bad glob is reported at itself; matching does not depend on their order.
    #[serde(default)]
    pub values: HashMap<Spanned<String>, HelmValues>,
    /// Releases by name: the chart, its namespace, and the values files of each environment.
    #[serde(default)]
    pub releases: BTreeMap<String, HelmRelease>,
    /// Render each chart in the repository with `helm template` (as `--helm-render` does).
    #[serde(default)]
    pub render: bool,
}

/// One `helm upgrade --install` of a chart, as the config describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HelmRelease {
    /// A chart folder in the repository (relative to the config file), or a chart that lives
    /// elsewhere such as `ingress-nginx/ingress-nginx`.
    pub chart: Spanned<String>,
    pub namespace: Option<String>,
    /// Per environment, the values files in the order of helm's `--values`, relative to the
    /// config file. The list's position is kept to report an unknown environment there.
    #[serde(default)]
    pub values: BTreeMap<String, Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HelmValues {
    #[serde(default, deserialize_with = "non_empty_option")]
    pub chart: Option<String>,
}

/// A Secret key name: an empty one names nothing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct NonEmpty(#[serde(deserialize_with = "non_empty")] pub String);

/// A string the config requires: `via: ""` names nothing, so it is an error at its position
/// rather than a value that silently matches nothing.
fn non_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    if value.trim().is_empty() {
        return Err(serde::de::Error::custom("this value must not be empty"));
    }
    Ok(value)
}

fn non_empty_option<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    non_empty(deserializer).map(Some)
}
