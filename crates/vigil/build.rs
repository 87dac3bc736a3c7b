//! Embeds Vigil's own rule pack (`rules/` at the workspace root) in the binary, so a single
//! `vigil` file detects with its rules wherever it runs. A rules directory given at run time
//! (`VIGIL_RULES`, or `DATA_DIR/rules`) replaces the embedded pack.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // Read when the script runs, not baked in when it is compiled (`env!`): a target directory
    // shared between checkouts reuses one compiled script for all of them, and a baked-in path
    // pointed it at a checkout that may be gone (an empty pack, silently).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest).join("../../rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    // A `vigil` without its rule pack would run and detect far less without a word.
    assert!(
        !files.is_empty(),
        "no rule files under {}: the rule pack must be embedded",
        root.display()
    );
    let mut code = String::from("/// Vigil's rule pack: (path under `rules/`, YAML text).\n");
    code.push_str("pub const EMBEDDED_RULES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("embedded_rules.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("writing {}: {e}", out.display());
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}
