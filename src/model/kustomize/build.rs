//! One kustomization built, level by level, as kustomize builds it: resources (and the
//! kustomizations they name), components, generators, then the transformers in kustomize's
//! order. Every problem is a finding at the kustomization line that caused it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::finding::Finding;
use crate::model::{InputKind, ParsedFile};
use crate::rules::RuleSet;
use crate::source::{FileId, Origin};
use crate::yaml::{Node, Tree};

use super::config::Configurations;
use super::generate::{self, Entry, Options};
use super::json_patch;
use super::kustomization::{Kustomization, file_in, is_remote};
use super::merge::merge;
use super::resource::Resource;
use super::transform;

pub const BUILD_ERROR: &str = "kustomize-build-error";
pub const UNSUPPORTED: &str = "kustomize-unsupported";

/// The files of the run, by id and by canonical path.
pub struct Files<'r> {
    pub files: &'r [ParsedFile],
    pub by_path: HashMap<PathBuf, FileId>,
}

impl<'r> Files<'r> {
    pub fn new(files: &'r [ParsedFile]) -> Self {
        let by_path = files
            .iter()
            .filter_map(|f| Some((std::fs::canonicalize(f.path.as_deref()?).ok()?, f.id)))
            .collect();
        Files { files, by_path }
    }

    pub fn get(&self, id: FileId) -> &'r ParsedFile {
        &self.files[id.0 as usize]
    }

    fn find(&self, path: &Path) -> Option<&'r ParsedFile> {
        let canonical = std::fs::canonicalize(path).ok()?;
        self.by_path.get(&canonical).map(|&id| self.get(id))
    }
}

/// What building one root kustomization gave.
#[derive(Debug, Default)]
pub struct Output {
    pub resources: Vec<Resource>,
    pub findings: Vec<Finding>,
    /// Every file the build read objects or patches from.
    pub consumed: Vec<FileId>,
}

pub struct Builder<'r> {
    files: &'r Files<'r>,
    rules: &'r RuleSet,
    out: Output,
    /// The kustomizations being built, outermost first, to find cycles.
    stack: Vec<FileId>,
    vars: Vec<transform::Var>,
    /// The transformer configurations of each kustomization being built (its own and those
    /// of what it includes so far), innermost last; the root's when the build is done.
    configs: Vec<Configurations>,
}

impl<'r> Builder<'r> {
    pub fn new(files: &'r Files<'r>, rules: &'r RuleSet) -> Self {
        Builder {
            files,
            rules,
            out: Output::default(),
            stack: Vec::new(),
            vars: Vec::new(),
            configs: Vec::new(),
        }
    }

    /// Builds a root kustomization, then what kustomize does once at the top: name hashes,
    /// references to renamed objects, variables.
    pub fn build(mut self, root: FileId) -> Output {
        let mut resources = self.level(root, Vec::new());
        let config = self.configs.pop().unwrap_or_default();
        transform::hash_generated_names(&mut resources);
        transform::fix_name_references(&mut resources, &config.name_references);
        let vars = std::mem::take(&mut self.vars);
        transform::resolve_vars(
            &mut resources,
            &vars,
            &config.var_references,
            &mut |origin, message| self.problem(BUILD_ERROR, origin, message),
        );
        self.out.resources = resources;
        self.out.consumed.sort();
        self.out.consumed.dedup();
        self.out
    }

    pub fn problem(&mut self, rule: &str, origin: Origin, message: String) {
        self.out
            .findings
            .extend(self.rules.builtin_finding(rule, origin, message));
    }

