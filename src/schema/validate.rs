//! Validation of a spanned YAML tree against a compiled schema, each problem at the node the
//! user edits: an unknown field at its key, a wrong type, enum or format at the value, a
//! missing required field at the key of the mapping that lacks it.

use base64::Engine;
use serde_json::Value as Json;

use super::compiled::{Additional, Arena, CelRule, Format, SchemaId, SchemaNode, Types};
use crate::source::Origin;
use crate::yaml::{Node, ScalarType};

/// One schema error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    pub message: String,
}

/// A CRD rule (`x-kubernetes-validations`) to evaluate against the value it sits on: the
/// validator finds them, the `rules` stage evaluates them with CEL.
#[derive(Debug, Clone)]
pub struct RuleCheck<'s, 'd> {
    pub rule: &'s CelRule,
    /// The value, `self` in the rule.
    pub node: Node<'d>,
    /// Where a failure points when the rule names no `fieldPath`: as a schema problem of
    /// the value would.
    pub anchor: Origin,
    /// `spec.replicas`, for messages.
    pub path: String,
}

/// What validating against a schema found.
#[derive(Debug, Default)]
pub struct Outcome<'s, 'd> {
    pub problems: Vec<Problem>,
    /// The CEL rules of the values that are otherwise valid, in document order.
    pub rules: Vec<RuleCheck<'s, 'd>>,
}

/// Aliases let a small document stand for a huge tree; validation visits at most this many
/// nodes per node of the document (one-of tries alternatives), so time stays linear.
const VISITS_PER_NODE: usize = 8;

enum Segment<'d> {
    Key(&'d str),
    Index(usize),
}

pub struct Validator<'s, 'd> {
    arena: &'s Arena,
    path: Vec<Segment<'d>>,
    budget: usize,
    /// When false, problems are only counted (trying the alternatives of a one-of).
    collect: bool,
    problems: Vec<Problem>,
    rules: Vec<RuleCheck<'s, 'd>>,
}

impl<'s, 'd> Validator<'s, 'd> {
    /// Every problem of `node` (an object's root mapping, or a part of it at `path`) against
    /// schema `id`. `anchor` is where a problem of the mapping itself points: its key, or for
    /// an object's root, its `kind`.
    pub fn run(
        arena: &'s Arena,
        id: SchemaId,
        node: Node<'d>,
        anchor: Option<Node<'d>>,
        path: &[&'d str],
    ) -> Outcome<'s, 'd> {
        let mut validator = Validator {
            arena,
            path: path.iter().map(|k| Segment::Key(k)).collect(),
            budget: node.document_len().saturating_mul(VISITS_PER_NODE) + 64,
            collect: true,
            problems: Vec::new(),
            rules: Vec::new(),
        };
        validator.value(id, node, anchor);
        Outcome {
            problems: validator.problems,
            rules: validator.rules,
        }
    }

    fn report(&mut self, origin: Origin, message: impl FnOnce(&str) -> String) {
        if self.collect {
            let path = self.path_text();
            self.problems.push(Problem {
                origin,
                message: message(&path),
            });
        } else if self.problems.is_empty() {
            self.problems.push(Problem {
                origin,
                message: String::new(),
            });
        }
    }

    /// `spec.containers[0].ports`, or `the object` at the root; keys that are not plain
    /// words are quoted, as in `metadata.labels["app.kubernetes.io/name"]`.
    fn path_text(&self) -> String {
        let mut text = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key)
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Segment::Key(key) => text.push_str(&format!("[{key:?}]")),
                Segment::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        if text.is_empty() {
            "the object".into()
        } else {
            format!("`{text}`")
        }
    }

