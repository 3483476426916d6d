//! `.kubelint.yaml`: where it is, what it says, and which environments a path deploys to.

mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

pub use schema::{
    ConfigFile, Environment, HelmConfig, HelmRelease, Mirror, Platform, Registry, RulesConfig,
};

pub const FILE_NAME: &str = ".kubelint.yaml";

/// A configuration problem: the run cannot go on, and the user sees exactly where to look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl ConfigError {
    fn at(path: &Path, location: Option<serde_saphyr::Location>, message: String) -> Self {
        let (line, column) = location.map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
        ConfigError {
            path: display_path(path),
            line,
            column,
            message,
        }
    }
}

/// One named environment, shared by every input that deploys to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Env {
    pub name: String,
    pub spec: Environment,
}

/// The loaded configuration with its globs compiled once.
#[derive(Debug)]
pub struct Config {
    /// The folder that the config's globs are relative to.
    pub root: PathBuf,
    /// `root` made absolute once, with the working directory at load time, so matching a path
    /// costs no system call.
    absolute_root: PathBuf,
    cwd: PathBuf,
    /// Where the config came from, if a file was found.
    pub source: Option<PathBuf>,
    pub file: ConfigFile,
    environments: Vec<(Arc<Env>, GlobSet)>,
    exclude: GlobSet,
    helm_values: GlobSet,
    /// The chart of each `helm.values` glob, in the globs' order.
    helm_values_charts: Vec<Option<String>>,
    /// The values files the releases name, relative to `root` with `/` separators.
    release_values: std::collections::HashSet<String>,
    /// The helm binary that renders charts (`helm template`), when the run renders them: the
    /// front end sets it after checking that helm runs, so a run never skips rendering silently.
    pub helm_binary: Option<PathBuf>,
}

impl Config {
    /// The configuration used when no `.kubelint.yaml` exists: no environments, nothing excluded.
    pub fn empty(root: PathBuf) -> Self {
        Config::compile(root, None, ConfigFile::default())
            .unwrap_or_else(|_| unreachable!("an empty configuration has no globs that could fail"))
    }

    /// The configuration a rule's test case runs under: its environment applies to every path.
    pub fn for_case(env: Option<Environment>) -> Self {
        let mut file = ConfigFile::default();
        if let Some(mut env) = env {
            let everything = serde_saphyr::Location::UNKNOWN;
            env.paths = vec![serde_saphyr::Spanned::new(
                "**".into(),
                everything,
                everything,
            )];
            file.environments.insert("case".into(), env);
        }
        Config::compile(PathBuf::new(), None, file)
            .unwrap_or_else(|_| unreachable!("`**` is a valid glob"))
    }

