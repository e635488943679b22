//! Per-source import checkpoints kept in the store itself, so that an importer re-run against
//! the same store resumes where the last run stopped (the exchanges' paging cursors, `since`
//! times, rows already read).
//!
//! A checkpoint is an opaque string per source name (an importer's serialised checkpoint),
//! in a table `source_checkpoints(source TEXT PRIMARY KEY, value TEXT NOT NULL)` of the
//! store's SQLite file, created on the first write. Write it *after* the page it follows is
//! applied ([`Store::apply_records`]): applying a page is idempotent, so a crash between the
//! two re-applies that page on the next run and ends in the same state.
//!
//! ```
//! use mediamatch::db::{Store, StoreReader};
//! use mediamatch::index::IndexConfig;
//! let dir = std::env::temp_dir().join(format!("checkpoint-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("bank.db");
//! let mut store = Store::open(&path, IndexConfig::default())?;
//! assert_eq!(store.source_checkpoint("threatexchange")?, None);
//! store.set_source_checkpoint("threatexchange", r#"{"since":1700000000}"#)?;
//! let reader = StoreReader::open(&path, IndexConfig::default())?;
//! assert_eq!(reader.source_checkpoint("threatexchange")?.as_deref(), Some(r#"{"since":1700000000}"#));
//! # drop((store, reader)); std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), mediamatch::Error>(())
//! ```

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{Store, StoreReader};
use crate::error::{Error, Result, StoreError, StoreErrorKind};

fn backend(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        StoreError::new(StoreErrorKind::Backend, "source checkpoint")
            .at(path)
            .with_source(Box::new(e))
            .into()
    }
}

fn read(path: &Path, source: &str) -> Result<Option<String>> {
    let be = backend(path);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(&be)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(&be)?;
    let exists: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'source_checkpoints'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(&be)?;
    if exists.is_none() {
        return Ok(None);
    }
    conn.query_row(
        "SELECT value FROM source_checkpoints WHERE source = ?1",
        [source],
        |r| r.get(0),
    )
    .optional()
    .map_err(&be)
}

impl Store {
    /// Records the import checkpoint of `source` (replacing the previous one), durably.
    pub fn set_source_checkpoint(&mut self, source: &str, value: &str) -> Result<()> {
        let path = self.live.path.clone();
        let be = backend(&path);
        let conn = Connection::open(&path).map_err(&be)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&be)?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS source_checkpoints(
                 source TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .map_err(&be)?;
        conn.execute(
            "INSERT INTO source_checkpoints(source, value) VALUES (?1, ?2)
             ON CONFLICT(source) DO UPDATE SET value = excluded.value",
            [source, value],
        )
        .map_err(&be)?;
        Ok(())
    }

    /// The import checkpoint of `source`, if one was recorded.
    pub fn source_checkpoint(&self, source: &str) -> Result<Option<String>> {
        read(&self.live.path, source)
    }
}

impl StoreReader {
    /// The import checkpoint of `source`, if one was recorded (current, not as of the last
    /// refresh).
    pub fn source_checkpoint(&self, source: &str) -> Result<Option<String>> {
        read(&self.live.path, source)
    }
}
