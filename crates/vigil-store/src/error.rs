//! Every way the store can fail, with messages a person can act on.

use std::path::PathBuf;

/// An error from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory `{path}`: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open database `{path}`: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database schema version {found} is newer than this vigil understands ({supported}); upgrade vigil"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("stored {what} `{key}` cannot be read: {source}")]
    Decode {
        what: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("stored {what} `{key}` has an unknown value `{value}`")]
    BadValue {
        what: &'static str,
        key: String,
        value: String,
    },
    #[error("event segment `{path}`: {source}")]
    Segment {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no alert `{0}`")]
    AlertNotFound(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database value of an unexpected type: {0}")]
    Column(#[from] rusqlite::types::FromSqlError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn encode<T: serde::Serialize + ?Sized>(
    what: &'static str,
    value: &T,
) -> Result<String> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    key: impl Into<String>,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|source| StoreError::Decode {
        what,
        key: key.into(),
        source,
    })
}
