//! The Kubernetes CEL libraries that policies and CRD rules use and the `cel` crate lacks:
//! quantities, `find`/`findAll`, the list functions (`isSorted`, `sum`, `min`, `max`), and in
//! submodules URLs, IPs and CIDRs (`net`), named formats and semver (`named`). The strings
//! and lists extensions come from the crate. A function outside these is an undeclared
//! reference when an expression calls it, which the caller reports as "not evaluated".

mod named;
mod net;

use std::sync::Arc;

use cel::extractors::{Arguments, This};
use cel::objects::Opaque;
use cel::{Context, DeclarationError, Env, ExecutionError, Value};

use crate::rules::quantity;

/// Functions the Kubernetes libraries name that kubelint does not implement: an
/// expression calling one is reported as not evaluated, naming the library. `authorizer`
/// needs the cluster's RBAC; durations and timestamps need the `cel` crate's chrono
/// feature, whose time zone database would add megabytes to the binary.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    ("authorizer", "authz"),
    ("duration", "duration"),
    ("timestamp", "timestamp"),
];

/// A `resource.Quantity` as Kubernetes CEL's `quantity()` makes it: compared by value.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    text: String,
    value: f64,
}

impl Eq for Quantity {}

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

/// The CEL environment of every policy: the standard library and the strings and lists
/// extensions, as the API server's.
pub fn environment() -> Env {
    let mut env = Env::stdlib();
    // Registering extensions on a fresh environment cannot clash with anything.
    env.add_extension(cel::extensions::strings)
        .expect("strings extension on a fresh environment");
    env.add_extension(cel::extensions::lists)
        .expect("lists extension on a fresh environment");
    env
}

