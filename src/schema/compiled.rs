//! Schemas compiled once into an arena the validator walks without allocating: the embedded
//! Kubernetes definitions, a CRD's `openAPIV3Schema`, or a JSON schema file from a folder.
//!
//! One compiler reads the keywords all three use: JSON Schema's (`type`, `properties`,
//! `additionalProperties`, `required`, `items`, `enum`, `oneOf`/`anyOf`/`allOf`, `format`,
//! `pattern`, bounds) and OpenAPI's Kubernetes extensions (`nullable`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-validations`). Keywords it does not know are ignored, never an error.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde_json::{Map, Value as Json};

pub type SchemaId = u32;

/// The JSON types a value may have, as bits; empty means any type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Types(u8);

impl Types {
    pub const NULL: Types = Types(1);
    pub const BOOLEAN: Types = Types(2);
    pub const INTEGER: Types = Types(4);
    pub const NUMBER: Types = Types(8);
    pub const STRING: Types = Types(16);
    pub const OBJECT: Types = Types(32);
    pub const ARRAY: Types = Types(64);

    const NAMES: [(Types, &'static str); 7] = [
        (Types::NULL, "null"),
        (Types::BOOLEAN, "boolean"),
        (Types::INTEGER, "integer"),
        (Types::NUMBER, "number"),
        (Types::STRING, "string"),
        (Types::OBJECT, "object"),
        (Types::ARRAY, "array"),
    ];

    fn named(name: &str) -> Types {
        Types::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(Types(0), |(t, _)| *t)
    }

    pub fn is_any(self) -> bool {
        self.0 == 0
    }

    pub fn with(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    /// Whether a value of type `actual` is allowed: an integer is also a number.
    pub fn allows(self, actual: Types) -> bool {
        self.is_any()
            || self.0 & actual.0 != 0
            || (actual == Types::INTEGER && self.0 & Types::NUMBER.0 != 0)
    }

    /// The name of one type: `a string`, `null`.
    pub fn name(self) -> String {
        if self == Types::NULL {
            "null".into()
        } else {
            self.describe()
        }
    }

    /// `an integer or a string`, for messages; null is left out, as no one writes it on purpose.
    pub fn describe(self) -> String {
        let names: Vec<&str> = Types::NAMES
            .iter()
            .filter(|(t, _)| self.0 & t.0 != 0 && *t != Types::NULL)
            .map(|(t, n)| match *t {
                Types::INTEGER | Types::OBJECT | Types::ARRAY => article(n, "an"),
                _ => article(n, "a"),
            })
            .collect();
        names.join(" or ")
    }
}

fn article(name: &'static str, article: &str) -> &'static str {
    match (article, name) {
        ("an", "integer") => "an integer",
        ("an", "object") => "a mapping",
        ("an", "array") => "a list",
        (_, "boolean") => "a boolean",
        (_, "number") => "a number",
        (_, "string") => "a string",
        _ => "null",
    }
}

/// What happens to keys a mapping's schema does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Additional {
    Allowed,
    Forbidden,
    Schema(SchemaId),
}

/// The formats whose violation the API server rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Int32,
    Int64,
    /// Base64, as `[]byte` fields (a Secret's `data`) are decoded.
    Byte,
}

/// One CEL rule of a CRD schema's `x-kubernetes-validations`, evaluated by the `rules`
/// stage with `self` bound to the value the rule sits on.
#[derive(Debug)]
pub struct CelRule {
    pub rule: String,
    pub message: Option<String>,
    pub message_expression: Option<String>,
    /// Where the finding points, relative to the rule's value (`.spec.replicas`).
    pub field_path: Option<String>,
    /// Compiled by the evaluator on first use, shared by every object and thread.
    pub program: OnceLock<Result<cel::Program, String>>,
}

impl CelRule {
    fn read(item: &Json) -> Option<CelRule> {
        let text = |key: &str| item.get(key).and_then(Json::as_str).map(str::to_string);
        Some(CelRule {
            rule: text("rule")?,
            message: text("message"),
            message_expression: text("messageExpression"),
            field_path: text("fieldPath"),
            program: OnceLock::new(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct SchemaNode {
    /// The schema `false`: no value is allowed.
    pub never: bool,
    /// The definition's short name (`Container`), for messages.
    pub title: Option<Box<str>>,
    pub types: Types,
    /// Sorted by name, for binary search.
    pub properties: Vec<(Box<str>, SchemaId)>,
    /// Whether the schema names properties at all: a mapping schema without them is a map.
    pub has_properties: bool,
    pub additional: Additional,
    pub required: Vec<Box<str>>,
    pub items: Option<SchemaId>,
    pub enumeration: Vec<Json>,
    pub one_of: Vec<SchemaId>,
    pub any_of: Vec<SchemaId>,
    pub all_of: Vec<SchemaId>,
    pub reference: Option<SchemaId>,
    pub format: Option<Format>,
    pub pattern: Option<Regex>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub rules: Vec<Arc<CelRule>>,
}

impl SchemaNode {
    /// Accepts anything.
    fn any() -> SchemaNode {
        SchemaNode {
            never: false,
            title: None,
            types: Types::default(),
            properties: Vec::new(),
            has_properties: false,
            additional: Additional::Allowed,
            required: Vec::new(),
            items: None,
            enumeration: Vec::new(),
            one_of: Vec::new(),
            any_of: Vec::new(),
            all_of: Vec::new(),
            reference: None,
            format: None,
            pattern: None,
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            min_items: None,
            max_items: None,
            rules: Vec::new(),
        }
    }

    pub fn property(&self, name: &str) -> Option<SchemaId> {
        self.properties
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .map(|at| self.properties[at].1)
    }
}

/// Compiled schemas: nodes by id.
#[derive(Debug, Default)]
pub struct Arena {
    pub nodes: Vec<SchemaNode>,
}

impl Arena {
    pub fn get(&self, id: SchemaId) -> &SchemaNode {
        &self.nodes[id as usize]
    }
}

/// How unknown fields are treated where a schema does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// kubernetes-validate's strict schemas: `additionalProperties: false` is written out.
    Written,
    /// A CRD's structural schema, read as the API server's strict field validation reads it
    /// (kubectl's default since 1.27): a mapping that lists properties rejects any other key
    /// unless `x-kubernetes-preserve-unknown-fields` keeps them.
    Structural,
}

/// Looks up a definition by the index `$ref`s name it with: its short title and its schema.
pub type Definitions<'j> = &'j dyn Fn(u32) -> Option<(&'j str, Json)>;

/// Compiles JSON schemas into an [`Arena`]. `$ref`s are integers naming a definition (the
/// embedded ones, compiled when first referred to) or JSON pointers into the document being
/// compiled (`#/...`); other references accept anything.
pub struct Compiler<'j> {
    pub arena: Arena,
    dialect: Dialect,
    document: Option<&'j Json>,
    definitions: Option<Definitions<'j>>,
    pointers: HashMap<String, SchemaId>,
    defined: HashMap<u32, SchemaId>,
}

impl<'j> Compiler<'j> {
    pub fn new(dialect: Dialect) -> Self {
        Compiler {
            arena: Arena::default(),
            dialect,
            document: None,
            definitions: None,
            pointers: HashMap::new(),
            defined: HashMap::new(),
        }
    }

    /// Compiles definition `index` of `definitions`, and those it refers to, only those.
    pub fn definition(&mut self, definitions: Definitions<'j>, index: u32) -> Option<SchemaId> {
        self.definitions = Some(definitions);
        self.reference(&Json::from(index))
    }

    /// Compiles a whole document, whose `#/...` references point into itself.
    pub fn document(&mut self, document: &'j Json) -> SchemaId {
        self.document = Some(document);
        self.compile(document)
    }

    pub fn compile(&mut self, schema: &Json) -> SchemaId {
        let node = self.node(schema);
        self.push(node)
    }

    fn push(&mut self, node: SchemaNode) -> SchemaId {
        self.arena.nodes.push(node);
        (self.arena.nodes.len() - 1) as SchemaId
    }

    fn node(&mut self, schema: &Json) -> SchemaNode {
        let mut node = SchemaNode::any();
        let object = match schema {
            Json::Object(object) => object,
            Json::Bool(false) => {
                node.never = true;
                return node;
            }
            _ => return node,
        };
        node.types = types_of(object);
        if object.get("nullable") == Some(&Json::Bool(true)) {
            node.types = node.types.with(Types::NULL);
        }
        if object.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true)) {
            node.types = Types::INTEGER.with(Types::STRING);
        }
        node.reference = object.get("$ref").and_then(|r| self.reference(r));
        if let Some(Json::Object(properties)) = object.get("properties") {
            node.has_properties = true;
            let mut compiled: Vec<(Box<str>, SchemaId)> = properties
                .iter()
                .map(|(name, schema)| (name.as_str().into(), self.compile(schema)))
                .collect();
            compiled.sort_by(|a, b| a.0.cmp(&b.0));
            node.properties = compiled;
        }
        let preserve =
            object.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true));
        node.additional = match object.get("additionalProperties") {
            Some(Json::Bool(false)) => Additional::Forbidden,
            Some(schema @ Json::Object(_)) => Additional::Schema(self.compile(schema)),
            _ if self.dialect == Dialect::Structural && node.has_properties && !preserve => {
                Additional::Forbidden
            }
            _ => Additional::Allowed,
        };
        if let Some(Json::Array(required)) = object.get("required") {
            node.required = required
                .iter()
                .filter_map(|r| r.as_str().map(Into::into))
                .collect();
        }
        node.items = match object.get("items") {
            Some(schema @ Json::Object(_)) => Some(self.compile(schema)),
            _ => None,
        };
        if let Some(Json::Array(values)) = object.get("enum") {
            node.enumeration = values.clone();
        }
        node.one_of = self.list(object, "oneOf");
        node.any_of = self.list(object, "anyOf");
        node.all_of = self.list(object, "allOf");
        node.format = match object.get("format").and_then(Json::as_str) {
            Some("int32") => Some(Format::Int32),
            Some("int64") => Some(Format::Int64),
            Some("byte") => Some(Format::Byte),
            _ => None,
        };
        // A pattern the regex crate cannot compile (look-around) is not checked.
        node.pattern = object
            .get("pattern")
            .and_then(Json::as_str)
            .and_then(|p| Regex::new(p).ok());
        node.minimum = object.get("minimum").and_then(Json::as_f64);
        node.maximum = object.get("maximum").and_then(Json::as_f64);
        node.min_length = object.get("minLength").and_then(Json::as_u64);
        node.max_length = object.get("maxLength").and_then(Json::as_u64);
        node.min_items = object.get("minItems").and_then(Json::as_u64);
        node.max_items = object.get("maxItems").and_then(Json::as_u64);
        if let Some(Json::Array(rules)) = object.get("x-kubernetes-validations") {
            node.rules = rules
                .iter()
                .filter_map(CelRule::read)
                .map(Arc::new)
                .collect();
        }
        node
    }

