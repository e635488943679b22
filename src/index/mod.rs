//! Exact search over 256-bit hashes: [`Index`].
//!
//! # Strategies
//!
//! Every search is exact: it returns every stored hash within the radius, never an
//! approximation. Two strategies compute the same sets ([`Strategy`]):
//!
//! * **flat scan** — compares the query with every hash, using the widest popcount instruction
//!   the CPU has (AVX-512 `VPOPCNTDQ`, AVX2, `popcnt`, or portable code, chosen at run time).
//!   Needs nothing besides the hashes and works for any radius. A single query is bound by
//!   memory bandwidth; a batch ([`Index::search_many`], [`Index::search_dihedral`]) shares one
//!   cache-blocked pass: each L2-sized tile of hashes is compared with every query of the
//!   batch before the next tile is read, and the tiles are shared out between threads, so a
//!   batch of about 100 queries is bound by popcount throughput instead;
//! * **multi-index hashing** — 16 tables keyed by the 16-bit chunks of the hash; a hash within
//!   `r` has at least one chunk within `r / 16` of the query's (pigeonhole), so only those
//!   buckets are probed and their hashes verified. Costs 64 more bytes per distinct hash (plus
//!   4 MiB) and gives the lowest single-query latency for the usual PDQ radius (31).
//!
//! [`Strategy::Auto`] (the default) uses multi-index hashing for radii below 32 on a merged
//! set of at least [`IndexConfig::mih_min_len`] hashes *if* the tables fit the memory budget
//! [`IndexConfig::max_bytes_per_hash`], and the flat scan otherwise. The default budget, 48
//! bytes per entry, never fits the tables, so by default the index holds about 40 bytes per
//! entry and runs the flat scan; raise the budget (or choose [`Strategy::MultiIndex`]) to trade
//! memory for single-query latency.
//!
//! # Memory: each distinct hash once
//!
//! The merged part of the index stores every distinct hash once, in the order of its smallest
//! id, next to that id (32 + 8 bytes, plus one bit for removals). A hash stored under several
//! ids — the same frame in several known videos, the same image in several banks — costs 16
//! bytes per further id (its id, the position of the hash, and its place in an id-sorted
//! order) instead of another 32-byte hash and 8-byte id, and every search reports all of its
//! ids. [`Index::heap_bytes`] counts it all.
//!
//! # Live updates and concurrency
//!
//! An index is a large immutable *base* (the distinct hashes with their ids, and the tables
//! if built), a small *delta* of recent inserts (searched by flat scan, stored as given), and
//! a bitmap of removed base entries. Inserts and removes touch only the delta and the bitmap,
//! so they are visible to the next search at once; when the delta grows past
//! [`IndexConfig::delta_limit`], or a quarter of the base is removed, the writer merges them
//! into a new base (amortised `O(1)` per update), grouping equal hashes again.
//!
//! All parts are shared through [`Arc`]s and copied on write, so cloning an `Index` is cheap
//! (it copies at most the small delta when the clone is next modified) and a clone is an
//! unchanging snapshot. `Index` is `Send + Sync`: any number of threads may search one
//! `&Index` at once; updates need `&mut Index`, i.e. one writer, which publishes clones to
//! readers. [`crate::db::Database`] does exactly that with an `ArcSwap`, so that a writer
//! never blocks readers and readers never block the writer.
//!
//! # Threads
//!
//! A single search (and [`Index::search_dihedral`]) runs on the calling thread.
//! [`Index::search_many`] runs on the *current* rayon pool; to choose the threads, call it
//! inside `pool.install(|| ..)`.
//!
//! ```
//! use mediamatch::{Hash256, index::{Index, Match}};
//! let a: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
//! let b: Hash256 = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22".parse()?;
//! let mut index = Index::new();
//! index.insert(7, a)?;
//! index.insert(9, b)?;
//! assert_eq!(index.search(&a, 31), vec![Match { id: 7, distance: 0 }, Match { id: 9, distance: 6 }]);
//! assert_eq!(index.k_nearest(&b, 1), vec![Match { id: 9, distance: 0 }]);
//! index.remove(9);
//! assert_eq!(index.search(&a, 31).len(), 1);
//! Ok::<(), mediamatch::Error>(())
//! ```

mod flat;
mod mih;
mod simd;

use std::collections::BinaryHeap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash::Hash256;
use mih::Mih;
use simd::Level;
pub(crate) use simd::Limbs;

