//! Running helm: found once per run, and every `helm template` bounded in time, so a chart
//! that makes helm hang costs a finding, not a stalled lint.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `helm template` may run; real charts render in well under a second.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The helm that renders charts: `KUBELINT_HELM`, else `helm` on PATH, checked by running
/// `helm version` so a missing or broken helm is said up front.
pub fn locate_helm() -> Result<PathBuf, String> {
    let helm = std::env::var_os("KUBELINT_HELM")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("helm"), PathBuf::from);
    match Command::new(&helm).args(["version", "--short"]).output() {
        Ok(out) if out.status.success() => Ok(helm),
        Ok(out) => Err(format!(
            "rendering Helm charts needs helm, but `{} version` failed: {}",
            helm.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(error) => Err(format!(
            "rendering Helm charts (--helm-render, or `render: true` under `helm`) needs helm, but `{}` cannot run: {error}; install helm or set KUBELINT_HELM to its path",
            helm.display()
        )),
    }
}

/// Runs helm with `args` and `stdin`; its standard output, or what it said on standard error.
pub fn helm(helm: &Path, args: &[std::ffi::OsString], stdin: &str) -> Result<String, String> {
    let mut child = Command::new(helm)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", helm.display()))?;
    let input = stdin.to_string();
    let mut pipe_in = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(pipe) = pipe_in.as_mut() {
            // helm reads standard input only for `--values -`; a closed pipe is no error.
            let _ = pipe.write_all(input.as_bytes());
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < TIMEOUT => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let _ = writer.join();
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    match status {
        Some(status) if status.success() => Ok(String::from_utf8_lossy(&out).into_owned()),
        Some(_) => Err(String::from_utf8_lossy(&err).trim().to_string()),
        None => Err(format!(
            "helm template did not finish within {} s",
            TIMEOUT.as_secs()
        )),
    }
}
