//! What the API server would say about an object: `schema-invalid`, `schema-unknown-kind`,
//! `deprecated-api` and `removed-api`, for the Kubernetes release each environment targets.

use std::sync::Arc;

use crate::config::Config;
use crate::finding::Finding;
use crate::model::Located;
use crate::schema::deprecations::{self, Status};
use crate::schema::{Catalog, KubeVersion, Verdict};

use super::{RuleSet, ids};

impl RuleSet {
    /// The API findings of one object, once per target release among its environments;
    /// each finding names the environments whose release gives it.
    pub fn check_api(
        &self,
        catalog: &Catalog,
        config: &Config,
        located: &Located<'_>,
    ) -> Vec<Finding> {
        let object = &located.object;
        let all = [
            ids::SCHEMA_INVALID,
            ids::SCHEMA_UNKNOWN_KIND,
            ids::DEPRECATED_API,
            ids::REMOVED_API,
        ];
        if object.kind == crate::model::helm::KIND || all.iter().all(|id| self.get(id).is_none()) {
            return Vec::new();
        }
        let mut targets: Vec<(KubeVersion, Vec<Arc<str>>)> = Vec::new();
        if located.envs.is_empty() {
            targets.push((config.kubernetes_version(None), Vec::new()));
        }
        for env in located.envs {
            let version = config.kubernetes_version(Some(env));
            let name: Arc<str> = Arc::from(env.name.as_str());
            match targets.iter_mut().find(|(v, _)| *v == version) {
                Some((_, names)) => names.push(name),
                None => targets.push((version, vec![name])),
            }
        }
        let mut out = Vec::new();
        for (version, envs) in targets {
            let mut found = self.check_release(catalog, located, version, target(&envs, version));
            for finding in &mut found {
                finding.envs = envs.clone();
                finding.object = Some(super::eval::object_ref(located, None));
            }
            out.extend(found);
        }
        out
    }

    fn check_release(
        &self,
        catalog: &Catalog,
        located: &Located<'_>,
        version: KubeVersion,
        target: String,
    ) -> Vec<Finding> {
        let object = &located.object;
        let root = object.root;
        let value_of = |key: &str| root.get(key).map_or(root.origin().point(), |n| n.origin());
        let mut out = Vec::new();
        let api = format!("`{}` {}", object.api_version, object.kind);
        match deprecations::status(object.api_version, object.kind, version) {
            Some(Status::Removed(row)) => {
                let message = format!(
                    "{api} is no longer served since Kubernetes {} ({target}); use {}",
                    row.removed_in.map_or(String::new(), |r| r.to_string()),
                    row.replacement
                );
                out.extend(self.builtin_finding(ids::REMOVED_API, value_of("apiVersion"), message));
                return out;
            }
            Some(Status::Deprecated(row)) => {
                let removal = row
                    .removed_in
                    .map_or(String::new(), |r| format!(" and is removed in {r}"));
                let message = format!(
                    "{api} is deprecated since Kubernetes {}{removal} ({target}); use {}",
                    row.deprecated_in, row.replacement
                );
                out.extend(self.builtin_finding(
                    ids::DEPRECATED_API,
                    value_of("apiVersion"),
                    message,
                ));
            }
            None => {}
        }
        if self.get(ids::SCHEMA_INVALID).is_none() && self.get(ids::SCHEMA_UNKNOWN_KIND).is_none() {
            return out;
        }
        match catalog.validate(root, object.api_version, object.kind, version) {
            Verdict::Checked(outcome) => {
                out.extend(outcome.problems.into_iter().filter_map(|problem| {
                    self.builtin_finding(ids::SCHEMA_INVALID, problem.origin, problem.message)
                }));
                for failed in super::admission::crd::evaluate(&outcome.rules) {
                    let finding =
                        self.builtin_finding(ids::SCHEMA_INVALID, failed.origin, failed.message);
                    out.extend(finding.map(|mut f| {
                        f.severity = f.severity.min(failed.severity);
                        f
                    }));
                }
            }
            Verdict::BrokenSchema(message) => {
                out.extend(self.builtin_finding(ids::SCHEMA_INVALID, value_of("kind"), message));
            }
            Verdict::Unknown => {
                let message = format!(
                    "no schema for {api} in Kubernetes {version}, the repository's CRDs or the \
                     configured schema folders, so it is not validated"
                );
                out.extend(self.builtin_finding(
                    ids::SCHEMA_UNKNOWN_KIND,
                    value_of("kind"),
                    message,
                ));
            }
        }
        out
    }
}

/// `prod targets 1.33`, `prod and test target 1.33`, `the target is 1.37`, for messages.
fn target(envs: &[Arc<str>], version: KubeVersion) -> String {
    match envs {
        [] => format!("the target is {version}"),
        [one] => format!("{one} targets {version}"),
        [first @ .., last] => {
            let first: Vec<&str> = first.iter().map(|e| &**e).collect();
            format!("{} and {last} target {version}", first.join(", "))
        }
    }
}
