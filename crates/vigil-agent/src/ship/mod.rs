//! Getting events off the host: batches written to the [`spool::Spool`] first, then delivered
//! oldest-first to a [`sink::Sink`] (the Vigil server over HTTP, or a JSON-lines file), retried
//! with backoff until accepted.

pub mod shipper;
pub mod sink;
pub mod spool;

use std::io::Read;

/// Reads at most `cap` bytes.
pub fn read_capped(r: &mut impl Read, cap: u64) -> (Vec<u8>, std::io::Result<()>) {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut left = cap;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        let Some(dst) = chunk.get_mut(..want) else {
            break;
        };
        match r.read(dst) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(dst.get(..n).unwrap_or_default());
                left -= n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (buf, Err(e)),
        }
    }
    (buf, Ok(()))
}
