//! `vigil alerts`: the alert list, newest first, with `--fail-on` for scripts.

use crate::cli::{AlertsArgs, Format};
use crate::exit::FindingsFound;
use crate::output::{Table, cell, write_json};
use anyhow::Result;
use std::io::Write;
use vigil_model::EntityRef;
use vigil_store::{AlertFilter, Store};

pub fn run(store: &Store, args: &AlertsArgs) -> Result<()> {
    let filter = AlertFilter {
        severity_at_least: args.severity,
        types: args.types.clone(),
        entity: args.entity.as_deref().map(EntityRef::infer),
        limit: Some(args.limit),
        ..AlertFilter::default()
    };
    let (alerts, total) = store.list_alerts(&filter)?;
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => write_json(&mut out, &alerts)?,
        Format::Table if alerts.is_empty() => writeln!(out, "no alerts")?,
        Format::Table => {
            let mut t = Table::new(vec!["SEVERITY", "TYPE", "KIND", "LAST SEEN", "ID", "TITLE"]);
            for a in &alerts {
                t.row(vec![
                    a.severity.to_string(),
                    cell(&a.alert_type, 40),
                    a.kind.as_str().to_string(),
                    a.last_seen.to_string(),
                    cell(&a.id, 40),
                    cell(&a.title, 100),
                ]);
            }
            t.write(&mut out)?;
            if total > alerts.len() as u64 {
                writeln!(out, "({} of {} shown; use --limit)", alerts.len(), total)?;
            }
        }
    }
    out.flush()?;
    if let Some(threshold) = args.fail_on {
        // Count every matching alert at or above the threshold, not just the page shown.
        let at_or_above = AlertFilter {
            severity_at_least: Some(args.severity.map_or(threshold, |s| s.max(threshold))),
            limit: Some(0),
            ..filter
        };
        let (_, n) = store.list_alerts(&at_or_above)?;
        if n > 0 {
            return Err(FindingsFound(usize::try_from(n).unwrap_or(usize::MAX)).into());
        }
    }
    Ok(())
}
