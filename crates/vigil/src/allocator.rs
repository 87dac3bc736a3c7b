//! How the `vigil` binary's allocator (mimalloc, set in `main.rs`) treats memory it has freed.
//!
//! mimalloc hands memory back to the system once it has gone unused for a while (its
//! `purge_delay`, one second by default). Ingest allocates in waves: parser threads fill a
//! file's events and documents, the writer stores a batch and frees it, the next files need as
//! much again. With a one-second delay much of that memory went back to the system between
//! waves and came back as fresh pages, which the kernel must zero (on this project's 2-core VM,
//! in 2 MiB huge pages, a few at a time): `vigil ingest` of 100k CloudTrail events spent
//! 0.38–1.66 s of system time against 0.16–0.41 s with the delay at ten seconds (0.65–0.75 s of
//! user time either way), and the ingest bench's store stage (1M events, paired rounds) used
//! about an eighth less CPU.
//! Ten seconds keeps memory across the waves of one ingest while a long-lived `vigil serve`
//! still returns what it no longer needs.
//!
//! A value the user gives in `MIMALLOC_PURGE_DELAY` wins: this only changes the default.

use std::os::raw::c_long;

/// mimalloc's number for its `purge_delay` option (`mi_option_purge_delay` in the v3
/// `mimalloc.h` that `libmimalloc-sys` builds; the crate's Rust bindings do not name it). The
/// test below checks the number against the environment variable that option reads.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory waits to be reused before it goes back to the system.
pub const PURGE_DELAY_MS: c_long = 10_000;

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`] unless the environment chose one. Call it
/// first thing in `main`, before any other thread starts (mimalloc's option table is not
/// synchronised).
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set_default` stores a number in mimalloc's option table when the
    // option was not set from the environment; it takes no pointers, and mimalloc accepts a new
    // purge delay at any time (the value is read when a purge is considered). It runs before
    // other threads exist, so nothing reads the table meanwhile.
    unsafe { libmimalloc_sys::mi_option_set_default(PURGE_DELAY, PURGE_DELAY_MS) }
}

/// mimalloc's purge delay now, in milliseconds (-1: never purge).
#[allow(unsafe_code)]
pub fn purge_delay_ms() -> c_long {
    // SAFETY: reads one number from mimalloc's option table (initialising it from the
    // environment on first use); no pointers are involved.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "MIMALLOC_PURGE_DELAY";

    /// Run by [`the_option_number_is_the_purge_delay`] in a child process whose environment
    /// sets the delay: prints the delay mimalloc read, before and after `keep_freed_memory`.
    #[test]
    #[ignore = "run by the_option_number_is_the_purge_delay with its own environment"]
    fn child_prints_purge_delay() {
        let before = purge_delay_ms();
        keep_freed_memory();
        println!("purge_delay {before} {}", purge_delay_ms());
    }

    #[test]
    fn the_option_number_is_the_purge_delay() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "allocator::tests::child_prints_purge_delay",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV, "4321")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        // The number reads the variable named for the purge delay, and the user's value stays.
        assert!(stdout.contains("purge_delay 4321 4321"), "{stdout}");
    }

    #[test]
    fn the_default_becomes_ten_seconds() {
        if std::env::var_os(ENV).is_some() {
            return; // the environment decides; the child-process test covers that case
        }
        keep_freed_memory();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
