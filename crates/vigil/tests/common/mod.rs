//! Helpers shared by the end-to-end tests of the `vigil` binary.

// Each test file uses its own subset.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the `vigil` binary on `data_dir`, with the environment variables that would change
/// its behaviour removed, so a developer's shell cannot leak into a test.
pub fn vigil(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("VIGIL_DATA_DIR")
        .env_remove("VIGIL_DETECT_CONFIG")
        .env_remove("VIGIL_RULES")
        .output()
        .expect("vigil runs")
}

/// The JSON on stdout of a run that must have succeeded (the output is shown when not).
pub fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