    /// One kustomization (or component, applied to `input`), fully built.
    fn level(&mut self, id: FileId, input: Vec<Resource>) -> Vec<Resource> {
        let file = self.files.get(id);
        self.out.consumed.push(id);
        let Some(kustomization) = Kustomization::of(file) else {
            return input;
        };
        let dir = file
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
            .to_path_buf();
        self.stack.push(id);
        self.configs.push(Configurations::default());
        for (key, name) in kustomization.unsupported() {
            self.problem(
                UNSUPPORTED,
                key.origin(),
                format!("`{name}` is not built by kubelint; the objects it would make or change are not linted"),
            );
        }
        let mut resources = input;
        for key in ["resources", "bases"] {
            for item in kustomization.list(key) {
                self.resource(&dir, item, &mut resources);
            }
        }
        for item in kustomization.list("components") {
            let Some(path) = self.local_path(&dir, item) else {
                continue;
            };
            if let Some(component) = self.kustomization_in(&path, item) {
                resources = self.level(component, resources);
            }
        }
        self.configurations(&kustomization, &dir);
        self.generators(&kustomization, &dir, &mut resources);
        let config = self.configs.last().cloned().unwrap_or_default();
        self.transformers(&kustomization, &dir, &config, &mut resources);
        self.vars.extend(transform::read_vars(&kustomization));
        self.stack.pop();
        // What a kustomization's configurations say holds for those that include it.
        if self.configs.len() > 1
            && let Some(own) = self.configs.pop()
            && let Some(outer) = self.configs.last_mut()
        {
            outer.extend(own);
        }
        resources
    }