    fn value(&mut self, id: SchemaId, node: Node<'d>, key: Option<Node<'d>>) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let schema = self.arena.get(id);
        if schema.never {
            self.report(anchor(node, key), |path| {
                format!("{path} is not allowed here")
            });
            return;
        }
        if let Some(target) = schema.reference {
            self.value(target, node, key);
        }
        let actual = type_of(node);
        if !schema.types.allows(actual) {
            let origin = anchor(node, key);
            let wanted = schema.types.describe();
            self.report(origin, |path| {
                format!("{path} is {}; Kubernetes expects {wanted}", actual.name())
            });
            return;
        }
        if actual == Types::NULL {
            return;
        }
        if self.collect {
            for rule in &schema.rules {
                let check = RuleCheck {
                    rule: rule.as_ref(),
                    node,
                    anchor: anchor(node, key),
                    path: self.path_text(),
                };
                self.rules.push(check);
            }
        }
        self.alternatives(schema, node, key);
        if node.as_str().is_some() {
            self.scalar(schema, node);
        } else if node.is_mapping() {
            self.mapping(schema, node, key);
        } else {
            self.sequence(schema, node, key);
        }
    }

    fn alternatives(&mut self, schema: &'s SchemaNode, node: Node<'d>, key: Option<Node<'d>>) {
        for &part in &schema.all_of {
            self.value(part, node, key);
        }
        if !schema.one_of.is_empty() {
            let matching = schema
                .one_of
                .iter()
                .filter(|&&alternative| self.matches(alternative, node))
                .count();
            if matching != 1 {
                let origin = anchor(node, key);
                let forms = self.forms(&schema.one_of);
                self.report(origin, |path| match (matching, forms) {
                    (0, Some(forms)) => format!(
                        "{path} is {}; Kubernetes expects {forms}",
                        type_of(node).name()
                    ),
                    (0, None) => format!("{path} matches none of the forms the schema allows"),
                    _ => format!("{path} matches more than one of the forms the schema allows"),
                });
            }
        }
        if !schema.any_of.is_empty()
            && !schema
                .any_of
                .iter()
                .any(|&alternative| self.matches(alternative, node))
        {
            let origin = anchor(node, key);
            self.report(origin, |path| {
                format!("{path} matches none of the forms the schema allows")
            });
        }
    }

    /// `an integer or a string` when every alternative only names types (int-or-string,
    /// quantities), so the message says what to write.
    fn forms(&self, alternatives: &[SchemaId]) -> Option<String> {
        let mut types = Types::default();
        for &alternative in alternatives {
            let schema = self.arena.get(alternative);
            if schema.types.is_any() || schema.has_properties || schema.reference.is_some() {
                return None;
            }
            types = types.with(schema.types);
        }
        Some(types.describe())
    }

    fn matches(&mut self, id: SchemaId, node: Node<'d>) -> bool {
        let (collect, problems) = (self.collect, std::mem::take(&mut self.problems));
        self.collect = false;
        self.value(id, node, None);
        let matched = self.problems.is_empty();
        self.collect = collect;
        self.problems = problems;
        matched
    }

    fn scalar(&mut self, schema: &SchemaNode, node: Node<'d>) {
        let value = scalar_json(node);
        if !schema.enumeration.is_empty() && !schema.enumeration.iter().any(|e| same(e, &value)) {
            let allowed: Vec<String> = schema.enumeration.iter().map(plain).collect();
            let suggestion = value.as_str().and_then(|text| {
                let strings = schema.enumeration.iter().filter_map(Json::as_str);
                closest(text, strings)
            });
            self.report(node.origin(), |path| {
                let hint = suggestion.map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                format!(
                    "{path} is {}; expected one of {}{hint}",
                    show(&value),
                    allowed.join(", ")
                )
            });
        }
        match (&value, schema.format) {
            (Json::Number(number), Some(format @ (Format::Int32 | Format::Int64))) => {
                let (min, max, bits) = match format {
                    Format::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX), 32),
                    _ => (i64::MIN, i64::MAX, 64),
                };
                if number.as_i64().is_none_or(|n| !(min..=max).contains(&n)) {
                    self.report(node.origin(), |path| {
                        format!("{path} is {number}, out of range for a {bits}-bit integer")
                    });
                }
            }
            (Json::String(text), Some(Format::Byte)) => {
                let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
                if base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .is_err()
                {
                    self.report(node.origin(), |path| {
                        format!(
                            "{path} is not valid base64; Kubernetes decodes this field as bytes"
                        )
                    });
                }
            }
            _ => {}
        }
        if let Json::Number(number) = &value
            && let Some(n) = number.as_f64()
        {
            if let Some(min) = schema.minimum.filter(|&m| n < m) {
                self.report(node.origin(), |path| {
                    format!("{path} is {number}, below the minimum {min}")
                });
            }
            if let Some(max) = schema.maximum.filter(|&m| n > m) {
                self.report(node.origin(), |path| {
                    format!("{path} is {number}, above the maximum {max}")
                });
            }
        }
        if let Json::String(text) = &value {
            let length = text.chars().count() as u64;
            if let Some(pattern) = schema.pattern.as_ref().filter(|p| !p.is_match(text)) {
                let pattern = pattern.as_str().to_string();
                self.report(node.origin(), |path| {
                    format!("{path} does not match the pattern `{pattern}`")
                });
            }
            if let Some(min) = schema.min_length.filter(|&m| length < m) {
                self.report(node.origin(), |path| {
                    format!("{path} is shorter than {min} characters")
                });
            }
            if let Some(max) = schema.max_length.filter(|&m| length > m) {
                self.report(node.origin(), |path| {
                    format!("{path} is longer than {max} characters")
                });
            }
        }
    }

    fn mapping(&mut self, schema: &'s SchemaNode, node: Node<'d>, key: Option<Node<'d>>) {
        let entries = node.entries();
        for &(name_node, value) in &entries {
            let Some(name) = name_node.as_str() else {
                continue;
            };
            self.path.push(Segment::Key(name));
            match (schema.property(name), schema.additional) {
                (Some(property), _) | (None, Additional::Schema(property)) => {
                    self.value(property, value, Some(name_node));
                }
                (None, Additional::Forbidden) => {
                    let title = schema.title.clone();
                    let suggestion = closest(name, schema.properties.iter().map(|(n, _)| &**n));
                    self.report(name_node.origin(), |path| {
                        let owner = title.map_or("a field the schema allows".to_string(), |t| {
                            format!("a field of {t}")
                        });
                        let hint =
                            suggestion.map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                        format!("{path} is not {owner}{hint}")
                    });
                }
                (None, Additional::Allowed) => {}
            }
            self.path.pop();
        }
        for required in &schema.required {
            if !entries.iter().any(|(k, _)| k.as_str() == Some(&**required)) {
                let origin = anchor(node, key);
                self.report(origin, |path| {
                    format!("{path} is missing the required field `{required}`")
                });
            }
        }
    }

    fn sequence(&mut self, schema: &SchemaNode, node: Node<'d>, key: Option<Node<'d>>) {
        let mut count = 0u64;
        for (index, item) in node.items().enumerate() {
            count += 1;
            if let Some(items) = schema.items {
                self.path.push(Segment::Index(index));
                self.value(items, item, None);
                self.path.pop();
            }
        }
        if let Some(min) = schema.min_items.filter(|&m| count < m) {
            let origin = anchor(node, key);
            self.report(origin, |path| {
                format!("{path} has {count} items; the schema wants at least {min}")
            });
        }
        if let Some(max) = schema.max_items.filter(|&m| count > m) {
            let origin = anchor(node, key);
            self.report(origin, |path| {
                format!("{path} has {count} items; the schema allows at most {max}")
            });
        }
    }
}

