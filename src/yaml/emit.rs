//! Writing effective trees back out as YAML, the way `kubectl kustomize` prints a build: block
//! style, keys sorted, strings quoted exactly when a reader would otherwise take them for
//! something else. With origins, each leaf is followed by `# file:line:column` of the line
//! that set it.

use std::fmt::Write as _;

use crate::source::Sources;

use super::owned::{Tree, Value};

/// Options for [`emit`].
#[derive(Clone, Copy)]
pub struct Emit<'s> {
    /// When set, each scalar gets a comment naming where it came from.
    pub origins: Option<&'s Sources>,
}

/// One document's YAML, without the `---` separator.
pub fn emit(tree: &Tree, options: Emit<'_>) -> String {
    let mut out = String::new();
    match &tree.value {
        Value::Map(entries) if !entries.is_empty() => map(&mut out, entries, 0, options),
        Value::Seq(items) if !items.is_empty() => seq(&mut out, items, 0, options),
        _ => {
            out.push_str(&inline(tree));
            origin(&mut out, tree, options);
            out.push('\n');
        }
    }
    out
}

fn sorted(entries: &[(Tree, Tree)]) -> Vec<&(Tree, Tree)> {
    let mut sorted: Vec<&(Tree, Tree)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_text().cmp(&b.0.as_text()));
    sorted
}

fn map(out: &mut String, entries: &[(Tree, Tree)], indent: usize, options: Emit<'_>) {
    for (key, value) in sorted(entries) {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar_text(key));
        out.push(':');
        value_after_key(out, value, indent, options);
    }
}

fn value_after_key(out: &mut String, value: &Tree, indent: usize, options: Emit<'_>) {
    match &value.value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            map(out, entries, indent + 2, options);
        }
        // kubectl writes lists at the indentation of their key.
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            seq(out, items, indent, options);
        }
        Value::Scalar { text, plain: false } if text.contains('\n') && block_safe(text) => {
            out.push_str(block_header(text));
            origin(out, value, options);
            out.push('\n');
            block_body(out, text, indent + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(value));
            origin(out, value, options);
            out.push('\n');
        }
    }
}

fn seq(out: &mut String, items: &[Tree], indent: usize, options: Emit<'_>) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match &item.value {
            Value::Map(entries) if !entries.is_empty() => {
                let mut first = true;
                for (key, value) in sorted(entries) {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    out.push_str(&scalar_text(key));
                    out.push(':');
                    value_after_key(out, value, indent + 2, options);
                }
            }
            Value::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                seq(out, inner, indent + 2, options);
            }
            _ => value_after_key(out, item, indent, options),
        }
    }
}

fn origin(out: &mut String, tree: &Tree, options: Emit<'_>) {
    let Some(sources) = options.origins else {
        return;
    };
    let origin = tree.pieces.first().map_or(tree.origin, |p| p.origin);
    if (origin.file.0 as usize) < sources.len() {
        let file = &sources[origin.file];
        let at = file.position(origin.start as usize);
        let _ = write!(out, " # {}:{}:{}", file.path, at.line, at.column);
    }
}

/// A collection that is empty, or a scalar, on one line.
fn inline(tree: &Tree) -> String {
    match &tree.value {
        Value::Map(_) => "{}".into(),
        Value::Seq(_) => "[]".into(),
        Value::Scalar { .. } => scalar_text(tree),
    }
}

fn scalar_text(tree: &Tree) -> String {
    match &tree.value {
        Value::Scalar { text, plain: true }
            if (plain_safe(text) && !is_yaml11_boolean_word(text)) || is_null_word(text) =>
        {
            if text.is_empty() {
                "null".into()
            } else {
                text.clone()
            }
        }
        Value::Scalar { text, .. } if plain_safe(text) && !looks_typed(text) => text.clone(),
        Value::Scalar { text, .. } => quoted(text),
        _ => String::new(),
    }
}

fn is_null_word(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// `y`, `no`, `On`…: a string to YAML 1.2 readers (kubectl's), a boolean to YAML 1.1 ones,
/// so kubectl quotes them even where they were written plain.
fn is_yaml11_boolean_word(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    )
}

/// Whether a plain scalar reads back as a string of this text in both YAML 1.1 and 1.2.
fn looks_typed(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | "null"
            | "~"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    ) || looks_numeric(text)
}

fn looks_numeric(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    !body.is_empty()
        && (body.chars().all(|c| {
            c.is_ascii_digit()
                || c == '_'
                || c == '.'
                || c == 'e'
                || c == 'E'
                || c == '-'
                || c == '+'
                || c == ':'
        }) && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
            || body.starts_with("0x")
            || body.starts_with("0o")
            || body.starts_with("0b"))
}

/// Text that YAML can hold unquoted on one line.
fn plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let second = text[first.len_utf8()..].chars().next();
    // `-`, `?` and `:` start a plain scalar when something other than a space follows.
    let indicator = matches!(first, '-' | '?' | ':') && second.is_none_or(|c| c == ' ');
    !indicator
        && !",[]{}#&*!|>'\"%@` ".contains(first)
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}'))
        && text != "-"
}

fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A literal block keeps the text exactly when no line carries what a block cannot.
fn block_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{feff}')
        && !text.lines().any(|l| l.ends_with(' '))
        && !text.starts_with([' ', '\n'])
}

fn block_header(text: &str) -> &'static str {
    if text.ends_with("\n\n") {
        " |+"
    } else if text.ends_with('\n') {
        " |"
    } else {
        " |-"
    }
}

fn block_body(out: &mut String, text: &str, indent: usize) {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let body = if text.ends_with("\n\n") {
        text.strip_suffix('\n').unwrap_or(text)
    } else {
        body
    };
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn round_trip(text: &str) -> String {
        let stream = parse(text);
        let tree = Tree::from_node(stream.documents[0].root().unwrap()).unwrap();
        emit(&tree, Emit { origins: None })
    }

    #[test]
    fn keys_are_sorted_and_lists_sit_at_their_key() {
        let out = round_trip(
            "kind: Pod\napiVersion: v1\nspec:\n  containers:\n    - name: a\n      image: x\n",
        );
        assert_eq!(
            out,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: x\n    name: a\n"
        );
    }

    #[test]
    fn strings_that_would_read_as_other_types_are_quoted() {
        let out = round_trip("a: \"3\"\nb: 3\nc: \"yes\"\nd: \"\"\ne: \"x: y\"\nf: ~\n");
        assert_eq!(
            out,
            "a: \"3\"\nb: 3\nc: \"yes\"\nd: \"\"\ne: \"x: y\"\nf: ~\n"
        );
    }

    #[test]
    fn plain_words_only_yaml_1_1_reads_as_booleans_are_quoted_as_kubectl_quotes_them() {
        let out = round_trip("a: Y\nb: on\nc: true\nd: yesterday\n");
        assert_eq!(out, "a: \"Y\"\nb: \"on\"\nc: true\nd: yesterday\n");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let out = round_trip("data:\n  conf: |\n    a\n    b\n");
        assert_eq!(out, "data:\n  conf: |\n    a\n    b\n");
        let reparsed = parse(out);
        let root = reparsed.documents[0].root().unwrap();
        assert_eq!(
            root.get("data").unwrap().get("conf").unwrap().as_str(),
            Some("a\nb\n")
        );
    }
}
