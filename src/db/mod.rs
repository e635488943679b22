//! The hash database: entries (hash, quality, metadata about the known content) under stable
//! ids, an exact search [`Index`] over them, a checked file format, and hash-list import.
//!
//! # Two ways to keep a bank
//!
//! * [`Store`] (in [`store`]) — the **store of record** for production: SQLite in WAL mode
//!   as the source of truth, every acknowledged insert and removal durable on return, atomic
//!   batches, one writer (a second gets [`StoreErrorKind::Locked`]) and any number of
//!   read-only [`StoreReader`]s in other processes that tail the change sequence
//!   ([`StoreReader::refresh`]) instead of reloading. No header limit: metadata lives in
//!   SQLite, the search index in memory, with a cache file of the index for fast opens.
//!   Banks: [`Selector`] lists or removes by source, content id or label;
//!   [`Store::changes_since`] gives what changed after a checkpoint. The store of record is
//!   behind the [`StoreOfRecord`] trait so a networked one can follow.
//! * [`Database`] — an in-memory database saved as one `.mmdb` file ([`format`](mod@format)): for
//!   tools, tests and snapshots. Changes since the last [`Database::save`] are lost in a
//!   crash. [`Store::import_database`] migrates a `.mmdb` file into a store.
//!
//! A fleet: one writer process (the ingestion service: imports, exchange sync, removals)
//! owns the store; every matcher process on the same host opens a [`StoreReader`], calls
//! [`StoreReader::refresh`] every second or so (a committed insert is searchable within
//! that), searches through [`StoreReader::reader`] snapshots on its request threads, and
//! reads the metadata of hits with [`StoreReader::get`].
//!
//! # Model
//!
//! Every inserted hash is an *entry* with a new id (0, 1, 2, … never reused), an optional
//! quality (hashes imported from lists may have none) and [`Metadata`]: the bank or source,
//! the external content id, labels, and the media kind (image, or video frame with the video
//! id and timestamp). The same hash from several sources is several entries, each with its own
//! metadata, so nothing is lost; [`Snapshot::search`] returns all of them. The index and the
//! file store such a hash once, however many entries share it (see [`crate::index`]).
//!
//! # Memory
//!
//! Per entry, a snapshot holds about 45 bytes on the heap: the index (32-byte hash and 8-byte
//! id per distinct hash, one removal bit; see [`crate::index`] for the opt-in multi-index
//! tables), the quality byte and a 4-byte reference into a table of distinct metadata records
//! ([`Snapshot::heap_bytes`]).
//!
//! # Readers and the writer (in one process)
//!
//! A [`Database`] is the single writer. Its changes are visible to its own searches at once,
//! and to [`Reader`]s after [`Database::commit`], which publishes an immutable [`Snapshot`]
//! through an `ArcSwap`: readers on any thread take the current snapshot without locking and
//! keep searching it while the writer goes on. Snapshots share all unchanged data with the
//! writer (see [`crate::index`] for how updates avoid full rebuilds).
//!
//! # Files
//!
//! [`Database::save`] writes the format described in [`format`](mod@format) atomically
//! (temporary file, `fsync`, read back and verified, rename, directory `fsync`; temporary
//! files of killed saves are removed at the next open); [`Database::open`] checks magic,
//! version, lengths and a CRC-32 of the whole file before returning anything. Files of format
//! versions 2 and 3 (the current one) hold each distinct hash once, in the order the index keeps
//! them, so an opened database is ready to search without building anything; version-1
//! files are still read (equal hashes are then grouped while opening).
//!
//! ```
//! use mediamatch::{Hash256, db::{Database, Metadata}};
//! let h: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
//! let mut db = Database::new();
//! let id = db.insert(h, Some(100), Metadata::new("bank-a").content_id("case-17"))?;
//! db.insert(h, None, Metadata::new("bank-b").label("imported"))?;
//! let reader = db.reader();
//! db.commit();
//! let snap = reader.snapshot();
//! let hits = snap.search(&h, 31);
//! assert_eq!(hits.len(), 2);
//! assert_eq!(snap.get(id).unwrap().metadata.content_id.as_deref(), Some("case-17"));
//!
//! let path = std::env::temp_dir().join(format!("doc-{}.mmdb", std::process::id()));
//! db.save(&path)?;
//! let back = Database::open(&path)?;
//! assert_eq!(back.len(), 2);
//! # std::fs::remove_file(&path)?;
//! Ok::<(), mediamatch::Error>(())
//! ```