/// Where a problem of a whole value points: a scalar itself; a collection (whose range spans
/// every line below it) its key, or for a list item its first key, else a point.
fn anchor(node: Node<'_>, key: Option<Node<'_>>) -> Origin {
    if node.as_str().is_some() {
        return node.origin();
    }
    if let Some(key) = key {
        return key.origin();
    }
    match node.entries().first() {
        Some((first, _)) => first.origin(),
        None => node.origin().point(),
    }
}

/// The JSON type YAML gives a node, as Kubernetes reads YAML (YAML 1.1 booleans included).
fn type_of(node: Node<'_>) -> Types {
    if node.is_mapping() {
        return Types::OBJECT;
    }
    if node.is_sequence() {
        return Types::ARRAY;
    }
    match node.scalar_type() {
        Some(ScalarType::Null) => Types::NULL,
        Some(ScalarType::Bool) => Types::BOOLEAN,
        Some(ScalarType::Number) => match scalar_json(node) {
            Json::Number(n) if n.is_i64() || n.is_u64() => Types::INTEGER,
            Json::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => Types::INTEGER,
            _ => Types::NUMBER,
        },
        _ => Types::STRING,
    }
}

/// A scalar as the JSON value YAML reads it as.
pub(super) fn scalar_json(node: Node<'_>) -> Json {
    let text = node.as_str().unwrap_or_default();
    match node.scalar_type() {
        Some(ScalarType::Null) => Json::Null,
        Some(ScalarType::Bool) => Json::Bool(matches!(
            text,
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON"
        )),
        Some(ScalarType::Number) => number(text).unwrap_or_else(|| Json::String(text.into())),
        _ => Json::String(text.into()),
    }
}

fn number(text: &str) -> Option<Json> {
    let unsigned = text.trim_start_matches('+');
    let (negative, digits) = match unsigned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, unsigned),
    };
    let radix = [("0x", 16), ("0o", 8)]
        .iter()
        .find_map(|(prefix, radix)| digits.strip_prefix(prefix).map(|d| (d, *radix)));
    if let Some((digits, radix)) = radix {
        let value = i64::from_str_radix(digits, radix).ok()?;
        return Some(Json::from(if negative { -value } else { value }));
    }
    if let Ok(int) = unsigned.parse::<i64>() {
        return Some(Json::from(int));
    }
    if let Ok(int) = unsigned.parse::<u64>() {
        return Some(Json::from(int));
    }
    let float: f64 = match digits.to_ascii_lowercase().as_str() {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ => digits.parse().ok()?,
    };
    serde_json::Number::from_f64(if negative { -float } else { float }).map(Json::Number)
}

fn same(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => expected == actual,
    }
}

/// An allowed value as the user would write it: `Always`, `""` for the empty string.
fn plain(value: &Json) -> String {
    match value {
        Json::String(text) if text.is_empty() => "\"\"".into(),
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn show(value: &Json) -> String {
    match value {
        Json::String(text) => format!("`{text}`"),
        other => format!("`{other}`"),
    }
}

/// The known name within two edits of `name` (ignoring case), for "did you mean".
fn closest<'n>(name: &str, known: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let name = name.to_ascii_lowercase();
    known
        .map(|k| (edit_distance(&name, &k.to_ascii_lowercase()), k))
        .filter(|&(distance, _)| distance <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters, in one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
