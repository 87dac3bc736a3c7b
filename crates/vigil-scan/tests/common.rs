//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

/// `../shared/data` from the workspace; panics loudly when it is absent (CI has it).
pub fn shared_data() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    assert!(
        root.is_dir(),
        "shared test data missing at {}: these tests need ../shared/data",
        root.display()
    );
    root
}