/// One search result: the id of a stored hash and its distance to the query.
///
/// Results are sorted by `(distance, id)`, so they do not depend on how work was split.
///
/// ```
/// use mediamatch::index::Match;
/// let m = Match { id: 3, distance: 12 };
/// assert!(m < Match { id: 1, distance: 13 });
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Match {
    /// The id the hash was inserted with.
    pub id: u64,
    /// Hamming distance to the query, 0..=256.
    pub distance: u32,
}

impl PartialOrd for Match {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Match {
    /// By distance, then id.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.distance, self.id).cmp(&(other.distance, other.id))
    }
}

/// How an [`Index`] answers a radius search. All strategies return the same results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Strategy {
    /// Multi-index hashing below radius 32 on large sets when the tables fit
    /// [`IndexConfig::max_bytes_per_hash`], flat scan otherwise.
    #[default]
    Auto,
    /// Always the flat scan (and never build the multi-index tables: about 40 bytes per hash).
    Flat,
    /// Always multi-index hashing for single queries, whatever the memory budget (exact at
    /// every radius, but slow above ~47).
    MultiIndex,
}

/// Settings of an [`Index`]. `Default` is the recommended behaviour.
///
/// ```
/// use mediamatch::index::{Index, IndexConfig, Strategy};
/// let index = Index::with_config(IndexConfig::default().strategy(Strategy::Flat))?;
/// assert!(index.is_empty());
/// assert!(Index::with_config(IndexConfig::default().delta_limit(0)).is_err());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IndexConfig {
    /// Search strategy.
    pub strategy: Strategy,
    /// Under [`Strategy::Auto`], the multi-index tables are used (and built) only for a base
    /// of at least this many hashes; below it the flat scan is as fast. Default 32 768.
    pub mih_min_len: usize,
    /// Recent inserts kept outside the base before a merge; at least 1. Default 16 384.
    pub delta_limit: usize,
    /// Memory budget of [`Strategy::Auto`], in heap bytes per entry (hashes, ids, removal
    /// bitmap and tables together): the multi-index tables are only built if the total then
    /// stays within it. Default 48, which the flat scan (about 40 bytes per entry) always
    /// meets and the 16 tables (64 more bytes per distinct hash, plus 4 MiB) never do; raise
    /// it (to about 110 for a million hashes or more) to let `Auto` trade memory for
    /// single-query latency.
    pub max_bytes_per_hash: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            strategy: Strategy::Auto,
            mih_min_len: 1 << 15,
            delta_limit: 1 << 14,
            max_bytes_per_hash: 48,
        }
    }
}

