//! `POST /api/v1/agent/events`: the agent's JSON lines (crates/vigil-ingest/AGENT_EVENTS.md),
//! parsed by the same parser as `vigil ingest host`. Events dedup on their ids, so a resent
//! batch adds nothing; with `X-Vigil-Batch` the server also remembers the answer it gave and
//! returns it again (with `"replayed": true`), so a shipper that lost the response can retry.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vigil_ingest::{FileContext, Limits, parse_host_bytes};
use vigil_model::EventSource;

pub const BATCH_HEADER: &str = "x-vigil-batch";
/// Engine-state namespace of remembered batch answers.
const BATCH_NAMESPACE: &str = "agent_batches";
/// Skips listed in an answer at most (all are counted).
const MAX_LISTED_SKIPS: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestAnswer {
    pub batch: Option<String>,
    /// Lines that held something (blank lines are not counted).
    pub records: u64,
    /// Events stored for the first time.
    pub accepted: u64,
    /// Events already stored (a resend).
    pub duplicates: u64,
    pub skipped: u64,
    pub skips: Vec<SkipLine>,
    #[serde(default)]
    pub replayed: bool,
    pub principal: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkipLine {
    pub line: Option<usize>,
    pub reason: String,
    pub detail: String,
}

fn batch_id(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(BATCH_HEADER) else {
        return Ok(None);
    };
    let id = v
        .to_str()
        .map_err(|_| ApiError::BadRequest("`X-Vigil-Batch` is not text".into()))?;
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !ok {
        return Err(ApiError::BadRequest(
            "`X-Vigil-Batch` must be 1 to 128 of A-Z a-z 0-9 - _ . :".into(),
        ));
    }
    Ok(Some(id.to_string()))
}

pub async fn agent_events(
    State(st): State<Arc<AppState>>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IngestAnswer>, ApiError> {
    p.require(Permission::Ingest)?;
    let batch = batch_id(&headers)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("the body holds no events".into()));
    }
    let principal = p.actor();
    let answer = st
        .db
        .run(move |store| {
            let state_key = batch.as_ref().map(|b| format!("{principal}/{b}"));
            if let Some(key) = &state_key
                && let Some(mut earlier) = store.get_state::<IngestAnswer>(BATCH_NAMESPACE, key)?
            {
                earlier.replayed = true;
                return Ok(earlier);
            }
            let parsed = parse_host_bytes(&body, &FileContext::new(&Limits::default()));
            let mut skips: Vec<SkipLine> = parsed
                .skips
                .iter()
                .map(|s| SkipLine {
                    line: s.location.line,
                    reason: s.reason.code(),
                    detail: s.detail.clone(),
                })
                .collect();
            let (events, foreign): (Vec<_>, Vec<_>) = parsed
                .events
                .into_iter()
                .partition(|e| e.source == EventSource::Agent);
            for e in &foreign {
                skips.push(SkipLine {
                    line: None,
                    reason: "not_agent_source".into(),
                    detail: format!("event `{}` has source `{}`", e.id, e.source.as_str()),
                });
            }
            let outcome = store.insert_events(&events)?;
            let skipped = skips.len() as u64;
            skips.truncate(MAX_LISTED_SKIPS);
            let answer = IngestAnswer {
                batch: batch.clone(),
                records: parsed.records,
                accepted: outcome.new_count() as u64,
                duplicates: outcome.duplicate_count() as u64,
                skipped,
                skips,
                replayed: false,
                principal,
            };
            if let Some(key) = &state_key {
                store.put_state(BATCH_NAMESPACE, key, &answer)?;
            }
            Ok(answer)
        })
        .await?;
    Ok(Json(answer))
}
