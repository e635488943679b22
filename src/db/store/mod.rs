//! The durable store: a store of record (SQLite, [`SqliteRecord`]) as the source of truth,
//! an in-memory search index kept in step with it, and a cache file of that index keyed by
//! the store's change sequence.
//!
//! # Model
//!
//! * **One writer.** [`Store::open`] takes an exclusive lock (`<file>.lock`); a second
//!   writer, in this process or another, gets [`StoreErrorKind::Locked`](crate::error::StoreErrorKind::Locked). Every insert or
//!   removal is one atomic batch, durable when the call returns (SQLite WAL with
//!   `synchronous = FULL`); a crash at any instant leaves every acknowledged batch and
//!   nothing else. Each batch gets the next *change sequence* number.
//! * **Many readers.** [`StoreReader::open`] opens the same file read-only (any number of
//!   processes: the matchers). [`StoreReader::refresh`] applies the changes after the
//!   sequence it has (new entries, removals) to its index without reloading; a matcher calls
//!   it every second or so, so a committed insert is searchable everywhere within seconds.
//! * **Index in memory, metadata on disk.** Both keep only ids and hashes in memory (the
//!   SIMD / multi-index [`Index`](crate::index::Index), about 45 bytes per entry); the
//!   metadata of a hit is read from the store with [`Store::get`] / [`StoreReader::get`].
//! * **Fast open.** [`Store::save_index_cache`] writes the index as a `.mmdb` file (today's
//!   format, without metadata) named `<file>.index.<seq>.mmdb`; an open loads the newest
//!   cache, then applies only the changes after its sequence, and removes older caches.
//!   Without a cache the index is built from the store.
//! * **Bounded.** SQLite checkpoints and truncates its WAL itself; [`Store::checkpoint`]
//!   forces it. The removal log is pruned with [`Store::prune_changes`] (readers behind the
//!   pruned point reload fully). Index caches other than the newest are removed at open.
//!
//! Existing `.mmdb` files are migrated with [`Store::import_database`].
//!
//! ```
//! use mediamatch::{Hash256, db::{Metadata, Selector, Store, StoreReader}, index::IndexConfig};
//! let dir = std::env::temp_dir().join(format!("store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("bank.db");
//! let h = Hash256::from_limbs([1, 2, 3, 4]);
//! let mut store = Store::open(&path, IndexConfig::default())?;
//! let ids = store.insert_many(vec![(h, Some(90), Metadata::new("gifct").label("t1"))])?;
//! assert!(Store::open(&path, IndexConfig::default()).is_err()); // one writer
//!
//! let mut matcher = StoreReader::open(&path, IndexConfig::default())?;
//! assert_eq!(matcher.search(&h, 31).len(), 1);
//! store.remove_selected(&Selector::Source("gifct".into()))?;
//! matcher.refresh()?; // picks up the removal
//! assert!(matcher.search(&h, 31).is_empty());
//! assert!(matcher.get(ids.start)?.is_none());
//! # drop((store, matcher)); std::fs::remove_dir_all(&dir)?;
//! Ok::<(), mediamatch::Error>(())
//! ```

mod group;
mod record;
mod refresher;
mod sqlite;
mod wal;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use group::{Committer, GroupCommit};
pub use record::{
    Change, Changes, NewSignal, Selector, SignalEntry, SignalType, SignalVisitor, StoreOfRecord,
    StoredEntry,
};
pub use refresher::Refresher;
pub use sqlite::SqliteRecord;

use super::{Database, Metadata, Snapshot};
use crate::error::Result;
use crate::hash::Hash256;
use crate::index::IndexConfig;

mod checkpoint;
mod reads;
mod signals;

pub use signals::Applied;
use signals::Signals;

/// The in-memory side shared by [`Store`] and [`StoreReader`].
#[derive(Debug)]
struct Live {
    path: PathBuf,
    db: Database,
    seq: u64,
    /// Exact digests and TMK pure averages.
    signals: Signals,
}