pub(super) fn error(function: &str, message: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

fn quantity_of(value: &Value, function: &str) -> Result<Quantity, ExecutionError> {
    match value {
        Value::Opaque(opaque) => opaque
            .downcast_ref::<Quantity>()
            .cloned()
            .ok_or_else(|| error(function, "not a quantity")),
        _ => Err(error(function, "not a quantity")),
    }
}

fn parse_quantity(text: &str) -> Result<Value, ExecutionError> {
    let value = quantity::parse(text)
        .ok_or_else(|| error("quantity", format!("invalid quantity `{text}`")))?;
    Ok(Value::Opaque(Arc::new(Quantity {
        text: text.to_string(),
        value,
    })))
}

fn two_quantities(
    this: &Value,
    args: &Arguments,
    function: &str,
) -> Result<(Quantity, Quantity), ExecutionError> {
    let other = args
        .0
        .first()
        .ok_or_else(|| error(function, "needs an argument"))?;
    let other = match other {
        Value::Int(i) => Quantity {
            text: i.to_string(),
            value: *i as f64,
        },
        other => quantity_of(other, function)?,
    };
    Ok((quantity_of(this, function)?, other))
}

/// `compareTo` and its kin, for two quantities or two semvers.
fn compare_any(this: &Value, args: &Arguments, function: &str) -> Result<i64, ExecutionError> {
    if let Some(a) = named::semver_of(this) {
        let b = args
            .0
            .first()
            .and_then(named::semver_of)
            .ok_or_else(|| error(function, "compares a semver with a semver"))?;
        return Ok(named::compare_semver(a, b));
    }
    let (a, b) = two_quantities(this, args, function)?;
    Ok(compare(&a, &b))
}

fn compare(a: &Quantity, b: &Quantity) -> i64 {
    match a.value.partial_cmp(&b.value) {
        Some(std::cmp::Ordering::Less) => -1,
        Some(std::cmp::Ordering::Greater) => 1,
        _ => 0,
    }
}

fn numbers(list: &Value, function: &str) -> Result<Arc<Vec<Value>>, ExecutionError> {
    match list {
        Value::List(items) => Ok(Arc::clone(items)),
        _ => Err(error(function, "not a list")),
    }
}

fn ordered(a: &Value, b: &Value, function: &str) -> Result<std::cmp::Ordering, ExecutionError> {
    match (a, b) {
        (Value::Opaque(_), Value::Opaque(_)) => {
            let (a, b) = (quantity_of(a, function)?, quantity_of(b, function)?);
            Ok(compare(&a, &b).cmp(&0))
        }
        _ => a
            .partial_cmp(b)
            .ok_or_else(|| error(function, "values are not comparable")),
    }
}

fn extreme(
    list: &Value,
    function: &str,
    want: std::cmp::Ordering,
) -> Result<Value, ExecutionError> {
    let items = numbers(list, function)?;
    let mut best: Option<&Value> = None;
    for item in items.iter() {
        if best.is_none_or(|b| ordered(item, b, function).is_ok_and(|o| o == want)) {
            best = Some(item);
        }
    }
    best.cloned()
        .ok_or_else(|| error(function, "the list is empty"))
}

fn regex(pattern: &str, function: &str) -> Result<regex::Regex, ExecutionError> {
    regex::Regex::new(pattern).map_err(|e| error(function, format!("invalid regex: {e}")))
}

/// Adds the Kubernetes functions to a context.
pub fn register(context: &mut Context<'_, '_>) -> Result<(), DeclarationError> {
    context.add_function("quantity", |This(text): This<Arc<String>>| {
        parse_quantity(&text)
    })?;
    context.add_function("isQuantity", |This(text): This<Arc<String>>| {
        quantity::parse(&text).is_some()
    })?;
    context.add_function(
        "compareTo",
        |This(this): This<Value>, args: Arguments| -> Result<i64, ExecutionError> {
            compare_any(&this, &args, "compareTo")
        },
    )?;
    context.add_function(
        "isLessThan",
        |This(this): This<Value>, args: Arguments| -> Result<bool, ExecutionError> {
            Ok(compare_any(&this, &args, "isLessThan")? < 0)
        },
    )?;
    context.add_function(
        "isGreaterThan",
        |This(this): This<Value>, args: Arguments| -> Result<bool, ExecutionError> {
            Ok(compare_any(&this, &args, "isGreaterThan")? > 0)
        },
    )?;
    context.add_function(
        "asApproximateFloat",
        |This(this): This<Value>| -> Result<f64, ExecutionError> {
            Ok(quantity_of(&this, "asApproximateFloat")?.value)
        },
    )?;
    context.add_function(
        "isInteger",
        |This(this): This<Value>| -> Result<bool, ExecutionError> {
            let q = quantity_of(&this, "isInteger")?;
            Ok(q.value.fract() == 0.0 && q.value.abs() < i64::MAX as f64)
        },
    )?;
    context.add_function(
        "asInteger",
        |This(this): This<Value>| -> Result<i64, ExecutionError> {
            let q = quantity_of(&this, "asInteger")?;
            if q.value.fract() != 0.0 || q.value.abs() >= i64::MAX as f64 {
                return Err(error(
                    "asInteger",
                    format!("`{}` is not an integer", q.text),
                ));
            }
            Ok(q.value as i64)
        },
    )?;
    context.add_function(
        "sign",
        |This(this): This<Value>| -> Result<i64, ExecutionError> {
            let q = quantity_of(&this, "sign")?;
            Ok(if q.value > 0.0 {
                1
            } else if q.value < 0.0 {
                -1
            } else {
                0
            })
        },
    )?;
    context.add_function(
        "find",
        |This(this): This<Arc<String>>, pattern: Arc<String>| -> Result<Value, ExecutionError> {
            let found = regex(&pattern, "find")?
                .find(&this)
                .map(|m| m.as_str().to_string());
            Ok(Value::from(found.unwrap_or_default()))
        },
    )?;
    context.add_function(
        "findAll",
        |This(this): This<Arc<String>>, args: Arguments| -> Result<Value, ExecutionError> {
            let Some(Value::String(pattern)) = args.0.first() else {
                return Err(error("findAll", "needs a pattern"));
            };
            let limit = match args.0.get(1) {
                Some(Value::Int(n)) if *n >= 0 => *n as usize,
                _ => usize::MAX,
            };
            let found: Vec<Value> = regex(pattern, "findAll")?
                .find_iter(&this)
                .take(limit)
                .map(|m| Value::from(m.as_str().to_string()))
                .collect();
            Ok(Value::List(Arc::new(found)))
        },
    )?;
    context.add_function(
        "isSorted",
        |This(this): This<Value>| -> Result<bool, ExecutionError> {
            let items = numbers(&this, "isSorted")?;
            for pair in items.windows(2) {
                if ordered(&pair[0], &pair[1], "isSorted")? == std::cmp::Ordering::Greater {
                    return Ok(false);
                }
            }
            Ok(true)
        },
    )?;
    context.add_function(
        "sum",
        |This(this): This<Value>| -> Result<Value, ExecutionError> {
            let items = numbers(&this, "sum")?;
            let mut ints: i64 = 0;
            let mut floats: Option<f64> = None;
            for item in items.iter() {
                match item {
                    Value::Int(i) => {
                        ints = ints
                            .checked_add(*i)
                            .ok_or_else(|| error("sum", "overflow"))?
                    }
                    Value::Float(f) => *floats.get_or_insert(0.0) += f,
                    _ => return Err(error("sum", "only numbers can be summed")),
                }
            }
            Ok(match floats {
                Some(f) => Value::Float(f + ints as f64),
                None => Value::Int(ints),
            })
        },
    )?;
    context.add_function("min", |This(this): This<Value>| {
        extreme(&this, "min", std::cmp::Ordering::Less)
    })?;
    context.add_function("max", |This(this): This<Value>| {
        extreme(&this, "max", std::cmp::Ordering::Greater)
    })?;
    net::register(context)?;
    named::register(context)?;
    Ok(())
}

#[cfg(test)]
mod tests;
