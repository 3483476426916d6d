//! The `rules` stage: rule files compiled once, evaluated over every object of the project.

pub mod admission;
mod api;
pub mod cases;
mod code;
mod cond;
pub mod docs;
pub mod drift;
mod eval;
mod facts;
mod fixes;
mod pattern;
mod quantity;
mod refs;
mod regions;
mod schema;
mod sections;
pub mod suppress;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::finding::Severity;
use crate::source::SourceFile;
use rayon::prelude::*;
use serde_saphyr::Spanned;

pub use schema::{Case, Subject};

use cond::Cond;
use facts::Fact;
use schema::{Clause, RuleFile, Tests};
use template::Template;

/// Where the rule documentation lives; each rule links to its own section.
pub const DOCS_URL: &str = "https://github.com/kubelint/kubelint/blob/main/docs/rules.md";

/// Rules whose checks live in code; each still has a rule file with its docs.
pub mod ids {
    pub const YAML_SYNTAX: &str = "yaml-syntax";
    pub const YAML_DUPLICATE_KEY: &str = "yaml-duplicate-key";
    pub const YAML_EXCESSIVE_ALIASING: &str = "yaml-excessive-aliasing";
    pub const FILE_NOT_TEXT: &str = "file-not-text";
    pub const FILE_UNREADABLE: &str = "file-unreadable";
    pub const INVALID_SUPPRESSION: &str = "invalid-suppression";
    pub const INVALID_IMAGE_REFERENCE: &str = "invalid-image-reference";
    pub const SCHEMA_INVALID: &str = "schema-invalid";
    pub const SCHEMA_UNKNOWN_KIND: &str = "schema-unknown-kind";
    pub const DEPRECATED_API: &str = "deprecated-api";
    pub const REMOVED_API: &str = "removed-api";
    pub const ADMISSION_POLICY: &str = "admission-policy";
    pub const DRIFT: &str = "drift";
}

/// The built-in rule files, embedded at build time from `rules/`: each file's path, its text,
/// and the part before `tests:` as JSON (none when the build could not read it).
const BUILTIN: &[(&str, &str, Option<&str>)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Arc<str>,
    pub severity: Severity,
    pub summary: String,
    pub description: Option<String>,
    pub runbook: Option<String>,
    pub url: String,
    pub builtin: bool,
    /// Whether the rule runs without the config's `rules.enable` naming it.
    pub on_by_default: bool,
    /// Whether the rule ships with kubelint (embedded from `rules/`), not a config's folder.
    pub shipped: bool,
    /// Whether the rule runs in this configuration.
    pub on: bool,
    /// The subject the engine walks (`volume` is each item of a pod's volumes), and the items.
    walk: (Subject, Option<Each>),
    /// The file the rule was read from, for messages about the rule itself.
    pub source: String,
    /// The text of the file's `tests:` section, and the line it starts on.
    tests: (String, usize),
    kinds: Vec<String>,
    when: Option<Cond>,
    clauses: Vec<CompiledClause>,
    /// For `for: reference`: the references the rule resolves.
    references: Vec<refs::RefSpec>,
}

/// What a rule iterates within its subject.
#[derive(Debug, Clone)]
enum Each {
    /// The nodes of every path, in order.
    Paths(Vec<Fact>),
    Template(code::Template),
}

#[derive(Debug, Clone)]
struct CompiledClause {
    subject: Subject,
    condition: Option<Cond>,
    /// The first of these nodes that is present.
    at: Vec<Fact>,
    at_key: bool,
    severity: Severity,
    message: Template,
    help: Option<Template>,
    fix: Option<fixes::CompiledFix>,
    /// A related location at the referenced object, with this message.
    related: Option<Template>,
}

/// Every rule of the run, after the config disabled and re-graded them.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Every known id, disabled ones included, so suppressions naming them are not "unknown".
    known: BTreeMap<String, ()>,
}

