//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets made from literals,
//! files and env files, named with the content hash kustomize computes.

use sha2::{Digest, Sha256};

use crate::source::Origin;
use crate::yaml::{Node, Tree, Value};

use super::resource::{Generated, Resource};

/// Options from `generatorOptions` and a generator's own `options`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub labels: Vec<(Tree, Tree)>,
    pub annotations: Vec<(Tree, Tree)>,
    pub disable_hash: bool,
    pub immutable: bool,
}

impl Options {
    pub fn read(node: Option<Node<'_>>) -> Result<Options, String> {
        let Some(node) = node else {
            return Ok(Options::default());
        };
        let copy = |key: &str| -> Result<Vec<(Tree, Tree)>, String> {
            match node.get(key) {
                Some(map) => Tree::from_node(map)
                    .map(|t| t.entries().to_vec())
                    .map_err(|_| "too large".to_string()),
                None => Ok(Vec::new()),
            }
        };
        Ok(Options {
            labels: copy("labels")?,
            annotations: copy("annotations")?,
            disable_hash: node.text("disableNameSuffixHash") == Some("true"),
            immutable: node.text("immutable") == Some("true"),
        })
    }

    /// The generator's own options over the kustomization's.
    pub fn over(&self, base: &Options) -> Options {
        let merge = |own: &[(Tree, Tree)], base: &[(Tree, Tree)]| {
            let mut out = base.to_vec();
            for (key, value) in own {
                out.retain(|(k, _)| k.as_text() != key.as_text());
                out.push((key.clone(), value.clone()));
            }
            out
        };
        Options {
            labels: merge(&self.labels, &base.labels),
            annotations: merge(&self.annotations, &base.annotations),
            disable_hash: self.disable_hash || base.disable_hash,
            immutable: self.immutable || base.immutable,
        }
    }
}

/// One key of generated data and the node or file that gave it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// Builds the object a generator entry describes. `secret` makes a Secret (values base64).
pub fn object(
    secret: bool,
    name: &Tree,
    namespace: Option<&Tree>,
    secret_type: Option<&Tree>,
    entries: &[Entry],
    options: &Options,
    origin: Origin,
) -> Resource {
    let key = |text: &str| Tree::string(text, origin);
    let mut root = Tree::map(Vec::new(), origin);
    root.set("apiVersion", Tree::scalar("v1", true, origin), origin);
    root.set(
        "kind",
        Tree::scalar(if secret { "Secret" } else { "ConfigMap" }, true, origin),
        origin,
    );
    let mut metadata = Tree::map(vec![(key("name"), name.clone())], origin);
    if let Some(namespace) = namespace {
        metadata.set("namespace", namespace.clone(), origin);
    }
    if !options.labels.is_empty() {
        metadata.set("labels", Tree::map(options.labels.clone(), origin), origin);
    }
    if !options.annotations.is_empty() {
        let annotations = Tree::map(options.annotations.clone(), origin);
        metadata.set("annotations", annotations, origin);
    }
    root.set("metadata", metadata, origin);
    let data: Vec<(Tree, Tree)> = entries
        .iter()
        .map(|e| {
            let value = if secret {
                base64(e.value.as_bytes())
            } else {
                e.value.clone()
            };
            (
                Tree::string(&e.key, e.origin),
                Tree::string(value, e.origin),
            )
        })
        .collect();
    if !data.is_empty() {
        root.set("data", Tree::map(data, origin), origin);
    }
    if secret {
        let kind = secret_type
            .cloned()
            .unwrap_or_else(|| Tree::string("Opaque", origin));
        root.set("type", kind, origin);
    }
    if options.immutable {
        root.set("immutable", Tree::scalar("true", true, origin), origin);
    }
    let mut resource = Resource::new(root);
    resource.generated = Some(Generated {
        hash_suffix: !options.disable_hash,
        origin: name.origin,
    });
    resource
}

