//! One lint run end to end: discover → read and parse → builds → project → rules →
//! suppressions, in parallel at every stage and deterministic in its result.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{self, Input, MAX_FILE_BYTES_READ, read_text, too_large};
use crate::finding::{Finding, Related};
use crate::model::{Built, ParsedFile, PodSpecPaths, Project, helm, kustomize};
use crate::rules::admission::Admission;
use crate::rules::suppress::{FileSuppressions, ignored_by_annotation};
use crate::rules::{RuleSet, ids};
use crate::session::Workspace;
use crate::source::{FileId, Origin, SourceFile, Sources};
use crate::yaml::{self, ProblemKind};

/// The outcome of a run, ready for a reporter.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Every file the run read, by id: what findings' origins point into.
    pub sources: Sources,
    pub files: usize,
    pub objects: usize,
    /// Configuration warnings, at their place in the config: environment paths that match
    /// no file of the repository (checked when the run saw the whole repository).
    pub warnings: Vec<crate::config::ConfigError>,
    /// Findings `--baseline` hid, for the summary.
    pub baseline_hidden: usize,
}

/// The stack of the command's worker threads: the main thread's. CEL evaluates an
/// expression recursively, about 40 KiB a level in a debug build, which a 2 MiB worker held
/// for 50 levels only.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

/// Whether runs leave their memory to the operating system (see [`leave_memory_to_exit`]).
static LEAVE_MEMORY_TO_EXIT: AtomicBool = AtomicBool::new(false);

/// Runs from now on do not free their workspace and inventory, since the process ends right
/// after reporting them: freeing 10,000 files' summaries one by one was a sixth of a warm
/// `kubelint check one-file.yaml`, for memory the process is about to give back whole (clang's
/// `-disable-free`, for the same reason). The CLI's check says so; an editor and tests, which
/// run on, free as usual.
pub fn leave_memory_to_exit() {
    LEAVE_MEMORY_TO_EXIT.store(true, Ordering::Relaxed);
}

/// Frees `value`, unless the process leaves its memory to its exit.
pub(crate) fn release<T>(value: T) {
    if LEAVE_MEMORY_TO_EXIT.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Lints files and folders. When only files are named (as pre-commit names changed files) and
/// a config file marks the repository root, the rest of the repository is read too, so that
/// references resolve; only the named files are reported. Reads no cache.
pub fn check_paths(paths: &[PathBuf], config: &Config, rules: &RuleSet) -> Outcome {
    check_paths_cached(paths, config, rules, false)
}

/// `check_paths`, with the repository's summaries kept between runs in its cache folder when
/// `cache` is set (the CLI's default).
pub fn check_paths_cached(
    paths: &[PathBuf],
    config: &Config,
    rules: &RuleSet,
    cache: bool,
) -> Outcome {
    let mut workspace = Workspace::for_paths(paths, config, cache);
    workspace.load(config, rules);
    let outcome = workspace.check(paths, config, rules);
    release(workspace);
    outcome
}

/// Whether a linted path is the config's folder, so the run walks the whole repository.
pub(crate) fn is_root(path: &Path, config: &Config) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    path.is_dir() && canonical(path).is_some_and(|p| Some(p) == canonical(&config.root))
}

/// Where the repository starts: the config's folder, else the enclosing git work tree, else
/// the current folder; `None` when a linted path lies outside it (a file from elsewhere
/// does not make kubelint read the current folder).
pub fn repository_root(config: &Config, paths: &[PathBuf]) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let root = match &config.source {
        Some(_) => crate::config::absolutize(&cwd, &config.root),
        None => cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(&cwd)
            .to_path_buf(),
    };
    let canonical_root = std::fs::canonicalize(&root).ok()?;
    // A buffer not yet saved has no file: its folder says where it is.
    let inside = |path: &PathBuf| {
        let path = crate::config::absolutize(&cwd, path);
        let canonical = std::fs::canonicalize(&path)
            .or_else(|e| path.parent().map_or(Err(e), std::fs::canonicalize));
        canonical.is_ok_and(|p| p.starts_with(&canonical_root))
    };
    paths.iter().all(inside).then_some(root)
}

/// Lints text (an editor's buffer on stdin) as if it were the file at `path`, so the
/// environment of that path applies, and references resolve against the rest of the
/// repository as they do when the file is named. Reads no cache.
pub fn check_text(text: &[u8], path: &Path, config: &Config, rules: &RuleSet) -> Outcome {
    check_text_cached(text, path, config, rules, false)
}

