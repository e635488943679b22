//! [`Snapshot`]: an immutable view of a database (everything that reads), its [`Entry`]s,
//! and the [`Reader`] handle through which search threads take the latest one.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::format::NO_QUALITY;
use super::slots::{SlotChunk, Slots, EMPTY, SLOT_CHUNK};
use super::Metadata;
use crate::hash::Hash256;
use crate::index::{Index, Match};

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

pub(super) const META_CHUNK: usize = 1024;

/// An immutable view of a database: everything that reads.
///
/// Obtained from [`Reader::snapshot`], or through `Deref` from [`Database`](super::Database) (the writer's
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
    pub(super) index: Index,
    pub(super) slots: Slots,
    pub(super) metas: Vec<Arc<Vec<Metadata>>>,
    pub(super) meta_len: usize,
    pub(super) next_id: u64,
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

    pub(super) fn meta(&self, m: u32) -> &Metadata {
        let m = m as usize;
        &self.metas[m / META_CHUNK][m % META_CHUNK]
    }

    pub(super) fn slot(&self, id: u64) -> Option<(u8, u32)> {
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
    pub(super) shared: Arc<ArcSwap<Snapshot>>,
}

impl Reader {
    /// The latest committed snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.load_full()
    }
}
