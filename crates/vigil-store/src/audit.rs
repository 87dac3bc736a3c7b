//! The audit log: who did what, when, to what. Append-only: there is no update or delete API,
//! and triggers in the schema refuse either from any other SQL client.

use crate::Store;
use crate::error::{Result, decode, encode};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: Timestamp,
    /// Who: a user name, `api:<token name>`, `vigil` for automatic actions.
    pub actor: String,
    /// What, as a dotted verb: `alert.set_status`, `host.quarantine`, `key.disable`.
    pub action: String,
    /// What it was done to: an alert id, an instance id, a key id.
    pub target: String,
    pub details: serde_json::Value,
}

impl Store {
    /// Appends an entry to the audit log.
    pub fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        insert_audit(&self.conn, entry)
    }

    /// The most recent `limit` entries, newest first.
    pub fn list_audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, time_ms, actor, action, target, details FROM audit_log \
             ORDER BY seq DESC LIMIT ?1",
        )?;
        let mut rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let details = row.get_ref(5)?.as_str()?;
            out.push(AuditEntry {
                time: Timestamp::from_millis(row.get(1)?),
                actor: row.get(2)?,
                action: row.get(3)?,
                target: row.get(4)?,
                details: decode("audit entry", seq.to_string(), details)?,
            });
        }
        Ok(out)
    }
}

/// Inserts through any connection or open transaction (a `Transaction` derefs to one), so
/// other writes can audit themselves atomically.
pub(crate) fn insert_audit(conn: &Connection, entry: &AuditEntry) -> Result<()> {
    let details = encode("audit details", &entry.details)?;
    conn.prepare_cached(
        "INSERT INTO audit_log (time_ms, actor, action, target, details) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        entry.time.as_millis(),
        entry.actor,
        entry.action,
        entry.target,
        details
    ])?;
    Ok(())
}
