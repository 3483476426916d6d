//! Between the protocol's coordinates and kubelint's: `file:` URIs and absolute paths, byte
//! offsets and LSP positions in the negotiated encoding (UTF-16 unless the client offers UTF-8).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::source::{FileId, Origin, SourceFile, Sources};

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// What a path segment may hold unescaped: RFC 3986's unreserved characters and `/`, as
/// VS Code writes file URIs.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The absolute path of a `file:` URI; `None` for any other scheme (an unsaved buffer).
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let decoded = percent_decode_str(rest).decode_utf8().ok()?;
    // `file:///C:/x` on Windows: the drive letter follows the slash.
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if cfg!(windows) && drive.is_ascii_alphabetic() => &decoded[1..],
        _ => &decoded[..],
    };
    let path = PathBuf::from(decoded);
    path.is_absolute().then_some(path)
}

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let text = crate::config::slash_path(path);
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    Uri::from_str(&format!("file://{}", utf8_percent_encode(&text, PATH))).ok()
}

/// The absolute path a run's file stands for: its display path (relative to the working
/// folder when under it) joined to the working folder.
pub fn source_path(sources: &Sources, file: FileId, cwd: &Path) -> PathBuf {
    crate::config::absolutize(cwd, Path::new(&sources[file].path))
}

pub fn position(file: &SourceFile, offset: usize, encoding: Encoding) -> Position {
    let (line, character) = match encoding {
        Encoding::Utf16 => file.utf16_position(offset),
        Encoding::Utf8 => {
            let offset = file.clamp(offset);
            let line = file.line_index(offset);
            let start = line_start(file, line);
            (line, offset.saturating_sub(start))
        }
    };
    Position::new(line as u32, character as u32)
}

pub fn range(file: &SourceFile, origin: Origin, encoding: Encoding) -> Range {
    Range::new(
        position(file, origin.start as usize, encoding),
        position(file, origin.end as usize, encoding),
    )
}

/// The byte offset of a position; a column past the line's end is its end, a line past the
/// last is the end of the text, as the protocol asks.
pub fn offset(file: &SourceFile, at: Position, encoding: Encoding) -> usize {
    let line = at.line as usize;
    if line >= file.line_count() {
        return file.text.len();
    }
    let start = line_start(file, line);
    let end = file.line_range(line).end.max(start);
    let mut units = at.character as usize;
    for (index, c) in file.text[start..end].char_indices() {
        let width = match encoding {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        };
        if units < width {
            return start + index;
        }
        units -= width;
    }
    end
}

/// Where a line's first column is: past the byte-order mark on the first line.
fn line_start(file: &SourceFile, line: usize) -> usize {
    match file.line_range(line).start {
        0 => file.bom_len(),
        start => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_spaces_and_non_ascii_round_trips_through_its_uri() {
        let path = Path::new("/work/my repo/café/a#b.yaml");
        let uri = uri_of(path).unwrap();
        assert_eq!(uri.as_str(), "file:///work/my%20repo/caf%C3%A9/a%23b.yaml");
        assert_eq!(path_of(&uri).as_deref(), Some(path));
    }

    #[test]
    fn a_uri_of_another_scheme_has_no_path() {
        let uri = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(path_of(&uri), None);
    }

    #[test]
    fn utf16_columns_count_an_astral_character_twice_and_utf8_counts_bytes() {
        let file = SourceFile::new("a.yaml", "a: 1\nb: \"é🚀\" x\n");
        let x = file.text.find('x').unwrap();
        assert_eq!(position(&file, x, Encoding::Utf16), Position::new(1, 9));
        assert_eq!(position(&file, x, Encoding::Utf8), Position::new(1, 12));
        assert_eq!(offset(&file, Position::new(1, 9), Encoding::Utf16), x);
        assert_eq!(offset(&file, Position::new(1, 12), Encoding::Utf8), x);
    }

    #[test]
    fn a_position_past_the_line_or_the_text_is_clamped_to_its_end() {
        let file = SourceFile::new("a.yaml", "ab\r\ncd");
        assert_eq!(offset(&file, Position::new(0, 99), Encoding::Utf16), 2);
        assert_eq!(offset(&file, Position::new(7, 0), Encoding::Utf16), 6);
    }
}