impl Live {
    /// Loads the index: the newest usable cache plus the changes after it, else everything.
    fn load(path: &Path, rec: &dyn StoreOfRecord, config: IndexConfig) -> Result<Live> {
        let store_seq = rec.seq()?;
        let mut live = None;
        let caches = cache_files(path);
        for (seq, file) in caches.iter().rev() {
            if *seq > store_seq {
                continue;
            }
            if let Ok(mut db) = Database::open(file) {
                let same = db.index().config() == &config;
                if same || db.set_index_config(config.clone()).is_ok() {
                    let mut l = Live {
                        path: path.to_path_buf(),
                        db,
                        seq: *seq,
                        signals: Signals::load(rec)?,
                    };
                    if l.catch_up(rec)?.is_some() {
                        live = Some(l);
                        break;
                    }
                }
            }
        }
        let mut live = match live {
            Some(l) => l,
            None => Live::full(path, rec, config)?,
        };
        live.db.advance_next_id(rec.next_id()?);
        live.db.commit();
        Ok(live)
    }

    fn full(path: &Path, rec: &dyn StoreOfRecord, config: IndexConfig) -> Result<Live> {
        // Signals first: the PDQ snapshot's sequence is then at least theirs, and
        // `changes_since` from it cannot miss a signal change.
        let signals = Signals::load(rec)?;
        let (items, seq) = rec.all_hashes()?;
        let mut db = Database::with_config(config.clone())?;
        db.insert_ids(&items)?;
        let mut live = Live {
            path: path.to_path_buf(),
            db,
            seq,
            signals,
        };
        // Signal changes between the two snapshots.
        let after = live.signals.loaded_at;
        if after < seq {
            let c = rec.changes_since(after)?;
            if !c.reload {
                live.signals.apply_changes(rec, &c.changes)?;
            }
        }
        Ok(live)
    }

    /// Applies the changes after `self.seq`; `None` when the log no longer reaches back
    /// that far (the caller reloads).
    fn catch_up(&mut self, rec: &dyn StoreOfRecord) -> Result<Option<usize>> {
        let c = rec.changes_since(self.seq)?;
        if c.reload {
            return Ok(None);
        }
        let n = c.changes.len();
        self.signals.apply_changes(rec, &c.changes)?;
        let mut inserts: Vec<(u64, Hash256)> = Vec::new();
        for ch in c.changes {
            match ch {
                Change::Insert { id, hash, .. } => {
                    if !self.db.index().contains(id) {
                        inserts.push((id, hash));
                    }
                }
                Change::Remove { id, .. } => {
                    self.db.remove(id);
                }
                Change::Signal { .. } => {}
            }
        }
        inserts.sort_unstable_by_key(|&(id, _)| id);
        inserts.retain(|&(id, _)| id >= self.db.next_id());
        self.db.insert_ids(&inserts)?;
        self.seq = c.seq;
        Ok(Some(n))
    }

    fn refresh(&mut self, rec: &dyn StoreOfRecord) -> Result<usize> {
        if rec.seq()? == self.seq {
            // Nothing committed since: nothing to read or publish.
            return Ok(0);
        }
        let n = match self.catch_up(rec)? {
            Some(n) => n,
            None => {
                let config = self.db.index().config().clone();
                let fresh = Live::full(&self.path, rec, config)?;
                let n = fresh.db.len();
                self.db.replace_state(fresh.db);
                self.seq = fresh.seq;
                self.signals = fresh.signals;
                n
            }
        };
        self.db.advance_next_id(rec.next_id()?);
        self.db.commit();
        Ok(n)
    }

    fn save_cache(&self) -> Result<PathBuf> {
        let file = cache_path(&self.path, self.seq);
        self.db.save(&file)?;
        for (seq, old) in cache_files(&self.path) {
            if seq != self.seq {
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(file)
    }
}

/// `<file>.index.<seq>.mmdb`.
fn cache_path(path: &Path, seq: u64) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".index.{seq}.mmdb"));
    PathBuf::from(s)
}

