//! `vigil suppress add | list | remove | accept`: the exceptions detection applies, each with a
//! reason and an expiry. They are kept in the store (`detect`/`suppressions`), which the next
//! ingest hands to the engine ([`crate::detection::DetectFeed`]); the engine counts what each
//! one holds back. Every change is written to the audit log. `accept` turns a proposal the
//! console made when someone marked an alert a false positive into an active suppression.

use crate::cli::{Format, FormatArg};
use crate::detection::{self, ManagedSuppressions as Managed};
use crate::exit::UsageError;
use crate::output::{Table, cell, write_json};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Write;
use vigil_detect::Suppression;
use vigil_model::{EntityRef, Timestamp};
use vigil_store::{AuditEntry, Store};

/// The state namespace the console stores its false-positive proposals under (written by
/// `vigil-server`, keyed by alert id).
const PROPOSALS_NAMESPACE: &str = "suppression_proposals";

/// How long an accepted proposal holds when no `--expires` is given.
const DEFAULT_ACCEPT_EXPIRY: &str = "30d";

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Add a suppression: alerts of a type (or a rule's hits) about the given entities are held
    /// back until the expiry. Needs a reason and at least a type, a rule or an entity.
    Add(AddArgs),
    /// List suppressions with what each has held back (active ones; --all for expired too).
    List(ListArgs),
    /// Remove a suppression by id.
    Remove(IdArgs),
    /// Accept a proposal the console made for a false positive (by proposal id or alert id).
    Accept(AcceptArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Alert type to hold back (`compromised_aws_keys`, a rule id, `new_region`, ...).
    #[arg(long = "type", conflicts_with = "rule")]
    pub alert_type: Option<String>,
    /// Rule id whose hits stop counting (its own alerts and as composite evidence).
    #[arg(long)]
    pub rule: Option<String>,
    /// Entity the alert must name (`AKIA…`, an ARN, `i-…`, or `kind:id`); repeatable, all must match.
    #[arg(long = "entity")]
    pub entities: Vec<String>,
    /// Why this is expected (kept with the suppression and in the audit log).
    #[arg(long)]
    pub reason: String,
    /// When it stops: a duration from now (`12h`, `30d`, `2w`) or a date/time (`2026-12-31`).
    #[arg(long)]
    pub expires: String,
    /// Who adds it (default: $USER).
    #[arg(long)]
    pub author: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show expired suppressions too.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    pub id: String,
    /// Who removes it (default: $USER).
    #[arg(long)]
    pub author: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The proposal id (`suppress-<type>-<alert id>`) or the id of the alert it came from.
    pub proposal: String,
    /// When it stops (default 30d from now).
    #[arg(long)]
    pub expires: Option<String>,
    /// Replaces the reason given when the alert was marked a false positive.
    #[arg(long)]
    pub reason: Option<String>,
    /// Who accepts it (default: $USER).
    #[arg(long)]
    pub author: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// What the console stores for a false positive (its own type lives in `vigil-server`).
#[derive(Debug, Deserialize)]
struct Proposal {
    id: String,
    alert_type: String,
    #[serde(default)]
    entities: Vec<EntityRef>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    proposed_by: String,
    #[serde(default)]
    from_alert: String,
    #[serde(default)]
    state: String,
}

pub fn run(store: &mut Store, cmd: &SuppressCommand) -> Result<()> {
    match cmd {
        SuppressCommand::Add(a) => add(store, a),
        SuppressCommand::List(a) => list(store, a),
        SuppressCommand::Remove(a) => remove(store, a),
        SuppressCommand::Accept(a) => accept(store, a),
    }
}

fn wall_clock() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

fn actor(author: Option<&String>) -> String {
    author
        .cloned()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

/// `30d` from `now`, or an absolute date/time.
fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, UsageError> {
    if text.trim().starts_with(|c: char| c.is_ascii_digit())
        && let Ok(ms) = vigil_detect::parse_duration_ms(text)
    {
        return Ok(now.plus_millis(ms));
    }
    crate::timearg::parse_time_arg(text).map_err(|_| {
        UsageError(format!(
            "--expires `{text}` is neither a duration (`12h`, `30d`, `2w`) nor a date (`2026-12-31`)"
        ))
    })
}

fn load(store: &Store) -> Result<Managed> {
    Ok(store
        .get_state(detection::STATE_NAMESPACE, detection::SUPPRESSIONS_KEY)
        .context("reading the suppressions")?
        .unwrap_or_default())
}

fn save(store: &mut Store, m: &Managed) -> Result<()> {
    store
        .put_state(detection::STATE_NAMESPACE, detection::SUPPRESSIONS_KEY, m)
        .context("saving the suppressions")
}

fn audit(
    store: &mut Store,
    who: &str,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<()> {
    store
        .append_audit(&AuditEntry {
            time: wall_clock(),
            actor: who.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            details,
        })
        .context("writing the audit log")
}

/// Checks `s` (reason, scope, expiry after both the wall clock and the newest event time the
/// engine has seen), names it and stores it.
fn insert(store: &mut Store, mut s: Suppression, action: &str) -> Result<Suppression> {
    let engine_now = detection::engine_now(store)?;
    let now = engine_now.map_or(s.created, |t| t.max(s.created));
    vigil_detect::suppress::validate(&s, now).map_err(|e| UsageError(e.to_string()))?;
    let mut m = load(store)?;
    m.next += 1;
    s.id = format!("sup-{}", m.next);
    m.list.push(s.clone());
    save(store, &m)?;
    let who = s.author.clone();
    audit(store, &who, action, &s.id, serde_json::to_value(&s)?)?;
    Ok(s)
}

fn add(store: &mut Store, a: &AddArgs) -> Result<()> {
    let now = wall_clock();
    let mut entities: Vec<EntityRef> = Vec::new();
    for e in &a.entities {
        let e = e.trim();
        if e.is_empty() {
            return Err(UsageError("--entity needs a value".into()).into());
        }
        let r = EntityRef::infer(e);
        if !entities.contains(&r) {
            entities.push(r);
        }
    }
    let s = Suppression {
        author: actor(a.author.as_ref()),
        alert_type: a.alert_type.clone().filter(|t| !t.trim().is_empty()),
        rule: a.rule.clone().filter(|t| !t.trim().is_empty()),
        entities,
        ..Suppression::new("", a.reason.trim(), now, parse_expiry(&a.expires, now)?)
    };
    let s = insert(store, s, "suppression.add")?;
    show_one(&s, "added", a.format.format)
}

fn accept(store: &mut Store, a: &AcceptArgs) -> Result<()> {
    let now = wall_clock();
    let mut found: Option<(String, serde_json::Value, Proposal)> = None;
    for key in store.state_keys(PROPOSALS_NAMESPACE)? {
        let Some(v) = store.get_state::<serde_json::Value>(PROPOSALS_NAMESPACE, &key)? else {
            continue;
        };
        let Ok(p) = serde_json::from_value::<Proposal>(v.clone()) else {
            continue;
        };
        if p.id == a.proposal || key == a.proposal || p.from_alert == a.proposal {
            found = Some((key, v, p));
            break;
        }
    }
    let Some((key, mut raw, p)) = found else {
        return Err(UsageError(format!(
            "no suppression proposal `{}` (mark an alert a false positive in the console to make one)",
            a.proposal
        ))
        .into());
    };
    if p.state != "proposed" {
        return Err(UsageError(format!("proposal `{}` is already {}", p.id, p.state)).into());
    }
    let expires = parse_expiry(a.expires.as_deref().unwrap_or(DEFAULT_ACCEPT_EXPIRY), now)?;
    let reason = a.reason.clone().unwrap_or_else(|| p.reason.clone());
    let s = Suppression {
        author: actor(a.author.as_ref()),
        alert_type: Some(p.alert_type.clone()),
        entities: p.entities.clone(),
        from_proposal: Some(p.id.clone()),
        ..Suppression::new("", reason.trim(), now, expires)
    };
    let s = insert(store, s, "suppression.accept")?;
    if let Some(obj) = raw.as_object_mut() {
        obj.insert("state".into(), json!("accepted"));
        obj.insert("suppression_id".into(), json!(s.id));
    }
    store
        .put_state(PROPOSALS_NAMESPACE, &key, &raw)
        .context("marking the proposal accepted")?;
    let _ = p.proposed_by;
    show_one(&s, "accepted", a.format.format)
}

fn remove(store: &mut Store, a: &IdArgs) -> Result<()> {
    let mut m = load(store)?;
    let Some(pos) = m.list.iter().position(|s| s.id == a.id) else {
        return Err(UsageError(format!(
            "no suppression `{}` (see `vigil suppress list`)",
            a.id
        ))
        .into());
    };
    let s = m.list.remove(pos);
    save(store, &m)?;
    audit(
        store,
        &actor(a.author.as_ref()),
        "suppression.remove",
        &s.id,
        serde_json::to_value(&s)?,
    )?;
    show_one(&s, "removed", a.format.format)
}

/// One row of `list`: the suppression with what the engine counted for it.
#[derive(Debug, Serialize)]
struct Listed {
    #[serde(flatten)]
    s: Suppression,
    status: &'static str,
}

fn list(store: &mut Store, a: &ListArgs) -> Result<()> {
    let m = load(store)?;
    let counted = detection::engine_suppressions(store)?;
    let now = wall_clock();
    let engine_now = detection::engine_now(store)?.unwrap_or(now).max(now);
    let mut rows: Vec<Listed> = Vec::new();
    for mut s in m.list {
        if let Some(c) = counted.iter().find(|c| c.id == s.id) {
            s.hits = c.hits;
            s.last_hit = c.last_hit;
            s.held_back = c.held_back.clone();
        }
        let active = s.active(engine_now);
        if active || a.all {
            rows.push(Listed {
                status: if active { "active" } else { "expired" },
                s,
            });
        }
    }
    let mut out = std::io::stdout().lock();
    match a.format.format {
        Format::Json => write_json(&mut out, &rows)?,
        Format::Table if rows.is_empty() => writeln!(out, "no suppressions")?,
        Format::Table => {
            let mut t = Table::new(vec![
                "ID", "STATUS", "SCOPE", "EXPIRES", "HITS", "AUTHOR", "REASON",
            ]);
            for r in &rows {
                t.row(vec![
                    r.s.id.clone(),
                    r.status.to_string(),
                    cell(&scope(&r.s), 80),
                    r.s.expires.to_string(),
                    r.s.hits.to_string(),
                    cell(&r.s.author, 24),
                    cell(&r.s.reason, 80),
                ]);
            }
            t.write(&mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn scope(s: &Suppression) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = &s.alert_type {
        parts.push(format!("type={t}"));
    }
    if let Some(r) = &s.rule {
        parts.push(format!("rule={r}"));
    }
    for e in &s.entities {
        parts.push(format!("entity={e}"));
    }
    parts.join(" ")
}

fn show_one(s: &Suppression, what: &str, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => write_json(&mut out, s)?,
        Format::Table => writeln!(
            out,
            "{what} suppression {}: {} until {} ({})",
            s.id,
            cell(&scope(s), 120),
            s.expires,
            cell(&s.reason, 120)
        )?,
    }
    out.flush()?;
    Ok(())
}
