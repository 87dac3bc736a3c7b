//! Compiles the agent's BPF programs (`bpf/vigil.bpf.c`) with clang when it is installed
//! (Debian: `clang` and `libbpf-dev`). With an object built, `cfg(vigil_ebpf)` is set and the
//! object is embedded; without one the agent is built with its fallback collection only, and
//! says so at start. `VIGIL_AGENT_NO_BPF=1` skips the BPF build on purpose.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(vigil_ebpf)");
    println!("cargo::rerun-if-changed=bpf/vigil.bpf.c");
    println!("cargo::rerun-if-env-changed=CLANG");
    println!("cargo::rerun-if-env-changed=VIGIL_AGENT_NO_BPF");
    if std::env::var_os("VIGIL_AGENT_NO_BPF").is_some_and(|v| v == "1") {
        return;
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let object = out.join("vigil.bpf.o");
    let mut cmd = Command::new(&clang);
    cmd.args(["-O2", "-g", "-target", "bpf", "-Wall", "-Werror"]);
    // <asm/types.h> lives in the multiarch include directory on Debian and Ubuntu.
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let multiarch = PathBuf::from(format!("/usr/include/{arch}-linux-gnu"));
    if multiarch.is_dir() {
        cmd.arg("-I").arg(&multiarch);
    }
    cmd.arg("-c").arg("bpf/vigil.bpf.c").arg("-o").arg(&object);
    match cmd.output() {
        Ok(o) if o.status.success() => {
            println!("cargo::rustc-cfg=vigil_ebpf");
            println!("cargo::rustc-env=VIGIL_BPF_OBJECT={}", object.display());
        }
        Ok(o) => println!(
            "cargo::warning=the BPF programs did not compile ({clang}); the agent is built with its fallback only: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .next()
                .unwrap_or("")
        ),
        Err(e) => println!(
            "cargo::warning=no {clang} ({e}); the agent is built with its fallback only (install clang and libbpf-dev for eBPF)"
        ),
    }
}