/// The index caches of a store, by ascending sequence.
fn cache_files(path: &Path) -> Vec<(u64, PathBuf)> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let prefix = format!("{name}.index.");
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            let seq = f
                .strip_prefix(&prefix)?
                .strip_suffix(".mmdb")?
                .parse()
                .ok()?;
            Some((seq, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// The writer of a store (see the [module documentation](self)).
#[derive(Debug)]
pub struct Store {
    rec: Box<dyn StoreOfRecord>,
    live: Live,
}

impl Store {
    /// Opens (creating if needed) the SQLite store at `path` as its one writer, with an
    /// index of this configuration.
    pub fn open(path: impl AsRef<Path>, config: IndexConfig) -> Result<Store> {
        let path = path.as_ref();
        let rec = SqliteRecord::open_writer(path)?;
        // Temporary files of killed cache saves, then caches older than the newest.
        super::atomic::clean_stale_temps(path);
        let mut caches = cache_files(path);
        caches.pop();
        for (_, old) in caches {
            let _ = std::fs::remove_file(old);
        }
        Store::with_record(path, Box::new(rec), config)
    }

    /// A store over any store of record (`path` names the index caches).
    pub fn with_record(
        path: impl AsRef<Path>,
        rec: Box<dyn StoreOfRecord>,
        config: IndexConfig,
    ) -> Result<Store> {
        let live = Live::load(path.as_ref(), rec.as_ref(), config)?;
        Ok(Store { rec, live })
    }

    /// Inserts a batch atomically and durably; returns the ids given (consecutive). The
    /// entries are searchable (here and through [`Store::reader`]) on return.
    pub fn insert_many(
        &mut self,
        entries: Vec<(Hash256, Option<u8>, Metadata)>,
    ) -> Result<Range<u64>> {
        let (ids, seq) = self.rec.insert_batch(&entries)?;
        let items: Vec<_> = ids.clone().zip(entries.iter().map(|e| e.0)).collect();
        self.apply(seq, |l| l.db.insert_ids(&items))?;
        Ok(ids)
    }

    /// Inserts several batches in one atomic, durable write of the store of record (one
    /// `fsync` for all: group commit); each batch gets its own ids and sequence number, as if
    /// inserted one after the other. Returns the ids per batch. [`Store::into_group_commit`]
    /// does this for concurrent callers.
    pub fn insert_batches(
        &mut self,
        batches: Vec<Vec<(Hash256, Option<u8>, Metadata)>>,
    ) -> Result<Vec<Range<u64>>> {
        let refs: Vec<&[(Hash256, Option<u8>, Metadata)]> =
            batches.iter().map(Vec::as_slice).collect();
        let done = self.rec.insert_batches(&refs)?;
        let mut out = Vec::with_capacity(done.len());
        for ((ids, seq), entries) in done.into_iter().zip(&batches) {
            let items: Vec<_> = ids.clone().zip(entries.iter().map(|e| e.0)).collect();
            // Not the store's next id (the end of the whole group): this batch's end.
            let end = ids.end;
            self.apply_until(seq, Some(end), |l| l.db.insert_ids(&items))?;
            out.push(ids);
        }
        Ok(out)
    }

    /// Inserts one entry (a batch of one).
    pub fn insert(
        &mut self,
        hash: Hash256,
        quality: Option<u8>,
        metadata: Metadata,
    ) -> Result<u64> {
        Ok(self.insert_many(vec![(hash, quality, metadata)])?.start)
    }

    /// Removes entries atomically and durably; returns the ids that existed.
    pub fn remove_many(&mut self, ids: &[u64]) -> Result<Vec<u64>> {
        let (removed, seq) = self.rec.remove_batch(ids)?;
        self.apply(seq, |l| {
            for &id in &removed {
                l.db.remove(id);
                l.signals.remove(id);
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Removes every entry a selector matches (e.g. a whole bank) in one batch.
    pub fn remove_selected(&mut self, selector: &Selector) -> Result<Vec<u64>> {
        let ids = self.rec.select(selector)?;
        self.remove_many(&ids)
    }

    fn apply(&mut self, seq: u64, f: impl FnOnce(&mut Live) -> Result<()>) -> Result<()> {
        self.apply_until(seq, None, f)
    }

    /// Applies batch `seq` to the index; the next id becomes `next_id` (default: the
    /// store's).
    fn apply_until(
        &mut self,
        seq: u64,
        next_id: Option<u64>,
        f: impl FnOnce(&mut Live) -> Result<()>,
    ) -> Result<()> {
        if seq == self.live.seq + 1 {
            f(&mut self.live)?;
            self.live.seq = seq;
            let next_id = match next_id {
                Some(n) => n,
                None => self.rec.next_id()?,
            };
            self.live.db.advance_next_id(next_id);
            self.live.db.commit();
            Ok(())
        } else if seq > self.live.seq {
            self.live.refresh(self.rec.as_ref()).map(drop)
        } else {
            Ok(())
        }
    }

    /// What changed after a checkpoint (a change sequence number, e.g. from
    /// [`Store::seq`]): for exchange sync.
    pub fn changes_since(&self, seq: u64) -> Result<Changes> {
        self.rec.changes_since(seq)
    }

    /// Forgets removal records up to sequence `through` (see
    /// [`StoreOfRecord::prune_changes`]).
    pub fn prune_changes(&mut self, through: u64) -> Result<()> {
        self.rec.prune_changes(through)
    }

    /// Checkpoints the store of record's log (SQLite: `wal_checkpoint(TRUNCATE)`); a no-op
    /// for stores without one.
    pub fn checkpoint(&self) -> Result<()> {
        self.rec.checkpoint()
    }

    /// Migrates a database (e.g. an opened `.mmdb` file) into the store: every entry, in id
    /// order, as one batch. Ids are given anew; returns them.
    pub fn import_database(&mut self, db: &Snapshot) -> Result<Range<u64>> {
        let entries = db
            .iter()
            .map(|e| (e.hash, e.quality, e.metadata.clone()))
            .collect();
        self.insert_many(entries)
    }
}

/// A read-only view of a store for matcher processes (see the [module documentation](self)).
#[derive(Debug)]
pub struct StoreReader {
    rec: Box<dyn StoreOfRecord>,
    live: Live,
}

impl StoreReader {
    /// A [`Database`] holding every PDQ entry of the store as of the last refresh, under the
    /// store's ids, *with* each entry's quality and metadata in memory (read from the store
    /// of record, one row per entry).
    ///
    /// The reader itself keeps only ids and hashes in memory; code that searches a
    /// [`Snapshot`] and needs the metadata of every hit while it aggregates (the
    /// [`matcher`](crate::matcher): the quality rule on stored entries, grouping of derived
    /// views per content id, known videos' frames per video) takes this database instead. Its
    /// memory grows with the metadata (see [`Snapshot::heap_bytes`]).
    ///
    /// ```
    /// use mediamatch::{Hash256, db::{Metadata, Store, StoreReader}, index::IndexConfig};
    /// let dir = std::env::temp_dir().join(format!("store-load-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("bank.db");
    /// let mut store = Store::open(&path, IndexConfig::default())?;
    /// let h = Hash256::from_limbs([5, 6, 7, 8]);
    /// let ids = store.insert_many(vec![(h, Some(77), Metadata::new("bank").content_id("c1"))])?;
    /// let reader = StoreReader::open(&path, IndexConfig::default())?;
    /// let db = reader.load_database()?;
    /// let e = db.get(ids.start).unwrap();
    /// assert_eq!((e.quality, e.metadata.content_id.as_deref()), (Some(77), Some("c1")));
    /// # drop((store, reader)); std::fs::remove_dir_all(&dir)?;
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn load_database(&self) -> Result<Database> {
        let mut items = Vec::with_capacity(self.live.db.len());
        for e in self.live.db.iter() {
            if let Some(s) = self.rec.get(e.id)? {
                items.push(s);
            }
        }
        items.sort_unstable_by_key(|s| s.id);
        let mut db = Database::with_config(self.live.db.index().config().clone())?;
        let ids: Vec<(u64, Hash256)> = items.iter().map(|s| (s.id, s.hash)).collect();
        db.insert_ids(&ids)?;
        for s in items {
            db.set_entry_meta(s.id, s.quality, s.metadata);
        }
        db.advance_next_id(self.live.db.next_id());
        db.commit();
        Ok(db)
    }

    /// Opens the SQLite store at `path` read-only.
    pub fn open(path: impl AsRef<Path>, config: IndexConfig) -> Result<StoreReader> {
        let path = path.as_ref();
        let rec = SqliteRecord::open_reader(path)?;
        StoreReader::with_record(path, Box::new(rec), config)
    }

    /// A reader over any store of record.
    pub fn with_record(
        path: impl AsRef<Path>,
        rec: Box<dyn StoreOfRecord>,
        config: IndexConfig,
    ) -> Result<StoreReader> {
        let live = Live::load(path.as_ref(), rec.as_ref(), config)?;
        Ok(StoreReader { rec, live })
    }

    /// Applies what the writer committed since the last call (or a full reload when the
    /// removal log was pruned past it); returns the number of changes applied.
    pub fn refresh(&mut self) -> Result<usize> {
        self.live.refresh(self.rec.as_ref())
    }
}
