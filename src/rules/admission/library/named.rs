//! The Kubernetes format library (named formats: `format.dns1123Label().validate(x)` gives
//! `optional.none()` for a valid value, else the list of what is wrong) and the semver
//! library (`semver()`, `isSemver()`, `major()`, `minor()`, `patch()`, comparisons).

use std::sync::{Arc, LazyLock};

use base64::Engine;
use cel::extractors::{Arguments, This};
use cel::objects::{Opaque, OptionalValue};
use cel::{Context, DeclarationError, ExecutionError, Value};
use regex::Regex;

use super::error;

/// The named formats, by the name `format.named()` takes.
pub const FORMATS: &[&str] = &[
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// A named format, `kubernetes.NamedFormat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format(&'static str);

impl Opaque for Format {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.NamedFormat"
    }
}

fn regex(pattern: &'static str) -> Regex {
    Regex::new(pattern).expect("the format patterns are valid")
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
static DNS1035: LazyLock<Regex> = LazyLock::new(|| regex("^[a-z]([-a-z0-9]*[a-z0-9])?$"));
static SUBDOMAIN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
static NAME: LazyLock<Regex> =
    LazyLock::new(|| regex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"^(\d{4})-(\d{2})-(\d{2})$"));
static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
});

fn too_long(text: &str, max: usize, out: &mut Vec<String>) {
    if text.len() > max {
        out.push(format!("must be no more than {max} characters"));
    }
}

fn label(text: &str, out: &mut Vec<String>) {
    too_long(text, 63, out);
    if !LABEL.is_match(text) {
        out.push(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
             '-', and must start and end with an alphanumeric character"
                .into(),
        );
    }
}

fn subdomain(text: &str, out: &mut Vec<String>) {
    too_long(text, 253, out);
    if !SUBDOMAIN.is_match(text) {
        out.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
             '-' or '.', and must start and end with an alphanumeric character"
                .into(),
        );
    }
}

fn dns1035(text: &str, out: &mut Vec<String>) {
    too_long(text, 63, out);
    if !DNS1035.is_match(text) {
        out.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start \
             with an alphabetic character, and end with an alphanumeric character"
                .into(),
        );
    }
}

fn name_part(text: &str, what: &str, out: &mut Vec<String>) {
    too_long(text, 63, out);
    if !NAME.is_match(text) {
        out.push(format!(
            "{what} must consist of alphanumeric characters, '-', '_' or '.', and must start \
             and end with an alphanumeric character"
        ));
    }
}

/// A prefix for `generateName` may end in `-`, which the name completes.
fn masked_dash(text: &str) -> String {
    match text.strip_suffix('-') {
        Some(rest) if !rest.is_empty() => format!("{rest}a"),
        _ => text.to_string(),
    }
}

/// A date whose month and day exist.
fn real_date(year: &str, month: &str, day: &str) -> bool {
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// What is wrong with `text` in `format`; empty when it is valid.
pub fn problems(format: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    match format {
        "dns1123Label" => label(text, &mut out),
        "dns1123LabelPrefix" => label(&masked_dash(text), &mut out),
        "dns1123Subdomain" => subdomain(text, &mut out),
        "dns1123SubdomainPrefix" => subdomain(&masked_dash(text), &mut out),
        "dns1035Label" => dns1035(text, &mut out),
        "dns1035LabelPrefix" => dns1035(&masked_dash(text), &mut out),
        "qualifiedName" => match text.split('/').collect::<Vec<_>>().as_slice() {
            [name] => name_part(name, "name part", &mut out),
            [prefix, name] if !prefix.is_empty() => {
                subdomain(prefix, &mut out);
                name_part(name, "name part", &mut out);
            }
            _ => out.push(
                "a qualified name must consist of a name, optionally prefixed by a DNS \
                 subdomain and '/'"
                    .into(),
            ),
        },
        "labelValue" if text.is_empty() => {}
        "labelValue" => name_part(text, "a valid label", &mut out),
        "uri" if super::net::parse_url(text).is_none() => out.push("invalid URI".into()),
        "uuid" if !UUID.is_match(text) => out.push("does not match the UUID format".into()),
        "byte"
            if base64::engine::general_purpose::STANDARD
                .decode(text)
                .is_err() =>
        {
            out.push("invalid base64".into())
        }
        "date" => {
            let ok = DATE
                .captures(text)
                .is_some_and(|c| real_date(&c[1], &c[2], &c[3]));
            if !ok {
                out.push("invalid date".into());
            }
        }
        "datetime" => {
            let ok = DATETIME.captures(text).is_some_and(|c| {
                real_date(&c[1], &c[2], &c[3])
                    && c[4].parse::<u32>().is_ok_and(|h| h < 24)
                    && c[5].parse::<u32>().is_ok_and(|m| m < 60)
                    && c[6].parse::<u32>().is_ok_and(|s| s < 61)
            });
            if !ok {
                out.push("invalid datetime".into());
            }
        }
        _ => {}
    }
    out
}

fn format_value(name: &'static str) -> Value {
    Value::Opaque(Arc::new(Format(name)))
}

/// A version, `kubernetes.Semver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semver(semver::Version);

impl Opaque for Semver {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Semver"
    }
}