/// `check_text`, with the repository's summaries from its cache folder when `cache` is set.
pub fn check_text_cached(
    text: &[u8],
    path: &Path,
    config: &Config,
    rules: &RuleSet,
    cache: bool,
) -> Outcome {
    // What the path is decides how it is read; a config file or a Helm template lints to nothing.
    if discover::classify(path, config, true).is_none() {
        return Outcome::default();
    }
    let named = [path.to_path_buf()];
    let mut workspace = Workspace::for_paths(&named, config, cache);
    // The buffer first, so it is file 0 of the run, as fixes of a buffer expect.
    workspace.set_overlay(path, text.to_vec(), config);
    workspace.load(config, rules);
    let mut outcome = workspace.check(&named, config, rules);
    release(workspace);
    // Standard input is one buffer: what the config's paths match is for runs over folders.
    outcome.warnings.clear();
    outcome
}

/// Lints `text` as the file at `path`, with `files` (path, text) and the `context` inputs
/// read from disk as the rest of the repository: their objects resolve references, their
/// findings are not reported. Rule cases pass their other files here.
pub fn check_buffer(
    text: &[u8],
    path: &Path,
    files: &[(PathBuf, String)],
    context: &[Input],
    config: &Config,
    rules: &RuleSet,
) -> Outcome {
    // What the path is decides how it is read; a config file or a Helm template lints to nothing.
    let Some((file, findings)) = parse_buffer(FileId(0), path, text, config, rules) else {
        return Outcome::default();
    };
    let mut parsed = vec![file];
    for (other, text) in files {
        let id = FileId(parsed.len() as u32);
        if let Some((mut file, _)) = parse_buffer(id, other, text.as_bytes(), config, rules) {
            file.reported = false;
            parsed.push(file);
        }
    }
    let start = parsed.len();
    parsed.par_extend(context.par_iter().enumerate().map(|(index, input)| {
        let (mut file, _) = read_and_parse(FileId((start + index) as u32), input, config, rules);
        file.reported = false;
        file
    }));
    let outcome = finish(&mut parsed, findings, config, rules, &[], None);
    parsed.into_par_iter().for_each(drop);
    outcome
}

/// Classifies, decodes and parses text that stands for the file at `path` (a buffer, a rule
/// case); `None` when kubelint does not lint such a path.
fn parse_buffer(
    id: FileId,
    path: &Path,
    text: &[u8],
    config: &Config,
    rules: &RuleSet,
) -> Option<(ParsedFile, Vec<Finding>)> {
    let input = discover::classify(path, config, true)?;
    Some(parse(
        id,
        &input,
        read_text(&input.display, text),
        config,
        rules,
    ))
}

/// What `kubelint build DIR` prints: the objects a kustomization builds, and the problems
/// found on the way, with the files their origins point into.
#[derive(Debug)]
pub struct BuiltDir {
    pub objects: Vec<crate::yaml::Tree>,
    pub findings: Vec<Finding>,
    pub sources: Sources,
}

/// What `kubelint drift` compares: the objects that `paths` deploy to the environment
/// `env`, built as `check` builds them, against the live dump `live` (`kubectl get … -o
/// yaml`), read as the file `live_path`. Problems in the Git files are `check`'s to report;
/// a live dump that does not parse is reported here.
pub fn check_drift(
    paths: &[PathBuf],
    live: &[u8],
    live_path: &Path,
    env: &str,
    config: &Config,
    rules: &RuleSet,
) -> Result<Outcome, String> {
    let Some(env) = config.environment(env) else {
        let known: Vec<String> = config.file.environments.keys().cloned().collect();
        return Err(format!(
            "no environment `{env}` in the config (known: {})",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ));
    };
    let discovered = discover::discover(paths, config);
    let files: Vec<ParsedFile> = discovered
        .inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| read_and_parse(FileId(index as u32), input, config, rules).0)
        .collect();
    drift_of(files, live, live_path, &env, config, rules)
}

