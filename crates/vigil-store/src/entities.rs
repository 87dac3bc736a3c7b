//! The inventory: what snapshots said about each entity, with when it was first and last seen.
//! The `raw` column is reserved for the source document of an entity (unused for now).

use crate::error::{Result, decode, encode};
use crate::{Store, entity_key};
use rusqlite::types::Value;
use rusqlite::{TransactionBehavior, params};
use vigil_model::entity::InventoryEntity;
use vigil_model::{EntityKind, EntityRef, Timestamp};

/// An inventory entity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    pub entity: InventoryEntity,
    /// The earliest snapshot that listed it.
    pub first_seen: Timestamp,
    /// The latest snapshot that listed it.
    pub last_seen: Timestamp,
}

const UPSERT: &str = "INSERT INTO entities (entity, kind, doc, raw, first_seen_ms, last_seen_ms) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (entity) DO UPDATE SET \
    doc = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.doc ELSE doc END, \
    raw = CASE WHEN excluded.last_seen_ms >= last_seen_ms THEN excluded.raw ELSE raw END, \
    first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), \
    last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)";
const SELECT: &str = "SELECT entity, doc, raw, first_seen_ms, last_seen_ms FROM entities";

impl Store {
    /// Records what a snapshot taken at `snapshot_time` listed. An older snapshot arriving
    /// late widens first/last seen but does not overwrite newer details.
    pub fn upsert_entities(
        &mut self,
        snapshot_time: Timestamp,
        entities: &[InventoryEntity],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(UPSERT)?;
            for entity in entities {
                let r = entity.entity_ref();
                let (doc, raw) = encode_entity(entity)?;
                stmt.execute(params![
                    entity_key(&r),
                    r.kind.as_str(),
                    doc,
                    raw,
                    snapshot_time.as_millis()
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every stored entity of `kind` (all kinds for `None`), sorted by reference.
    pub fn list_entities(&self, kind: Option<EntityKind>) -> Result<Vec<StoredEntity>> {
        let (sql, args) = match kind {
            Some(k) => (
                format!("{SELECT} WHERE kind = ?1 ORDER BY entity"),
                vec![Value::Text(k.as_str().to_string())],
            ),
            None => (format!("{SELECT} ORDER BY entity"), Vec::new()),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read_entity(row)?);
        }
        Ok(out)
    }

    pub fn get_entity(&self, entity: &EntityRef) -> Result<Option<StoredEntity>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE entity = ?1"))?;
        let mut rows = stmt.query([entity_key(entity)])?;
        rows.next()?.map(read_entity).transpose()
    }

    /// How many entities of each kind are stored.
    pub fn count_entities(&self) -> Result<Vec<(EntityKind, u64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, count(*) FROM entities GROUP BY kind ORDER BY kind")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, n)| Some((EntityKind::parse(&k)?, u64::try_from(n).unwrap_or(0))))
            .collect())
    }
}

fn encode_entity(entity: &InventoryEntity) -> Result<(String, Option<String>)> {
    Ok((encode("inventory entity", entity)?, None))
}

fn read_entity(row: &rusqlite::Row<'_>) -> Result<StoredEntity> {
    let key = row.get_ref(0)?.as_str()?;
    let entity: InventoryEntity = decode("inventory entity", key, row.get_ref(1)?.as_str()?)?;
    Ok(StoredEntity {
        entity,
        first_seen: Timestamp::from_millis(row.get(3)?),
        last_seen: Timestamp::from_millis(row.get(4)?),
    })
}