impl RuleSet {
    /// The built-in rules plus the config's rule folders, with its disables and severities.
    pub fn load(config: &Config) -> Result<RuleSet, ConfigError> {
        // On every core, since a file on save waits for all 99; collected in file order first,
        // so that of two broken files the first is the one reported.
        let compiled: Vec<Result<Rule, ConfigError>> = BUILTIN
            .par_iter()
            .map(|(path, text, json)| compile_shipped(path, text, *json))
            .collect();
        let mut rules = compiled
            .into_iter()
            .map(|rule| {
                rule.map(|rule| Rule {
                    shipped: true,
                    ..rule
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for folder in &config.file.rules.folders {
            rules.extend(load_folder(&rule_folder(config, folder)?)?);
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = rules.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(error(
                &pair[1].source,
                None,
                format!(
                    "rule id `{}` is already defined in {}",
                    pair[1].id, pair[0].source
                ),
            ));
        }
        let known: BTreeMap<String, ()> = rules.iter().map(|r| (r.id.to_string(), ())).collect();
        let config_path = config.source.clone().unwrap_or_default();
        let config_path = crate::config::display_path(&config_path);
        for id in &config.file.rules.disable {
            if !known.contains_key(&id.value) {
                return Err(error(
                    &config_path,
                    Some(place(id.referenced)),
                    format!("rules.disable: unknown rule `{}`", id.value),
                ));
            }
        }
        for (id, severity) in &config.file.rules.severity {
            let Some(rule) = rules.iter_mut().find(|r| *r.id == **id) else {
                return Err(error(
                    &config_path,
                    Some(place(severity.referenced)),
                    format!("rules.severity: unknown rule `{id}`"),
                ));
            };
            rule.severity = severity.value;
            for clause in &mut rule.clauses {
                clause.severity = severity.value;
            }
        }
        for id in &config.file.rules.enable {
            let Some(rule) = rules.iter_mut().find(|r| *r.id == *id.value) else {
                return Err(error(
                    &config_path,
                    Some(place(id.referenced)),
                    format!("rules.enable: unknown rule `{}`", id.value),
                ));
            };
            rule.on = true;
        }
        for rule in &mut rules {
            if config
                .file
                .rules
                .disable
                .iter()
                .any(|d| *d.value == *rule.id)
            {
                rule.on = false;
            }
        }
        Ok(RuleSet { rules, known })
    }

    /// The same rules, every one on: each rule's cases run whatever the defaults say.
    pub fn with_every_rule_on(&self) -> RuleSet {
        let mut all = RuleSet {
            rules: self.rules.clone(),
            known: self.known.clone(),
        };
        for rule in &mut all.rules {
            rule.on = true;
        }
        all
    }

    /// Every rule, on or off, in id order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule that runs in this configuration.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id && r.on)
    }

    pub fn is_known(&self, id: &str) -> bool {
        self.known.contains_key(id)
    }
}

/// A 1-based line and column in a rule or config file.
type Place = (u64, u64);

fn place(location: serde_saphyr::Location) -> Place {
    (location.line().max(1), location.column().max(1))
}

fn error(path: &str, place: Option<Place>, message: String) -> ConfigError {
    let (line, column) = place.unwrap_or((1, 1));
    ConfigError {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// Reads every `*.yaml` rule file under a folder, in path order.
/// A rule folder of the config, which must lie inside the config's repository: `/` or `..`
/// would walk the file system (and fail on `/proc`), never what a user means.
fn rule_folder(config: &Config, folder: &Spanned<String>) -> Result<PathBuf, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = crate::config::absolutize(&cwd, &config.root);
    let path = crate::config::absolutize(&cwd, &config.root.join(&folder.value));
    if path.starts_with(&root) && path != root {
        return Ok(path);
    }
    let config_path = config.source.clone().unwrap_or_default();
    Err(error(
        &crate::config::display_path(&config_path),
        Some(place(folder.referenced)),
        format!(
            "rules.folders: `{}` is not a folder inside the config's folder",
            folder.value
        ),
    ))
}

fn load_folder(folder: &Path) -> Result<Vec<Rule>, ConfigError> {
    let shown = crate::config::display_path(folder);
    let mut paths = Vec::new();
    for entry in ignore::WalkBuilder::new(folder)
        .standard_filters(false)
        .build()
    {
        let entry =
            entry.map_err(|e| error(&shown, None, format!("cannot read rule folder: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") && path.is_file() {
            paths.push(path.to_path_buf());
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let shown = crate::config::display_path(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| error(&shown, None, format!("cannot read: {e}")))?;
            compile(&shown, &text)
        })
        .collect()
}

/// Rule ids are what suppressions, config keys and docs anchors name: lowercase words of
/// letters and digits joined by single hyphens.
fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl Rule {
    /// Every regular expression of the rule's conditions, its `when` first.
    fn patterns(&self) -> Vec<&pattern::Pattern> {
        let conditions = self
            .when
            .iter()
            .chain(self.clauses.iter().flat_map(|c| &c.condition));
        conditions.flat_map(Cond::patterns).collect()
    }

    /// Whether any clause of the rule declares a fix.
    pub fn has_fix(&self) -> bool {
        self.clauses.iter().any(|c| c.fix.is_some())
    }

    /// Each distinct fix of the rule: its title as written, and why it is unsafe if it is.
    pub fn fixes(&self) -> Vec<&(String, Option<String>)> {
        let mut fixes: Vec<&(String, Option<String>)> = Vec::new();
        for fix in self.clauses.iter().filter_map(|c| c.fix.as_ref()) {
            if !fixes.contains(&&fix.described) {
                fixes.push(&fix.described);
            }
        }
        fixes
    }

    /// The rule's own test cases, read from its file's `tests:` section.
    pub fn cases(&self) -> Result<Vec<Case>, ConfigError> {
        let (text, first_line) = &self.tests;
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_saphyr::from_str::<Tests>(text)
            .map(|t| t.tests)
            .map_err(|e| {
                let at = e
                    .location()
                    .map(|l| (l.line().max(1) + *first_line as u64 - 1, l.column().max(1)));
                let message = crate::config::parse_message(&e);
                error(
                    &self.source,
                    at,
                    format!("rule `{}`: tests: {message}", self.id),
                )
            })
    }
}

/// Compiles one rule file; every mistake is reported at its line:column. Each regular
/// expression is built now, so one too large to build is an error of the rule, not a
/// pattern that silently matches nothing.
pub fn compile(path: &str, text: &str) -> Result<Rule, ConfigError> {
    let (text, tests) = sections::split_tests(text);
    let file: RuleFile = serde_saphyr::from_str(text).map_err(|e| {
        error(
            path,
            e.location().map(place),
            crate::config::parse_message(&e),
        )
    })?;
    let rule = compile_file(path, text, tests, file)?;
    for pattern in rule.patterns() {
        if let Err(e) = pattern.build() {
            let message = format!("`{}`: invalid regex: {e}", pattern.source());
            return Err(error(
                path,
                near(text, None, &message),
                format!("rule `{}`: {message}", rule.id),
            ));
        }
    }
    Ok(rule)
}

/// Compiles a shipped rule from the JSON form the build made of its file (see build.rs),
/// which reads about thirteen times faster than the YAML; its patterns are built when first
/// matched. Should that form be missing or not compile, the YAML is compiled instead, so a
/// mistake in a shipped rule is still reported at its line:column.
fn compile_shipped(path: &str, text: &str, json: Option<&str>) -> Result<Rule, ConfigError> {
    let (yaml, tests) = sections::split_tests(text);
    let from_json = json
        .and_then(|json| serde_json::from_str::<RuleFile>(json).ok())
        .and_then(|file| compile_file(path, yaml, tests, file).ok());
    match from_json {
        Some(rule) => Ok(rule),
        None => compile(path, text),
    }
}

/// Compiles a rule file's contents; `text` (the file before its `tests:`) places mistakes.
fn compile_file(path: &str, text: &str, tests: &str, file: RuleFile) -> Result<Rule, ConfigError> {
    let tests_line = text.lines().count() + 1;
    let fail = |at: Option<Place>, message: String| {
        error(path, at, format!("rule `{}`: {message}", file.id))
    };
    if !is_kebab_case(&file.id) {
        let message = format!("the id `{}` is not kebab-case (like `my-rule-2`)", file.id);
        return Err(fail(near(text, None, &message), message));
    }
    if !file.builtin && (file.subject.is_none() || file.deny.is_empty()) {
        return Err(fail(
            None,
            "a rule needs `for` and at least one `deny` clause (or `builtin: true`)".into(),
        ));
    }
    let walk = compile_walk(file.subject.unwrap_or(Subject::Object), file.each.as_ref())
        .map_err(|m| fail(near(text, None, &m), format!("each: {m}")))?;
    let when = file
        .when
        .as_ref()
        .map(|w| {
            Cond::compile(&w.value)
                .map_err(|m| fail(near(text, Some(w.referenced), &m), format!("when: {m}")))
        })
        .transpose()?;
    let shared_message = file
        .message
        .as_deref()
        .map(Template::compile)
        .transpose()
        .map_err(|m| fail(near(text, None, &m), format!("message: {m}")))?;
    let shared_help = file
        .help
        .as_deref()
        .map(Template::compile)
        .transpose()
        .map_err(|m| fail(near(text, None, &m), format!("help: {m}")))?;
    let clauses = file
        .deny
        .iter()
        .enumerate()
        .map(|(i, clause)| {
            compile_clause(clause, &file, shared_message.as_ref(), shared_help.as_ref())
                .map_err(|(at, m)| fail(near(text, at, &m), format!("deny[{i}]: {m}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(walk.0, Subject::Object | Subject::Pod) {
        let needs_container = when
            .iter()
            .flat_map(Cond::facts)
            .chain(clauses.iter().flat_map(CompiledClause::facts))
            .find(|f| f.needs_container());
        if let Some(fact) = needs_container {
            return Err(fail(
                None,
                format!(
                    "`{fact:?}` needs `for: container` or `for: image`, which put a container in scope"
                ),
            ));
        }
    }
    let references = file
        .references
        .iter()
        .map(refs::RefSpec::compile)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| fail(near(text, None, &m), m))?;
    let reference_facts = when
        .iter()
        .flat_map(Cond::facts)
        .chain(clauses.iter().flat_map(CompiledClause::facts))
        .find(|f| f.needs_reference());
    match (
        walk.0 == Subject::Reference,
        references.is_empty(),
        reference_facts,
    ) {
        (true, true, _) => {
            return Err(fail(None, "`for: reference` needs `references`".into()));
        }
        (false, false, _) => {
            return Err(fail(None, "`references` needs `for: reference`".into()));
        }
        (false, _, Some(fact)) => {
            return Err(fail(
                None,
                format!("`{fact:?}` needs `for: reference`, which puts a reference in scope"),
            ));
        }
        _ => {}
    }
    let url = file
        .url
        .clone()
        .unwrap_or_else(|| format!("{DOCS_URL}#{}", file.id));
    Ok(Rule {
        id: file.id.as_str().into(),
        severity: file.severity,
        summary: file.summary,
        description: file.description,
        runbook: file.runbook,
        url,
        builtin: file.builtin,
        on_by_default: file.enabled,
        shipped: false,
        on: file.enabled,
        walk,
        source: path.to_string(),
        tests: (tests.to_string(), tests_line),
        kinds: file.kinds,
        when,
        clauses,
        references,
    })
}

/// Compile errors name the offending token in backticks; point at its first appearance after
/// `start` (the condition, or the top of the file), else at `start` itself.
fn near(text: &str, start: Option<serde_saphyr::Location>, message: &str) -> Option<Place> {
    let token = message.split('`').nth(1).filter(|t| !t.is_empty());
    let from = start.map_or(Some(0), |s| s.span().byte_offset().map(|b| b as usize));
    let found = token.zip(from).and_then(|(token, from)| {
        let at = from + text.get(from..)?.find(token)?;
        let position = SourceFile::new("", text).position(at);
        Some((position.line as u64, position.column as u64))
    });
    found.or(start.map(place))
}

/// The subject the engine walks and the items within it: `volume`, `port` and `env-var` are
/// lists inside a pod or container; `item` takes its subject from the root of its `each` path.
fn compile_walk(
    subject: Subject,
    each: Option<&schema::Each>,
) -> Result<(Subject, Option<Each>), String> {
    let path = |text: &str| {
        let fact = Fact::parse(text)?;
        if fact.is_path() {
            Ok(fact)
        } else {
            Err(format!("`{text}` is not a path"))
        }
    };
    let each = match each {
        None => None,
        Some(schema::Each::Path(text)) => Some(Each::Paths(vec![path(text)?])),
        Some(schema::Each::Paths(texts)) => {
            let paths = texts
                .iter()
                .map(|t| path(t))
                .collect::<Result<Vec<_>, _>>()?;
            let root = |fact: &Fact| std::mem::discriminant(fact);
            if paths.is_empty() || paths.iter().any(|p| root(p) != root(&paths[0])) {
                return Err(
                    "`each` lists paths from one root (`object.`, `pod.`, `container.`)".into(),
                );
            }
            Some(Each::Paths(paths))
        }
        Some(schema::Each::Template(template)) => Some(Each::Template(code::Template::compile(
            &template.template,
            path(&template.of)?,
            template.key.clone(),
        )?)),
    };
    let sugar = |base: Subject, list: &str| -> Result<_, String> {
        if each.is_some() {
            return Err(format!("`for: {subject:?}` already iterates {list}"));
        }
        Ok((base, Some(Each::Paths(vec![path(list)?]))))
    };
    match subject {
        Subject::Volume => sugar(Subject::Pod, "pod.volumes[*]"),
        Subject::Port => sugar(Subject::Container, "container.ports[*]"),
        Subject::EnvVar => sugar(Subject::Container, "container.env[*]"),
        Subject::Item => {
            let root = match &each {
                Some(Each::Paths(paths)) => &paths[0],
                Some(Each::Template(template)) => template.of(),
                None => return Err("`for: item` needs `each`".into()),
            };
            let base = match root {
                Fact::ObjectPath(_) => Subject::Object,
                Fact::PodPath(_) => Subject::Pod,
                _ => Subject::Container,
            };
            Ok((base, each))
        }
        other => Ok((other, each)),
    }
}

type ClauseError = (Option<serde_saphyr::Location>, String);

fn compile_clause(
    clause: &Clause,
    file: &RuleFile,
    message: Option<&Template>,
    help: Option<&Template>,
) -> Result<CompiledClause, ClauseError> {
    let condition = clause
        .condition
        .as_ref()
        .map(|c| Cond::compile(&c.value).map_err(|m| (Some(c.referenced), format!("if: {m}"))))
        .transpose()?;
    let names: Vec<&str> = match &clause.at {
        None => Vec::new(),
        Some(schema::At::One(name)) => vec![name],
        Some(schema::At::FirstOf(names)) => names.iter().map(String::as_str).collect(),
    };
    let at = names
        .into_iter()
        .map(Fact::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| (None, format!("at: {m}")))?;
    if at.iter().any(|fact| {
        !(fact.is_path()
            || matches!(
                fact,
                Fact::Image
                    | Fact::ImageRegistry
                    | Fact::ImageTag
                    | Fact::ImageDigest
                    | Fact::RefName
                    | Fact::RefMember
            ))
    }) {
        return Err((
            None,
            "at: names a node: `image` (or its `image.registry`, `image.tag`, `image.digest`), `ref.name`, `ref.member`, or a path (`object.`, `pod.`, `container.`, `security.`, `item.`)"
                .into(),
        ));
    }
    let message = match clause.message.as_deref() {
        Some(m) => Template::compile(m).map_err(|e| (None, format!("message: {e}")))?,
        None => message
            .cloned()
            .ok_or((None, "no `message` here or on the rule".to_string()))?,
    };
    let help = match clause.help.as_deref() {
        Some(h) => Some(Template::compile(h).map_err(|e| (None, format!("help: {e}")))?),
        None => help.cloned(),
    };
    let fix = clause
        .fix
        .as_ref()
        .or(file.fix.as_ref())
        .map(fixes::CompiledFix::compile)
        .transpose()
        .map_err(|e| (None, format!("fix: {e}")))?;
    let related = clause
        .related
        .as_deref()
        .map(Template::compile)
        .transpose()
        .map_err(|e| (None, format!("related: {e}")))?;
    Ok(CompiledClause {
        subject: file.subject.unwrap_or(Subject::Object),
        condition,
        at,
        at_key: clause.at_key,
        severity: clause.severity.unwrap_or(file.severity),
        message,
        help,
        fix,
        related,
    })
}

impl CompiledClause {
    fn facts(&self) -> Vec<&Fact> {
        let mut facts: Vec<&Fact> = self.condition.iter().flat_map(Cond::facts).collect();
        facts.extend(&self.at);
        facts.extend(self.message.facts());
        facts.extend(self.help.iter().flat_map(Template::facts));
        facts.extend(self.fix.iter().flat_map(fixes::CompiledFix::facts));
        facts.extend(self.related.iter().flat_map(Template::facts));
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "id: r\nseverity: error\nsummary: s\nfor: image\ndeny:\n  - if: { image.tag: latest }\nmessage: \"{image.tag} is latest\"\n";

    #[test]
    fn template_mistakes_point_at_the_unknown_fact() {
        let error = compile("r.yaml", &RULE.replace("image.tag}", "image.tga}")).unwrap_err();
        assert_eq!((error.line, error.column), (7, 12), "{error}");
        assert!(
            error.message.contains("message: unknown fact `image.tga`"),
            "{error}"
        );
    }

    #[test]
    fn object_rules_cannot_read_container_facts() {
        let rule = RULE
            .replace("for: image", "for: object")
            .replace("image.tga", "image");
        let error = compile("r.yaml", &rule).unwrap_err();
        assert!(error.message.contains("needs `for: container`"), "{error}");
    }

    #[test]
    fn a_rule_without_subject_or_clauses_is_rejected() {
        let error = compile("r.yaml", "id: r\nseverity: error\nsummary: s\n").unwrap_err();
        assert!(error.message.contains("needs `for`"), "{error}");
    }

    #[test]
    fn cases_are_read_on_demand_with_positions_in_the_whole_file() {
        let rule = format!("{RULE}tests:\n  - good: a\n  - god: b\n");
        let compiled = compile("r.yaml", &rule).unwrap();
        let error = compiled.cases().unwrap_err();
        assert_eq!(error.line, 10, "{error}");
        let fixed = compile("r.yaml", &rule.replace("god", "good")).unwrap();
        assert_eq!(fixed.cases().unwrap().len(), 2);
    }

    #[test]
    fn unknown_keys_in_a_rule_file_are_positioned() {
        let error = compile("r.yaml", "id: r\nseverity: error\nsumary: s\n").unwrap_err();
        assert_eq!(error.line, 3, "{error}");
    }

    #[test]
    fn every_shipped_rule_compiles_from_its_json_form_as_from_its_yaml() {
        for (path, text, json) in BUILTIN {
            let json = json.unwrap_or_else(|| panic!("{path}: the build made no JSON form"));
            let file: RuleFile = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("{path}: the JSON form does not read: {e}"));
            let (yaml, tests) = sections::split_tests(text);
            let from_json = compile_file(path, yaml, tests, file).unwrap();
            let from_yaml = compile(path, text).unwrap();
            assert_eq!(format!("{from_json:?}"), format!("{from_yaml:?}"), "{path}");
        }
    }

    #[test]
    fn every_pattern_of_every_shipped_rule_builds() {
        for (path, text, json) in BUILTIN {
            let rule = compile_shipped(path, text, *json).unwrap();
            for pattern in rule.patterns() {
                assert!(pattern.build().is_ok(), "{path}: {pattern:?}");
            }
        }
    }

    #[test]
    fn a_pattern_too_large_to_build_is_an_error_at_the_pattern() {
        let rule = RULE.replace(
            "{ image.tag: latest }",
            r#"{ image.tag: { matches: '(\w{1000}){1000}' } }"#,
        );
        let error = compile("r.yaml", &rule).unwrap_err();
        assert_eq!((error.line, error.column), (6, 34), "{error}");
        assert!(error.message.contains("size limit"), "{error}");
    }

    #[test]
    fn a_shipped_rule_whose_json_form_does_not_compile_is_reported_from_its_yaml() {
        let broken = RULE.replace("image.tag}", "image.tga}");
        let error = compile_shipped("r.yaml", &broken, Some("{}")).unwrap_err();
        assert_eq!((error.line, error.column), (7, 12), "{error}");
    }
}
