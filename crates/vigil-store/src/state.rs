//! Engine state: baselines, correlation windows and anything else an engine keeps between
//! runs, as plain serde data under a (namespace, key) pair. Engines never see SQL.

use crate::Store;
use crate::error::{Result, decode, encode};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Store {
    /// Saves `value` (as JSON) under `namespace`/`key`, replacing what was there.
    pub fn put_state<T: Serialize + ?Sized>(
        &mut self,
        namespace: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let text = encode("engine state", value)?;
        self.conn
            .prepare_cached(
                "INSERT INTO engine_state (namespace, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![namespace, key, text])?;
        Ok(())
    }

    /// The value saved under `namespace`/`key`, if any.
    pub fn get_state<T: DeserializeOwned>(&self, namespace: &str, key: &str) -> Result<Option<T>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM engine_state WHERE namespace = ?1 AND key = ?2")?
            .query_row(params![namespace, key], |r| r.get(0))
            .optional()?;
        text.map(|t| decode("engine state", format!("{namespace}/{key}"), &t))
            .transpose()
    }

    /// Every key saved in `namespace`, sorted.
    pub fn state_keys(&self, namespace: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key FROM engine_state WHERE namespace = ?1 ORDER BY key")?;
        let keys = stmt
            .query_map([namespace], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(keys)
    }

    /// Forgets `namespace`/`key`; returns whether there was a value.
    pub fn delete_state(&mut self, namespace: &str, key: &str) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM engine_state WHERE namespace = ?1 AND key = ?2")?
            .execute(params![namespace, key])?;
        Ok(n > 0)
    }
}
