//! [`SqliteRecord`]: the store of record in one SQLite file in WAL mode.
//!
//! Split by concept: this file opens the store (schema, the writer's lock, the
//! checkpointer) and implements [`StoreOfRecord`] over the write transactions in
//! [`write`](self::write) and the queries in [`read`](self::read).

mod read;
mod write;

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::record::{
    Changes, NewSignal, Selector, SignalEntry, SignalType, SignalVisitor, StoreOfRecord,
    StoredEntry,
};
use super::wal::Checkpointer;
use crate::db::Metadata;
use crate::error::{Error, Result, StoreError, StoreErrorKind};
use crate::hash::Hash256;

const SCHEMA: i64 = 1;
/// Ids are SQLite integers (signed 64-bit): the last usable id is below this.
const ID_LIMIT: u64 = i64::MAX as u64;

/// The SQLite store of record.
///
/// Schema (version 1):
///
/// ```sql
/// meta(key TEXT PRIMARY KEY, value INTEGER)      -- schema, seq, next_id, pruned
/// entries(id INTEGER PRIMARY KEY, signal TEXT, value BLOB, quality INTEGER,
///         source TEXT, content_id TEXT, media TEXT, video_id TEXT, timestamp_ms INTEGER,
///         derived TEXT, seq INTEGER)             -- seq: the batch that inserted it
/// labels(entry INTEGER, label TEXT)              -- in label order (rowid)
/// removed(seq INTEGER, id INTEGER)               -- the removal log (pruned on request)
/// ```
///
/// Indexes: `entries(seq)` (tailing), `entries(source)`, `entries(content_id)`,
/// `labels(entry)`, `labels(label)`, and `entries(id) WHERE signal <> 'pdq'` (only the
/// non-PDQ rows, so that loading the exact and TMK signals at open does not scan every PDQ
/// row; a store written before it gets it at its writer's next open).
///
/// Each batch is one `BEGIN IMMEDIATE … COMMIT` transaction with `synchronous = FULL`: the
/// commit is on disk (WAL fsynced) when the call returns. The WAL is checkpointed
/// by a background thread of the writer (its own connection, `wal_checkpoint(PASSIVE)` at
/// most every 500 ms while there are commits), never on the committing
/// thread, and truncated to `journal_size_limit` (64 MiB) afterwards, so it does not grow
/// without bound and a commit costs one WAL `fsync`, not a checkpoint's writes and `fsync`s. The writer holds an exclusive advisory lock on `<file>.lock`
/// for its lifetime: a second writer gets [`StoreErrorKind::Locked`].
#[derive(Debug)]
pub struct SqliteRecord {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
    /// Declared before `_lock`: stopped (and joined) before the lock is released.
    checkpointer: Option<Checkpointer>,
    _lock: Option<File>,
}

fn backend(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        StoreError::new(StoreErrorKind::Backend, "")
            .at(path)
            .with_source(Box::new(e))
            .into()
    }
}

fn hash_blob(h: &Hash256) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, l) in h.limbs().iter().enumerate() {
        b[8 * i..8 * i + 8].copy_from_slice(&l.to_le_bytes());
    }
    b
}

pub(in crate::db::store) fn pdq_of(b: &[u8]) -> Option<Hash256> {
    blob_hash(b)
}

fn blob_hash(b: &[u8]) -> Option<Hash256> {
    if b.len() != 32 {
        return None;
    }
    let l = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[8 * i..8 * i + 8]);
        u64::from_le_bytes(a)
    };
    Some(Hash256::from_limbs([l(0), l(1), l(2), l(3)]))
}

fn corrupt_row(path: &Path) -> Error {
    StoreError::new(StoreErrorKind::Backend, "a stored hash is not 32 bytes")
        .at(path)
        .into()
}

