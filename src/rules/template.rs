//! Message templates: text with `{fact}` placeholders, `{fact|fallback}` for facts that
//! may be absent, and `{{`/`}}` for literal braces. Compiled once per rule; rendered only when a finding fires.

use super::facts::{Fact, Scope};

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Fact {
        fact: Fact,
        fallback: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Template(Vec<Part>);

impl Template {
    pub fn compile(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(open) = rest.find(['{', '}']) {
            text.push_str(&rest[..open]);
            let brace = &rest[open..open + 1];
            if rest[open + 1..].starts_with(brace) {
                text.push_str(brace);
                rest = &rest[open + 2..];
                continue;
            }
            if brace == "}" {
                return Err(format!(
                    "`}}` without `{{` in `{source}` (write `}}}}` for a brace)"
                ));
            }
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("`{{` without `}}` in `{source}`"));
            };
            let body = &rest[open + 1..open + close];
            let (name, fallback) = match body.split_once('|') {
                Some((name, fallback)) => (name, Some(fallback.to_string())),
                None => (body, None),
            };
            parts.push(Part::Fact {
                fact: Fact::parse(name.trim())?,
                fallback,
            });
            rest = &rest[open + close + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template(parts))
    }

    pub fn facts(&self) -> impl Iterator<Item = &Fact> {
        self.0.iter().filter_map(|part| match part {
            Part::Fact { fact, .. } => Some(fact),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders; an absent fact without a fallback renders as nothing.
    pub fn render(&self, scope: &Scope<'_, '_>) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Fact { fact, fallback } => {
                    let value = fact.read(scope);
                    match (value.text(), fallback) {
                        (Some(text), _) => out.push_str(&text),
                        (None, Some(fallback)) => out.push_str(fallback),
                        (None, None) => {}
                    }
                }
            }
        }
        out
    }

    /// Fills the placeholders, or `None` when a fact without a fallback is absent: a fix's
    /// text must not silently lose a part.
    pub fn render_complete(&self, scope: &Scope<'_, '_>) -> Option<String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Fact { fact, fallback } => match (fact.read(scope).text(), fallback) {
                    (Some(text), _) => out.push_str(&text),
                    (None, Some(fallback)) => out.push_str(fallback),
                    (None, None) => return None,
                },
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_fallbacks_compile() {
        let template = Template::compile("`{image}` via {mirror.via|a mirror}.").unwrap();
        assert_eq!(template.facts().count(), 2);
        assert!(
            Template::compile("{nope}")
                .unwrap_err()
                .contains("unknown fact")
        );
        assert!(Template::compile("{image").is_err());
        assert!(Template::compile("a } b").is_err());
        assert_eq!(
            Template::compile("{{x}} {image}").unwrap().facts().count(),
            1
        );
    }
}
