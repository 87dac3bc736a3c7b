//! Alerts: upsert by id, filtered pages newest first, and status changes that people make
//! (which detection re-raising the alert must not undo, and which the audit log records).
//!
//! The typed columns and indexes exist for one requirement: a filtered page over 100k alerts
//! in well under 100 ms. Every filter is a column (or the `alert_entities` table), every index
//! ends in `last_seen_ms` so the planner can walk it in page order.

use crate::audit::{AuditEntry, insert_audit};
use crate::error::{Result, StoreError, decode, encode};
use crate::{Store, entity_key};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};
use std::fmt::Write as _;
use vigil_model::{Alert, AlertKind, AlertStatus, EntityRef, Severity, Timestamp};

/// Which alerts to list. Empty lists and `None` mean no constraint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub severity_at_least: Option<Severity>,
    /// Alert types (`compromised_aws_keys`); any of them.
    pub types: Vec<String>,
    pub kind: Option<AlertKind>,
    /// Only alerts that name this entity.
    pub entity: Option<EntityRef>,
    /// Any of these statuses.
    pub statuses: Vec<AlertStatus>,
    /// Alerts active at or after this time (`last_seen >= since`).
    pub since: Option<Timestamp>,
    /// Alerts that started before this time (`first_seen < until`).
    pub until: Option<Timestamp>,
    /// Page size; `None` returns every match.
    pub limit: Option<usize>,
    /// How many matches to skip (for paging).
    pub offset: usize,
}

/// The stored rank of a severity: `info` 0 up to `critical` 4.
pub fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

const UPSERT: &str = "INSERT INTO alerts \
    (id, alert_type, kind, severity_rank, status, first_seen_ms, last_seen_ms, score, doc) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
    ON CONFLICT (id) DO UPDATE SET \
    alert_type = excluded.alert_type, kind = excluded.kind, \
    severity_rank = excluded.severity_rank, \
    status = CASE WHEN status_by_user THEN status ELSE excluded.status END, \
    first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms, \
    score = excluded.score, doc = excluded.doc";

impl Store {
    /// Inserts or replaces the alert with this id. A status a person set through
    /// [`Store::set_alert_status`] survives.
    pub fn upsert_alert(&mut self, alert: &Alert) -> Result<()> {
        self.upsert_alerts(std::slice::from_ref(alert))
    }

    /// [`Store::upsert_alert`] for many alerts in one transaction.
    pub fn upsert_alerts(&mut self, alerts: &[Alert]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for alert in alerts {
            upsert_in(&tx, alert)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn get_alert(&self, id: &str) -> Result<Option<Alert>> {
        let row: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT doc, status FROM alerts WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(doc, status)| read_alert(id, &doc, &status))
            .transpose()
    }

    /// One page of the alerts matching `filter`, most recently seen first, and the number of
    /// matches in all pages.
    pub fn list_alerts(&self, filter: &AlertFilter) -> Result<(Vec<Alert>, u64)> {
        let (clause, mut args) = where_clause(filter);
        let total: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM alerts a{clause}"))?
            .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
        let mut sql = format!(
            "SELECT a.id, a.doc, a.status FROM alerts a{clause} \
             ORDER BY a.last_seen_ms DESC, a.id DESC"
        );
        let limit = filter
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        args.push(Value::Integer(limit));
        args.push(Value::Integer(
            i64::try_from(filter.offset).unwrap_or(i64::MAX),
        ));
        let _ = write!(sql, " LIMIT ?{} OFFSET ?{}", args.len() - 1, args.len());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?.as_str()?;
            let doc = row.get_ref(1)?.as_str()?;
            let status = row.get_ref(2)?.as_str()?;
            out.push(read_alert(id, doc, status)?);
        }
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }

