//! [`SqliteRecord`]: the store of record in one SQLite file in WAL mode.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::record::{
    Change, Changes, NewSignal, Selector, SignalEntry, SignalType, SignalVisitor, StoreOfRecord,
    StoredEntry,
};
use super::wal::Checkpointer;
use crate::db::{MediaKind, Metadata};
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

pub(super) fn pdq_of(b: &[u8]) -> Option<Hash256> {
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

    /// Deletes the entries (and their labels) of `ids` that exist, logging each removal under
    /// `seq`; returns the ids removed. Runs inside the caller's transaction.
    fn remove_rows(conn: &Connection, seq: u64, ids: &[u64]) -> rusqlite::Result<Vec<u64>> {
        let mut del = conn.prepare_cached("DELETE FROM entries WHERE id = ?1")?;
        let mut dl = conn.prepare_cached("DELETE FROM labels WHERE entry = ?1")?;
        let mut log = conn.prepare_cached("INSERT INTO removed(seq, id) VALUES (?1, ?2)")?;
        let mut removed = Vec::new();
        for &id in ids {
            if id < ID_LIMIT && del.execute([id as i64])? == 1 {
                dl.execute([id as i64])?;
                log.execute(params![seq as i64, id as i64])?;
                removed.push(id);
            }
        }
        Ok(removed)
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

    fn labels_of(&self, id: u64) -> rusqlite::Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT label FROM labels WHERE entry = ?1 ORDER BY rowid")?;
        let rows = st.query_map([id as i64], |r| r.get(0))?;
        rows.collect()
    }
}

