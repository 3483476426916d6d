//! Which `.json` files a folder walk lints: those whose top level is a Kubernetes object or a
//! `List` of them (as kubeconform walks JSON); package.json, tsconfig.json and the like are
//! skipped without a word.

use std::path::Path;

use serde::Deserialize;

use super::read::MAX_FILE_BYTES_READ;

pub fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// Only the two fields that make an object a Kubernetes object; the rest is skipped unread.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
}

/// Whether the first JSON value of the file is a Kubernetes object (which a `List` is too).
/// A file that is not valid JSON but names both fields is taken, so that its syntax error is
/// reported; a file too large to read is taken, so that its size is.
pub fn holds_kubernetes_objects(path: &Path) -> bool {
    let too_large = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_FILE_BYTES_READ as u64);
    if too_large {
        return true;
    }
    let Ok(bytes) = std::fs::read(path) else {
        // Unreadable: the read in the next stage reports why.
        return true;
    };
    is_kubernetes_json(&bytes)
}

fn is_kubernetes_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // A top-level array is not an object (serde would read a struct from it).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    match serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Head>()
        .next()
    {
        Some(Ok(head)) => head.api_version.is_some() && head.kind.is_some(),
        Some(Err(_)) => {
            let text = String::from_utf8_lossy(bytes);
            text.contains("\"apiVersion\"") && text.contains("\"kind\"")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_objects_and_lists_are_taken_and_other_json_is_not() {
        assert!(is_kubernetes_json(
            br#"{"apiVersion": "v1", "kind": "List", "items": []}"#
        ));
        assert!(is_kubernetes_json(
            br#"{"kind": "Pod", "apiVersion": "v1"} {"kind": "Pod", "apiVersion": "v1"}"#
        ));
        assert!(!is_kubernetes_json(
            br#"{"name": "app", "version": "1.0.0"}"#
        ));
        assert!(!is_kubernetes_json(
            br#"[{"apiVersion": "v1", "kind": "Pod"}]"#
        ));
        assert!(!is_kubernetes_json(
            b"{\"compilerOptions\": {} // strict\n}"
        ));
        assert!(!is_kubernetes_json(b""));
    }

    #[test]
    fn broken_json_that_names_a_kind_is_taken_so_its_error_is_reported() {
        assert!(is_kubernetes_json(
            b"{\n  // a Pod\n  \"apiVersion\": \"v1\", \"kind\": \"Pod\"\n}"
        ));
    }
}
