//! A rule's `fix:`, compiled once and turned into text edits where a finding fires. The edits
//! are on origins: a value a Kustomize base, a patch or a Helm values file set is fixed in
//! that file.

use crate::finding::{Applicability, Edit, Fix};
use crate::source::Origin;
use crate::yaml::Node;
use crate::yaml::edit::{self, Leaf, Text};

use super::eval::image_part;
use super::facts::{Fact, Scope, Step, walk};
use super::schema::FixSpec;
use super::template::Template;

#[derive(Debug, Clone)]
pub(super) struct CompiledFix {
    /// The title as written and why the fix is unsafe, for the rule's docs.
    pub(super) described: (String, Option<String>),
    title: Template,
    applicability: Applicability,
    replace: Option<Template>,
    remove: Option<Fact>,
    set: Vec<(Fact, Template)>,
    append: Option<(Fact, Vec<(String, Template)>)>,
    suppress: bool,
}

/// A path of mapping keys only, from the object, pod or container: what `set` and `append`
/// can create when it is missing.
fn key_path(text: &str) -> Result<Fact, String> {
    let fact = Fact::parse(text)?;
    let keys_only = match &fact {
        Fact::ObjectPath(steps) | Fact::PodPath(steps) | Fact::ContainerPath(steps) => {
            !steps.is_empty() && steps.iter().all(|s| matches!(s, Step::Key(_)))
        }
        _ => false,
    };
    if keys_only {
        Ok(fact)
    } else {
        Err(format!(
            "`{text}` is not a path of keys from `object.`, `pod.` or `container.`"
        ))
    }
}