    fn list(&mut self, object: &Map<String, Json>, key: &str) -> Vec<SchemaId> {
        match object.get(key) {
            Some(Json::Array(schemas)) => schemas.iter().map(|s| self.compile(s)).collect(),
            _ => Vec::new(),
        }
    }

    fn reference(&mut self, reference: &Json) -> Option<SchemaId> {
        if let Some(index) = reference.as_u64() {
            let index = u32::try_from(index).ok()?;
            if let Some(&id) = self.defined.get(&index) {
                return Some(id);
            }
            let (title, schema) = (self.definitions?)(index)?;
            // Reserved before compiling, so a definition that refers to itself ends.
            let id = self.push(SchemaNode::any());
            self.defined.insert(index, id);
            let mut node = self.node(&schema);
            node.title = Some(title.rsplit('.').next().unwrap_or(title).into());
            self.arena.nodes[id as usize] = node;
            return Some(id);
        }
        let pointer = reference.as_str()?.strip_prefix('#')?;
        if let Some(&id) = self.pointers.get(pointer) {
            return Some(id);
        }
        let target = self.document?.pointer(pointer)?;
        let id = self.push(SchemaNode::any());
        self.pointers.insert(pointer.to_string(), id);
        let mut node = self.node(target);
        node.title = pointer.rsplit('/').next().map(Into::into);
        self.arena.nodes[id as usize] = node;
        Some(id)
    }
}

fn types_of(object: &Map<String, Json>) -> Types {
    match object.get("type") {
        Some(Json::String(name)) => Types::named(name),
        Some(Json::Array(names)) => names
            .iter()
            .filter_map(Json::as_str)
            .fold(Types::default(), |all, name| all.with(Types::named(name))),
        _ => Types::default(),
    }
}