mod atomic;
pub mod format;
mod import;
mod slots;
pub mod store;

use std::io::{BufRead, Write};
use std::ops::{Deref, Range};
use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

pub use store::{
    Applied, Change, Changes, Committer, GroupCommit, NewSignal, Refresher, Selector, SignalEntry,
    SignalType, SqliteRecord, Store, StoreOfRecord, StoreReader, StoredEntry,
};

pub use import::{
    read_hash_list, write_entry_list, write_hash_list, HashList, ImportOptions, ListFormat,
    ListRow, OnBadLine,
};

use crate::error::{Error, ParseError, Result, StoreError, StoreErrorKind};
use crate::hash::{Hash256, PdqHash};
use crate::index::{Index, IndexConfig, Match};
use format::{Layout, NO_QUALITY};
use slots::{SlotChunk, Slots, EMPTY, SLOT_CHUNK};

/// What kind of media a hash was computed from.
///
/// Serialises internally tagged, in snake case: `{"kind":"image"}`,
/// `{"kind":"video_frame","video_id":"v9","timestamp_ms":12000}` (the `.mmdb` file format and
/// the store of record use their own encodings, independent of this).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaKind {
    /// A still image (or unknown, for imported lists).
    #[default]
    Image,
    /// One frame of a video.
    VideoFrame {
        /// The video's id (in the source's namespace).
        video_id: String,
        /// Position of the frame in milliseconds from the start.
        timestamp_ms: u64,
    },
}

/// What is known about the content behind a hash.
///
/// ```
/// use mediamatch::db::{Metadata, MediaKind};
/// let m = Metadata::new("gifct").content_id("x1").label("violent").media(MediaKind::VideoFrame {
///     video_id: "v9".into(),
///     timestamp_ms: 12_000,
/// });
/// assert_eq!(m.labels, ["violent"]);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The bank, list or exchange the hash came from.
    pub source: String,
    /// The content's id at the source.
    pub content_id: Option<String>,
    /// Free-form labels (category, entity, …).
    pub labels: Vec<String>,
    /// Image or video frame.
    pub media: MediaKind,
    /// How this entry was derived from the banked original (e.g. `"crop-c90"`), `None` for the
    /// original's own hash. Derived entries are extra views of the same content.
    pub derived: Option<String>,
}

impl Metadata {
    /// Metadata with a source name and nothing else.
    pub fn new(source: impl Into<String>) -> Self {
        Metadata {
            source: source.into(),
            ..Metadata::default()
        }
    }
    /// Sets the content id.
    #[must_use]
    pub fn content_id(mut self, id: impl Into<String>) -> Self {
        self.content_id = Some(id.into());
        self
    }
    /// Adds a label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.labels.push(label.into());
        self
    }
    /// Sets the media kind.
    #[must_use]
    pub fn media(mut self, media: MediaKind) -> Self {
        self.media = media;
        self
    }
    /// Marks the entry as derived from the banked original (see [`Metadata::derived`]).
    #[must_use]
    pub fn derived(mut self, how: impl Into<String>) -> Self {
        self.derived = Some(how.into());
        self
    }
}

/// One stored entry, borrowed from a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry<'a> {
    /// Stable id.
    pub id: u64,
    /// The hash.
    pub hash: Hash256,
    /// Quality 0..=100, if known.
    pub quality: Option<u8>,
    /// What is known about the content.
    pub metadata: &'a Metadata,
}

/// Result of [`Database::import_list`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Ids given to the imported rows (consecutive).
    pub ids: Range<u64>,
    /// Errors of the lines that were skipped.
    pub skipped: Vec<ParseError>,
}

const META_CHUNK: usize = 1024;

/// An immutable view of a database: everything that reads.
///
/// Obtained from [`Reader::snapshot`], or through `Deref` from [`Database`] (the writer's
/// current state). Cloning is cheap.
///
/// ```
/// use mediamatch::{Hash256, db::{Database, Metadata}};
/// let mut db = Database::new();
/// db.insert(Hash256::ZERO, Some(80), Metadata::new("a"))?;
/// let snap = db.reader().snapshot(); // not committed yet: empty
/// assert!(snap.is_empty());
/// assert_eq!(db.len(), 1); // the writer sees its own insert
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    index: Index,
    slots: Slots,
    metas: Vec<Arc<Vec<Metadata>>>,
    meta_len: usize,
    next_id: u64,
}