/// `check_drift` for a rule case: Git is `text`, read as the file at `path`.
pub fn check_drift_text(
    text: &[u8],
    path: &Path,
    live: &[u8],
    live_path: &Path,
    config: &Config,
    rules: &RuleSet,
) -> Result<Outcome, String> {
    let env = config
        .environments()
        .next()
        .cloned()
        .ok_or("a drift case needs an environment")?;
    let (file, _) = parse_buffer(FileId(0), path, text, config, rules)
        .ok_or("the case's path is not linted")?;
    drift_of(vec![file], live, live_path, &env, config, rules)
}

fn drift_of(
    mut files: Vec<ParsedFile>,
    live: &[u8],
    live_path: &Path,
    env: &crate::config::Env,
    config: &Config,
    rules: &RuleSet,
) -> Result<Outcome, String> {
    load_build_inputs(&mut files, config, rules);
    let live_id = FileId(files.len() as u32);
    // Whatever its name or folder, the dump is read as manifests.
    let live_input = Input {
        kind: crate::model::InputKind::Manifest,
        ..discover::classify(live_path, config, true).unwrap_or_else(|| Input {
            path: live_path.to_path_buf(),
            display: live_path.display().to_string(),
            kind: crate::model::InputKind::Manifest,
        })
    };
    let (mut live_file, mut findings) = parse(
        live_id,
        &live_input,
        read_text(&live_input.display, live),
        config,
        rules,
    );
    live_file.envs.clear();
    let builds = kustomize::build_all(&files, config, rules);
    let consumed: HashSet<FileId> = builds.consumed.iter().copied().collect();
    let mut built = builds.built;
    built.extend(helm::build_all(&mut files, config, rules).built);
    files.push(live_file);
    let pod_paths = PodSpecPaths::new(&config.file.pod_specs);
    // The dump is not Git: its objects are read apart from the project's.
    let (git_files, live_files) = files.split_at(live_id.0 as usize);
    let environments: Vec<Arc<crate::config::Env>> = config.environments().cloned().collect();
    let project = Project::build(git_files, &built, &consumed, &pod_paths, &environments);
    let live_objects: Vec<crate::model::Object<'_>> = live_files[0]
        .stream
        .documents
        .iter()
        .flat_map(|doc| crate::model::objects_of(doc, &pod_paths))
        .collect();
    findings.extend(crate::rules::drift::compare(
        &project,
        &live_objects,
        env,
        rules,
    ));
    let objects = project.objects.len();
    drop(live_objects);
    drop(project);
    let suppressions: Vec<FileSuppressions> = files
        .iter()
        .map(|file| FileSuppressions::read(file, rules, &mut Vec::new()))
        .collect();
    let (findings, sources) = conclude(&files, &suppressions, findings);
    Ok(Outcome {
        findings,
        sources,
        files: files.len(),
        objects,
        ..Outcome::default()
    })
}

/// For each of `paths`, the environments that the kustomize builds including it deploy it to,
/// with the kustomization that brings it in. The repository is read and built once for all.
pub fn deployments(
    paths: &[&Path],
    config: &Config,
    rules: &RuleSet,
) -> Vec<Vec<(Arc<crate::config::Env>, String)>> {
    let discovered = discover::discover(std::slice::from_ref(&config.root), config);
    let mut files: Vec<ParsedFile> = discovered
        .inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| read_and_parse(FileId(index as u32), input, config, rules).0)
        .collect();
    load_build_inputs(&mut files, config, rules);
    let by_path: std::collections::HashMap<PathBuf, FileId> = files
        .iter()
        .filter_map(|f| Some((std::fs::canonicalize(f.path.as_deref()?).ok()?, f.id)))
        .collect();
    let builds = kustomize::build_all(&files, config, rules);
    paths
        .iter()
        .map(|path| {
            let Some(&id) = std::fs::canonicalize(path)
                .ok()
                .and_then(|target| by_path.get(&target))
            else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for built in builds.built.iter().filter(|b| b.reads.contains(&id)) {
                for env in &built.envs {
                    out.push((
                        Arc::clone(env),
                        files[built.file.0 as usize].source.path.clone(),
                    ));
                }
            }
            out.sort_by(|a, b| (&a.0.name, &a.1).cmp(&(&b.0.name, &b.1)));
            out.dedup_by(|a, b| a.0.name == b.0.name && a.1 == b.1);
            out
        })
        .collect()
}

