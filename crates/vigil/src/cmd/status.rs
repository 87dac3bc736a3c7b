//! `vigil status`: what the store holds.

use crate::cli::Format;
use crate::output::{Table, write_json};
use anyhow::Result;
use serde_json::json;
use std::io::Write;
use vigil_store::Store;

pub fn run(store: &Store, format: Format) -> Result<()> {
    let s = store.stats()?;
    let by_source: serde_json::Map<String, serde_json::Value> = s
        .events_by_source
        .iter()
        .map(|(src, st)| {
            (
                src.as_str().to_string(),
                json!({"events": st.events, "first": st.first.to_string(), "last": st.last.to_string()}),
            )
        })
        .collect();
    let doc = json!({
        "data_dir": store.path().map(|p| p.display().to_string()),
        "events": {
            "total": s.events,
            "by_source": by_source,
            "first": s.event_time_range.map(|r| r.0.to_string()),
            "last": s.event_time_range.map(|r| r.1.to_string()),
        },
        "alerts": {"total": s.alerts, "by_status": s.alerts_by_status},
        "entities": s.entities,
        "engine_state_entries": s.state_entries,
        "file_checkpoints": s.file_checkpoints,
        "audit_entries": s.audit_entries,
    });
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => write_json(&mut out, &doc)?,
        Format::Table => {
            let mut t = Table::new(vec!["WHAT", "COUNT", "DETAIL"]);
            let range = s
                .event_time_range
                .map(|(a, b)| format!("{a} .. {b}"))
                .unwrap_or_default();
            t.row(vec!["events".into(), s.events.to_string(), range]);
            for (src, st) in &s.events_by_source {
                t.row(vec![
                    format!("  {}", src.as_str()),
                    st.events.to_string(),
                    String::new(),
                ]);
            }
            t.row(vec!["alerts".into(), s.alerts.to_string(), String::new()]);
            t.row(vec![
                "inventory entities".into(),
                s.entities.to_string(),
                String::new(),
            ]);
            t.row(vec![
                "files checkpointed".into(),
                s.file_checkpoints.to_string(),
                String::new(),
            ]);
            t.row(vec![
                "audit log entries".into(),
                s.audit_entries.to_string(),
                String::new(),
            ]);
            t.write(&mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}
