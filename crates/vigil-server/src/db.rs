//! Store access from async handlers. SQLite is synchronous, so every use runs on tokio's
//! blocking pool with a connection taken from a small idle list (WAL lets readers and one
//! writer share the file; the store's busy timeout queues writers).

use crate::error::ApiError;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use vigil_store::Store;

/// Connections kept open between requests.
const MAX_IDLE: usize = 8;

pub struct Db {
    data_dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl Db {
    /// Opens one connection now, so a bad data directory fails at start, not on first request.
    pub fn open(data_dir: PathBuf) -> Result<Arc<Db>, vigil_store::StoreError> {
        let first = Store::open(&data_dir)?;
        Ok(Arc::new(Db {
            data_dir,
            idle: Mutex::new(vec![first]),
        }))
    }

    /// Runs `f` with a store on a blocking thread.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = db.take()?;
            let out = f(&mut store);
            db.give(store);
            out
        })
        .await
        .map_err(|e| ApiError::Internal(format!("store task failed: {e}")))?
    }

    fn take(&self) -> Result<Store, ApiError> {
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
        match pooled {
            Some(s) => Ok(s),
            None => Store::open(&self.data_dir).map_err(ApiError::from),
        }
    }

    fn give(&self, store: Store) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(store);
        }
    }
}