    /// Finds `.kubelint.yaml` in `start` or the nearest folder above it.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Reads and compiles a config file; its globs are relative to its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::at(path, None, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ConfigError::at(path, None, "not UTF-8 text".into()))?;
        let file = Self::parse(path, &text)?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::compile(root, Some(path.to_path_buf()), file)
    }

    /// Parses config text; an empty file is an empty config.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        serde_saphyr::from_str::<Option<ConfigFile>>(text)
            .map(Option::unwrap_or_default)
            .map_err(|e| ConfigError::at(path, e.location(), parse_message(&e)))
    }

    fn compile(
        root: PathBuf,
        source: Option<PathBuf>,
        file: ConfigFile,
    ) -> Result<Self, ConfigError> {
        let origin = source.clone().unwrap_or_else(|| root.join(FILE_NAME));
        // Each glob with where it is written, so a bad one is reported at itself.
        type Patterns<'p> = dyn Iterator<Item = (&'p String, Option<serde_saphyr::Location>)> + 'p;
        let globs = |patterns: &mut Patterns<'_>, what: &str| {
            let mut set = GlobSetBuilder::new();
            for (pattern, at) in patterns {
                if pattern.trim().is_empty() {
                    return Err(ConfigError::at(
                        &origin,
                        at,
                        format!("{what}: an empty glob matches nothing"),
                    ));
                }
                let glob = Glob::new(pattern).map_err(|e| {
                    ConfigError::at(
                        &origin,
                        at,
                        format!("{what}: invalid glob `{pattern}`: {}", e.kind()),
                    )
                })?;
                set.add(glob);
            }
            set.build()
                .map_err(|e| ConfigError::at(&origin, None, format!("{what}: {e}")))
        };
        // A policy folder that is not there would silently check nothing.
        if source.is_some()
            && let Some(missing) = file
                .admission_policies
                .iter()
                .find(|folder| !root.join(folder.value.as_str()).is_dir())
        {
            return Err(ConfigError::at(
                &origin,
                Some(missing.referenced),
                format!("admission-policies: `{}` is not a folder", missing.value),
            ));
        }
        let environments = file
            .environments
            .iter()
            .map(|(name, spec)| {
                // A path names what is under it too: `overlays/prod` is the overlay's folder.
                let with_contents: Vec<(String, Option<serde_saphyr::Location>)> = spec
                    .paths
                    .iter()
                    .flat_map(|p| {
                        let below = format!("{}/**", p.value.trim_end_matches('/'));
                        [
                            (p.value.clone(), Some(p.referenced)),
                            (below, Some(p.referenced)),
                        ]
                    })
                    .collect();
                let set = globs(
                    &mut with_contents.iter().map(|(p, at)| (p, *at)),
                    &format!("environments.{name}.paths"),
                )?;
                let env = Env {
                    name: name.clone(),
                    spec: spec.clone(),
                };
                Ok((Arc::new(env), set))
            })
            .collect::<Result<_, ConfigError>>()?;
        for (name, release) in &file.helm.releases {
            if let Some((env, files)) = release
                .values
                .iter()
                .find(|(env, _)| !file.environments.contains_key(*env))
            {
                return Err(ConfigError::at(
                    &origin,
                    Some(files.referenced),
                    format!("helm.releases.{name}.values: no environment named `{env}`"),
                ));
            }
        }
        if let Some(folder) = file
            .schemas
            .iter()
            .find(|folder| source.is_some() && !root.join(&folder.value).is_dir())
        {
            return Err(ConfigError::at(
                &origin,
                Some(folder.referenced),
                format!("schemas: no folder `{}`", folder.value),
            ));
        }
        let exclude = globs(
            &mut file.exclude.iter().map(|p| (&p.value, Some(p.referenced))),
            "exclude",
        )?;
        let helm_values = globs(
            &mut file
                .helm
                .values
                .keys()
                .map(|k| (&k.value, Some(k.referenced))),
            "helm.values",
        )?;
        let helm_values_charts = file.helm.values.values().map(|v| v.chart.clone()).collect();
        let release_values = file
            .helm
            .releases
            .values()
            .flat_map(|release| release.values.values())
            .flat_map(|files| files.value.iter())
            .map(|path| slash_path(Path::new(path)))
            .collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        Ok(Config {
            absolute_root: absolutize(&cwd, &root),
            cwd,
            root,
            source,
            file,
            environments,
            exclude,
            helm_values,
            helm_values_charts,
            release_values,
            helm_binary: None,
        })
    }

    /// The environment paths that match none of `relative` (the repository's files, as
    /// paths relative to the config's folder), each a warning at its glob: a typo would
    /// otherwise lint nothing, silently.
    pub fn unmatched_paths(&self, relative: &[&str]) -> Vec<ConfigError> {
        let origin = self
            .source
            .clone()
            .unwrap_or_else(|| self.root.join(FILE_NAME));
        let mut out = Vec::new();
        for (name, spec) in &self.file.environments {
            for path in &spec.paths {
                let below = format!("{}/**", path.value.trim_end_matches('/'));
                let globs = [&path.value, &below]
                    .iter()
                    .filter_map(|p| Glob::new(p).ok())
                    .fold(GlobSetBuilder::new(), |mut set, glob| {
                        set.add(glob);
                        set
                    })
                    .build();
                let Ok(globs) = globs else { continue };
                if !relative.iter().any(|r| globs.is_match(r)) {
                    out.push(ConfigError::at(
                        &origin,
                        Some(path.referenced),
                        format!(
                            "environments.{name}.paths: `{}` matches no file, so {name} lints nothing there",
                            path.value
                        ),
                    ));
                }
            }
        }
        out
    }

    /// Every environment whose paths match; a base shared by two clusters is in both.
    pub fn environments_for(&self, relative: &str) -> Vec<Arc<Env>> {
        self.environments
            .iter()
            .filter(|(_, globs)| globs.is_match(relative))
            .map(|(env, _)| Arc::clone(env))
            .collect()
    }

    /// The chart that the first `helm.values` glob matching `relative` names.
    pub fn helm_values_chart(&self, relative: &str) -> Option<&str> {
        let first = self.helm_values.matches(relative).into_iter().min()?;
        self.helm_values_charts.get(first)?.as_deref()
    }

    /// The environment named `name`, if the config defines it.
    pub fn environment(&self, name: &str) -> Option<Arc<Env>> {
        self.environments
            .iter()
            .find(|(env, _)| env.name == name)
            .map(|(env, _)| Arc::clone(env))
    }

    /// Every environment, in name order.
    /// The Kubernetes release objects deployed to `env` are checked for: the environment's
    /// `kubernetes-version`, else the config's, else the newest embedded release.
    pub fn kubernetes_version(&self, env: Option<&Env>) -> crate::schema::KubeVersion {
        env.and_then(|e| e.spec.kubernetes_version)
            .or(self.file.kubernetes_version)
            .unwrap_or_else(crate::schema::KubeVersion::newest)
    }

    /// The schema folders the config names, as paths to read.
    pub fn schema_folders(&self) -> Vec<PathBuf> {
        self.file
            .schemas
            .iter()
            .map(|folder| self.root.join(&folder.value))
            .collect()
    }

    pub fn environments(&self) -> impl Iterator<Item = &Arc<Env>> {
        self.environments.iter().map(|(env, _)| env)
    }

    pub fn is_excluded(&self, relative: &str) -> bool {
        self.exclude.is_match(relative)
    }

    pub fn is_helm_values(&self, relative: &str) -> bool {
        self.helm_values.is_match(relative) || self.release_values.contains(relative)
    }

    /// `path` as findings show it, relative to the working folder the config was loaded in.
    pub fn display(&self, path: &Path) -> String {
        display_path_from(&self.cwd, path)
    }

    /// The path of `path` relative to the config root, with `/` separators, for glob matching.
    /// Paths outside the root keep their full form and match only absolute globs.
    pub fn relative(&self, path: &Path) -> String {
        let absolute = absolutize(&self.cwd, path);
        let relative = absolute
            .strip_prefix(&self.absolute_root)
            .unwrap_or(&absolute);
        slash_path(relative)
    }
}

/// Joins a relative path to `cwd` and removes `.` and `..` lexically, without touching the
/// file system, so symlinked folders keep the names the user sees.
pub fn absolutize(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path with `/` separators and no leading `./`, as findings and globs show paths.
pub fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// A path as findings and errors show it: relative to the working folder when under it.
pub fn display_path(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => display_path_from(&cwd, path),
        _ => slash_path(path),
    }
}

/// `display_path` with the working folder known, for a walk that shows every file it finds.
pub fn display_path_from(cwd: &Path, path: &Path) -> String {
    slash_path(path.strip_prefix(cwd).unwrap_or(path))
}

/// serde-saphyr's message without its snippet and without the `error: line L column C:`
/// prefix, since kubelint puts the position in front itself.
pub(crate) fn parse_message(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // The parser's advice to its own caller, not to the user.
    let first = first
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first);
    let positioned = first.strip_prefix("line ").and_then(|rest| {
        let (_, after) = rest.split_once(" column ")?;
        let (_, message) = after.split_once(": ")?;
        Some(message)
    });
    positioned.unwrap_or(first).to_string()
}

#[cfg(test)]
mod tests;
