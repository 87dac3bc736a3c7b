//! The on-disk buffer between the agent and its destination. Every batch is written here
//! before it is sent and removed only once the destination accepted it, so a server that is
//! away (or an agent restart) loses nothing. The spool is bounded: when a new batch would pass
//! the bound, the oldest batches are dropped and their events counted as lost coverage.
//!
//! Layout: `SEQ-COUNT.jsonl` per batch (SEQ zero-padded so names sort in order, COUNT the
//! events inside), written to a `.tmp` name and renamed; `next-seq` holds the next sequence
//! number so batch ids stay unique across restarts.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub seq: u64,
    pub count: u64,
    pub path: PathBuf,
    pub bytes: u64,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    next_seq: u64,
    instance: String,
    /// Oldest first.
    batches: Vec<Batch>,
}

/// What pushing a batch cost: batches dropped to stay under the bound.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub batches: u64,
    pub events: u64,
}

impl Spool {
    /// Opens (or creates) the spool, picking up batches left by an earlier run.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut batches = Vec::new();
        for e in fs::read_dir(dir)? {
            let e = e?;
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(".tmp") {
                // A batch cut off by a crash mid-write was never acknowledged as spooled.
                let _ = fs::remove_file(e.path());
                continue;
            }
            if let Some((seq, count)) = parse_name(name) {
                batches.push(Batch {
                    seq,
                    count,
                    path: e.path(),
                    bytes: e.metadata()?.len(),
                });
            }
        }
        batches.sort_by_key(|b| b.seq);
        let stored = fs::read_to_string(dir.join("next-seq"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let after_batches = batches.last().map_or(0, |b| b.seq + 1);
        let instance = match fs::read_to_string(dir.join("instance")) {
            Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                let fresh = new_instance();
                fs::write(dir.join("instance"), &fresh)?;
                fresh
            }
        };
        Ok(Spool {
            instance,
            dir: dir.to_path_buf(),
            max_bytes,
            next_seq: stored.max(after_batches),
            batches,
        })
    }

    /// A token made when the spool was created: sequence numbers restart with a new spool
    /// (a reinstall), so ids carry this to stay unique.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Reserves the next sequence number (persisted before it is used).
    pub fn next_seq(&mut self) -> std::io::Result<u64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let tmp = self.dir.join("next-seq.tmp");
        fs::write(&tmp, self.next_seq.to_string())?;
        fs::rename(tmp, self.dir.join("next-seq"))?;
        Ok(seq)
    }

    /// Stores a batch durably, dropping the oldest batches first if it would not fit.
    pub fn push(&mut self, seq: u64, count: u64, body: &[u8]) -> std::io::Result<Dropped> {
        let mut dropped = Dropped::default();
        let size = body.len() as u64;
        while !self.batches.is_empty() && self.bytes() + size > self.max_bytes {
            let old = self.batches.remove(0);
            let _ = fs::remove_file(&old.path);
            dropped.batches += 1;
            dropped.events += old.count;
        }
        if size > self.max_bytes {
            dropped.batches += 1;
            dropped.events += count;
            return Ok(dropped);
        }
        let path = self.dir.join(format!("{seq:016}-{count}.jsonl"));
        let tmp = path.with_extension("tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(body)?;
            f.sync_data()?;
        }
        fs::rename(&tmp, &path)?;
        self.batches.push(Batch {
            seq,
            count,
            path,
            bytes: size,
        });
        Ok(dropped)
    }

    pub fn oldest(&self) -> Option<&Batch> {
        self.batches.first()
    }

    /// The destination accepted the oldest batch.
    pub fn pop_oldest(&mut self) -> std::io::Result<()> {
        if self.batches.is_empty() {
            return Ok(());
        }
        let b = self.batches.remove(0);
        fs::remove_file(&b.path)
    }

    pub fn bytes(&self) -> u64 {
        self.batches.iter().map(|b| b.bytes).sum()
    }

    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

/// The creation time in microseconds, base 36: short, and different for every spool created.
fn new_instance() -> String {
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    let mut out = Vec::new();
    while n > 0 || out.is_empty() {
        let d = (n % 36) as u8;
        out.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn parse_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".jsonl")?;
    let (seq, count) = stem.split_once('-')?;
    Some((seq.parse().ok()?, count.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        for i in 0..3 {
            let seq = s.next_seq().unwrap();
            assert_eq!(seq, i);
            s.push(seq, 2, b"a\nb\n").unwrap();
        }
        s.pop_oldest().unwrap();
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.oldest().map(|b| b.seq), Some(1));
        assert_eq!(
            s.next_seq().unwrap(),
            3,
            "sequence numbers are never reused"
        );
        let inst = s.instance().to_string();
        drop(s);
        assert_eq!(Spool::open(dir.path(), 1 << 20).unwrap().instance(), inst);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(Spool::open(other.path(), 1 << 20).unwrap().instance(), inst);
    }

    #[test]
    fn bound_drops_oldest_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 10).unwrap();
        assert_eq!(s.push(0, 3, b"12345").unwrap(), Dropped::default());
        assert_eq!(s.push(1, 4, b"12345").unwrap(), Dropped::default());
        let d = s.push(2, 5, b"123").unwrap();
        assert_eq!(
            d,
            Dropped {
                batches: 1,
                events: 3
            }
        );
        assert_eq!(s.oldest().map(|b| b.seq), Some(1));
        assert!(s.bytes() <= 10);
        let d = s.push(3, 9, &[b'x'; 11]).unwrap();
        assert_eq!(
            d.events,
            4 + 5 + 9,
            "a batch larger than the bound is lost too"
        );
    }
}
