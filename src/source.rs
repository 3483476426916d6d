//! The ground floor: the files of a run, and the one position type every stage shares.
//!
//! An [`Origin`] is a file id plus a byte range. Findings, their related locations, the nodes
//! of a Kustomize build and the leaves of layered Helm values all carry one, so a value keeps
//! the place it came from through every stage, and only the reporters turn it into lines and
//! columns, through the file's [`SourceFile`] in the run's [`Sources`].
//!
//! Offsets are offsets in the file's text, which for UTF-8 files (with or without a byte-order
//! mark, which is kept) are exactly its bytes on disk. A UTF-16 file is transcoded once when it
//! is read; [`SourceFile::disk_offset`] maps back to its bytes where the bytes matter (JSON
//! `offset`, fixes written to disk).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The index of a file in its run's [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// Where a value came from: a byte range in one file; ordered by file, then position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Origin {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Origin {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Origin {
            file,
            start: offset(range.start),
            end: offset(range.end.max(range.start)),
        }
    }

    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// An empty origin at the start of this one: a point, such as a missing key's parent.
    pub fn point(&self) -> Origin {
        Origin {
            end: self.start,
            ..*self
        }
    }
}

/// Offsets fit in 32 bits: inputs over 32 MiB are refused before they are parsed.
pub fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// A 1-based line and column; the column counts characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// How a file's bytes became its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    /// Transcoded from UTF-16 (either byte order); the text keeps the byte-order mark.
    Utf16,
}

/// A character that takes more than one byte, with running totals up to and including it, so
/// that character and UTF-16 columns are a binary search away on lines of any length.
#[derive(Debug, Clone, Copy)]
struct Wide {
    at: u32,
    /// Bytes beyond the first, summed over this and every earlier wide character.
    extra_bytes: u32,
    /// Characters outside the Basic Multilingual Plane (two UTF-16 units), likewise summed.
    astral: u32,
}

/// The text of one input and its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should see it: relative to the working directory, `/` separators.
    pub path: String,
    /// The text, shared with the documents parsed from it, whose scalars point into it. A
    /// leading byte-order mark is kept so offsets stay the file's own; columns skip it.
    pub text: Arc<str>,
    pub encoding: Encoding,
    /// Where each line starts. YAML breaks lines at `\n`, `\r\n` and a lone `\r`.
    line_starts: Vec<u32>,
    wide: Vec<Wide>,
}