    /// The file at `path`, which `item` names; a build error at `item` when it is not there.
    fn existing_file(&mut self, path: &Path, item: Node<'_>) -> Option<&'r ParsedFile> {
        let file = self.files.find(path);
        if file.is_none() {
            let shown = item.as_text().unwrap_or_default();
            self.problem(
                BUILD_ERROR,
                item.origin(),
                format!("`{shown}` does not exist"),
            );
        }
        file
    }

    /// Reads the kustomization's `configurations` files into the innermost configuration.
    fn configurations(&mut self, kustomization: &Kustomization<'_>, dir: &Path) {
        for item in kustomization.list("configurations") {
            let Some(path) = self.local_path(dir, item) else {
                continue;
            };
            let Some(file) = self.existing_file(&path, item) else {
                continue;
            };
            self.out.consumed.push(file.id);
            let Some(root) = file.stream.documents.first().and_then(|d| d.root()) else {
                continue;
            };
            let (config, skipped) = Configurations::read(root);
            for key in skipped {
                let name = key.as_str().unwrap_or_default();
                self.problem(
                    UNSUPPORTED,
                    key.origin(),
                    format!("`{name}` in a transformer configuration is not applied by kubelint"),
                );
            }
            if let Some(own) = self.configs.last_mut() {
                own.extend(config);
            }
        }
    }

    /// The path an entry names, or `None` (with an info finding) for a remote one.
    fn local_path(&mut self, dir: &Path, item: Node<'_>) -> Option<PathBuf> {
        let Some(text) = item.as_text() else {
            self.problem(BUILD_ERROR, item.origin(), "expected a path".into());
            return None;
        };
        if is_remote(text) {
            self.problem(
                UNSUPPORTED,
                item.origin(),
                format!("remote resource `{text}` is not fetched (kubelint never uses the network); its objects are not linted"),
            );
            return None;
        }
        Some(dir.join(text))
    }

    /// The kustomization in a folder, checked for cycles; a finding at `item` otherwise.
    fn kustomization_in(&mut self, path: &Path, item: Node<'_>) -> Option<FileId> {
        let Some(file) = file_in(path).and_then(|f| self.files.find(&f)) else {
            let shown = item.as_text().unwrap_or_default();
            self.problem(
                BUILD_ERROR,
                item.origin(),
                format!("`{shown}` is a folder without a kustomization file"),
            );
            return None;
        };
        if self.stack.contains(&file.id) {
            let shown = item.as_text().unwrap_or_default();
            self.problem(
                BUILD_ERROR,
                item.origin(),
                format!("`{shown}` includes this kustomization again: a cycle kustomize refuses"),
            );
            return None;
        }
        Some(file.id)
    }

    fn resource(&mut self, dir: &Path, item: Node<'_>, resources: &mut Vec<Resource>) {
        let Some(path) = self.local_path(dir, item) else {
            return;
        };
        if path.is_dir() {
            if let Some(id) = self.kustomization_in(&path, item) {
                let built = self.level(id, Vec::new());
                resources.extend(built);
            }
            return;
        }
        let Some(file) = self.existing_file(&path, item) else {
            return;
        };
        if file.kind == InputKind::Kustomization {
            // A kustomization file named as a resource is built like its folder.
            if self.stack.contains(&file.id) {
                self.problem(
                    BUILD_ERROR,
                    item.origin(),
                    "a kustomization that includes itself".into(),
                );
                return;
            }
            let built = self.level(file.id, Vec::new());
            resources.extend(built);
            return;
        }
        self.out.consumed.push(file.id);
        for doc in &file.stream.documents {
            let Some(root) = doc.root() else { continue };
            match read_objects(root) {
                Ok(objects) => resources.extend(objects),
                Err(message) => self.problem(BUILD_ERROR, item.origin(), message),
            }
        }
    }

    fn generators(
        &mut self,
        kustomization: &Kustomization<'_>,
        dir: &Path,
        resources: &mut Vec<Resource>,
    ) {
        let defaults = match Options::read(kustomization.field("generatorOptions")) {
            Ok(options) => options,
            Err(message) => {
                self.problem(BUILD_ERROR, kustomization.root.origin(), message);
                Options::default()
            }
        };
        for (key, secret) in [("configMapGenerator", false), ("secretGenerator", true)] {
            for generator in kustomization.list(key) {
                self.generator(generator, secret, dir, &defaults, resources);
            }
        }
    }

    fn generator(
        &mut self,
        generator: Node<'_>,
        secret: bool,
        dir: &Path,
        defaults: &Options,
        resources: &mut Vec<Resource>,
    ) {
        let origin = generator.origin();
        let Some(name_node) = generator.get("name") else {
            self.problem(BUILD_ERROR, origin, "a generator needs a `name`".into());
            return;
        };
        let mut entries = Vec::new();
        for literal in generator
            .get("literals")
            .into_iter()
            .flat_map(|l| l.items())
        {
            match literal.as_text().and_then(generate::literal) {
                Some((key, value)) => entries.push(Entry {
                    key,
                    value,
                    origin: literal.origin(),
                }),
                None => self.problem(
                    BUILD_ERROR,
                    literal.origin(),
                    "a literal is `key=value`".into(),
                ),
            }
        }
        for file in generator.get("files").into_iter().flat_map(|l| l.items()) {
            let text = file.as_text().unwrap_or_default();
            let (key, path) = match text.split_once('=') {
                Some((key, path)) => (key.to_string(), path),
                None => (
                    Path::new(text)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    text,
                ),
            };
            match self.generator_file(dir, path, file) {
                Some((value, from)) => entries.push(Entry {
                    key,
                    value,
                    origin: from,
                }),
                None => continue,
            }
        }
        let env_files = generator
            .get("envs")
            .into_iter()
            .flat_map(|l| l.items())
            .chain(generator.get("env"));
        for env in env_files {
            let path = env.as_text().unwrap_or_default();
            let Some((text, from)) = self.generator_file(dir, path, env) else {
                continue;
            };
            for (key, value, range) in generate::env_entries(&text) {
                let origin = Origin::new(from.file, range);
                entries.push(Entry { key, value, origin });
            }
        }
        let own = match Options::read(generator.get("options")) {
            Ok(options) => options,
            Err(message) => {
                self.problem(BUILD_ERROR, origin, message);
                Options::default()
            }
        };
        let options = own.over(defaults);
        let copy = |node: Option<Node<'_>>| node.and_then(|n| Tree::from_node(n).ok());
        let Some(name) = copy(Some(name_node)) else {
            return;
        };
        let namespace = copy(generator.get("namespace"));
        let secret_type = copy(generator.get("type"));
        let made = generate::object(
            secret,
            &name,
            namespace.as_ref(),
            secret_type.as_ref(),
            &entries,
            &options,
            origin,
        );
        let behavior = generator.text("behavior").unwrap_or("create");
        let kind = made.kind().to_string();
        let existing = resources.iter_mut().find(|r| {
            r.kind() == kind
                && r.original_name == made.original_name
                && (made.original_namespace.is_none()
                    || r.namespace() == made.original_namespace.as_deref())
        });
        match (behavior, existing) {
            ("create", None) => resources.push(made),
            ("create", Some(_)) => self.problem(
                BUILD_ERROR,
                name_node.origin(),
                format!(
                    "`{}` is generated twice; use `behavior: merge` or `replace`",
                    made.original_name
                ),
            ),
            ("merge", Some(existing)) => {
                let existing_data = existing.tree.get("data").cloned();
                let mut merged = made.tree.clone();
                if let Some(mut data) = existing_data {
                    for (k, v) in made
                        .tree
                        .get("data")
                        .map(|d| d.entries().to_vec())
                        .unwrap_or_default()
                    {
                        data.set(k.as_text().unwrap_or_default(), v, k.origin);
                    }
                    merged.set("data", data, origin);
                }
                // Labels and annotations of both; the generator's win.
                for field in ["labels", "annotations"] {
                    if let Some(old) = existing.tree.path(&["metadata", field]).cloned() {
                        let mut all = old;
                        if let Some(new) = made.tree.path(&["metadata", field]) {
                            for (k, v) in new.entries() {
                                all.set(k.as_text().unwrap_or_default(), v.clone(), k.origin);
                            }
                        }
                        merged.map_entry("metadata", origin).set(field, all, origin);
                    }
                }
                if let Some(ns) = existing.tree.path(&["metadata", "namespace"]).cloned() {
                    merged
                        .map_entry("metadata", origin)
                        .set("namespace", ns, origin);
                }
                existing.tree = merged;
                existing.generated = made.generated.or(existing.generated);
            }
            ("replace", Some(existing)) => {
                let namespace = existing.tree.path(&["metadata", "namespace"]).cloned();
                existing.tree = made.tree;
                if let Some(ns) = namespace {
                    existing
                        .tree
                        .map_entry("metadata", origin)
                        .set("namespace", ns, origin);
                }
                existing.generated = made.generated;
            }
            ("merge" | "replace", None) => self.problem(
                BUILD_ERROR,
                name_node.origin(),
                format!(
                    "`behavior: {behavior}` but no `{}` comes from the resources to {behavior}",
                    made.original_name
                ),
            ),
            (other, _) => self.problem(
                BUILD_ERROR,
                origin,
                format!("unknown generator behavior `{other}` (create, merge or replace)"),
            ),
        }
    }

    /// A generator's input file as text, and the origin of its whole content.
    fn generator_file(
        &mut self,
        dir: &Path,
        path: &str,
        item: Node<'_>,
    ) -> Option<(String, Origin)> {
        match self.files.find(&dir.join(path)) {
            Some(file) => {
                self.out.consumed.push(file.id);
                let text = file.source.text.trim_start_matches('\u{feff}').to_string();
                let origin = Origin::new(file.id, 0..file.source.text.len());
                Some((text, origin))
            }
            None => {
                self.problem(
                    BUILD_ERROR,
                    item.origin(),
                    format!("`{path}` does not exist"),
                );
                None
            }
        }
    }

    fn transformers(
        &mut self,
        kustomization: &Kustomization<'_>,
        dir: &Path,
        config: &Configurations,
        resources: &mut [Resource],
    ) {
        for item in kustomization.list("patchesStrategicMerge") {
            self.strategic_merge_entry(dir, item, resources);
        }
        for item in kustomization.list("patches") {
            self.patch_entry(dir, item, resources);
        }
        if let Some(namespace) = kustomization.field("namespace") {
            transform::namespace(resources, namespace, &config.namespace);
        }
        transform::prefix_suffix(
            resources,
            kustomization.field("namePrefix"),
            kustomization.field("nameSuffix"),
        );
        if let Some(labels) = kustomization.field("commonLabels") {
            transform::labels(resources, labels, true, true, &config.common_labels);
        }
        for entry in kustomization.list("labels") {
            if let Some(pairs) = entry.get("pairs") {
                let selectors = entry.text("includeSelectors") == Some("true");
                let templates = selectors || entry.text("includeTemplates") == Some("true");
                transform::labels(
                    resources,
                    pairs,
                    selectors,
                    templates,
                    &config.common_labels,
                );
            }
        }
        if let Some(annotations) = kustomization.field("commonAnnotations") {
            transform::annotations(resources, annotations, &config.common_annotations);
        }
        for item in kustomization.list("patchesJson6902") {
            self.json6902_entry(dir, item, resources);
        }
        for item in kustomization.list("replicas") {
            transform::replicas(resources, item, &config.replicas);
        }
        for item in kustomization.list("images") {
            transform::images(resources, item, &config.images);
        }
        for item in kustomization.list("replacements") {
            let replacement = match item.get("path") {
                Some(path) => match self.patch_document(dir, path) {
                    Some(tree) => tree,
                    None => continue,
                },
                None => match Tree::from_node(item) {
                    Ok(tree) => tree,
                    Err(_) => continue,
                },
            };
            let list = if replacement.items().is_empty() && replacement.is_map() {
                vec![replacement]
            } else {
                replacement.items().to_vec()
            };
            for one in &list {
                if let Err((origin, message)) = transform::replace(resources, one) {
                    self.problem(BUILD_ERROR, origin, message);
                }
            }
        }
    }

    /// The first document of a patch file (or an inline patch given as text), as a tree.
    fn patch_document(&mut self, dir: &Path, path: Node<'_>) -> Option<Tree> {
        let text = path.as_text()?;
        match self.files.find(&dir.join(text)) {
            Some(file) => {
                self.out.consumed.push(file.id);
                let root = file.stream.documents.first().and_then(|d| d.root())?;
                Tree::from_node(root).ok()
            }
            None => {
                self.problem(
                    BUILD_ERROR,
                    path.origin(),
                    format!("`{text}` does not exist"),
                );
                None
            }
        }
    }

    /// Every document of a patch: a file, or an inline patch (a block scalar of YAML).
    fn patch_trees(&mut self, dir: &Path, item: Node<'_>) -> Vec<Tree> {
        if let Some(text) = item
            .as_str()
            .filter(|t| t.contains('\n') || t.contains(':'))
        {
            return inline_patch(item, text);
        }
        let Some(text) = item.as_text() else {
            return Tree::from_node(item).ok().into_iter().collect();
        };
        match self.files.find(&dir.join(text)) {
            Some(file) => {
                self.out.consumed.push(file.id);
                file.stream
                    .documents
                    .iter()
                    .filter_map(|d| d.root())
                    .filter_map(|r| Tree::from_node(r).ok())
                    .filter(|t| !t.is_null())
                    .collect()
            }
            None => {
                self.problem(
                    BUILD_ERROR,
                    item.origin(),
                    format!("`{text}` does not exist"),
                );
                Vec::new()
            }
        }
    }

    fn strategic_merge_entry(&mut self, dir: &Path, item: Node<'_>, resources: &mut [Resource]) {
        for patch in self.patch_trees(dir, item) {
            let options = PatchOptions::default();
            self.apply_strategic_merge(&patch, None, options, item.origin(), resources);
        }
    }

    /// Applies a strategic merge patch to the resources `target` selects, or, without a
    /// target, to the one the patch itself names.
    fn apply_strategic_merge(
        &mut self,
        patch: &Tree,
        target: Option<&Tree>,
        options: PatchOptions,
        origin: Origin,
        resources: &mut [Resource],
    ) {
        let mut applied = false;
        for resource in resources.iter_mut() {
            let selected = match target {
                Some(target) => transform::selects(target, resource),
                None => transform::same_object(patch, resource),
            };
            if selected {
                applied = true;
                if patch.text("$patch") == Some("delete") {
                    resource.tree = Tree::map(Vec::new(), origin);
                    continue;
                }
                let builtin = resource.is_builtin_kind();
                let mut body = patch.clone();
                // A patch names its object (or a stand-in, under a target); kustomize keeps
                // the object's identity unless the entry's options allow a change.
                body.remove("apiVersion");
                if !options.allow_kind_change {
                    body.remove("kind");
                }
                if let Some(metadata) = body.get_mut("metadata") {
                    if !options.allow_name_change {
                        metadata.remove("name");
                    }
                    metadata.remove("namespace");
                }
                merge(&mut resource.tree, &body, builtin);
            }
        }
        if !applied && target.is_none() {
            let kind = patch.text("kind").unwrap_or("?");
            let name = patch
                .path(&["metadata", "name"])
                .and_then(Tree::as_text)
                .unwrap_or("?");
            self.problem(
                BUILD_ERROR,
                origin,
                format!("the patch names {kind} `{name}`, which no resource is"),
            );
        }
    }

    fn patch_entry(&mut self, dir: &Path, item: Node<'_>, resources: &mut [Resource]) {
        let target = item.get("target").and_then(|t| Tree::from_node(t).ok());
        let patches = match (item.get("patch"), item.get("path")) {
            (Some(inline), _) => inline
                .as_str()
                .map_or_else(Vec::new, |t| inline_patch(inline, t)),
            (None, Some(path)) => self.patch_trees(dir, path),
            (None, None) => {
                self.problem(
                    BUILD_ERROR,
                    item.origin(),
                    "a patch needs `path` or `patch`".into(),
                );
                return;
            }
        };
        for patch in patches {
            if matches!(patch.value, crate::yaml::Value::Seq(_)) {
                let Some(target) = &target else {
                    self.problem(
                        BUILD_ERROR,
                        item.origin(),
                        "a JSON patch needs a `target`".into(),
                    );
                    continue;
                };
                self.apply_json(&patch, target, item.origin(), resources);
            } else {
                let options = PatchOptions::of(item);
                self.apply_strategic_merge(
                    &patch,
                    target.as_ref(),
                    options,
                    item.origin(),
                    resources,
                );
            }
        }
    }

    fn json6902_entry(&mut self, dir: &Path, item: Node<'_>, resources: &mut [Resource]) {
        let Some(target) = item.get("target").and_then(|t| Tree::from_node(t).ok()) else {
            self.problem(
                BUILD_ERROR,
                item.origin(),
                "patchesJson6902 needs a `target`".into(),
            );
            return;
        };
        let patches = match (item.get("patch"), item.get("path")) {
            (Some(inline), _) => inline
                .as_str()
                .map_or_else(Vec::new, |t| inline_patch(inline, t)),
            (None, Some(path)) => self.patch_trees(dir, path),
            (None, None) => Vec::new(),
        };
        for patch in patches {
            self.apply_json(&patch, &target, item.origin(), resources);
        }
    }

    fn apply_json(
        &mut self,
        ops: &Tree,
        target: &Tree,
        origin: Origin,
        resources: &mut [Resource],
    ) {
        let mut applied = false;
        for resource in resources
            .iter_mut()
            .filter(|r| transform::selects(target, r))
        {
            applied = true;
            if let Err(error) = json_patch::apply(&mut resource.tree, ops) {
                self.problem(
                    BUILD_ERROR,
                    error.origin,
                    format!(
                        "JSON patch on {} `{}`: {}",
                        resource.kind(),
                        resource.name(),
                        error.message
                    ),
                );
            }
        }
        if !applied {
            self.problem(
                BUILD_ERROR,
                origin,
                "the patch's target selects no resource".into(),
            );
        }
    }
}

/// A `patches` entry's `options`: whether its strategic merge may rename the object or
/// change its kind.
#[derive(Debug, Clone, Copy, Default)]
struct PatchOptions {
    allow_name_change: bool,
    allow_kind_change: bool,
}

impl PatchOptions {
    fn of(entry: Node<'_>) -> PatchOptions {
        let option = |name: &str| entry.get("options").and_then(|o| o.text(name)) == Some("true");
        PatchOptions {
            allow_name_change: option("allowNameChange"),
            allow_kind_change: option("allowKindChange"),
        }
    }
}

/// Objects of one document: itself, or the items of a `kind: List`.
fn read_objects(root: Node<'_>) -> Result<Vec<Resource>, String> {
    let tree = Tree::from_node(root)
        .map_err(|_| "the document expands to too many nodes (aliases)".to_string())?;
    if !tree.is_map() {
        return Ok(Vec::new());
    }
    if tree.text("kind").is_some_and(|k| k.ends_with("List")) && tree.get("items").is_some() {
        return Ok(tree
            .get("items")
            .map(|items| {
                items
                    .items()
                    .iter()
                    .filter(|i| i.is_map())
                    .cloned()
                    .map(Resource::new)
                    .collect()
            })
            .unwrap_or_default());
    }
    Ok(vec![Resource::new(tree)])
}

/// An inline patch: YAML inside a scalar of the kustomization. Its nodes point at the
/// scalar's lines when the scalar is a literal block (the text is the source, indented).
fn inline_patch(node: Node<'_>, text: &str) -> Vec<Tree> {
    let stream = crate::yaml::parse(text.to_string()).in_file(node.origin().file);
    let placed = InlinePlacement::new(node, text);
    stream
        .documents
        .iter()
        .filter_map(|d| d.root())
        .filter_map(|root| Tree::from_node(root).ok())
        .filter(|t| !t.is_null())
        .map(|mut tree| {
            placed.relocate(&mut tree);
            tree
        })
        .collect()
}

/// Maps offsets in an inline patch's text to the kustomization's bytes: each line of a
/// block scalar sits in the file at the scalar's indentation.
struct InlinePlacement {
    /// For each line of the patch text: its start in the text and in the file.
    lines: Vec<(usize, usize)>,
    whole: Origin,
}

impl InlinePlacement {
    fn new(node: Node<'_>, text: &str) -> Self {
        let whole = node.origin();
        // The parsed value of a block scalar drops the indentation; find each line in the
        // source after the previous one.
        let mut lines = Vec::new();
        let source = node_source(node);
        let mut search_from = 0;
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let content = line.trim_end_matches('\n');
            let found = source
                .as_deref()
                .and_then(|s| s.get(search_from..)?.find(content).map(|i| i + search_from));
            match found {
                Some(in_source) if !content.is_empty() => {
                    lines.push((at, whole.start as usize + in_source));
                    search_from = in_source + content.len();
                }
                _ => lines.push((at, usize::MAX)),
            }
            at += line.len();
        }
        InlinePlacement { lines, whole }
    }

    fn map(&self, origin: Origin) -> Origin {
        let start = origin.start as usize;
        let index = self
            .lines
            .partition_point(|(line, _)| *line <= start)
            .saturating_sub(1);
        match self.lines.get(index) {
            Some(&(line, file)) if file != usize::MAX => {
                let offset = start - line;
                let len = (origin.end - origin.start) as usize;
                Origin::new(self.whole.file, file + offset..file + offset + len)
            }
            _ => self.whole,
        }
    }

    fn relocate(&self, tree: &mut Tree) {
        tree.origin = self.map(tree.origin);
        match &mut tree.value {
            crate::yaml::Value::Map(entries) => {
                for (k, v) in entries {
                    self.relocate(k);
                    self.relocate(v);
                }
            }
            crate::yaml::Value::Seq(items) => {
                for item in items {
                    self.relocate(item);
                }
            }
            crate::yaml::Value::Scalar { .. } => {}
        }
    }
}

/// The source text a node was parsed from, when the document still has it.
fn node_source(node: Node<'_>) -> Option<String> {
    node.source_text().map(str::to_string)
}