/// Builds the kustomization in `dir`, reading only the files it names.
pub fn build_dir(dir: &Path, config: &Config, rules: &RuleSet) -> Result<BuiltDir, String> {
    let path = kustomize::file_in(dir)
        .ok_or_else(|| format!("{}: no kustomization file in this folder", dir.display()))?;
    let input = discover::classify(&path, config, true)
        .ok_or_else(|| format!("{}: cannot read", path.display()))?;
    let (root, mut findings) = read_and_parse(FileId(0), &input, config, rules);
    let mut files = vec![root];
    load_build_inputs(&mut files, config, rules);
    let (objects, built) = kustomize::build_one(&files, FileId(0), rules);
    findings.extend(built);
    let mut sources = Sources::default();
    for file in &files {
        sources.add(Arc::clone(&file.source));
    }
    findings.sort_by(|a, b| a.order(b, &sources));
    Ok(BuiltDir {
        objects,
        findings,
        sources,
    })
}

/// What `kubelint build CHART` prints: each release of the chart as `helm template` renders
/// it (with the command line it stands for), as kubelint reads it.
#[derive(Debug)]
pub struct RenderedDir {
    pub releases: Vec<(String, Vec<crate::yaml::Tree>)>,
    pub findings: Vec<Finding>,
    pub sources: Sources,
}

/// Renders the releases of the chart in `dir` with `helm`.
pub fn render_dir(dir: &Path, config: &Config, rules: &RuleSet, helm: &Path) -> RenderedDir {
    let discovered = discover::discover(&[dir.to_path_buf()], config);
    let mut files: Vec<ParsedFile> = discovered
        .inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| read_and_parse(FileId(index as u32), input, config, rules).0)
        .collect();
    let (rendered, mut findings) = helm::render_charts(&mut files, config, rules, helm);
    let releases = rendered
        .into_iter()
        .map(|(command, built)| {
            let objects = built
                .documents
                .iter()
                .filter_map(|doc| crate::yaml::Tree::from_node(doc.root()?).ok())
                .collect();
            (command, objects)
        })
        .collect();
    let mut sources = Sources::default();
    for file in &files {
        sources.add(Arc::clone(&file.source));
    }
    findings.sort_by(|a, b| a.order(b, &sources));
    RenderedDir {
        releases,
        findings,
        sources,
    }
}

/// Files that kustomizations name but the walk did not see (a base outside the linted
/// folder), read for the builds only, until every build has what it names.
fn load_build_inputs(files: &mut Vec<ParsedFile>, config: &Config, rules: &RuleSet) {
    let mut known: HashSet<PathBuf> = files.iter().filter_map(canonical).collect();
    let mut pending: Vec<usize> = (0..files.len()).collect();
    // Each round reads the files the previous round's kustomizations name; the chain of
    // bases is short in practice and bounded by the files on disk.
    while !pending.is_empty() {
        let mut wanted: Vec<PathBuf> = pending
            .iter()
            .flat_map(|&i| kustomize::referenced_paths(&files[i]))
            .filter(|path| !known.contains(path))
            .collect();
        wanted.sort();
        wanted.dedup();
        known.extend(wanted.iter().cloned());
        let inputs: Vec<Input> = wanted
            .iter()
            .filter_map(|path| discover::classify(path, config, true))
            .collect();
        let start = files.len();
        let loaded: Vec<ParsedFile> = inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let id = FileId((start + index) as u32);
                let (mut file, _) = read_and_parse(id, input, config, rules);
                file.reported = false;
                file
            })
            .collect();
        pending = (start..start + loaded.len()).collect();
        files.extend(loaded);
    }
}

fn canonical(file: &ParsedFile) -> Option<PathBuf> {
    file.path
        .as_deref()
        .and_then(|p| std::fs::canonicalize(p).ok())
}

pub(crate) fn unread_file(id: FileId, source: Arc<SourceFile>) -> ParsedFile {
    ParsedFile {
        id,
        path: None,
        source,
        stream: yaml::Stream::default(),
        kind: crate::model::InputKind::Manifest,
        envs: Vec::new(),
        reported: true,
    }
}

pub(crate) fn read_and_parse(
    id: FileId,
    input: &Input,
    config: &Config,
    rules: &RuleSet,
) -> (ParsedFile, Vec<Finding>) {
    parse_read(id, input, read_bytes(&input.path), config, rules)
}