impl Snapshot {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }
    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
    /// The id the next insert will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }
    /// Approximate heap bytes: the index plus per-entry quality and metadata references
    /// (metadata strings not included).
    pub fn heap_bytes(&self) -> usize {
        self.index.heap_bytes()
            + self.slots.len() * (std::mem::size_of::<SlotChunk>() + 48)
            + self.slots.pages() * 48
            + self.meta_len * std::mem::size_of::<Metadata>()
    }
    /// The search index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    fn meta(&self, m: u32) -> &Metadata {
        let m = m as usize;
        &self.metas[m / META_CHUNK][m % META_CHUNK]
    }

    fn slot(&self, id: u64) -> Option<(u8, u32)> {
        let c = self.slots.get(id / SLOT_CHUNK)?;
        let i = (id % SLOT_CHUNK) as usize;
        (c.meta[i] != EMPTY).then_some((c.quality[i], c.meta[i]))
    }

    fn entry(&self, id: u64, hash: Hash256) -> Option<Entry<'_>> {
        let (q, m) = self.slot(id)?;
        Some(Entry {
            id,
            hash,
            quality: (q != NO_QUALITY).then_some(q),
            metadata: self.meta(m),
        })
    }

    /// The entry with this id.
    pub fn get(&self, id: u64) -> Option<Entry<'_>> {
        self.entry(id, self.index.get(id)?)
    }

    /// All entries in id order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        self.index.iter().filter_map(|(id, h)| self.entry(id, h))
    }

    /// Exact radius search (see [`Index::search`]); look hits up with [`Snapshot::get`].
    pub fn search(&self, query: &Hash256, max_distance: u32) -> Vec<Match> {
        self.index.search(query, max_distance)
    }
    /// Parallel batch search (see [`Index::search_many`]).
    pub fn search_many(&self, queries: &[Hash256], max_distance: u32) -> Vec<Vec<Match>> {
        self.index.search_many(queries, max_distance)
    }
    /// Search with dihedral variants, merged per entry (see [`Index::search_dihedral`]).
    pub fn search_dihedral(&self, variants: &[Hash256], max_distance: u32) -> Vec<Match> {
        self.index.search_dihedral(variants, max_distance)
    }
    /// The `k` nearest entries (see [`Index::k_nearest`]).
    pub fn k_nearest(&self, query: &Hash256, k: usize) -> Vec<Match> {
        self.index.k_nearest(query, k)
    }

    /// Runs `f` on the file layout of this snapshot (entries in id order, each distinct
    /// hash once).
    fn with_layout<R>(&self, f: impl FnOnce(&Layout<'_>) -> R) -> R {
        self.index.with_parts(|entries, hashes| {
            let n = entries.len();
            let mut c = Layout {
                next_id: self.next_id,
                metas: Vec::new(),
                hashes,
                ids: Vec::with_capacity(n),
                hash_ref: Vec::with_capacity(n),
                meta_ref: Vec::with_capacity(n),
                quality: Vec::with_capacity(n),
            };
            // Compact the metadata table: only referenced records, in order of first use.
            let mut remap = vec![EMPTY; self.meta_len];
            let mut orphan = EMPTY;
            for &(id, pos) in entries {
                let r = match self.slot(id) {
                    Some((q, m)) => {
                        c.quality.push(q);
                        let r = &mut remap[m as usize];
                        if *r == EMPTY {
                            *r = c.metas.len() as u32;
                            c.metas.push(self.meta(m).clone());
                        }
                        *r
                    }
                    None => {
                        // Not reachable through the public API (every entry has a slot);
                        // written with empty metadata rather than breaking the layout.
                        c.quality.push(NO_QUALITY);
                        if orphan == EMPTY {
                            orphan = c.metas.len() as u32;
                            c.metas.push(Metadata::default());
                        }
                        orphan
                    }
                };
                c.ids.push(id);
                c.hash_ref.push(pos);
                c.meta_ref.push(r);
            }
            f(&c)
        })
    }

    /// Writes the database file format to `w` (not atomic; see [`Database::save`]).
    pub fn write_to(&self, mut w: impl Write) -> Result<()> {
        self.with_layout(|c| {
            let h = format::encode_header(c)?;
            format::encode(c, &h, &mut w)?;
            Ok(())
        })
    }

    /// Saves atomically to `path` (see the [module documentation](self)).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_inner(path.as_ref(), None)
    }

    fn save_inner(&self, path: &Path, fail_after: Option<u64>) -> Result<()> {
        self.with_layout(|c| {
            let h = format::encode_header(c)?;
            atomic::write_atomic(
                path,
                fail_after,
                |w| format::encode(c, &h, w),
                // Read the new file back through the parser before it replaces the old one.
                |tmp| read_file(tmp, true).map(drop),
            )
        })
    }
}