/// The suffix kustomize appends to a generated name: the first ten hex digits of the SHA-256
/// of the object's JSON encoding, with `0 1 3 a e` changed to `g h k m t` (so the suffix
/// never reads as a number or a word). The encoding is kustomize's exactly, quirk included:
/// it looks the name up by a path its lookup does not split, so the name is always empty.
pub fn hash_suffix(resource: &Resource) -> String {
    let tree = &resource.tree;
    let secret = resource.kind() == "Secret";
    let mut fields: Vec<(&str, String)> = vec![
        (
            "kind",
            json_string(if secret { "Secret" } else { "ConfigMap" }),
        ),
        ("name", json_string("")),
        ("data", json_map(tree.get("data"))),
    ];
    if secret {
        fields.push(("type", json_string(tree.text("type").unwrap_or(""))));
    }
    let extra = if secret { "stringData" } else { "binaryData" };
    if let Some(map) = tree.get(extra).filter(|m| m.is_map()) {
        fields.push((extra, json_map(Some(map))));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_string(k)))
        .collect();
    let encoded = format!("{{{}}}", body.join(","));
    let digest = Sha256::digest(encoded.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// A map of strings in Go's `json.Marshal` encoding: keys sorted; `""` when absent, as
/// kustomize puts it.
fn json_map(map: Option<&Tree>) -> String {
    let Some(map) = map.filter(|m| m.is_map()) else {
        return json_string("");
    };
    let mut pairs: Vec<(&str, &str)> = map
        .entries()
        .iter()
        .map(|(k, v)| {
            let value = match &v.value {
                Value::Scalar { text, .. } => text.as_str(),
                _ => "",
            };
            (k.as_text().unwrap_or(""), value)
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs.dedup_by(|a, b| a.0 == b.0);
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A string as Go's `json.Marshal` writes it, HTML-safe escapes included.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `KEY=value` lines of an env file: blank lines and `#` comments skipped.
pub fn env_entries(text: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']).trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = content.split_once('=') {
            out.push((
                key.to_string(),
                value.to_string(),
                start..start + line.trim_end().len(),
            ));
        }
    }
    out
}

/// A literal `key=value`, with one pair of surrounding quotes taken off the value.
pub fn literal(text: &str) -> Option<(String, String)> {
    let (key, value) = text.split_once('=')?;
    let unquoted = [('"', '"'), ('\'', '\'')]
        .iter()
        .find_map(|(open, close)| value.strip_prefix(*open)?.strip_suffix(*close))
        .unwrap_or(value);
    Some((key.to_string(), unquoted.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_html_characters() {
        assert_eq!(
            json_string("a<b>&\"\n"),
            "\"a\\u003cb\\u003e\\u0026\\\"\\n\""
        );
    }

    fn generated(secret: bool, data: &[(&str, &str)]) -> Resource {
        let origin = Origin::default();
        let entries: Vec<Entry> = data
            .iter()
            .map(|(k, v)| Entry {
                key: k.to_string(),
                value: v.to_string(),
                origin,
            })
            .collect();
        let name = Tree::string("lit", origin);
        object(
            secret,
            &name,
            None,
            None,
            &entries,
            &Options::default(),
            origin,
        )
    }

    #[test]
    fn hashes_are_the_ones_kustomize_computes() {
        // `kubectl kustomize` (kustomize v5.7) names these `lit-bdg947hgcc` and `…-ftgtgc4t9f`.
        assert_eq!(hash_suffix(&generated(false, &[("k", "v")])), "bdg947hgcc");
        assert_eq!(hash_suffix(&generated(true, &[("k", "v")])), "ftgtgc4t9f");
    }

    #[test]
    fn literals_lose_one_pair_of_quotes() {
        assert_eq!(literal("a=\"b=c\""), Some(("a".into(), "b=c".into())));
        assert_eq!(literal("a='x'"), Some(("a".into(), "x".into())));
        assert_eq!(literal("nokey"), None);
    }
}
