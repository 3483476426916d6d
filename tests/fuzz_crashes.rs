//! Every input the fuzzer crashed kubelint with is linted in every format without a crash.

mod common;

use common::{kubelint, testdata};

#[test]
fn inputs_that_once_crashed_kubelint_get_a_report_in_every_format() {
    let mut inputs: Vec<_> = std::fs::read_dir(testdata("fuzz-crashes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e != "md"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for input in &inputs {
        let text = std::fs::read(input).unwrap();
        for format in ["human", "json", "sarif", "github", "junit"] {
            let output = kubelint()
                .current_dir(testdata("repo"))
                .args(["check", "-", "--format", format])
                .args(["--stdin-filename", ".pipeline/k8s/overlays/prod/fuzz.yaml"])
                .write_stdin(text.clone())
                .output()
                .unwrap();
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "{} --format {format}: {}",
                input.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!output.stdout.is_empty(), "{}", input.display());
        }
    }
}
