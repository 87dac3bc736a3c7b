//! Nesting depth of untrusted JSON, kept within what the parsers survive.
//!
//! sonic-rs 0.5 validates the values it skips (unknown fields, the raw `requestParameters`) by
//! recursing once per nesting level with no limit (cloudwego/sonic-rs#232), so `[[[[…` a few
//! hundred thousand levels deep overflows the stack and aborts the process: no error, no skip,
//! nothing kept. Two guards:
//!
//! - [`with_stack_for`] runs a sonic-rs parse on a thread whose stack can hold as many levels as
//!   the input has `[` and `{` bytes (a bound on its depth that costs one SIMD count). Inputs
//!   with few brackets run where they are. The fast path's cursor (`crate::scan`) does not
//!   recurse, so only the general path pays for the count.
//! - [`too_deep`] tells whether a value that is kept (and so parsed again by rules and by the
//!   store's reader, serde_json, which stops at 128 levels) nests deeper than
//!   [`MAX_KEPT_DEPTH`]; normalisation skips such records. Real CloudTrail nests a dozen levels.

/// Deepest nesting kept in an event's raw JSON values.
pub const MAX_KEPT_DEPTH: usize = 100;

/// Stack one nesting level of sonic-rs's recursive skip takes, with room to spare. Measured:
/// ~100 bytes optimised; ~20 KB unoptimised (its generic parser is compiled in the calling
/// crate, so a debug build of ours runs it unoptimised whatever sonic-rs's own profile).
const FRAME_BYTES: usize = if cfg!(debug_assertions) {
    32 << 10
} else {
    512
};

/// Stack any thread is assumed to have (Rust's default for spawned threads is 2 MiB).
const STACK_AT_HAND: usize = 1 << 20;

/// Stack for the threads that parse input ([`spawn_parser`]): reserved, not used, so it costs
/// address space only. With it a parse seldom needs a thread of its own (one per document cost
/// a tenth of parse time: the spawn, and events freed by a thread other than their maker's).
pub const PARSER_STACK: usize = 1 << 30;

thread_local! {
    /// Stack the current thread is known to have.
    static STACK_BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(STACK_AT_HAND) };
}

/// Spawns a scoped thread with [`PARSER_STACK`] of stack that parses in place.
pub fn spawn_parser<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    work: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(PARSER_STACK)
        .spawn_scoped(scope, move || {
            STACK_BUDGET.with(|b| b.set(PARSER_STACK));
            work()
        })
}

/// Above this the bracket count says little (a huge document): measure the depth exactly.
const MAX_STACK: usize = 1 << 32;

/// `[` and `{` bytes in `b`, inside strings or not: an upper bound on its nesting depth.
/// (A byte-lane loop the compiler vectorises measured slower than memchr2 here.)
pub fn openers(b: &[u8]) -> usize {
    memchr::memchr2_iter(b'[', b'{', b).count()
}

/// The deepest nesting of `b` (arrays and objects, brackets inside strings not counted), or
/// `limit + 1` as soon as it is known to exceed `limit`. A plain loop: it only runs on the rare
/// input whose bracket count alone does not settle the question.
pub fn max_depth(b: &[u8], limit: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut in_string = false;
    let mut escaped = false;
    for &c in b {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > limit {
                        return deepest;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether a kept JSON value nests deeper than [`MAX_KEPT_DEPTH`].
pub fn too_deep(raw: &[u8]) -> bool {
    openers(raw) > MAX_KEPT_DEPTH && max_depth(raw, MAX_KEPT_DEPTH) > MAX_KEPT_DEPTH
}

/// Runs `parse` over `input` with stack enough for its nesting; `None` if no thread with that
/// much stack could be had (the caller reports the input as too deeply nested).
pub fn with_stack_for<R: Send>(input: &[u8], parse: impl FnOnce() -> R + Send) -> Option<R> {
    let mut levels = openers(input);
    if levels.saturating_mul(FRAME_BYTES) > MAX_STACK {
        levels = max_depth(input, MAX_STACK / FRAME_BYTES);
    }
    let need = levels.saturating_mul(FRAME_BYTES).saturating_add(256 << 10);
    if need <= STACK_BUDGET.with(std::cell::Cell::get) {
        return Some(parse());
    }
    if need > MAX_STACK {
        return None;
    }
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("vigil-parse".into())
            .stack_size(need)
            .spawn_scoped(s, parse)
            .ok()?
            .join()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_structure_not_strings() {
        assert_eq!(max_depth(br#"{"a":[1,{"b":"[[[{{"}],"c":"\"]"}"#, 99), 3);
        assert_eq!(max_depth(b"[]", 99), 1);
        let many = "{[a\"b\"".repeat(10_000);
        assert_eq!(openers(many.as_bytes()), 20_000);
        assert_eq!(openers(b""), 0);
        assert_eq!(max_depth(b"\"x\"", 99), 0);
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(max_depth(deep.as_bytes(), 99), 100);
        assert_eq!(max_depth(deep.as_bytes(), 1000), 500);
        assert!(too_deep(deep.as_bytes()));
        // Many brackets, little depth: kept.
        let wide = format!("[{}1]", "[1],".repeat(500));
        assert!(!too_deep(wide.as_bytes()));
    }

    #[test]
    fn deep_input_gets_a_thread_with_room() {
        // Far past what a default 2 MiB (or the main thread's 8 MiB) stack survives.
        let n = if cfg!(debug_assertions) {
            20_000
        } else {
            500_000
        };
        let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let skipped = with_stack_for(deep.as_bytes(), || {
            sonic_rs::from_slice::<sonic_rs::LazyValue<'_>>(deep.as_bytes()).is_ok()
        });
        assert_eq!(skipped, Some(true));
        assert_eq!(with_stack_for(b"[1]", || 7), Some(7));
    }
}
