//! Turning a file's bytes into text, or into a clear reason why it is not text.

use std::ops::Range;

use crate::source::{Encoding, SourceFile};

/// Larger files are not manifests anyone edits by hand; reading them would only cost memory.
pub const MAX_FILE_BYTES_READ: usize = 32 * 1024 * 1024;

pub fn too_large(bytes: usize) -> String {
    format!(
        "file is {} MiB; kubelint reads files up to {} MiB",
        bytes >> 20,
        MAX_FILE_BYTES_READ >> 20
    )
}

/// Why a file's bytes cannot be linted as YAML, and where the first bad byte is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotText {
    pub message: String,
    pub span: Range<usize>,
}

/// A file's text (as far as it could be decoded) and, if it is not valid text, why.
#[derive(Debug)]
pub struct Loaded {
    pub source: SourceFile,
    pub problem: Option<NotText>,
}

/// Decodes bytes as UTF-8 (or UTF-16 with a byte-order mark, as some Windows editors save).
pub fn read_text(display: &str, bytes: &[u8]) -> Loaded {
    if bytes.len() > MAX_FILE_BYTES_READ {
        let message = format!(
            "file is {} MiB; kubelint reads files up to {} MiB",
            bytes.len() >> 20,
            MAX_FILE_BYTES_READ >> 20
        );
        return not_text(display, String::new(), message, 0);
    }
    if let Some(text) = utf16(bytes) {
        return Loaded {
            source: SourceFile::with_encoding(display, text, Encoding::Utf16),
            problem: None,
        };
    }
    // Binary first: a NUL byte is a surer sign than an encoding error that comes before it.
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let at = String::from_utf8_lossy(&bytes[..nul]).len();
        let text = String::from_utf8_lossy(bytes).into_owned();
        return not_text(display, text, "binary file: NUL byte".into(), at);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Loaded {
            source: SourceFile::new(display, text),
            problem: None,
        },
        Err(error) => {
            let at = error.valid_up_to();
            let message = format!(
                "not UTF-8: byte 0x{:02X} cannot start a character",
                bytes[at]
            );
            not_text(
                display,
                String::from_utf8_lossy(bytes).into_owned(),
                message,
                at,
            )
        }
    }
}

fn not_text(display: &str, text: String, message: String, at: usize) -> Loaded {
    let source = SourceFile::new(display, text);
    let at = source.clamp(at);
    Loaded {
        source,
        problem: Some(NotText {
            message,
            span: at..at,
        }),
    }
}

fn utf16(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    // The byte-order mark is decoded with the rest: it stays in the text, one unit as on disk.
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_points_at_the_first_bad_byte() {
        let loaded = read_text("a.yaml", b"a: 1\n# caf\xE9\n");
        let problem = loaded.problem.unwrap();
        assert_eq!(problem.span, 10..10);
        assert!(problem.message.contains("0xE9"));
        assert_eq!(loaded.source.position(9).line, 2);
    }

    #[test]
    fn nul_bytes_mean_binary_even_after_invalid_utf8() {
        let loaded = read_text("a.yaml", b"ab\xFF\0cd");
        let problem = loaded.problem.unwrap();
        assert!(problem.message.starts_with("binary"));
        assert_eq!(
            problem.span,
            5..5,
            "the NUL follows a 3-byte replacement character"
        );
    }

    #[test]
    fn utf16_with_a_bom_is_decoded() {
        let bytes: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: 1".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let loaded = read_text("a.yaml", &bytes);
        assert!(loaded.problem.is_none());
        assert_eq!(&*loaded.source.text, "\u{feff}a: 1");
        assert_eq!(
            loaded.source.disk_offset(loaded.source.text.len()),
            bytes.len()
        );
    }

    #[test]
    fn an_empty_file_is_empty_text() {
        let loaded = read_text("a.yaml", b"");
        assert!(loaded.problem.is_none());
    }
}
