//! [`Database`]: the writable in-memory database (the single writer of its snapshots).

use std::ops::{Deref, Range};
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::format::NO_QUALITY;
use super::slots::{EMPTY, SLOT_CHUNK};
use super::snapshot::META_CHUNK;
use super::{Metadata, Reader, Snapshot};
use crate::error::{Error, Result, StoreError, StoreErrorKind};
use crate::hash::{Hash256, PdqHash};
use crate::index::{Index, IndexConfig};

fn ids_exhausted() -> Error {
    StoreError::new(
        StoreErrorKind::IdsExhausted,
        "ids are never reused; start a new database",
    )
    .into()
}

/// The writable database; dereferences to its current [`Snapshot`] for reads.
///
/// ```
/// use mediamatch::{Hash256, db::{Database, Metadata}};
/// let mut db = Database::new();
/// let h = Hash256::from_limbs([1, 2, 3, 4]);
/// let ids = db.insert_many((0..3).map(|i| (h, Some(90 + i), Metadata::new("bank"))))?;
/// assert_eq!(ids, 0..3);
/// assert!(db.remove(1));
/// assert_eq!(db.search(&h, 0).iter().map(|m| m.id).collect::<Vec<_>>(), [0, 2]);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
pub struct Database {
    pub(super) state: Snapshot,
    pub(super) shared: Arc<ArcSwap<Snapshot>>,
}

impl Default for Database {
    fn default() -> Self {
        Database::new()
    }
}

impl Deref for Database {
    type Target = Snapshot;
    fn deref(&self) -> &Snapshot {
        &self.state
    }
}

impl Database {
    /// An empty database with the default index configuration.
    pub fn new() -> Database {
        Database::from_state(Snapshot::default())
    }

    /// An empty database with an index configuration.
    pub fn with_config(config: IndexConfig) -> Result<Database> {
        Ok(Database::from_state(Snapshot {
            index: Index::with_config(config)?,
            ..Snapshot::default()
        }))
    }

    pub(super) fn from_state(state: Snapshot) -> Database {
        let shared = Arc::new(ArcSwap::from_pointee(state.clone()));
        Database { state, shared }
    }