/// Writes one entry row and its labels with the two prepared statements of a batch (inside
/// its transaction).
#[allow(clippy::too_many_arguments)]
fn insert_row(
    ins: &mut rusqlite::CachedStatement<'_>,
    lab: &mut rusqlite::CachedStatement<'_>,
    id: i64,
    signal: &str,
    value: &[u8],
    quality: Option<u8>,
    m: &Metadata,
    seq: u64,
) -> rusqlite::Result<()> {
    let (media, vid, ts) = match &m.media {
        MediaKind::Image => ("image", None, None),
        MediaKind::VideoFrame {
            video_id,
            timestamp_ms,
        } => (
            "video_frame",
            Some(video_id.as_str()),
            Some(*timestamp_ms as i64),
        ),
    };
    ins.execute(params![
        id,
        signal,
        value,
        quality.map(i64::from),
        m.source,
        m.content_id,
        media,
        vid,
        ts,
        m.derived,
        seq as i64
    ])?;
    for l in &m.labels {
        lab.execute(params![id, l])?;
    }
    Ok(())
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
        self.writable()?;
        if batches
            .iter()
            .flat_map(|b| b.iter())
            .any(|(_, q, _)| q.is_some_and(|q| q > 100))
        {
            return Err(Error::invalid("quality must be 0..=100"));
        }
        let be = backend(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&be)?;
        let mut next = Self::meta_value(&tx, "next_id").map_err(&be)?;
        let mut seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let mut done = Vec::with_capacity(batches.len());
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO entries(id, signal, value, quality, source, content_id, media,
                     video_id, timestamp_ms, derived, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(&be)?;
            let mut lab = tx
                .prepare_cached("INSERT INTO labels(entry, label) VALUES (?1, ?2)")
                .map_err(&be)?;
            for entries in batches {
                let start = next;
                seq += 1;
                next = Self::id_end(&self.path, start, entries.len())?;
                for (k, (h, q, m)) in entries.iter().enumerate() {
                    let id = (start + k as u64) as i64;
                    let pdq = SignalType::Pdq.name();
                    insert_row(&mut ins, &mut lab, id, pdq, &hash_blob(h), *q, m, seq)
                        .map_err(&be)?;
                }
                done.push((start..next, seq));
            }
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'next_id'",
            [next as i64],
        )
        .map_err(&be)?;
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'seq'", [seq as i64])
            .map_err(&be)?;
        tx.commit().map_err(&be)?;
        self.committed();
        Ok(done)
    }

    fn remove_batch(&mut self, ids: &[u64]) -> Result<(Vec<u64>, u64)> {
        self.writable()?;
        let be = backend(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)? + 1;
        let removed = Self::remove_rows(&tx, seq, ids).map_err(&be)?;
        if removed.is_empty() {
            // Nothing changed: no new sequence number.
            tx.rollback().map_err(&be)?;
            return Ok((removed, seq - 1));
        }
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'seq'", [seq as i64])
            .map_err(&be)?;
        tx.commit().map_err(&be)?;
        self.committed();
        Ok((removed, seq))
    }

    fn select(&self, selector: &Selector) -> Result<Vec<u64>> {
        let (sql, arg) = match selector {
            Selector::Source(s) => ("SELECT id FROM entries WHERE source = ?1 ORDER BY id", s),
            Selector::ContentId(c) => (
                "SELECT id FROM entries WHERE content_id = ?1 ORDER BY id",
                c,
            ),
            Selector::Label(l) => (
                "SELECT DISTINCT entry FROM labels WHERE label = ?1 ORDER BY entry",
                l,
            ),
        };
        let be = backend(&self.path);
        let mut st = self.conn.prepare_cached(sql).map_err(&be)?;
        let rows = st
            .query_map([arg], |r| r.get::<_, i64>(0).map(|v| v as u64))
            .map_err(&be)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&be)
    }

    fn get(&self, id: u64) -> Result<Option<StoredEntry>> {
        if id >= ID_LIMIT {
            return Ok(None);
        }
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let row = tx
            .query_row(
                "SELECT value, quality, source, content_id, media, video_id, timestamp_ms,
                 derived FROM entries WHERE id = ?1 AND signal = 'pdq'",
                [id as i64],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(&be)?;
        let Some((value, q, source, content_id, media, vid, ts, derived)) = row else {
            return Ok(None);
        };
        let labels = self.labels_of(id).map_err(&be)?;
        tx.finish().map_err(&be)?;
        let hash = blob_hash(&value).ok_or_else(|| corrupt_row(&self.path))?;
        let media = match (media.as_str(), vid) {
            ("video_frame", Some(video_id)) => MediaKind::VideoFrame {
                video_id,
                timestamp_ms: ts.unwrap_or(0) as u64,
            },
            _ => MediaKind::Image,
        };
        Ok(Some(StoredEntry {
            id,
            hash,
            quality: q.and_then(|q| u8::try_from(q).ok()).filter(|&q| q <= 100),
            metadata: Metadata {
                source,
                content_id,
                labels,
                media,
                derived,
            },
        }))
    }

    fn all_hashes(&self) -> Result<(Vec<(u64, Hash256)>, u64)> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let mut out = Vec::new();
        {
            let mut st = tx
                .prepare("SELECT id, value FROM entries WHERE signal = 'pdq' ORDER BY id")
                .map_err(&be)?;
            let mut rows = st.query([]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let id = r.get::<_, i64>(0).map_err(&be)? as u64;
                let v = r
                    .get_ref(1)
                    .map_err(&be)?
                    .as_blob()
                    .map_err(|e| be(e.into()))?;
                out.push((id, blob_hash(v).ok_or_else(|| corrupt_row(&self.path))?));
            }
        }
        tx.finish().map_err(&be)?;
        Ok((out, seq))
    }

    fn changes_since(&self, after: u64) -> Result<Changes> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let pruned = Self::meta_value(&tx, "pruned").map_err(&be)?;
        if after < pruned || after > seq {
            return Ok(Changes {
                seq,
                changes: Vec::new(),
                reload: true,
            });
        }
        let mut changes = Vec::new();
        {
            let mut st = tx
                .prepare_cached(
                    "SELECT seq, id, signal, CASE WHEN signal = 'pdq' THEN value END
                     FROM entries WHERE seq > ?1 ORDER BY seq, id",
                )
                .map_err(&be)?;
            let mut rows = st.query([after as i64]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let s = r.get::<_, i64>(0).map_err(&be)? as u64;
                let id = r.get::<_, i64>(1).map_err(&be)? as u64;
                let signal = r
                    .get_ref(2)
                    .map_err(&be)?
                    .as_str()
                    .map_err(|e| be(e.into()))?;
                match SignalType::from_name(signal) {
                    Some(SignalType::Pdq) => {
                        let v = r
                            .get_ref(3)
                            .map_err(&be)?
                            .as_blob()
                            .map_err(|e| be(e.into()))?;
                        let hash = blob_hash(v).ok_or_else(|| corrupt_row(&self.path))?;
                        changes.push(Change::Insert { seq: s, id, hash });
                    }
                    Some(signal) => changes.push(Change::Signal { seq: s, id, signal }),
                    // A signal type of a newer version: not searchable here.
                    None => {}
                }
            }
            let mut st = tx
                .prepare_cached("SELECT seq, id FROM removed WHERE seq > ?1 ORDER BY seq, id")
                .map_err(&be)?;
            let rows = st
                .query_map([after as i64], |r| {
                    Ok(Change::Remove {
                        seq: r.get::<_, i64>(0)? as u64,
                        id: r.get::<_, i64>(1)? as u64,
                    })
                })
                .map_err(&be)?;
            for c in rows {
                changes.push(c.map_err(&be)?);
            }
        }
        tx.finish().map_err(&be)?;
        changes.sort_by_key(Change::seq);
        Ok(Changes {
            seq,
            changes,
            reload: false,
        })
    }

    fn write_batch(
        &mut self,
        inserts: &[NewSignal],
        removes: &[u64],
    ) -> Result<(Range<u64>, Vec<u64>, u64)> {
        self.writable()?;
        if inserts
            .iter()
            .any(|(_, _, q, _)| q.is_some_and(|q| q > 100))
        {
            return Err(Error::invalid("quality must be 0..=100"));
        }
        if let Some((t, v, _, _)) = inserts.iter().find(|(t, v, _, _)| match t.exact_alg() {
            Some(alg) => v.len() != alg.digest_len(),
            None => *t == SignalType::Pdq && v.len() != 32,
        }) {
            return Err(Error::invalid(format!(
                "a {} value of {} bytes",
                t.name(),
                v.len()
            )));
        }
        let be = backend(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&be)?;
        let start = Self::meta_value(&tx, "next_id").map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)? + 1;
        let end = Self::id_end(&self.path, start, inserts.len())?;
        let removed = Self::remove_rows(&tx, seq, removes).map_err(&be)?;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO entries(id, signal, value, quality, source, content_id, media,
                     video_id, timestamp_ms, derived, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(&be)?;
            let mut lab = tx
                .prepare_cached("INSERT INTO labels(entry, label) VALUES (?1, ?2)")
                .map_err(&be)?;
            for (k, (t, v, q, m)) in inserts.iter().enumerate() {
                let id = (start + k as u64) as i64;
                insert_row(&mut ins, &mut lab, id, t.name(), v, *q, m, seq).map_err(&be)?;
            }
        }
        if removed.is_empty() && inserts.is_empty() {
            tx.rollback().map_err(&be)?;
            return Ok((start..start, removed, seq - 1));
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'next_id'",
            [end as i64],
        )
        .map_err(&be)?;
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'seq'", [seq as i64])
            .map_err(&be)?;
        tx.commit().map_err(&be)?;
        self.committed();
        Ok((start..end, removed, seq))
    }

    fn get_signal(&self, id: u64) -> Result<Option<SignalEntry>> {
        if id >= ID_LIMIT {
            return Ok(None);
        }
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let row = tx
            .query_row(
                "SELECT signal, value, quality, source, content_id, media, video_id,
                 timestamp_ms, derived FROM entries WHERE id = ?1",
                [id as i64],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<i64>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(&be)?;
        let Some((signal, value, q, source, content_id, media, vid, ts, derived)) = row else {
            return Ok(None);
        };
        let labels = self.labels_of(id).map_err(&be)?;
        tx.finish().map_err(&be)?;
        let Some(signal) = SignalType::from_name(&signal) else {
            return Ok(None);
        };
        let media = match (media.as_str(), vid) {
            ("video_frame", Some(video_id)) => MediaKind::VideoFrame {
                video_id,
                timestamp_ms: ts.unwrap_or(0) as u64,
            },
            _ => MediaKind::Image,
        };
        Ok(Some(SignalEntry {
            id,
            signal,
            value,
            quality: q.and_then(|q| u8::try_from(q).ok()).filter(|&q| q <= 100),
            metadata: Metadata {
                source,
                content_id,
                labels,
                media,
                derived,
            },
        }))
    }

    fn for_each_signal(&self, f: &mut SignalVisitor<'_>) -> Result<u64> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        {
            let mut st = tx
                .prepare(&format!(
                    "SELECT id, signal, CASE WHEN signal = 'tmk' THEN substr(value, 1, {})
                     ELSE value END FROM entries WHERE signal <> 'pdq' ORDER BY id",
                    super::signals::TMK_PREFIX
                ))
                .map_err(&be)?;
            let mut rows = st.query([]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let id = r.get::<_, i64>(0).map_err(&be)? as u64;
                let name = r
                    .get_ref(1)
                    .map_err(&be)?
                    .as_str()
                    .map_err(|e| be(e.into()))?;
                let Some(signal) = SignalType::from_name(name) else {
                    continue;
                };
                let v = r
                    .get_ref(2)
                    .map_err(&be)?
                    .as_blob()
                    .map_err(|e| be(e.into()))?;
                f(id, signal, v)?;
            }
        }
        tx.finish().map_err(&be)?;
        Ok(seq)
    }

    fn find_value(
        &self,
        signal: SignalType,
        value: &[u8],
        source: Option<&str>,
    ) -> Result<Vec<u64>> {
        let be = backend(&self.path);
        // With a source, the source index narrows the scan to that bank.
        let sql = if source.is_some() {
            "SELECT id FROM entries INDEXED BY entries_source
             WHERE source = ?3 AND signal = ?1 AND value = ?2 ORDER BY id"
        } else {
            "SELECT id FROM entries WHERE signal = ?1 AND value = ?2 ORDER BY id"
        };
        let mut st = self.conn.prepare_cached(sql).map_err(&be)?;
        let id = |r: &rusqlite::Row<'_>| r.get::<_, i64>(0).map(|v| v as u64);
        let rows = match source {
            Some(src) => st.query_map(params![signal.name(), value, src], id),
            None => st.query_map(params![signal.name(), value], id),
        }
        .map_err(&be)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&be)
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
        self.writable()?;
        let be = backend(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let through = through.min(seq);
        tx.execute("DELETE FROM removed WHERE seq <= ?1", [through as i64])
            .map_err(&be)?;
        tx.execute(
            "UPDATE meta SET value = max(value, ?1) WHERE key = 'pruned'",
            [through as i64],
        )
        .map_err(&be)?;
        tx.commit().map_err(&be)?;
        self.committed();
        Ok(())
    }
}
