//! One lint run end to end: discover → read and parse → project → rules → suppressions, in
//! parallel at every stage and deterministic in its result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{self, Input, MAX_FILE_BYTES_READ, read_text, too_large};
use crate::finding::Finding;
use crate::model::{ParsedFile, PodSpecPaths, Project};
use crate::rules::suppress::{FileSuppressions, ignored_by_annotation};
use crate::rules::{RuleSet, ids};
use crate::yaml::{self, ProblemKind, SourceFile};

/// The outcome of a run, ready for a reporter.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub objects: usize,
}

/// Lints files and folders. When only files are named (as pre-commit names changed files) and
/// a config file marks the repository root, the rest of the repository is read too, so that
/// references resolve; only the named files are reported.
pub fn check_paths(paths: &[PathBuf], config: &Config, rules: &RuleSet) -> Outcome {
    let discovered = discover::discover(paths, config);
    let context = context_inputs(paths, &discovered.inputs, config);
    let mut early = Vec::new();
    for problem in &discovered.problems {
        let file = Arc::new(SourceFile::new(problem.display.clone(), ""));
        early.extend(rules.builtin_finding(
            ids::FILE_UNREADABLE,
            &file,
            0..0,
            problem.message.clone(),
        ));
    }
    let reported = discovered.inputs.par_iter().map(|input| (input, true));
    let for_reference = context.par_iter().map(|input| (input, false));
    let files: Vec<(ParsedFile, Vec<Finding>)> = reported
        .chain(for_reference)
        .map(|(input, reported)| {
            let (mut file, findings) = read_and_parse(input, config, rules);
            file.reported = reported;
            (file, if reported { findings } else { Vec::new() })
        })
        .collect();
    finish(files, early, config, rules)
}

/// The repository's other files, when only files were named and a config file says where
/// the repository starts; nothing otherwise (a folder walk already sees its whole tree, and
/// without a config there is no root to walk).
fn context_inputs(paths: &[PathBuf], inputs: &[Input], config: &Config) -> Vec<Input> {
    if config.source.is_none() || paths.is_empty() || paths.iter().any(|p| p.is_dir()) {
        return Vec::new();
    }
    let named: std::collections::HashSet<&str> =
        inputs.iter().map(|i| i.display.as_str()).collect();
    let root = [config.root.clone()];
    discover::discover(&root, config)
        .inputs
        .into_iter()
        .filter(|input| !named.contains(input.display.as_str()))
        .collect()
}

/// Lints text (an editor's buffer on stdin) as if it were the file at `path`, so the
/// environment of that path applies.
pub fn check_text(text: &[u8], path: &Path, config: &Config, rules: &RuleSet) -> Outcome {
    // What the path is decides how it is read; a config file or a Helm template lints to nothing.
    let Some(input) = discover::classify(path, config, true) else {
        return Outcome::default();
    };
    let file = parse(&input, read_text(&input.display, text), config, rules);
    finish(vec![file], Vec::new(), config, rules)
}

fn read_and_parse(input: &Input, config: &Config, rules: &RuleSet) -> (ParsedFile, Vec<Finding>) {
    match read_bytes(&input.path) {
        Ok(bytes) => parse(input, read_text(&input.display, &bytes), config, rules),
        Err((rule, message)) => {
            let file = ParsedFile {
                source: Arc::new(SourceFile::new(input.display.clone(), "")),
                stream: yaml::Stream::default(),
                kind: input.kind,
                envs: Vec::new(),
                reported: true,
            };
            let finding = rules.builtin_finding(rule, &file.source, 0..0, message);
            (file, finding.into_iter().collect())
        }
    }
}

/// Reads a regular file. A FIFO or device would block or never end, so only regular files
/// are opened; a file over the size limit is not read at all.
fn read_bytes(path: &Path) -> Result<Vec<u8>, (&'static str, String)> {
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

fn parse(
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
            findings.extend(rules.builtin_finding(
                ids::FILE_NOT_TEXT,
                &source,
                problem.span,
                problem.message,
            ));
            yaml::Stream::default()
        }
        None if discover::is_json(&input.path) => yaml::parse_json(Arc::clone(&source.text)),
        None => yaml::parse(Arc::clone(&source.text)),
    };
    for problem in &stream.problems {
        let id = match problem.kind {
            ProblemKind::Syntax => ids::YAML_SYNTAX,
            ProblemKind::DuplicateKey => ids::YAML_DUPLICATE_KEY,
            ProblemKind::ExcessiveAliasing => ids::YAML_EXCESSIVE_ALIASING,
        };
        let finding =
            rules.builtin_finding(id, &source, problem.span.clone(), problem.message.clone());
        findings.extend(finding.map(|mut f| {
            if let Some(first) = &problem.related {
                f.related.push(crate::finding::Related {
                    span: first.clone(),
                    message: "first defined here".into(),
                });
            }
            f
        }));
    }
    let file = ParsedFile {
        source,
        stream,
        kind: input.kind,
        envs,
        reported: true,
    };
    (file, findings)
}

fn finish(
    parsed: Vec<(ParsedFile, Vec<Finding>)>,
    mut findings: Vec<Finding>,
    config: &Config,
    rules: &RuleSet,
) -> Outcome {
    let (files, file_findings): (Vec<ParsedFile>, Vec<Vec<Finding>>) = parsed.into_iter().unzip();
    findings.extend(file_findings.into_iter().flatten());
    let reported: Vec<&ParsedFile> = files.iter().filter(|f| f.reported).collect();
    let (suppressions, unknown): (Vec<FileSuppressions>, Vec<Vec<Finding>>) = reported
        .par_iter()
        .map(|file| {
            let mut unknown = Vec::new();
            (FileSuppressions::read(file, rules, &mut unknown), unknown)
        })
        .unzip();
    findings.extend(unknown.into_iter().flatten());
    let pod_paths = PodSpecPaths::new(&config.file.pod_specs);
    let project = Project::build(&files, &pod_paths);
    let object_findings: Vec<Finding> = project
        .objects
        .par_iter()
        .filter(|located| located.file.reported)
        .flat_map_iter(|located| {
            let mut out = Vec::new();
            let ignored = ignored_by_annotation(located, rules, &mut out);
            out.extend(
                rules
                    .evaluate(&project, located)
                    .into_iter()
                    .filter(|f| !ignored.iter().any(|id| **id == *f.rule)),
            );
            out
        })
        .collect();
    findings.extend(object_findings);
    let by_path: HashMap<&str, &FileSuppressions> = reported
        .iter()
        .map(|f| f.source.path.as_str())
        .zip(&suppressions)
        .collect();
    findings.retain(|f| {
        by_path
            .get(f.file.path.as_str())
            .is_none_or(|s| s.allows(f))
    });
    findings.par_sort_by(|a, b| a.order(b));
    // The same rule on the same bytes in two environments is one problem to fix.
    findings.dedup_by(|a, b| a.rule == b.rule && a.file.path == b.file.path && a.span == b.span);
    let outcome = Outcome {
        findings,
        files: reported.len(),
        objects: project.objects.iter().filter(|l| l.file.reported).count(),
    };
    drop(reported);
    // The trees are most of the run's memory; free them on every core rather than one.
    drop(project);
    files.into_par_iter().for_each(drop);
    outcome
}
