//! One event's document in a segment: the event id (its length as 4 little-endian bytes, then
//! the UTF-8 bytes) followed by the body as JSON
//! ([`vigil_model::write_body_json`]: serde_json's bytes, written faster). Time and source live in the record table.

use crate::error::{Result, StoreError, decode};
use crate::segment::Record;
use vigil_model::{Event, EventBody};

/// Appends the document of `event` to `out`.
pub(crate) fn encode(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    let id = event.id.as_bytes();
    let len = u32::try_from(id.len()).map_err(|_| StoreError::BadValue {
        what: "event id length of event",
        key: event.id.chars().take(64).collect(),
        value: id.len().to_string(),
    })?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(id);
    vigil_model::write_body_json(&event.body, out).map_err(|source| StoreError::Encode {
        what: "event",
        source,
    })
}

/// The event a document and its record describe.
pub(crate) fn decode_event(record: &Record, bytes: &[u8]) -> Result<Event> {
    let torn = || StoreError::BadValue {
        what: "event document at offset",
        key: record.offset.to_string(),
        value: format!("{} bytes, torn", bytes.len()),
    };
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(torn)?;
    let id_len = usize::try_from(u32::from_le_bytes(len_bytes)).map_err(|_| torn())?;
    let id_end = id_len.checked_add(4).ok_or_else(torn)?;
    let id = std::str::from_utf8(bytes.get(4..id_end).ok_or_else(torn)?).map_err(|_| torn())?;
    let body_text =
        std::str::from_utf8(bytes.get(id_end..).ok_or_else(torn)?).map_err(|_| torn())?;
    let body: EventBody = decode("event", id, body_text)?;
    Ok(Event {
        id: id.to_string(),
        time: record.time,
        source: record.source,
        body,
    })
}