    /// Drops `old` on a background thread (started on first use), or here if none can start.
    fn drop_elsewhere(old: Arc<Snapshot>) {
        static DROPPER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Arc<Snapshot>>>> =
            std::sync::OnceLock::new();
        let tx = DROPPER.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<Arc<Snapshot>>();
            std::thread::Builder::new()
                .name("mediamatch-drop".into())
                .spawn(move || rx.into_iter().for_each(drop))
                .ok()
                .map(|_| tx)
        });
        if let Some(tx) = tx {
            // A send fails only if the thread ended; `old` is then dropped here.
            let _ = tx.send(old);
        }
    }

    /// A handle that sees each [`Database::commit`].
    pub fn reader(&self) -> Reader {
        Reader {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Publishes the current state to readers.
    ///
    /// When the previous state held an index segment the new one no longer shares (after a
    /// merge was swapped in or a rebuild), that segment may be freed with it: hundreds of MB
    /// at 10 M entries, many milliseconds of unmapping. It is then dropped on a background
    /// thread, so that the writer never pays for it.
    pub fn commit(&mut self) {
        let old = self.shared.swap(Arc::new(self.state.clone()));
        if !old.index.shares_base(&self.state.index) {
            Self::drop_elsewhere(old);
        }
    }

    /// Changes the index configuration (rebuilding the index).
    pub fn set_index_config(&mut self, config: IndexConfig) -> Result<()> {
        let (ids, hashes) = self.state.index.iter().map(|(i, h)| (i, h.limbs())).unzip();
        self.state.index = Index::from_sorted(ids, hashes, config, true)?;
        Ok(())
    }

    pub(super) fn push_meta(&mut self, meta: Metadata) -> u32 {
        let s = &mut self.state;
        if s.meta_len > 0 && *s.meta(s.meta_len as u32 - 1) == meta {
            return s.meta_len as u32 - 1;
        }
        if s.meta_len.is_multiple_of(META_CHUNK) {
            s.metas.push(Arc::new(Vec::with_capacity(META_CHUNK)));
        }
        if let Some(last) = s.metas.last_mut() {
            Arc::make_mut(last).push(meta);
        }
        s.meta_len += 1;
        s.meta_len as u32 - 1
    }

    pub(super) fn set_slot(&mut self, id: u64, quality: u8, meta: u32) {
        let c = self.state.slots.get_or_empty(id / SLOT_CHUNK);
        let i = (id % SLOT_CHUNK) as usize;
        c.used += u32::from(c.meta[i] == EMPTY);
        c.quality[i] = quality;
        c.meta[i] = meta;
    }

    pub(super) fn check_quality(quality: Option<u8>) -> Result<u8> {
        match quality {
            None => Ok(NO_QUALITY),
            Some(q) if q <= 100 => Ok(q),
            Some(_) => Err(Error::invalid("quality must be 0..=100")),
        }
    }

    /// Adds an entry and returns its id.
    pub fn insert(
        &mut self,
        hash: Hash256,
        quality: Option<u8>,
        metadata: Metadata,
    ) -> Result<u64> {
        let q = Self::check_quality(quality)?;
        if self.state.meta_len >= EMPTY as usize - 1 {
            return Err(Error::invalid("too many metadata records"));
        }
        let id = self.state.next_id;
        if id == u64::MAX {
            return Err(ids_exhausted());
        }
        self.state.index.insert(id, hash)?;
        let m = self.push_meta(metadata);
        self.set_slot(id, q, m);
        self.state.next_id += 1;
        Ok(id)
    }

    /// Adds a PDQ hash with its quality.
    pub fn insert_pdq(&mut self, hash: PdqHash, metadata: Metadata) -> Result<u64> {
        self.insert(hash.hash, Some(hash.quality), metadata)
    }

    /// Adds many entries: a batch up to [`IndexConfig::delta_limit`] joins the index's delta
    /// like single inserts; a larger one rebuilds the index once instead of merging per
    /// insert. Returns the ids given (consecutive). On error nothing is added.
    pub fn insert_many(
        &mut self,
        entries: impl IntoIterator<Item = (Hash256, Option<u8>, Metadata)>,
    ) -> Result<Range<u64>> {
        let entries: Vec<_> = entries.into_iter().collect();
        for (_, q, _) in &entries {
            Self::check_quality(*q)?;
        }
        let start = self.state.next_id;
        if start.checked_add(entries.len() as u64).is_none() {
            return Err(ids_exhausted());
        }
        let total = self.state.len() + entries.len();
        if total >= u32::MAX as usize - 1
            || self.state.meta_len + entries.len() >= EMPTY as usize - 1
        {
            return Err(Error::invalid("too many entries"));
        }
        if entries.len() <= self.state.index.config().delta_limit {
            // A small batch joins the index's delta (no rebuild of the whole index).
            for (k, (h, q, meta)) in entries.into_iter().enumerate() {
                let id = start + k as u64;
                self.state.index.insert(id, h)?;
                let m = self.push_meta(meta);
                self.set_slot(id, Self::check_quality(q)?, m);
                self.state.next_id = id + 1;
            }
            return Ok(start..self.state.next_id);
        }
        let mut ids = Vec::with_capacity(total);
        let mut hashes = Vec::with_capacity(total);
        for (id, h) in self.state.index.iter() {
            ids.push(id);
            hashes.push(h.limbs());
        }
        for (k, (h, q, meta)) in entries.into_iter().enumerate() {
            let id = start + k as u64;
            ids.push(id);
            hashes.push(h.limbs());
            let m = self.push_meta(meta);
            self.set_slot(id, Self::check_quality(q)?, m);
            self.state.next_id = id + 1;
        }
        let config = self.state.index.config().clone();
        self.state.index = Index::from_sorted(ids, hashes, config, true)?;
        Ok(start..self.state.next_id)
    }

    /// Removes an entry; returns whether it existed. Its id is never given out again.
    pub fn remove(&mut self, id: u64) -> bool {
        if !self.state.index.remove(id) {
            return false;
        }
        let key = id / SLOT_CHUNK;
        if let Some(c) = self.state.slots.get_mut(key) {
            let i = (id % SLOT_CHUNK) as usize;
            c.meta[i] = EMPTY;
            c.quality[i] = NO_QUALITY;
            c.used -= 1;
            if c.used == 0 {
                self.state.slots.remove(key);
            }
        }
        true
    }

    /// Adds hashes under given ids (ascending, each at least [`Snapshot::next_id`]) with no
    /// quality and empty metadata: the index-only database a [`Store`] keeps. A batch larger
    /// than the delta limit *and* than a quarter of the index rebuilds the index at once (a
    /// first load, a bulk import into a small store); any other batch goes to the delta,
    /// which merges in the background, so that catching up with many changes (a reader
    /// opening an old index cache) returns without rebuilding a large index.
    pub(crate) fn insert_ids(&mut self, items: &[(u64, Hash256)]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut prev = self.state.next_id;
        for &(id, _) in items {
            if id < prev || id == u64::MAX {
                return Err(Error::invalid("ids must be ascending and new"));
            }
            prev = id + 1;
        }
        let m = self.push_meta(Metadata::default());
        let rebuild = items.len() > self.state.index.config().delta_limit
            && items.len().saturating_mul(4) > self.state.index.len();
        if rebuild {
            let total = self.state.len() + items.len();
            let mut ids = Vec::with_capacity(total);
            let mut hashes = Vec::with_capacity(total);
            for (id, h) in self.state.index.iter() {
                ids.push(id);
                hashes.push(h.limbs());
            }
            for &(id, h) in items {
                ids.push(id);
                hashes.push(h.limbs());
            }
            let config = self.state.index.config().clone();
            self.state.index = Index::from_sorted(ids, hashes, config, true)?;
        } else {
            for &(id, h) in items {
                self.state.index.insert(id, h)?;
            }
        }
        for &(id, _) in items {
            self.set_slot(id, NO_QUALITY, m);
        }
        self.state.next_id = prev;
        Ok(())
    }

    /// Sets the quality and metadata of an entry already in the index (added by
    /// [`Database::insert_ids`]).
    pub(crate) fn set_entry_meta(&mut self, id: u64, quality: Option<u8>, metadata: Metadata) {
        let m = self.push_meta(metadata);
        self.set_slot(id, quality.unwrap_or(NO_QUALITY), m);
    }

    /// Replaces the state with another database's, keeping this one's readers.
    pub(crate) fn replace_state(&mut self, other: Database) {
        self.state = other.state;
    }

    /// Raises [`Snapshot::next_id`] (never lowers it).
    pub(crate) fn advance_next_id(&mut self, next_id: u64) {
        self.state.next_id = self.state.next_id.max(next_id);
    }
}