impl IndexConfig {
    /// Sets [`IndexConfig::strategy`].
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }
    /// Sets [`IndexConfig::mih_min_len`].
    #[must_use]
    pub fn mih_min_len(mut self, n: usize) -> Self {
        self.mih_min_len = n;
        self
    }
    /// Sets [`IndexConfig::delta_limit`].
    #[must_use]
    pub fn delta_limit(mut self, n: usize) -> Self {
        self.delta_limit = n;
        self
    }
    /// Sets [`IndexConfig::max_bytes_per_hash`].
    #[must_use]
    pub fn max_bytes_per_hash(mut self, n: usize) -> Self {
        self.max_bytes_per_hash = n;
        self
    }
    fn validate(&self) -> Result<()> {
        if self.delta_limit == 0 {
            return Err(Error::invalid(
                "IndexConfig::delta_limit must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The immutable part of an index: every distinct hash once, with the entries stored under it.
///
/// Entry *slots* number the entries of a segment for the removal bitmap: slot `p < U` is the
/// first entry (smallest id) of `hashes[p]`, slot `U + k` is the further entry `k`.
#[derive(Debug, Default)]
struct Segment {
    /// Distinct hashes, in the order of their smallest id.
    hashes: Vec<Limbs>,
    /// `ids[p]`: the smallest id stored under `hashes[p]` (so strictly increasing).
    ids: Vec<u64>,
    /// Positions of the further entries of hashes stored more than once, sorted by
    /// `(position, id)`; `dup_ids` holds their ids.
    dup_pos: Vec<u32>,
    dup_ids: Vec<u64>,
    /// Indices into `dup_pos` / `dup_ids`, sorted by id.
    dup_by_id: Vec<u32>,
    mih: OnceLock<Mih>,
}

impl Segment {
    /// Number of entries (slots).
    fn entries(&self) -> usize {
        self.ids.len() + self.dup_ids.len()
    }

    /// From id-sorted per-entry columns: groups equal hashes (sorting by the first limb, then
    /// comparing whole hashes only within runs of equal first limbs).
    fn from_entries(mut ids: Vec<u64>, mut hashes: Vec<Limbs>) -> Segment {
        let n = ids.len();
        let mut keys: Vec<(u64, u32)> = hashes
            .par_iter()
            .enumerate()
            .map(|(i, h)| (h[0], i as u32))
            .collect();
        keys.par_sort_unstable();
        // (entry, first entry with the same hash) for every entry whose hash came earlier.
        let mut dups: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && keys[j].0 == keys[i].0 {
                j += 1;
            }
            if j - i > 1 {
                let run = &mut keys[i..j];
                run.sort_unstable_by(|a, b| {
                    hashes[a.1 as usize]
                        .cmp(&hashes[b.1 as usize])
                        .then(a.1.cmp(&b.1))
                });
                let mut first = run[0].1;
                for &(_, e) in &run[1..] {
                    if hashes[e as usize] == hashes[first as usize] {
                        dups.push((e, first));
                    } else {
                        first = e;
                    }
                }
            }
            i = j;
        }
        drop(keys);
        if dups.is_empty() {
            return Segment {
                hashes,
                ids,
                ..Segment::default()
            };
        }
        dups.sort_unstable();
        // The position of a first entry is its entry index minus the duplicates before it.
        let pos_of = |e: u32| e - dups.partition_point(|d| d.0 < e) as u32;
        let mut list: Vec<(u32, u64)> = dups
            .iter()
            .map(|&(e, f)| (pos_of(f), ids[e as usize]))
            .collect();
        list.sort_unstable();
        let (mut keep, mut d) = (0, 0);
        for e in 0..n {
            if d < dups.len() && dups[d].0 as usize == e {
                d += 1;
                continue;
            }
            hashes[keep] = hashes[e];
            ids[keep] = ids[e];
            keep += 1;
        }
        hashes.truncate(keep);
        hashes.shrink_to_fit();
        ids.truncate(keep);
        ids.shrink_to_fit();
        Segment::with_dups(hashes, ids, list)
    }

    /// From distinct hashes and, for every entry in id order, its id and hash position, where
    /// hashes are numbered in order of first use (the layout of the database file).
    fn from_parts(mut ids: Vec<u64>, hash_ref: &[u32], hashes: Vec<Limbs>) -> Result<Segment> {
        let bad = || Error::invalid("hash references are not in order of first use");
        if ids.len() != hash_ref.len() || ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid("ids must be strictly increasing"));
        }
        // The first entry of each hash keeps its place in `ids` (compacted in place).
        let mut firsts = 0;
        let mut list = Vec::new();
        for i in 0..ids.len() {
            let (id, p) = (ids[i], hash_ref[i]);
            match (p as usize).cmp(&firsts) {
                std::cmp::Ordering::Equal => {
                    ids[firsts] = id;
                    firsts += 1;
                }
                std::cmp::Ordering::Less => list.push((p, id)),
                std::cmp::Ordering::Greater => return Err(bad()),
            }
        }
        if firsts != hashes.len() {
            return Err(bad());
        }
        if !list.is_empty() {
            ids.truncate(firsts);
            ids.shrink_to_fit();
        }
        list.sort_unstable();
        Ok(Segment::with_dups(hashes, ids, list))
    }

    /// `list`: `(position, id)` of the further entries, sorted.
    fn with_dups(hashes: Vec<Limbs>, ids: Vec<u64>, list: Vec<(u32, u64)>) -> Segment {
        let (dup_pos, dup_ids): (Vec<u32>, Vec<u64>) = list.into_iter().unzip();
        let mut dup_by_id: Vec<u32> = (0..dup_ids.len() as u32).collect();
        dup_by_id.sort_unstable_by_key(|&k| dup_ids[k as usize]);
        Segment {
            hashes,
            ids,
            dup_pos,
            dup_ids,
            dup_by_id,
            mih: OnceLock::new(),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * 32
            + self.ids.capacity() * 8
            + self.dup_pos.capacity() * 4
            + self.dup_ids.capacity() * 8
            + self.dup_by_id.capacity() * 4
            + self.mih.get().map_or(0, Mih::heap_bytes)
    }

    /// Range of further entries (indices into `dup_*`) of position `p`.
    #[inline]
    fn dups_of(&self, p: u32) -> std::ops::Range<usize> {
        if self.dup_pos.is_empty() {
            return 0..0;
        }
        let s = self.dup_pos.partition_point(|&x| x < p);
        let e = s + self.dup_pos[s..].partition_point(|&x| x == p);
        s..e
    }

    /// Multi-index tables over the distinct hashes: bytes they need.
    fn tables_bytes(&self) -> usize {
        mih::TABLES * (self.hashes.len() * 4 + (mih::BUCKETS + 1) * 4)
    }
}

/// Recent inserts, sorted by id.
#[derive(Clone, Debug, Default)]
struct Delta {
    hashes: Vec<Limbs>,
    ids: Vec<u64>,
}

/// Exact Hamming-distance index over [`Hash256`] values, each stored under a `u64` id.
///
/// See the [module documentation](self) for strategies, memory, live updates and threads.
///
/// ```
/// use mediamatch::{Hash256, index::Index};
/// let h: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
/// let index = Index::build([(1, h), (2, Hash256::ZERO), (3, h)])?;
/// assert_eq!(index.distinct_hashes(), 2); // h is stored once, under ids 1 and 3
/// assert_eq!(index.search(&h, 0).iter().map(|m| m.id).collect::<Vec<_>>(), [1, 3]);
/// let reader = index.clone(); // a cheap, unchanging snapshot
/// std::thread::spawn(move || assert_eq!(reader.len(), 3)).join().unwrap();
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Index {
    config: IndexConfig,
    level: Level,
    base: Arc<Segment>,
    /// Bitmap over base entry slots: set = removed.
    dead: Arc<Vec<u64>>,
    dead_count: usize,
    delta: Arc<Delta>,
}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

impl Index {
    /// An empty index with the default configuration.
    pub fn new() -> Index {
        Index {
            config: IndexConfig::default(),
            level: Level::detect(),
            base: Arc::new(Segment::default()),
            dead: Arc::new(Vec::new()),
            dead_count: 0,
            delta: Arc::new(Delta::default()),
        }
    }

    /// An empty index with `config`; fails if the configuration is invalid.
    pub fn with_config(config: IndexConfig) -> Result<Index> {
        config.validate()?;
        Ok(Index {
            config,
            ..Index::new()
        })
    }

    /// Builds an index from `(id, hash)` pairs in one go (faster than repeated inserts).
    /// Fails on a duplicate id. Equal hashes under different ids are stored once.
    pub fn build(items: impl IntoIterator<Item = (u64, Hash256)>) -> Result<Index> {
        Index::build_with_config(items, IndexConfig::default())
    }

    /// [`Index::build`] with a configuration.
    pub fn build_with_config(
        items: impl IntoIterator<Item = (u64, Hash256)>,
        config: IndexConfig,
    ) -> Result<Index> {
        config.validate()?;
        let mut items: Vec<(u64, Limbs)> = items.into_iter().map(|(i, h)| (i, h.limbs())).collect();
        items.par_sort_unstable_by_key(|x| x.0);
        if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::invalid(format!(
                "duplicate id {} in index input",
                w[0].0
            )));
        }
        let (ids, hashes) = items.into_iter().unzip();
        Index::from_sorted(ids, hashes, config, true)
    }

    /// From id-sorted, duplicate-free per-entry columns (checked by the caller).
    pub(crate) fn from_sorted(
        ids: Vec<u64>,
        hashes: Vec<Limbs>,
        config: IndexConfig,
        eager_tables: bool,
    ) -> Result<Index> {
        config.validate()?;
        if ids.len() != hashes.len() || ids.len() >= u32::MAX as usize {
            return Err(Error::invalid(
                "index columns differ in length or exceed 2^32 - 1 entries",
            ));
        }
        Ok(Index::from_segment(
            Segment::from_entries(ids, hashes),
            config,
            eager_tables,
        ))
    }

    /// From the file layout: distinct `hashes` and, for each entry in id order, its id and
    /// the position of its hash, hashes numbered in order of first use. Fails if the parts
    /// do not have that shape.
    pub(crate) fn from_parts(
        ids: Vec<u64>,
        hash_ref: &[u32],
        hashes: Vec<Limbs>,
        config: IndexConfig,
    ) -> Result<Index> {
        config.validate()?;
        if ids.len() >= u32::MAX as usize {
            return Err(Error::invalid("an index holds at most 2^32 - 2 hashes"));
        }
        let seg = Segment::from_parts(ids, hash_ref, hashes)?;
        Ok(Index::from_segment(seg, config, false))
    }

    fn from_segment(seg: Segment, config: IndexConfig, eager_tables: bool) -> Index {
        let slots = seg.entries();
        let index = Index {
            config,
            base: Arc::new(seg),
            dead: Arc::new(vec![0; slots.div_ceil(64)]),
            ..Index::new()
        };
        if eager_tables {
            index.prepare();
        }
        index
    }

    /// The file layout of a compacted copy: distinct hashes (in order of first use) and, for
    /// every entry in id order, `(id, position of its hash)`.
    pub(crate) fn with_parts<R>(&self, f: impl FnOnce(&[(u64, u32)], &[Limbs]) -> R) -> R {
        let merged;
        let idx = if self.is_compact() {
            self
        } else {
            merged = self.merged(false);
            &merged
        };
        let b = &idx.base;
        let firsts = b.ids.iter().enumerate().map(|(p, &id)| (id, p as u32));
        let dups = b
            .dup_by_id
            .iter()
            .map(|&k| (b.dup_ids[k as usize], b.dup_pos[k as usize]));
        let entries: Vec<(u64, u32)> = merge_by_id(firsts, dups).collect();
        f(&entries, &b.hashes)
    }

    /// The configuration.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Number of entries (ids).
    pub fn len(&self) -> usize {
        self.base.entries() - self.dead_count + self.delta.ids.len()
    }

    /// Whether the index holds no hash.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of hashes stored: each distinct hash of the merged part once (however many
    /// ids it has), plus every recent insert not yet merged.
    pub fn distinct_hashes(&self) -> usize {
        self.base.hashes.len() + self.delta.hashes.len()
    }

    fn is_compact(&self) -> bool {
        self.dead_count == 0 && self.delta.ids.is_empty()
    }

    /// The name of the popcount kernel in use (`"avx512-vpopcntdq"`, `"avx2"`, `"popcnt"` or
    /// `"portable"`).
    pub fn kernel(&self) -> &'static str {
        self.level.name()
    }

    /// Bytes of heap memory used by hashes, ids, the removal bitmap and tables (if built).
    pub fn heap_bytes(&self) -> usize {
        self.base.heap_bytes()
            + self.dead.capacity() * 8
            + self.delta.hashes.capacity() * 32
            + self.delta.ids.capacity() * 8
    }

    /// Builds the multi-index tables now if the strategy will use them, instead of on the
    /// first search that needs them.
    pub fn prepare(&self) {
        if self.tables_wanted(0) {
            self.tables();
        }
    }

    /// Whether the multi-index tables fit [`IndexConfig::max_bytes_per_hash`].
    fn tables_fit(&self) -> bool {
        let entries = self.base.entries().max(1);
        let without = self.base.heap_bytes() - self.base.mih.get().map_or(0, Mih::heap_bytes)
            + self.dead.capacity() * 8;
        let with = without + self.base.tables_bytes();
        with <= self.config.max_bytes_per_hash.saturating_mul(entries)
    }

    fn tables_wanted(&self, r: u32) -> bool {
        match self.config.strategy {
            Strategy::Flat => false,
            Strategy::MultiIndex => true,
            Strategy::Auto => {
                r < 32 && self.base.hashes.len() >= self.config.mih_min_len && self.tables_fit()
            }
        }
    }

    fn tables(&self) -> &Mih {
        self.base.mih.get_or_init(|| Mih::build(&self.base.hashes))
    }

    #[inline]
    fn is_dead(&self, slot: usize) -> bool {
        self.dead_count > 0 && (self.dead[slot / 64] >> (slot % 64)) & 1 == 1
    }

    /// `(slot, position)` of a live base entry.
    fn base_slot(&self, id: u64) -> Option<(usize, usize)> {
        let b = &self.base;
        let (slot, pos) = match b.ids.binary_search(&id) {
            Ok(p) => (p, p),
            Err(_) => {
                let i = b
                    .dup_by_id
                    .binary_search_by_key(&id, |&k| b.dup_ids[k as usize])
                    .ok()?;
                let k = b.dup_by_id[i] as usize;
                (b.ids.len() + k, b.dup_pos[k] as usize)
            }
        };
        (!self.is_dead(slot)).then_some((slot, pos))
    }

    /// Pushes every live entry of base position `p` at distance `d`.
    #[inline]
    fn push_base(&self, p: u32, d: u32, out: &mut Vec<Match>) {
        let b = &self.base;
        if !self.is_dead(p as usize) {
            out.push(Match {
                id: b.ids[p as usize],
                distance: d,
            });
        }
        for k in b.dups_of(p) {
            if !self.is_dead(b.ids.len() + k) {
                out.push(Match {
                    id: b.dup_ids[k],
                    distance: d,
                });
            }
        }
    }

    /// Whether a hash is stored under `id`.
    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// The hash stored under `id`.
    pub fn get(&self, id: u64) -> Option<Hash256> {
        if let Some((_, p)) = self.base_slot(id) {
            return Some(Hash256::from_limbs(self.base.hashes[p]));
        }
        let i = self.delta.ids.binary_search(&id).ok()?;
        Some(Hash256::from_limbs(self.delta.hashes[i]))
    }

    /// All `(id, hash)` pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Hash256)> + '_ {
        let b = &self.base;
        let u = b.ids.len();
        let firsts = (0..u)
            .filter(|&p| !self.is_dead(p))
            .map(|p| (b.ids[p], b.hashes[p]));
        let dups = b
            .dup_by_id
            .iter()
            .map(|&k| k as usize)
            .filter(move |&k| !self.is_dead(u + k))
            .map(|k| (b.dup_ids[k], b.hashes[b.dup_pos[k] as usize]));
        let delta = self
            .delta
            .ids
            .iter()
            .copied()
            .zip(self.delta.hashes.iter().copied());
        merge_by_id(merge_by_id(firsts, dups), delta).map(|(id, l)| (id, Hash256::from_limbs(l)))
    }

    /// Adds `hash` under `id`; visible to the next search. Fails if `id` is already present.
    ///
    /// The hash joins the small set of recent inserts; when that set is merged (see the
    /// [module documentation](self)) a hash already stored is not stored again.
    pub fn insert(&mut self, id: u64, hash: Hash256) -> Result<()> {
        if self.contains(id) {
            return Err(Error::invalid(format!("id {id} is already in the index")));
        }
        if self.len() >= u32::MAX as usize - 1 {
            return Err(Error::invalid("an index holds at most 2^32 - 2 hashes"));
        }
        let d = Arc::make_mut(&mut self.delta);
        let at = d.ids.partition_point(|&x| x < id);
        d.ids.insert(at, id);
        d.hashes.insert(at, hash.limbs());
        if d.ids.len() > self.config.delta_limit {
            self.compact();
        }
        Ok(())
    }

    /// Removes the hash stored under `id`; returns whether there was one. Other ids stored
    /// with the same hash keep it.
    pub fn remove(&mut self, id: u64) -> bool {
        if let Some((slot, _)) = self.base_slot(id) {
            Arc::make_mut(&mut self.dead)[slot / 64] |= 1 << (slot % 64);
            self.dead_count += 1;
            if self.dead_count > self.config.delta_limit
                && self.dead_count * 4 > self.base.entries()
            {
                self.compact();
            }
            return true;
        }
        if let Ok(i) = self.delta.ids.binary_search(&id) {
            let d = Arc::make_mut(&mut self.delta);
            d.ids.remove(i);
            d.hashes.remove(i);
            return true;
        }
        false
    }

    /// Merges recent inserts and removals into a new base now (storing each distinct hash
    /// once, and building the tables if the strategy uses them). Searches give the same
    /// results before and after.
    pub fn compact(&mut self) {
        if self.is_compact() {
            self.prepare();
        } else {
            *self = self.merged(true);
        }
    }

    fn merged(&self, eager_tables: bool) -> Index {
        let n = self.len();
        let mut ids = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for (id, h) in self.iter() {
            ids.push(id);
            hashes.push(h.limbs());
        }
        Index::from_segment(
            Segment::from_entries(ids, hashes),
            self.config.clone(),
            eager_tables,
        )
    }

    /// Every stored hash within `max_distance` of `query` (0..=256; larger values act as 256),
    /// sorted by `(distance, id)`.
    pub fn search(&self, query: &Hash256, max_distance: u32) -> Vec<Match> {
        self.search_with(self.config.strategy, query, max_distance)
    }

    /// [`Index::search`] with an explicit strategy (the results are the same; only the time
    /// differs).
    pub fn search_with(
        &self,
        strategy: Strategy,
        query: &Hash256,
        max_distance: u32,
    ) -> Vec<Match> {
        let r = max_distance.min(256);
        let q = query.limbs();
        let mut hits = Vec::new();
        let use_tables = match strategy {
            Strategy::Auto => self.tables_wanted(r),
            Strategy::Flat => false,
            Strategy::MultiIndex => true,
        };
        if use_tables {
            self.tables()
                .search(self.level, &self.base.hashes, &q, r, &mut hits);
        } else {
            flat::search(self.level, &self.base.hashes, &q, r, &mut hits);
        }
        let mut out = Vec::with_capacity(hits.len());
        for (p, d) in hits {
            self.push_base(p, d, &mut out);
        }
        let mut hits = Vec::new();
        flat::search(self.level, &self.delta.hashes, &q, r, &mut hits);
        out.extend(hits.into_iter().map(|(p, d)| Match {
            id: self.delta.ids[p as usize],
            distance: d,
        }));
        out.sort_unstable();
        out
    }

    /// Flat search of several queries in one cache-blocked pass over memory (the base split
    /// into parts searched in parallel if `parallel`); `out[i]` answers `queries[i]`.
    fn search_flat_batch(&self, queries: &[Hash256], r: u32, parallel: bool) -> Vec<Vec<Match>> {
        let qs: Vec<Limbs> = queries.iter().map(Hash256::limbs).collect();
        let hashes = &self.base.hashes;
        let hits: Vec<Vec<flat::Hit>> = if parallel && hashes.len() >= 2 * flat::TILE {
            let parts = rayon::current_num_threads() * 4;
            let part = hashes.len().div_ceil(parts).div_ceil(flat::TILE) * flat::TILE;
            hashes
                .par_chunks(part)
                .enumerate()
                .map(|(i, c)| {
                    let mut out = Vec::new();
                    flat::search_tiles(self.level, c, (i * part) as u32, &qs, r, &mut out);
                    out
                })
                .collect()
        } else {
            let mut out = Vec::new();
            flat::search_tiles(self.level, hashes, 0, &qs, r, &mut out);
            vec![out]
        };
        let mut res: Vec<Vec<Match>> = vec![Vec::new(); qs.len()];
        for h in hits.iter().flatten() {
            self.push_base(h.pos, h.distance, &mut res[h.query as usize]);
        }
        let mut delta_hits = Vec::new();
        flat::search_tiles(self.level, &self.delta.hashes, 0, &qs, r, &mut delta_hits);
        for h in delta_hits {
            res[h.query as usize].push(Match {
                id: self.delta.ids[h.pos as usize],
                distance: h.distance,
            });
        }
        for v in &mut res {
            v.sort_unstable();
        }
        res
    }

    fn batch_uses_tables(&self, r: u32) -> bool {
        self.tables_wanted(r) || self.config.strategy == Strategy::MultiIndex
    }

    /// Searches many queries in parallel on the current rayon pool; `out[i]` answers
    /// `queries[i]` and equals `self.search(&queries[i], max_distance)`.
    ///
    /// With the flat scan, the whole batch shares one cache-blocked pass over the hashes:
    /// each tile of hashes is compared with every query while it is in the L2 cache, and
    /// the tiles are shared out between threads. Batches of about 100 queries or more make
    /// the scan compute bound instead of memory bound.
    pub fn search_many(&self, queries: &[Hash256], max_distance: u32) -> Vec<Vec<Match>> {
        let r = max_distance.min(256);
        if self.batch_uses_tables(r) {
            queries.par_iter().map(|q| self.search(q, r)).collect()
        } else if self.base.hashes.len() >= 2 * flat::TILE || queries.len() <= 16 {
            self.search_flat_batch(queries, r, true)
        } else {
            queries
                .par_chunks(16)
                .flat_map_iter(|c| self.search_flat_batch(c, r, false))
                .collect()
        }
    }

    /// Searches with several variants of one image (typically the 8 dihedral PDQ hashes from
    /// [`crate::PdqHasher::hash_file_dihedral`]) and merges the hits: each id once, at its
    /// smallest distance to any variant, sorted by `(distance, id)`. Runs on the calling
    /// thread; with the flat scan, the variants share one pass over memory.
    pub fn search_dihedral(&self, variants: &[Hash256], max_distance: u32) -> Vec<Match> {
        let r = max_distance.min(256);
        let lists = if self.batch_uses_tables(r) {
            variants.iter().map(|q| self.search(q, r)).collect()
        } else {
            self.search_flat_batch(variants, r, false)
        };
        merge_min(lists)
    }

    /// The `k` stored hashes nearest to `query`, sorted by `(distance, id)` (ties broken by
    /// the smaller id). Fewer if the index holds fewer.
    pub fn k_nearest(&self, query: &Hash256, k: usize) -> Vec<Match> {
        if k == 0 {
            return Vec::new();
        }
        if self.tables_wanted(0) {
            // Exact shortcut: if at least k hashes lie within r, the k nearest are among them.
            for r in [15, 31] {
                let mut hits = self.search(query, r);
                if hits.len() >= k {
                    hits.truncate(k);
                    return hits;
                }
            }
        }
        let q = query.limbs();
        let mut heap: BinaryHeap<(u32, u64)> = BinaryHeap::with_capacity(k + 1);
        let offer = |heap: &mut BinaryHeap<(u32, u64)>, d: u32, id: u64| {
            heap.push((d, id));
            if heap.len() > k {
                heap.pop();
            }
        };
        let mut found = Vec::new();
        flat::knn(
            self.level,
            &self.base.hashes,
            &q,
            &mut heap,
            k,
            |heap, p, d| {
                found.clear();
                self.push_base(p, d, &mut found);
                for m in &found {
                    offer(heap, m.distance, m.id);
                }
            },
        );
        flat::knn(
            self.level,
            &self.delta.hashes,
            &q,
            &mut heap,
            k,
            |heap, p, d| {
                offer(heap, d, self.delta.ids[p as usize]);
            },
        );
        heap.into_sorted_vec()
            .into_iter()
            .map(|(distance, id)| Match { id, distance })
            .collect()
    }
}