/// Reads and verifies a database file into columns.
fn read_file(path: &Path, check_crc: bool) -> Result<format::Columns> {
    let io = |e| Error::io(path.to_path_buf(), e);
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    format::read_stream(std::io::BufReader::new(file), len, check_crc, path)
}

fn ids_exhausted() -> Error {
    StoreError::new(
        StoreErrorKind::IdsExhausted,
        "ids are never reused; start a new database",
    )
    .into()
}

/// A handle for threads that search: cheap to clone, `Send + Sync`.
///
/// ```
/// use mediamatch::{Hash256, db::{Database, Metadata}};
/// let mut db = Database::new();
/// let reader = db.reader();
/// let t = std::thread::spawn(move || reader.snapshot().len());
/// db.insert(Hash256::ZERO, None, Metadata::new("x"))?;
/// db.commit();
/// assert!(t.join().unwrap() <= 1);
/// assert_eq!(db.reader().snapshot().len(), 1);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reader {
    shared: Arc<ArcSwap<Snapshot>>,
}

impl Reader {
    /// The latest committed snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.load_full()
    }
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
    state: Snapshot,
    shared: Arc<ArcSwap<Snapshot>>,
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

    fn from_state(state: Snapshot) -> Database {
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

    fn push_meta(&mut self, meta: Metadata) -> u32 {
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

    fn set_slot(&mut self, id: u64, quality: u8, meta: u32) {
        let c = self.state.slots.get_or_empty(id / SLOT_CHUNK);
        let i = (id % SLOT_CHUNK) as usize;
        c.used += u32::from(c.meta[i] == EMPTY);
        c.quality[i] = quality;
        c.meta[i] = meta;
    }

    fn check_quality(quality: Option<u8>) -> Result<u8> {
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

    /// Imports a hash list (see [`read_hash_list`]): every row becomes an entry with
    /// `template` as metadata, with the row's content id, source, labels, media kind and
    /// derivation when it has them (so [`Database::export_list`] with [`ListFormat::Csv`] then
    /// `import_list` gives the same entries).
    pub fn import_list(
        &mut self,
        reader: impl BufRead,
        options: &ImportOptions,
        template: &Metadata,
    ) -> Result<ImportReport> {
        let list = read_hash_list(reader, options)?;
        let ids = self.insert_many(list.rows.into_iter().map(|r| r.into_entry(template)))?;
        Ok(ImportReport {
            ids,
            skipped: list.skipped,
        })
    }

    /// Imports a vPDQ text file (`frame_number,quality,hash,seconds` per line, as
    /// [`crate::video::vpdq`] reads it): every frame becomes an entry with `template` as
    /// metadata and media kind [`MediaKind::VideoFrame`] with `video_id` and the frame's
    /// timestamp. A bad line is an error naming it; nothing is added then.
    ///
    /// ```
    /// use mediamatch::db::{Database, MediaKind, Metadata};
    /// let text = format!("0,100,{h},0.000\n30,90,{h},1.000\n", h = "ab".repeat(32));
    /// let mut db = Database::new();
    /// let ids = db.import_vpdq(&text, "clip-7", &Metadata::new("bank"))?;
    /// let e = db.get(ids.end - 1).unwrap();
    /// assert_eq!(e.metadata.media, MediaKind::VideoFrame { video_id: "clip-7".into(), timestamp_ms: 1000 });
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn import_vpdq(
        &mut self,
        text: &str,
        video_id: &str,
        template: &Metadata,
    ) -> Result<Range<u64>> {
        let frames = crate::video::vpdq::parse_lines(text)?;
        self.insert_many(frames.into_iter().map(|f| {
            let m = template.clone().media(MediaKind::VideoFrame {
                video_id: video_id.to_string(),
                timestamp_ms: f.timestamp_ms,
            });
            (f.hash.hash, Some(f.hash.quality), m)
        }))
    }

    /// Exports every entry as a hash list ([`ListFormat::Csv`] keeps all the metadata; see
    /// [`write_entry_list`]).
    pub fn export_list(&self, w: impl Write, format: ListFormat) -> Result<()> {
        write_entry_list(w, self.iter(), format)
    }

    /// Opens a database file, verifying everything (see [`format`](mod@format)). The index
    /// is ready to search at once; multi-index tables, if a configuration set with
    /// [`Database::set_index_config`] wants them, are built by it.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_inner(path.as_ref(), true)
    }

    /// Like [`Database::open`], with the index built for `config` (e.g. the multi-index
    /// tables of [`Strategy::MultiIndex`](crate::index::Strategy::MultiIndex)).
    pub fn open_with_config(path: impl AsRef<Path>, config: IndexConfig) -> Result<Database> {
        let mut db = Self::open_inner(path.as_ref(), true)?;
        if db.state.index.config() != &config {
            db.set_index_config(config)?;
            db.commit();
        }
        Ok(db)
    }

    /// Like [`Database::open`] but skips the CRC over the file (all structural checks still
    /// run). For files you wrote yourself and trust.
    pub fn open_unchecked(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_inner(path.as_ref(), false)
    }

    fn open_inner(path: &Path, check_crc: bool) -> Result<Database> {
        atomic::clean_stale_temps(path);
        Self::from_columns(read_file(path, check_crc)?)
    }

    /// Reads a database from the bytes of a file, verifying everything.
    pub fn from_bytes(bytes: &[u8]) -> Result<Database> {
        Self::decode(bytes, true)
    }

    fn decode(bytes: &[u8], check_crc: bool) -> Result<Database> {
        Self::from_columns(format::decode(bytes, check_crc)?)
    }

    fn from_columns(c: format::Columns) -> Result<Database> {
        let mut state = Snapshot {
            next_id: c.next_id,
            meta_len: c.metas.len(),
            ..Snapshot::default()
        };
        let mut metas = c.metas.into_iter();
        while state.metas.len() * META_CHUNK < state.meta_len {
            state
                .metas
                .push(Arc::new(metas.by_ref().take(META_CHUNK).collect()));
        }
        let mut cur: Option<(u64, SlotChunk)> = None;
        for ((&id, &q), &m) in c.ids.iter().zip(&c.quality).zip(&c.meta_ref) {
            let key = id / SLOT_CHUNK;
            if cur.as_ref().is_none_or(|(k, _)| *k != key) {
                if let Some((k, chunk)) = cur.take() {
                    state.slots.insert(k, chunk);
                }
                cur = Some((key, SlotChunk::empty()));
            }
            if let Some((_, chunk)) = cur.as_mut() {
                let i = (id % SLOT_CHUNK) as usize;
                chunk.quality[i] = q;
                chunk.meta[i] = m;
                chunk.used += 1;
            }
        }
        if let Some((k, chunk)) = cur {
            state.slots.insert(k, chunk);
        }
        let corrupt = |_| {
            crate::error::FormatError::new(
                crate::error::FormatErrorKind::Corrupt,
                "the entries do not form a valid index",
            )
        };
        state.index = match c.hash_ref {
            Some(r) => Index::from_parts(c.ids, &r, c.hashes, IndexConfig::default()),
            None => Index::from_sorted(c.ids, c.hashes, IndexConfig::default(), false),
        }
        .map_err(corrupt)?;
        Ok(Database::from_state(state))
    }

    /// Saves atomically; on error the previous file (if any) is untouched.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.state.save(path)
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

    /// Test failpoint: a save whose writer fails after `fail_after` bytes.
    #[cfg(test)]
    pub(crate) fn save_failing(&self, path: &Path, fail_after: u64) -> Result<()> {
        self.state.save_inner(path, Some(fail_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_save_leaves_previous_file_openable() {
        let dir = std::env::temp_dir().join(format!("mm-db-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bank.mmdb");
        let mut db = Database::new();
        for i in 0..100u64 {
            db.insert(
                Hash256::from_limbs([i, !i, i * 7, 3]),
                Some(90),
                Metadata::new("a"),
            )
            .unwrap();
        }
        db.save(&path).unwrap();
        let before = std::fs::read(&path).unwrap();
        for i in 0..1000u64 {
            db.insert(
                Hash256::from_limbs([i, i, i, i]),
                None,
                Metadata::new("b").content_id(i.to_string()),
            )
            .unwrap();
        }
        for cut in [0, 1, 17, 4096, 20_000] {
            assert!(db.save_failing(&path, cut).is_err());
            assert_eq!(std::fs::read(&path).unwrap(), before);
            assert_eq!(Database::open(&path).unwrap().len(), 100);
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        db.save(&path).unwrap();
        assert_eq!(Database::open(&path).unwrap().len(), 1100);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
