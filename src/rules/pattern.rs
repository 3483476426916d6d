//! A rule's regular expression: its syntax is checked when the rule compiles, its automaton is
//! built the first time a value is matched against it. Building the automata of every pattern
//! of every shipped rule cost about 4 ms at each start (a Unicode `.{64,}` is 64 automata of
//! every character), while a file on save reaches only a few of them.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

#[derive(Clone)]
pub struct Pattern {
    source: String,
    built: OnceLock<Result<Regex, String>>,
}

impl Pattern {
    /// Checks the syntax with the parser `regex` itself uses, so every mistake in how the
    /// pattern is written is a compile error of its rule; only a pattern whose automaton
    /// outgrows the size limit fails later, in [`Pattern::build`].
    pub fn parse(source: &str) -> Result<Pattern, String> {
        regex_syntax::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_owned(),
            built: OnceLock::new(),
        })
    }

    /// The automaton, built on the first call.
    pub fn build(&self) -> Result<&Regex, &str> {
        self.built
            .get_or_init(|| Regex::new(&self.source).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// A pattern that cannot be built matches nothing; [`super::compile`] builds every pattern
    /// of a rule read from a config's folder, and a test every shipped one, so none is.
    pub fn is_match(&self, text: &str) -> bool {
        self.build().is_ok_and(|regex| regex.is_match(text))
    }
}

/// The pattern as written: whether it is built yet says nothing about the rule.
impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_mistake_is_an_error_when_the_pattern_is_parsed() {
        let error = Pattern::parse("^(unclosed").unwrap_err();
        assert!(error.contains("unclosed group"), "{error}");
    }

    #[test]
    fn a_pattern_matches_once_built_on_first_use() {
        let pattern = Pattern::parse("^[a-z]+$").unwrap();
        assert!(pattern.built.get().is_none());
        assert!(pattern.is_match("web"));
        assert!(!pattern.is_match("Web"));
        assert!(pattern.built.get().is_some());
    }

    #[test]
    fn a_pattern_too_large_to_build_matches_nothing_and_says_why() {
        let pattern = Pattern::parse(r"(\w{1000}){1000}").unwrap();
        assert!(!pattern.is_match("a"));
        let error = pattern.build().unwrap_err();
        assert!(error.contains("size limit"), "{error}");
    }
}
