//! Which releases a run lints: those the config declares (`helm.releases`), and for every
//! other chart in the repository or folder of `helm.values` files, one release per
//! environment with `values.yaml` then `values-<env>.yaml`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::config::{Config, Env, slash_path};

/// One `helm upgrade --install` in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub name: String,
    /// The chart as the config names it, or the chart folder relative to the config root.
    pub chart: String,
    /// The chart folder relative to the config root, when the chart is in the repository.
    pub chart_dir: Option<String>,
    pub namespace: Option<String>,
    pub env: Option<Arc<Env>>,
    /// Values files relative to the config root, in the order of helm's `--values`.
    pub values: Vec<String>,
}

/// A file the releases are made from: a values file or a `Chart.yaml`, relative to the
/// config root with `/` separators.
pub fn plan<'a>(config: &Config, files: impl IntoIterator<Item = &'a str>) -> Vec<Release> {
    let mut releases = Vec::new();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    for (name, declared) in &config.file.helm.releases {
        let chart = slash_path(Path::new(&declared.chart.value));
        let local = config.root.join(&chart).join("Chart.yaml").is_file();
        if local {
            claimed.insert(chart.clone());
        }
        for (env, values) in &declared.values {
            let values: Vec<String> = values
                .value
                .iter()
                .map(|v| slash_path(Path::new(v)))
                .collect();
            claimed.extend(values.iter().map(|v| parent(v).to_string()));
            releases.push(Release {
                name: name.clone(),
                chart: declared.chart.value.clone(),
                chart_dir: local.then(|| chart.clone()),
                namespace: declared.namespace.clone(),
                env: config.environment(env),
                values,
            });
        }
    }
    let mut folders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let dir = parent(file).to_string();
        if claimed.contains(&dir) {
            continue;
        }
        let names = folders.entry(dir).or_default();
        let name = &file[file.rfind('/').map_or(0, |at| at + 1)..];
        if name != "Chart.yaml" {
            names.push(name.to_string());
        }
    }
    for (dir, mut names) in folders {
        names.sort();
        names.dedup();
        releases.extend(default_releases(config, &dir, &names));
    }
    releases.sort_by(|a, b| {
        let env = |r: &Release| r.env.as_ref().map(|e| e.name.clone());
        (&a.name, env(a), &a.values).cmp(&(&b.name, env(b), &b.values))
    });
    releases
}

/// The releases of a folder of values files (a chart, or values of a chart elsewhere): each
/// `values-<env>.yaml` (or `values.<env>.yaml`, or any file an environment's paths match)
/// over `values.yaml`, and `values.yaml` alone in the environments its own path is in;
/// `values.yaml` alone without an environment when nothing else applies.
fn default_releases(config: &Config, dir: &str, names: &[String]) -> Vec<Release> {
    let local = config.root.join(dir).join("Chart.yaml").is_file();
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    let base = names
        .iter()
        .find(|n| *n == "values.yaml" || *n == "values.yml")
        .map(|n| join(n));
    let release_name = Path::new(dir).file_name().map_or_else(
        || "release".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let chart = config
        .helm_values_chart(
            base.as_deref()
                .unwrap_or(&join(names.first().map_or("", |n| n))),
        )
        .map_or_else(|| dir.to_string(), str::to_string);
    let release = |env: Option<Arc<Env>>, values: Vec<String>| Release {
        name: release_name.clone(),
        chart: chart.clone(),
        chart_dir: local.then(|| dir.to_string()),
        namespace: None,
        env,
        values,
    };
    let mut out = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for overlay in names.iter().filter(|n| Some(join(n)) != base) {
        let path = join(overlay);
        let suffix = overlay
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_start_matches("values")
            .trim_start_matches(['-', '.']);
        let mut envs = config.environments_for(&path);
        if let Some(named) = config.environment(suffix)
            && !envs.contains(&named)
        {
            envs.push(named);
        }
        let values: Vec<String> = base.iter().cloned().chain([path]).collect();
        if envs.is_empty() {
            out.push(release(None, values.clone()));
        }
        for env in envs {
            covered.insert(env.name.clone());
            out.push(release(Some(env), values.clone()));
        }
    }
    if let Some(base) = &base {
        for env in config.environments_for(base) {
            if !covered.contains(&env.name) {
                out.push(release(Some(env), vec![base.clone()]));
            }
        }
        if out.is_empty() {
            out.push(release(None, vec![base.clone()]));
        }
    }
    // A chart in the repository without values files still installs (and renders) as it is.
    if out.is_empty() && local {
        out.push(release(None, Vec::new()));
    }
    out
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |at| &path[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config in a folder of its own, which has no charts on disk: every folder named
    /// here holds values of a chart elsewhere.
    fn config(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".kubelint.yaml");
        std::fs::write(&path, text).unwrap();
        let config = Config::load(&path).unwrap();
        (dir, config)
    }

    fn shown(releases: &[Release]) -> Vec<String> {
        releases
            .iter()
            .map(|r| {
                let env = r.env.as_ref().map_or("-", |e| e.name.as_str());
                format!("{} {env} {}", r.name, r.values.join(","))
            })
            .collect()
    }

    const ENVS: &str =
        "environments:\n  prod: {paths: ['helm/**/values-prod.yaml']}\n  test: {paths: []}\n";

    #[test]
    fn without_a_release_entry_each_env_file_goes_over_values_yaml() {
        let (_dir, config) = config(ENVS);
        let files = [
            "helm/app/values.yaml",
            "helm/app/values-prod.yaml",
            "helm/app/values-test.yaml",
        ];
        assert_eq!(
            shown(&plan(&config, files)),
            [
                "app prod helm/app/values.yaml,helm/app/values-prod.yaml",
                "app test helm/app/values.yaml,helm/app/values-test.yaml"
            ]
        );
    }

    #[test]
    fn values_yaml_alone_is_linted_without_an_environment() {
        let (_dir, config) = config(ENVS);
        assert_eq!(
            shown(&plan(&config, ["x/values.yaml"])),
            ["x - x/values.yaml"]
        );
    }

    #[test]
    fn a_chart_without_values_files_is_one_release_without_values() {
        let (dir, config) = config(ENVS);
        std::fs::create_dir_all(dir.path().join("bare")).unwrap();
        std::fs::write(dir.path().join("bare/Chart.yaml"), "name: bare\n").unwrap();
        assert_eq!(shown(&plan(&config, ["bare/Chart.yaml"])), ["bare - "]);
    }

    #[test]
    fn declared_releases_use_exactly_the_files_they_list() {
        let text = format!(
            "{ENVS}helm:\n  releases:\n    ingress:\n      chart: ingress-nginx/ingress-nginx\n      namespace: ingress-nginx\n      values:\n        prod: [n/values.yaml, n/values-prod.yaml]\n        test: [n/values.yaml]\n"
        );
        let (_dir, config) = config(&text);
        let files = ["n/values.yaml", "n/values-prod.yaml"];
        let releases = plan(&config, files);
        assert_eq!(
            shown(&releases),
            [
                "ingress prod n/values.yaml,n/values-prod.yaml",
                "ingress test n/values.yaml"
            ]
        );
        assert_eq!(releases[0].namespace.as_deref(), Some("ingress-nginx"));
        assert_eq!(releases[0].chart, "ingress-nginx/ingress-nginx");
    }
}
