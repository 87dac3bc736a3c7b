//! Capped reads: untrusted files and streams are never read without a limit.

use std::io::Read;

/// Reads at most `limit` bytes; returns `Err(size_seen)` when the input has more.
pub fn read_capped(
    mut reader: impl Read,
    limit: u64,
    size_hint: usize,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(size_hint.min(cap).min(64 << 20));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(Ok(out)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if out.len() + n > cap {
            return Ok(Err((out.len() + n) as u64));
        }
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}