const BOM: char = '\u{feff}';

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self::with_encoding(path, text, Encoding::Utf8)
    }

    pub fn with_encoding(
        path: impl Into<String>,
        text: impl Into<Arc<str>>,
        encoding: Encoding,
    ) -> Self {
        let text: Arc<str> = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut wide = Vec::new();
        let (mut extra_bytes, mut astral) = (0u32, 0u32);
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            match byte {
                b'\n' => line_starts.push(offset(at + 1)),
                b'\r' if bytes.get(at + 1) != Some(&b'\n') => line_starts.push(offset(at + 1)),
                _ => {}
            }
            let width = utf8_width(byte);
            if width > 1 {
                extra_bytes += width as u32 - 1;
                astral += u32::from(width == 4);
                wide.push(Wide {
                    at: offset(at),
                    extra_bytes,
                    astral,
                });
            }
            at += width;
        }
        SourceFile {
            path: path.into(),
            text,
            encoding,
            line_starts,
            wide,
        }
    }

    /// The byte length of the leading byte-order mark, if the text has one.
    pub fn bom_len(&self) -> usize {
        if self.text.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        }
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start as usize <= offset)
            .saturating_sub(1)
    }

    /// The byte range of a 0-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let len = self.text.len();
        let start = self.line_starts.get(line).map_or(len, |&s| s as usize);
        let mut end = self.line_starts.get(line + 1).map_or(len, |&s| s as usize);
        let bytes = self.text.as_bytes();
        if end > start && line + 1 < self.line_starts.len() {
            end -= 1; // the `\n` or lone `\r`
            if bytes[end] == b'\n' && end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        start..end.max(start)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 1-based line and character column of a byte offset; an offset inside a multi-byte
    /// character or past the end is clamped to the character that holds it.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_start(line);
        Position {
            line: line + 1,
            column: self.chars_between(start, offset) + 1,
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset, as the Language Server Protocol
    /// counts them.
    pub fn utf16_position(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_start(line);
        let astral = self.astral_before(offset) - self.astral_before(start);
        (line, self.chars_between(start, offset) + astral)
    }

    /// The offset of a text offset in the file's bytes on disk.
    pub fn disk_offset(&self, offset: usize) -> usize {
        let offset = self.clamp(offset);
        match self.encoding {
            Encoding::Utf8 => offset,
            Encoding::Utf16 => 2 * (self.chars_between(0, offset) + self.astral_before(offset)),
        }
    }

    /// Where a line's first column starts: after the byte-order mark on the first line.
    fn line_start(&self, line: usize) -> usize {
        let start = self.line_starts[line] as usize;
        if start == 0 { self.bom_len() } else { start }
    }

    /// Characters in `start..end` (both on character boundaries, `start <= end`).
    fn chars_between(&self, start: usize, end: usize) -> usize {
        let end = end.max(start);
        (end - start) - (self.extra_before(end) - self.extra_before(start))
    }

    fn extra_before(&self, offset: usize) -> usize {
        let index = self.wide.partition_point(|w| (w.at as usize) < offset);
        index
            .checked_sub(1)
            .map_or(0, |i| self.wide[i].extra_bytes as usize)
    }

    fn astral_before(&self, offset: usize) -> usize {
        let index = self.wide.partition_point(|w| (w.at as usize) < offset);
        index
            .checked_sub(1)
            .map_or(0, |i| self.wide[i].astral as usize)
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

/// The byte length of the UTF-8 sequence a leading byte starts.
fn utf8_width(byte: u8) -> usize {
    match byte {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Every file of a run by id, and the id of each path read from disk. Ids are given in the
/// order files are added; nothing orders output by id, so the order of adding never shows.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<Arc<SourceFile>>,
    by_path: HashMap<PathBuf, FileId>,
}

impl Sources {
    pub fn add(&mut self, file: Arc<SourceFile>) -> FileId {
        let id = FileId(offset(self.files.len()));
        self.files.push(file);
        id
    }

    /// Adds a file read from `path`, so later stages can find it by path.
    pub fn add_path(&mut self, path: &Path, file: Arc<SourceFile>) -> FileId {
        let id = self.add(file);
        self.by_path.insert(path.to_path_buf(), id);
        id
    }

    /// The id of a path read from disk, if it was read.
    pub fn id_of(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn get(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl std::ops::Index<FileId> for Sources {
    type Output = SourceFile;

    fn index(&self, id: FileId) -> &SourceFile {
        self.get(id)
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
    fn a_lone_carriage_return_breaks_the_line_as_yaml_says() {
        let text = "a: 1\rb: 2\rkind: Pod\r";
        let file = SourceFile::new("a.yaml", text);
        let kind = text.find("Pod").unwrap();
        assert_eq!(file.position(kind), Position { line: 3, column: 7 });
        assert_eq!(file.line_range(1), 5..9);
    }

    #[test]
    fn a_leading_bom_keeps_offsets_on_disk_and_is_not_a_column() {
        let file = SourceFile::new("a.yaml", "\u{feff}kind: Pod\n");
        assert_eq!(file.bom_len(), 3);
        assert_eq!(file.position(3), Position { line: 1, column: 1 });
        assert_eq!(file.disk_offset(3), 3);
    }

    #[test]
    fn utf16_files_map_offsets_back_to_their_bytes() {
        let file = SourceFile::with_encoding("a.yaml", "\u{feff}k: é😀x\n", Encoding::Utf16);
        let x = file.text.find('x').unwrap();
        // BOM, `k`, `:`, ` `, `é` are one unit each, the emoji two: 7 units before `x`.
        assert_eq!(file.disk_offset(x), 14);
        assert_eq!(file.utf16_position(x), (0, 6));
        assert_eq!(file.position(x).column, 6);
    }

    #[test]
    fn columns_on_a_very_long_line_need_no_rescan() {
        let line = "é".repeat(200_000) + "x";
        let file = SourceFile::new("a.yaml", line.as_str());
        let x = line.find('x').unwrap();
        assert_eq!(file.position(x).column, 200_001);
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let file = SourceFile::new("a.yaml", "é");
        assert_eq!(file.position(1), Position { line: 1, column: 1 });
        assert_eq!(file.position(99), Position { line: 1, column: 2 });
    }

    #[test]
    fn sources_find_files_by_id_and_path() {
        let mut sources = Sources::default();
        let a = sources.add_path(Path::new("a.yaml"), Arc::new(SourceFile::new("a.yaml", "")));
        let b = sources.add(Arc::new(SourceFile::new("b.yaml", "")));
        assert_eq!(sources[a].path, "a.yaml");
        assert_eq!(sources[b].path, "b.yaml");
        assert_eq!(sources.id_of(Path::new("a.yaml")), Some(a));
    }
}
