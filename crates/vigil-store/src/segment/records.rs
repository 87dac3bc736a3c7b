//! The record table of a segment: per event, its time, source and where its document lies in
//! the segment file. Fixed-width little-endian entries in one SQLite BLOB per segment, so a
//! query reads one row per segment rather than one per event.

use vigil_model::{EventSource, Timestamp};

/// One event's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub time: Timestamp,
    pub source: EventSource,
    pub offset: u64,
    pub len: u32,
}

/// Bytes per entry: time (8), offset (8), length (4), source (1).
const WIDTH: usize = 21;

/// The decoded table: entry `i` is the event with seq `base + i`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RecordTable {
    pub records: Vec<Record>,
}

impl RecordTable {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.records.len() * WIDTH);
        for r in &self.records {
            out.extend_from_slice(&r.time.as_millis().to_le_bytes());
            out.extend_from_slice(&r.offset.to_le_bytes());
            out.extend_from_slice(&r.len.to_le_bytes());
            out.push(source_code(r.source));
        }
        out
    }

    /// `None` when the blob is not a whole number of valid entries.
    pub fn decode(blob: &[u8]) -> Option<RecordTable> {
        if !blob.len().is_multiple_of(WIDTH) {
            return None;
        }
        let records = blob
            .chunks_exact(WIDTH)
            .map(decode_entry)
            .collect::<Option<Vec<_>>>()?;
        Some(RecordTable { records })
    }

    /// Entry `index` of an encoded table, without decoding the rest.
    pub fn entry(blob: &[u8], index: usize) -> Option<Record> {
        let start = index.checked_mul(WIDTH)?;
        decode_entry(blob.get(start..start.checked_add(WIDTH)?)?)
    }
}

fn decode_entry(c: &[u8]) -> Option<Record> {
    let time = i64::from_le_bytes(c.get(0..8)?.try_into().ok()?);
    let offset = u64::from_le_bytes(c.get(8..16)?.try_into().ok()?);
    let len = u32::from_le_bytes(c.get(16..20)?.try_into().ok()?);
    let source = source_from_code(*c.get(20)?)?;
    Some(Record {
        time: Timestamp::from_millis(time),
        source,
        offset,
        len,
    })
}

/// Stable one-byte codes; a new source takes the next free code, codes are never reused.
fn source_code(source: EventSource) -> u8 {
    match source {
        EventSource::Cloudtrail => 0,
        EventSource::Agent => 1,
        EventSource::Falco => 2,
        EventSource::Auditd => 3,
    }
}

fn source_from_code(code: u8) -> Option<EventSource> {
    Some(match code {
        0 => EventSource::Cloudtrail,
        1 => EventSource::Agent,
        2 => EventSource::Falco,
        3 => EventSource::Auditd,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_and_reject_torn_blobs() {
        let table = RecordTable {
            records: vec![
                Record {
                    time: Timestamp::from_millis(-5),
                    source: EventSource::Auditd,
                    offset: 8,
                    len: 3,
                },
                Record {
                    time: Timestamp::from_millis(1_700_000_000_000),
                    source: EventSource::Cloudtrail,
                    offset: u64::MAX,
                    len: u32::MAX,
                },
            ],
        };
        let blob = table.encode();
        assert_eq!(RecordTable::decode(&blob), Some(table));
        assert_eq!(RecordTable::decode(&blob[..blob.len() - 1]), None);
        let mut bad = blob.clone();
        bad[20] = 200;
        assert_eq!(RecordTable::decode(&bad), None);
    }
}