/// Merges two id-sorted streams into one.
fn merge_by_id<T>(
    a: impl Iterator<Item = (u64, T)>,
    b: impl Iterator<Item = (u64, T)>,
) -> impl Iterator<Item = (u64, T)> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.0 < y.0,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if take_a {
            a.next()
        } else {
            b.next()
        }
    })
}

/// Merges result lists: each id once at its smallest distance, sorted by `(distance, id)`.
pub(crate) fn merge_min(lists: Vec<Vec<Match>>) -> Vec<Match> {
    let mut all: Vec<Match> = lists.into_iter().flatten().collect();
    all.sort_unstable_by_key(|m| (m.id, m.distance));
    all.dedup_by_key(|m| m.id);
    all.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(seed: u64) -> Hash256 {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Hash256::from_limbs([next(), next(), next(), next()])
    }

    fn brute(items: &[(u64, Hash256)], q: &Hash256, r: u32) -> Vec<Match> {
        let mut v: Vec<Match> = items
            .iter()
            .filter(|(_, x)| x.distance(q) <= r)
            .map(|(id, x)| Match {
                id: *id,
                distance: x.distance(q),
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn live_updates_and_compaction_keep_results_exact() {
        let cfg = IndexConfig::default().delta_limit(5).mih_min_len(1);
        let mut items: Vec<(u64, Hash256)> = (0..40).map(|i| (i * 3, h(i))).collect();
        let mut index = Index::build_with_config(items.clone(), cfg).unwrap();
        let q = h(5);
        for i in 200..230u64 {
            let mut x = q;
            x.set_bit((i % 256) as usize, !x.bit((i % 256) as usize));
            index.insert(i, x).unwrap();
            items.push((i, x));
            if i % 3 == 0 {
                let gone = (i - 200) * 3;
                assert!(index.remove(gone));
                items.retain(|(id, _)| *id != gone);
            }
            let snapshot = index.clone();
            for r in [0, 1, 31, 128, 256] {
                for s in [Strategy::Flat, Strategy::MultiIndex, Strategy::Auto] {
                    assert_eq!(snapshot.search_with(s, &q, r), brute(&items, &q, r));
                }
            }
            let mut all = brute(&items, &q, 256);
            all.truncate(4);
            assert_eq!(snapshot.k_nearest(&q, 4), all);
        }
        assert!(index.insert(201, q).is_err());
        assert!(!index.remove(99_999));
        assert_eq!(index.len(), items.len());
        let mut sorted = items.clone();
        sorted.sort_by_key(|x| x.0);
        assert_eq!(index.iter().collect::<Vec<_>>(), sorted);
    }

    #[test]
    fn dihedral_merges_at_smallest_distance() {
        let items: Vec<(u64, Hash256)> = (0..100).map(|i| (i, h(i))).collect();
        let index = Index::build(items.clone()).unwrap();
        let variants = [h(3), h(4), h(1000)];
        let got = index.search_dihedral(&variants, 256);
        assert_eq!(got.len(), 100);
        assert_eq!(
            &got[..2],
            &[Match { id: 3, distance: 0 }, Match { id: 4, distance: 0 }]
        );
        for m in &got {
            let best = variants
                .iter()
                .map(|v| v.distance(&items[m.id as usize].1))
                .min();
            assert_eq!(Some(m.distance), best);
        }
        let many = index.search_many(&variants, 100);
        for (v, res) in variants.iter().zip(&many) {
            assert_eq!(res, &index.search(v, 100));
        }
    }

    #[test]
    fn duplicate_ids_rejected() {
        assert!(Index::build([(1, Hash256::ZERO), (1, Hash256::ZERO)]).is_err());
    }
}
