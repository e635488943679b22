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
//! [`IndexConfig::delta_limit`], or a quarter of the base is removed, a background thread
//! merges them into a new base, grouping equal hashes again, while updates go on into a
//! fresh delta; the writer swaps the new base in on a later update, replaying the removals
//! made meanwhile. No update waits for a merge, and every search sees exactly the live
//! entries at every moment ([`Index::merging`], [`Index::try_finish_merge`]).
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

mod cluster;
mod config;
mod delta;
mod flat;
mod mih;
mod search;
mod segment;
mod simd;

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::hash::Hash256;
use mih::Mih;
use simd::Level;
pub(crate) use simd::Limbs;

pub use config::{IndexConfig, Match, Strategy};
use delta::{Delta, Merge};
use search::merge_by_id;
use segment::Segment;

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
    /// Inserts being merged into a new base by a background merge (empty without one).
    frozen: Arc<Delta>,
    /// The background merge in flight, if any.
    merge: Option<Arc<Merge>>,
    /// Ids removed from the base or `frozen` since the merge in flight started.
    removed_meanwhile: Arc<Vec<u64>>,
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
            frozen: Arc::new(Delta::default()),
            merge: None,
            removed_meanwhile: Arc::new(Vec::new()),
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

    /// Whether both hold the same base segment (so dropping one frees none of it).
    pub(crate) fn shares_base(&self, other: &Index) -> bool {
        Arc::ptr_eq(&self.base, &other.base)
    }

    /// The configuration.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Number of entries (ids).
    pub fn len(&self) -> usize {
        self.base.entries() - self.dead_count + self.frozen.ids.len() + self.delta.ids.len()
    }

    /// Whether the index holds no hash.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of hashes stored: each distinct hash of the merged part once (however many
    /// ids it has), plus every recent insert not yet merged.
    pub fn distinct_hashes(&self) -> usize {
        self.base.hashes.len() + self.frozen.hashes.len() + self.delta.hashes.len()
    }

    fn is_compact(&self) -> bool {
        self.dead_count == 0 && self.delta.ids.is_empty() && self.frozen.ids.is_empty()
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
            + self.frozen.hashes.capacity() * 32
            + self.frozen.ids.capacity() * 8
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
        self.recent().into_iter().find_map(|d| {
            let i = d.ids.binary_search(&id).ok()?;
            Some(Hash256::from_limbs(d.hashes[i]))
        })
    }

    /// The recent inserts not in the base: those being merged, and the delta.
    fn recent(&self) -> [&Delta; 2] {
        [&self.frozen, &self.delta]
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
        let [frozen, delta] = self
            .recent()
            .map(|d| d.ids.iter().copied().zip(d.hashes.iter().copied()));
        merge_by_id(merge_by_id(merge_by_id(firsts, dups), frozen), delta)
            .map(|(id, l)| (id, Hash256::from_limbs(l)))
    }
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