/// Parses what reading `input` gave: its bytes, or why it could not be read (a finding).
pub(crate) fn parse_read(
    id: FileId,
    input: &Input,
    read: Result<Vec<u8>, (&'static str, String)>,
    config: &Config,
    rules: &RuleSet,
) -> (ParsedFile, Vec<Finding>) {
    match read {
        Ok(bytes) => parse(id, input, read_text(&input.display, &bytes), config, rules),
        Err((rule, message)) => {
            let mut file = unread_file(id, Arc::new(SourceFile::new(input.display.clone(), "")));
            file.path = Some(input.path.clone());
            file.kind = input.kind;
            let finding = rules.builtin_finding(rule, Origin::new(id, 0..0), message);
            (file, finding.into_iter().collect())
        }
    }
}

/// Reads a regular file. A FIFO or device would block or never end, so only regular files
/// are opened; a file over the size limit is not read at all.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, (&'static str, String)> {
    let unreadable = |e: std::io::Error| (ids::FILE_UNREADABLE, format!("cannot read: {e}"));
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err((
            ids::FILE_UNREADABLE,
            "cannot read: not a regular file".into(),
        ));
    }
    if metadata.len() > MAX_FILE_BYTES_READ as u64 {
        return Err((ids::FILE_NOT_TEXT, too_large(metadata.len() as usize)));
    }
    std::fs::read(path).map_err(unreadable)
}

pub(crate) fn parse(
    id: FileId,
    input: &Input,
    loaded: discover::Loaded,
    config: &Config,
    rules: &RuleSet,
) -> (ParsedFile, Vec<Finding>) {
    let source = Arc::new(loaded.source);
    let envs = config.environments_for(&config.relative(&input.path));
    let mut findings = Vec::new();
    let stream = match loaded.problem {
        Some(problem) => {
            let origin = Origin::new(id, problem.span);
            findings.extend(rules.builtin_finding(ids::FILE_NOT_TEXT, origin, problem.message));
            yaml::Stream::default()
        }
        None if discover::is_chart_template_text(input, &source.text) => yaml::Stream::default(),
        None if discover::is_json(&input.path) => {
            yaml::parse_json(Arc::clone(&source.text)).in_file(id)
        }
        None => yaml::parse(Arc::clone(&source.text)).in_file(id),
    };
    for problem in &stream.problems {
        let rule = match problem.kind {
            ProblemKind::Syntax => ids::YAML_SYNTAX,
            ProblemKind::DuplicateKey => ids::YAML_DUPLICATE_KEY,
            ProblemKind::ExcessiveAliasing => ids::YAML_EXCESSIVE_ALIASING,
        };
        let origin = Origin::new(id, problem.span.clone());
        let finding = rules.builtin_finding(rule, origin, problem.message.clone());
        findings.extend(finding.map(|mut f| {
            if let Some(first) = &problem.related {
                f.related.push(Related {
                    origin: Origin::new(id, first.clone()),
                    message: "first defined here".into(),
                });
            }
            f
        }));
    }
    let file = ParsedFile {
        id,
        path: Some(input.path.clone()),
        source,
        stream,
        kind: input.kind,
        envs,
        reported: true,
    };
    (file, findings)
}