/// `v1.2` as `1.2.0` and `01.02.03` as `1.2.3`, as `semver(text, true)` normalizes.
fn normalized(text: &str) -> String {
    let text = text.strip_prefix('v').unwrap_or(text);
    let end = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(end);
    let mut parts: Vec<String> = core
        .split('.')
        .map(|p| {
            let trimmed = p.trim_start_matches('0');
            if trimmed.is_empty() && !p.is_empty() {
                "0".into()
            } else {
                trimmed.to_string()
            }
        })
        .collect();
    while parts.len() < 3 {
        parts.push("0".into());
    }
    format!("{}{rest}", parts.join("."))
}

fn parse_semver(text: &str, normalize: bool) -> Option<Semver> {
    let text = if normalize {
        normalized(text)
    } else {
        text.to_string()
    };
    semver::Version::parse(&text).ok().map(Semver)
}

fn normalize_flag(args: &Arguments) -> bool {
    matches!(args.0.get(1), Some(Value::Bool(true)))
}

pub fn semver_of(value: &Value) -> Option<&Semver> {
    match value {
        Value::Opaque(opaque) => opaque.downcast_ref::<Semver>(),
        _ => None,
    }
}

/// Semver precedence (build metadata ignored): -1, 0 or 1.
pub fn compare_semver(a: &Semver, b: &Semver) -> i64 {
    match a.0.cmp_precedence(&b.0) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// One number of a version: `major()`, `minor()` or `patch()`.
type Part = fn(&semver::Version) -> u64;

/// Adds the format and semver functions; the comparisons live with the quantity ones,
/// which share their names.
pub fn register(context: &mut Context<'_, '_>) -> Result<(), DeclarationError> {
    for &name in FORMATS {
        context.add_function(&format!("format.{name}"), move || format_value(name))?;
    }
    context.add_function("format.named", |This(name): This<Arc<String>>| -> Value {
        let found = FORMATS.iter().find(|f| ***f == **name);
        let optional = match found {
            Some(name) => OptionalValue::of(format_value(name)),
            None => OptionalValue::none(),
        };
        Value::Opaque(Arc::new(optional))
    })?;
    context.add_function(
        "validate",
        |This(this): This<Value>, text: Arc<String>| -> Result<Value, ExecutionError> {
            let Value::Opaque(opaque) = &this else {
                return Err(error("validate", "not a named format"));
            };
            let format = opaque
                .downcast_ref::<Format>()
                .ok_or_else(|| error("validate", "not a named format"))?;
            let found = problems(format.0, &text);
            let optional = if found.is_empty() {
                OptionalValue::none()
            } else {
                let list = found.into_iter().map(Value::from).collect();
                OptionalValue::of(Value::List(Arc::new(list)))
            };
            Ok(Value::Opaque(Arc::new(optional)))
        },
    )?;
    context.add_function(
        "semver",
        |This(text): This<Arc<String>>, args: Arguments| -> Result<Value, ExecutionError> {
            let version = parse_semver(&text, normalize_flag(&args)).ok_or_else(|| {
                error(
                    "semver",
                    format!("`{text}` is not a valid semantic version"),
                )
            })?;
            Ok(Value::Opaque(Arc::new(version)))
        },
    )?;
    context.add_function(
        "isSemver",
        |This(text): This<Arc<String>>, args: Arguments| -> bool {
            parse_semver(&text, normalize_flag(&args)).is_some()
        },
    )?;
    let parts: [(&str, Part); 3] = [
        ("major", |v| v.major),
        ("minor", |v| v.minor),
        ("patch", |v| v.patch),
    ];
    for (name, part) in parts {
        context.add_function(
            name,
            move |This(this): This<Value>| -> Result<i64, ExecutionError> {
                let version = semver_of(&this).ok_or_else(|| error(name, "not a semver"))?;
                i64::try_from(part(&version.0)).map_err(|_| error(name, "too large"))
            },
        )?;
    }
    Ok(())
}