    /// A person (`actor`) moves an alert to `status`; the change is kept across re-detection
    /// and written to the audit log in the same transaction.
    pub fn set_alert_status(
        &mut self,
        id: &str,
        status: AlertStatus,
        reason: &str,
        actor: &str,
        time: Timestamp,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old: Option<String> = tx
            .prepare_cached("SELECT status FROM alerts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(old) = old else {
            return Err(StoreError::AlertNotFound(id.to_string()));
        };
        tx.prepare_cached(
            "UPDATE alerts SET status = ?2, status_by_user = 1, \
             doc = json_set(doc, '$.status', ?2) WHERE id = ?1",
        )?
        .execute(params![id, status.as_str()])?;
        insert_audit(
            &tx,
            &AuditEntry {
                time,
                actor: actor.to_string(),
                action: "alert.set_status".to_string(),
                target: id.to_string(),
                details: serde_json::json!({
                    "from": old,
                    "to": status.as_str(),
                    "reason": reason,
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn upsert_in(tx: &Transaction<'_>, alert: &Alert) -> Result<()> {
    let doc = encode("alert", alert)?;
    tx.prepare_cached(UPSERT)?.execute(params![
        alert.id,
        alert.alert_type,
        alert.kind.as_str(),
        severity_rank(alert.severity),
        alert.status.as_str(),
        alert.first_seen.as_millis(),
        alert.last_seen.as_millis(),
        alert.score,
        doc,
    ])?;
    tx.prepare_cached("DELETE FROM alert_entities WHERE alert_id = ?1")?
        .execute([&alert.id])?;
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO alert_entities (entity, alert_id) VALUES (?1, ?2)",
    )?;
    for entity in &alert.entities {
        link.execute(params![entity_key(entity), alert.id])?;
    }
    Ok(())
}

fn where_clause(f: &AlertFilter) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    let and = |sql: &mut String, cond: &str| {
        sql.push_str(if sql.is_empty() { " WHERE " } else { " AND " });
        sql.push_str(cond);
    };
    if let Some(s) = f.severity_at_least {
        args.push(Value::Integer(severity_rank(s)));
        and(&mut sql, &format!("a.severity_rank >= ?{}", args.len()));
    }
    if !f.types.is_empty() {
        let first = args.len() + 1;
        args.extend(f.types.iter().map(|t| Value::Text(t.clone())));
        and(
            &mut sql,
            &format!("a.alert_type IN ({})", placeholders(first, args.len())),
        );
    }
    if let Some(k) = f.kind {
        args.push(Value::Text(k.as_str().to_string()));
        and(&mut sql, &format!("a.kind = ?{}", args.len()));
    }
    if !f.statuses.is_empty() {
        let first = args.len() + 1;
        args.extend(
            f.statuses
                .iter()
                .map(|s| Value::Text(s.as_str().to_string())),
        );
        and(
            &mut sql,
            &format!("a.status IN ({})", placeholders(first, args.len())),
        );
    }
    if let Some(e) = &f.entity {
        args.push(Value::Text(entity_key(e)));
        and(
            &mut sql,
            &format!(
                "a.id IN (SELECT alert_id FROM alert_entities WHERE entity = ?{})",
                args.len()
            ),
        );
    }
    if let Some(t) = f.since {
        args.push(Value::Integer(t.as_millis()));
        and(&mut sql, &format!("a.last_seen_ms >= ?{}", args.len()));
    }
    if let Some(t) = f.until {
        args.push(Value::Integer(t.as_millis()));
        and(&mut sql, &format!("a.first_seen_ms < ?{}", args.len()));
    }
    (sql, args)
}

fn placeholders(first: usize, last: usize) -> String {
    (first..=last)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_alert(id: &str, doc: &str, status: &str) -> Result<Alert> {
    let mut alert: Alert = decode("alert", id, doc)?;
    alert.status = AlertStatus::parse(status).ok_or_else(|| StoreError::BadValue {
        what: "status of alert",
        key: id.to_string(),
        value: status.to_string(),
    })?;
    Ok(alert)
}