/// Builds, the project, rules and suppressions over `files` (indexed by id), reporting the
/// files marked `reported`. `known` holds summaries already made, by file id (a session's),
/// so the inventory is not made again from every file, and `base` what it kept of the last
/// run's inventory (files it holds are not added again). Files the builds name but `files`
/// lacks are read and appended; the caller owns `files` again afterwards.
pub(crate) fn finish(
    files: &mut Vec<ParsedFile>,
    mut findings: Vec<Finding>,
    config: &Config,
    rules: &RuleSet,
    known: &[Option<&crate::model::summary::Summary>],
    base: Option<&crate::model::Base>,
) -> Outcome {
    load_build_inputs(files, config, rules);
    let builds = kustomize::build_all(files, config, rules);
    let consumed: HashSet<FileId> = builds.consumed.iter().copied().collect();
    findings.extend(
        builds
            .findings
            .into_iter()
            .filter(|f| files[f.origin.file.0 as usize].reported),
    );
    let mut built: Vec<Built> = builds.built;
    // A linted overlay lints what it builds: the files it reads count as linted files.
    let mut linted_files: HashSet<FileId> =
        files.iter().filter(|f| f.reported).map(|f| f.id).collect();
    for build in built.iter().filter(|b| files[b.file.0 as usize].reported) {
        linted_files.extend(build.reads.iter().copied());
    }
    let releases = helm::build_all(files, config, rules);
    findings.extend(
        releases
            .findings
            .into_iter()
            .filter(|f| files[f.origin.file.0 as usize].reported),
    );
    built.extend(releases.built);
    // Findings may point into any file a build read, so every file's suppressions count;
    // a mistake in one is reported only where the file is.
    let (suppressions, unknown): (Vec<FileSuppressions>, Vec<Vec<Finding>>) = files
        .par_iter()
        .map(|file| {
            let mut unknown = Vec::new();
            let read = FileSuppressions::read(file, rules, &mut unknown);
            (read, if file.reported { unknown } else { Vec::new() })
        })
        .unzip();
    findings.extend(unknown.into_iter().flatten());
    let pod_paths = PodSpecPaths::new(&config.file.pod_specs);
    let environments: Vec<Arc<crate::config::Env>> = config.environments().cloned().collect();
    let project = Project::with_summaries(
        files,
        &built,
        &consumed,
        &pod_paths,
        &environments,
        known,
        base,
    );
    let catalog = crate::schema::Catalog::new(&project, &config.schema_folders());
    let admission = Admission::build(&project);
    findings.extend(
        admission
            .problems(rules)
            .into_iter()
            .filter(|f| project.reports(f.origin.file)),
    );
    let linted = |located: &&crate::model::Located<'_>| located.built || located.file.reported;
    let object_findings: Vec<Finding> = project
        .objects
        .par_iter()
        .filter(linted)
        .flat_map_iter(|located| {
            let mut out = Vec::new();
            let ignored = ignored_by_annotation(&project, located, rules, &mut out);
            out.extend(
                rules
                    .evaluate(&project, located)
                    .into_iter()
                    .chain(rules.check_api(&catalog, config, located))
                    .filter(|f| !ignored.iter().any(|id| **id == *f.rule)),
            );
            out.extend(
                admission
                    .evaluate(located, rules)
                    .into_iter()
                    .filter(|f| !ignored.iter().any(|id| **id == *f.rule)),
            );
            // A build of a linted kustomization reports what it deploys wherever its lines
            // are; a build read for context reports only lines in the linted files.
            out.retain(|f| located.file.reported || project.reports(f.origin.file));
            out
        })
        .collect();
    findings.extend(object_findings);
    // A build read for context counts only the objects it takes from linted files.
    let counted = |located: &&crate::model::Located<'_>| {
        located.file.reported || project.reports(located.object.root.origin().file)
    };
    let objects = project.objects.iter().filter(counted).count();
    release(project);
    let (findings, sources) = conclude(files, &suppressions, findings);
    let outcome = Outcome {
        findings,
        sources,
        files: linted_files.len(),
        objects,
        warnings: Vec::new(),
        baseline_hidden: 0,
    };
    // The trees are most of the run's memory; free them on every core rather than one.
    if LEAVE_MEMORY_TO_EXIT.load(Ordering::Relaxed) {
        std::mem::forget(built);
    } else {
        built.into_par_iter().for_each(drop);
    }
    outcome
}

/// The end of every run: findings the files' suppressions allow, the files' sources, findings
/// in order, and one finding per problem across environments.
fn conclude(
    files: &[ParsedFile],
    suppressions: &[FileSuppressions],
    mut findings: Vec<Finding>,
) -> (Vec<Finding>, Sources) {
    findings.retain(|f| {
        suppressions[f.origin.file.0 as usize].allows(f, &files[f.origin.file.0 as usize].source)
    });
    let mut sources = Sources::default();
    for file in files {
        sources.add(Arc::clone(&file.source));
    }
    findings.par_sort_by(|a, b| a.order(b, &sources));
    merge_environments(&mut findings);
    (findings, sources)
}

/// The same rule on the same bytes in two environments is one problem to fix: one finding,
/// naming every environment that has it.
fn merge_environments(findings: &mut Vec<Finding>) {
    findings.dedup_by(|later, kept| {
        let same = later.rule == kept.rule && later.origin == kept.origin;
        if same {
            for env in later.envs.drain(..) {
                if !kept.envs.contains(&env) {
                    kept.envs.push(env);
                }
            }
        }
        same
    });
    for finding in findings.iter_mut() {
        finding.envs.sort();
    }
}