impl CompiledFix {
    pub(super) fn compile(spec: &FixSpec) -> Result<CompiledFix, String> {
        let template = |text: &str| Template::compile(text);
        let remove = spec
            .remove
            .as_deref()
            .map(|text| {
                let fact = Fact::parse(text)?;
                if fact == Fact::ImageDigest || key_path(text).is_ok() {
                    Ok(fact)
                } else {
                    Err(format!(
                        "remove: `{text}` is `image.digest` or a path of keys"
                    ))
                }
            })
            .transpose()?;
        let set = spec
            .set
            .iter()
            .map(|(path, value)| Ok((key_path(path)?, template(value)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let append = spec
            .append
            .as_ref()
            .map(|append| -> Result<_, String> {
                let item = append
                    .item
                    .iter()
                    .map(|(key, value)| Ok((key.clone(), template(value)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                if item.is_empty() {
                    return Err("append: the item needs at least one key".into());
                }
                Ok((key_path(&append.to)?, item))
            })
            .transpose()?;
        let fix = CompiledFix {
            described: (spec.title.clone(), spec.unsafe_because.clone()),
            title: template(&spec.title)?,
            applicability: if spec.unsafe_because.is_some() {
                Applicability::Unsafe
            } else {
                Applicability::Safe
            },
            replace: spec.replace.as_deref().map(template).transpose()?,
            remove,
            set,
            append,
            suppress: spec.suppress,
        };
        if fix.replace.is_none()
            && fix.remove.is_none()
            && fix.set.is_empty()
            && fix.append.is_none()
            && !fix.suppress
        {
            return Err("a fix needs `replace`, `remove`, `set`, `append` or `suppress`".into());
        }
        Ok(fix)
    }

    pub(super) fn facts(&self) -> Vec<&Fact> {
        let mut facts: Vec<&Fact> = self.title.facts().collect();
        facts.extend(self.replace.iter().flat_map(Template::facts));
        facts.extend(&self.remove);
        for (path, value) in &self.set {
            facts.push(path);
            facts.extend(value.facts());
        }
        if let Some((to, item)) = &self.append {
            facts.push(to);
            facts.extend(item.iter().flat_map(|(_, v)| v.facts()));
        }
        facts
    }

    /// The fix of a finding at `origin` whose node is `target` (the clause's `at`, or the
    /// subject), or `None` when any of its edits cannot be made exactly.
    pub(super) fn build(
        &self,
        scope: &Scope<'_, '_>,
        origin: Origin,
        target: Option<Node<'_>>,
        rule: &str,
    ) -> Option<Fix> {
        let text = |file| {
            Some(Text {
                file,
                text: scope.project.source_text(file)?,
            })
        };
        let mut edits: Vec<Edit> = Vec::new();
        if let Some(value) = &self.replace {
            let node = target?;
            let value = value.render_complete(scope)?;
            edits.push(edit::replace_scalar(
                text(node.origin().file)?,
                node,
                &value,
            )?);
        }
        match &self.remove {
            None => {}
            Some(Fact::ImageDigest) => {
                let image = scope.container?.image.as_ref()?;
                let digest = image
                    .node
                    .origin_of(image_part(image.text, &Fact::ImageDigest)?);
                let file = text(digest.file)?;
                // In the reference itself the `@…` goes; a `digest:` that a Helm image block
                // or a kustomization sets on its own is emptied, which both read as none.
                let removed = edit::remove_bytes(file, digest, "@")
                    .or_else(|| edit::empty_scalar(file, digest, "sha256:"));
                edits.push(removed?);
            }
            Some(path) => edits.push(remove_entry(scope, path, &text)?),
        }
        for (path, value) in &self.set {
            let (start, keys) = start_and_keys(path, scope)?;
            let value = value.render_complete(scope)?;
            edits.push(edit::set_path(
                text(start.origin().file)?,
                start,
                &keys,
                &value,
            )?);
        }
        if let Some((to, item)) = &self.append {
            edits.push(append(scope, to, item, &text)?);
        }
        if self.suppress {
            edits.push(edit::suppress_above(
                text(origin.file)?,
                origin.start as usize,
                rule,
            )?);
        }
        edits.sort();
        let overlapping = edits.windows(2).any(|pair| {
            pair[0].origin.file == pair[1].origin.file && pair[0].origin.end > pair[1].origin.start
        });
        (!overlapping && !edits.is_empty()).then(|| Fix {
            title: self.title.render(scope),
            applicability: self.applicability,
            edits,
        })
    }
}

/// The entry removed where its key was written: through the effective tree when the
/// mapping is one file's, else (a mapping Helm layering or a patch merged) in the file and
/// mapping that wrote the key.
fn remove_entry<'t>(
    scope: &Scope<'_, '_>,
    path: &Fact,
    text: &impl Fn(crate::source::FileId) -> Option<Text<'t>>,
) -> Option<Edit> {
    let (parent, key) = parent_and_key(path, scope)?;
    if let Some(edit) = edit::remove_entry(text(parent.origin().file)?, parent, key) {
        return Some(edit);
    }
    let (key_node, _) = parent.entry(key)?;
    let written = key_node.origin();
    let file = scope.project.files.get(written.file.0 as usize)?;
    file.stream.documents.iter().find_map(|doc| {
        let (mapping, name) = edit::mapping_holding(doc, written.range())?;
        edit::remove_entry(text(written.file)?, mapping, name)
    })
}

fn append<'t>(
    scope: &Scope<'_, '_>,
    to: &Fact,
    item: &[(String, Template)],
    text: &impl Fn(crate::source::FileId) -> Option<Text<'t>>,
) -> Option<Edit> {
    let mut pairs = Vec::new();
    for (key, value) in item {
        pairs.push(format!("{key}: {}", value.render_complete(scope)?));
    }
    let flow = format!("{{ {} }}", pairs.join(", "));
    let block = if pairs.len() == 1 {
        pairs[0].clone()
    } else {
        flow.clone()
    };
    let (start, keys) = start_and_keys(to, scope)?;
    let (last, parents) = keys.split_last()?;
    let mut parent = start;
    let mut missing: Vec<&str> = Vec::new();
    for key in parents {
        match (missing.is_empty(), parent.get(key)) {
            (true, Some(node)) => parent = node,
            _ => missing.push(key),
        }
    }
    let file_text = text(parent.origin().file)?;
    match parent.get(last).filter(|_| missing.is_empty()) {
        Some(list) if list.is_sequence() => edit::append_item(file_text, list, &block, &flow),
        Some(_) => None,
        None => {
            missing.push(last);
            let leaf = Leaf::Item {
                block: &block,
                flow: &flow,
            };
            edit::insert_entry(file_text, parent, &missing, leaf)
        }
    }
}

/// The node a key path starts from and its keys.
fn start_and_keys<'a, 'f>(
    path: &'f Fact,
    scope: &Scope<'_, 'a>,
) -> Option<(Node<'a>, Vec<&'f str>)> {
    let (start, steps) = path.start(scope)?;
    let keys = steps
        .iter()
        .map(|step| match step {
            Step::Key(key) => Some(key.as_str()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((start, keys))
}

/// The mapping that holds the path's last key, and that key.
fn parent_and_key<'a, 'f>(path: &'f Fact, scope: &Scope<'_, 'a>) -> Option<(Node<'a>, &'f str)> {
    let (start, steps) = path.start(scope)?;
    let (Step::Key(last), parents) = steps.split_last()? else {
        return None;
    };
    Some((walk(start, parents)?, last.as_str()))
}
