//! Host events from the agent's JSON lines (see `AGENT_EVENTS.md`): one serialised
//! [`vigil_model::Event`] per line.

use crate::cloudtrail::ParseOutcome;
use crate::limits::FileContext;
use crate::normalize::derived_id;
use crate::reason::{Location, Skip, SkipReason};
use serde_json::Value;
use vigil_model::{Event, EventBody};

/// Parses agent JSON lines. Lines without `id` get `vigil-<xxh3-128 of the line>`; lines without
/// `source` are the agent's. Bad lines are skipped with a reason; the others are kept.
pub fn parse_host_bytes(bytes: &[u8], ctx: &FileContext) -> ParseOutcome {
    parse_json_lines(bytes, ctx, host_line)
}

/// The loop every line-oriented host format shares (agent lines, Falco alerts): a leading BOM
/// is dropped, an empty file is one skip, and each line becomes an event or a skip that names
/// its line number.
pub(crate) fn parse_json_lines(
    bytes: &[u8],
    ctx: &FileContext,
    mut parse_line: impl FnMut(&[u8], usize) -> Result<Event, (SkipReason, String)>,
) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.trim_ascii().is_empty() {
        out.skips.push(Skip::new(
            SkipReason::EmptyFile,
            Location {
                path: ctx.path.clone(),
                ..Location::default()
            },
            "",
        ));
        return out;
    }
    for (n, line) in crate::split::lines(body) {
        out.records += 1;
        match parse_line(line, ctx.max_record_bytes) {
            Ok(ev) => out.events.push(ev),
            Err((reason, detail)) => out.skips.push(Skip::new(
                reason,
                Location {
                    path: ctx.path.clone(),
                    record: None,
                    line: Some(n),
                },
                detail,
            )),
        }
    }
    out
}

fn host_line(line: &[u8], max: usize) -> Result<Event, (SkipReason, String)> {
    if line.len() > max {
        return Err((
            SkipReason::RecordTooLarge,
            format!("{} bytes, limit {max}", line.len()),
        ));
    }
    let mut v: Value =
        serde_json::from_slice(line).map_err(|e| (SkipReason::InvalidJson, e.to_string()))?;
    let Value::Object(obj) = &mut v else {
        return Err((SkipReason::InvalidRecord, "not a JSON object".into()));
    };
    let has_id = obj
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !has_id {
        obj.insert("id".into(), Value::String(derived_id(line)));
    }
    obj.entry("source")
        .or_insert_with(|| Value::String("agent".into()));
    if !obj.contains_key("time") {
        return Err((SkipReason::MissingField("time"), String::new()));
    }
    if !obj.contains_key("host") {
        return Err((SkipReason::MissingField("host"), String::new()));
    }
    let ev: Event =
        serde_json::from_value(v).map_err(|e| (SkipReason::InvalidRecord, e.to_string()))?;
    match ev.body {
        EventBody::Host(_) => Ok(ev),
        EventBody::Cloud(_) => Err((SkipReason::InvalidRecord, "not a host event".into())),
    }
}
