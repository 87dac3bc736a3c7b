//! `vigil events`: stored events filtered by entity, time, source and action, in time order.
//! Pages through the store so memory stays flat however many events match.

use crate::cli::{EventsArgs, Format, SourceArg};
use crate::exit::UsageError;
use crate::output::{Table, cell};
use crate::timearg::parse_time_arg;
use anyhow::Result;
use std::io::Write;
use vigil_model::{EntityRef, Event, EventBody, EventSource};
use vigil_store::{EventQuery, Store};

const PAGE: usize = 5_000;

pub fn run(store: &Store, args: &EventsArgs) -> Result<()> {
    let query = EventQuery {
        entity: args.entity.as_deref().map(EntityRef::infer),
        since: args
            .since
            .as_deref()
            .map(parse_time_arg)
            .transpose()
            .map_err(UsageError)?,
        until: args
            .until
            .as_deref()
            .map(parse_time_arg)
            .transpose()
            .map_err(UsageError)?,
        source: args.source.map(|s| match s {
            SourceArg::Cloudtrail => EventSource::Cloudtrail,
            SourceArg::Agent => EventSource::Agent,
            SourceArg::Falco => EventSource::Falco,
            SourceArg::Auditd => EventSource::Auditd,
        }),
        action: args.action.clone(),
        limit: None,
        after_seq: None,
    };
    let mut out = std::io::stdout().lock();
    let mut table = Table::new(vec!["TIME", "SOURCE", "ACTION", "WHO", "WHERE", "SUMMARY"]);
    let mut written = 0usize;
    if args.format.format == Format::Json {
        out.write_all(b"[")?;
    }
    let mut cursor = None;
    loop {
        let remaining = args
            .limit
            .map_or(PAGE, |l| l.saturating_sub(written).min(PAGE));
        if remaining == 0 {
            break;
        }
        let page = store.query_events(&EventQuery {
            limit: Some(remaining),
            after_seq: cursor,
            ..query.clone()
        })?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.seq);
        for stored in &page {
            match args.format.format {
                Format::Json => {
                    out.write_all(if written == 0 { b"\n  " } else { b",\n  " })?;
                    serde_json::to_writer(&mut out, &stored.event)?;
                }
                Format::Table => table.row(row(&stored.event)),
            }
            written += 1;
        }
        if page.len() < remaining {
            break;
        }
    }
    match args.format.format {
        Format::Json => out.write_all(if written == 0 { b"]\n" } else { b"\n]\n" })?,
        Format::Table if table.is_empty() => writeln!(out, "no events match")?,
        Format::Table => table.write(&mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn row(e: &Event) -> Vec<String> {
    let (who, place) = match &e.body {
        EventBody::Cloud(c) => (
            c.access_key_id
                .as_deref()
                .map_or_else(|| c.actor.display_name(), str::to_string),
            format!("{} {}", c.region, c.source_ip.as_deref().unwrap_or("")),
        ),
        EventBody::Host(h) => (h.host_id.clone(), h.hostname.clone().unwrap_or_default()),
    };
    let action = match &e.body {
        EventBody::Cloud(c) if c.error_code.is_some() => {
            format!("{} ✗{}", e.action(), c.error_code.as_deref().unwrap_or(""))
        }
        _ => e.action(),
    };
    vec![
        e.time.to_string(),
        e.source.as_str().to_string(),
        cell(&action, 48),
        cell(&who, 40),
        cell(place.trim(), 40),
        cell(&e.summary(), 100),
    ]
}
