//! How a rule file divides: the rule, then its `tests:`. Shared with build.rs, which turns
//! the rule part of each shipped file into JSON.

/// Splits a rule file before its top-level `tests:` key, which must come last.
pub fn split_tests(text: &str) -> (&str, &str) {
    let at = if text.starts_with("tests:") {
        Some(0)
    } else {
        text.find("\ntests:").map(|at| at + 1)
    };
    at.map_or((text, ""), |at| text.split_at(at))
}