impl SqliteRecord {
    /// Opens (creating if needed) the store at `path` as its one writer.
    pub fn open_writer(path: impl AsRef<Path>) -> Result<SqliteRecord> {
        let path = path.as_ref().to_path_buf();
        let lock_path = lock_path(&path);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(lock_path.clone(), e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::new(
                    StoreErrorKind::Locked,
                    "another process or handle is the writer; open a StoreReader to read",
                )
                .at(&path)
                .into())
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(lock_path, e)),
        }
        let be = backend(&path);
        let conn = Connection::open(&path).map_err(&be)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&be)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(&be)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(
                StoreError::new(StoreErrorKind::Backend, "WAL mode is not available")
                    .at(&path)
                    .into(),
            );
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA journal_size_limit = 67108864;
             PRAGMA cache_size = -65536;
             BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS entries(
                 id INTEGER PRIMARY KEY, signal TEXT NOT NULL, value BLOB NOT NULL,
                 quality INTEGER, source TEXT NOT NULL, content_id TEXT,
                 media TEXT NOT NULL, video_id TEXT, timestamp_ms INTEGER, derived TEXT,
                 seq INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS entries_seq ON entries(seq);
             CREATE INDEX IF NOT EXISTS entries_source ON entries(source);
             CREATE INDEX IF NOT EXISTS entries_content ON entries(content_id);
             CREATE INDEX IF NOT EXISTS entries_signals ON entries(id) WHERE signal <> 'pdq';
             CREATE TABLE IF NOT EXISTS labels(entry INTEGER NOT NULL, label TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS labels_entry ON labels(entry);
             CREATE INDEX IF NOT EXISTS labels_label ON labels(label);
             CREATE TABLE IF NOT EXISTS removed(seq INTEGER NOT NULL, id INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS removed_seq ON removed(seq);
             INSERT OR IGNORE INTO meta VALUES ('schema', 1), ('seq', 0), ('next_id', 0),
                 ('pruned', 0);
             COMMIT;",
        )
        .map_err(&be)?;
        // Checkpoints off the committing thread; SQLite's own (on the commit that passes
        // 1 000 WAL pages) only if the thread cannot start.
        let checkpointer = Checkpointer::start(&path);
        if checkpointer.is_some() {
            conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")
                .map_err(&be)?;
        }
        let rec = SqliteRecord {
            conn,
            path: path.clone(),
            read_only: false,
            checkpointer,
            _lock: Some(lock),
        };
        rec.check_schema()?;
        Ok(rec)
    }

    /// Opens an existing store read-only (any number of processes, beside the writer).
    pub fn open_reader(path: impl AsRef<Path>) -> Result<SqliteRecord> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no store at this path"),
            ));
        }
        let be = backend(&path);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&be)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&be)?;
        let rec = SqliteRecord {
            conn,
            path: path.clone(),
            read_only: true,
            checkpointer: None,
            _lock: None,
        };
        rec.check_schema()?;
        Ok(rec)
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_schema(&self) -> Result<()> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(backend(&self.path))?;
        if v != Some(SCHEMA) {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!("not a mediamatch store of schema {SCHEMA} (found {v:?})"),
            )
            .at(&self.path)
            .into());
        }
        Ok(())
    }

    /// After a commit: the checkpointer has WAL frames to write back.
    fn committed(&self) {
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
    }

    fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(StoreError::new(StoreErrorKind::ReadOnly, "")
                .at(&self.path)
                .into());
        }
        Ok(())
    }

    /// The id after `n` new entries starting at `start`: ids only grow and are never reused,
    /// so running out is a typed error, not a wrap to 0.
    fn id_end(path: &Path, start: u64, n: usize) -> Result<u64> {
        start
            .checked_add(n as u64)
            .filter(|&e| e < ID_LIMIT)
            .ok_or_else(|| {
                Error::from(
                    StoreError::new(StoreErrorKind::IdsExhausted, "ids are never reused").at(path),
                )
            })
    }

    fn meta_value(conn: &Connection, key: &str) -> rusqlite::Result<u64> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, i64>(0)
        })
        .map(|v| v as u64)
    }
}

/// The writer-lock file of a store.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl StoreOfRecord for SqliteRecord {
    fn seq(&self) -> Result<u64> {
        Self::meta_value(&self.conn, "seq").map_err(backend(&self.path))
    }

    fn next_id(&self) -> Result<u64> {
        Self::meta_value(&self.conn, "next_id").map_err(backend(&self.path))
    }

    fn insert_batch(
        &mut self,
        entries: &[(Hash256, Option<u8>, Metadata)],
    ) -> Result<(Range<u64>, u64)> {
        let mut done = self.insert_batches(&[entries])?;
        done.pop()
            .ok_or_else(|| Error::invalid("no batch was written"))
    }

    fn insert_batches(
        &mut self,
        batches: &[&[(Hash256, Option<u8>, Metadata)]],
    ) -> Result<Vec<(Range<u64>, u64)>> {
        self.write_pdq_batches(batches)
    }

    fn remove_batch(&mut self, ids: &[u64]) -> Result<(Vec<u64>, u64)> {
        self.write_removal(ids)
    }

    fn select(&self, selector: &Selector) -> Result<Vec<u64>> {
        self.read_selected(selector)
    }

    fn get(&self, id: u64) -> Result<Option<StoredEntry>> {
        self.read_entry(id)
    }

    fn all_hashes(&self) -> Result<(Vec<(u64, Hash256)>, u64)> {
        self.read_all_hashes()
    }

    fn changes_since(&self, after: u64) -> Result<Changes> {
        self.read_changes(after)
    }

    fn write_batch(
        &mut self,
        inserts: &[NewSignal],
        removes: &[u64],
    ) -> Result<(Range<u64>, Vec<u64>, u64)> {
        self.write_signals(inserts, removes)
    }

    fn get_signal(&self, id: u64) -> Result<Option<SignalEntry>> {
        self.read_signal(id)
    }

    fn for_each_signal(&self, f: &mut SignalVisitor<'_>) -> Result<u64> {
        self.read_each_signal(f)
    }

    fn find_value(
        &self,
        signal: SignalType,
        value: &[u8],
        source: Option<&str>,
    ) -> Result<Vec<u64>> {
        self.read_value(signal, value, source)
    }

    /// Writes the WAL back into the database file and truncates it (SQLite also does this
    /// on its own as the WAL grows; this is for quiet moments and before backups).
    fn checkpoint(&self) -> Result<()> {
        self.writable()?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(backend(&self.path))
    }

    fn prune_changes(&mut self, through: u64) -> Result<()> {
        self.write_prune(through)
    }
}
