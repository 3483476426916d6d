//! A file's text and the one place that turns byte offsets into positions.
//!
//! Byte offsets are the single truth for every span in kubelint; humans, JSON, SARIF and
//! GitHub want 1-based lines and character columns, editors want UTF-16 columns. Building the
//! line-start table once per file keeps every conversion a binary search plus one short scan.

use std::ops::Range;
use std::sync::Arc;

/// A 1-based line and column; the column counts characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The text of one input and its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should see it: relative to the working directory, `/` separators.
    pub path: String,
    /// The text, without a leading byte-order mark (editors do not count it as a column);
    /// shared with the documents parsed from it, whose scalars point into it.
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        SourceFile {
            path: path.into(),
            text: text.into(),
            line_starts,
        }
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The byte range of a 0-based line, without its line break (`\n` or `\r\n`).
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let end = if self.text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        start..end
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 1-based line and character column of a byte offset; an offset inside a multi-byte
    /// character or past the end is clamped to the character that holds it.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        Position {
            line: line + 1,
            column: self.text[start..offset].chars().count() + 1,
        }
    }

    /// Moves an offset back onto a character boundary inside the text.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let file = SourceFile::new("a.yaml", "a: 1\nname: \"日本\" # x\n\tb: c\n");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        let x = file.text.find('#').unwrap();
        assert_eq!(
            file.position(x),
            Position {
                line: 2,
                column: 12
            }
        );
        let b = file.text.find('b').unwrap();
        assert_eq!(file.position(b), Position { line: 3, column: 2 });
    }

    #[test]
    fn crlf_lines_end_before_the_carriage_return() {
        let file = SourceFile::new("a.yaml", "a: 1\r\nb: 2\r\n");
        assert_eq!(file.line_range(0), 0..4);
        assert_eq!(file.position(6), Position { line: 2, column: 1 });
        assert_eq!(file.line_count(), 3);
    }

    #[test]
    fn a_leading_bom_is_not_part_of_the_text() {
        let file = SourceFile::new("a.yaml", "\u{feff}kind: Pod\n");
        assert!(file.text.starts_with("kind"));
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let file = SourceFile::new("a.yaml", "é");
        assert_eq!(file.position(1), Position { line: 1, column: 1 });
        assert_eq!(file.position(99), Position { line: 1, column: 2 });
    }
}
