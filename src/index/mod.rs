//! Exact search over 256-bit hashes: [`Index`].
//!
//! # Strategies
//!
//! Every search is exact: it returns every stored hash within the radius, never an
//! approximation. Two strategies compute the same sets ([`Strategy`]):
//!
//! * **flat scan** — compares the query with every hash, using the widest popcount instruction
//!   the CPU has (AVX-512 `VPOPCNTDQ`, AVX2, `popcnt`, or portable code, chosen at run time).
//!   Costs 32 bytes per hash and works for any radius;
//! * **multi-index hashing** — 16 tables keyed by the 16-bit chunks of the hash; a hash within
//!   `r` has at least one chunk within `r / 16` of the query's (pigeonhole), so only those
//!   buckets are probed and their hashes verified. Costs 64 more bytes per hash and is much
//!   faster for the usual PDQ radius (31) on large sets.
//!
//! [`Strategy::Auto`] (the default) uses multi-index hashing for radii below 32 once the
//! indexed set holds at least [`IndexConfig::mih_min_len`] hashes, and the flat scan
//! otherwise. With [`Strategy::Flat`] the index stays at 40 bytes per hash (hash + id).
//!
//! # Live updates and concurrency
//!
//! An index is a large immutable *base* (sorted by id, with its tables), a small *delta* of
//! recent inserts (searched by flat scan), and a bitmap of removed base entries. Inserts and
//! removes touch only the delta and the bitmap, so they are visible to the next search at once;
//! when the delta grows past [`IndexConfig::delta_limit`], or a quarter of the base is removed,
//! the writer merges them into a new base (amortised `O(1)` per update).
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
//! A single search runs on the calling thread. [`Index::search_many`] runs on the *current*
//! rayon pool; to choose the threads, call it inside `pool.install(|| ..)`.
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
    /// Multi-index hashing below radius 32 on large sets, flat scan otherwise.
    #[default]
    Auto,
    /// Always the flat scan (and never build the multi-index tables: 40 bytes per hash).
    Flat,
    /// Always multi-index hashing (exact at every radius, but slow above ~47).
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
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            strategy: Strategy::Auto,
            mih_min_len: 1 << 15,
            delta_limit: 1 << 14,
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
    fn validate(&self) -> Result<()> {
        if self.delta_limit == 0 {
            return Err(Error::invalid(
                "IndexConfig::delta_limit must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The immutable, id-sorted part of an index.
#[derive(Debug, Default)]
struct Segment {
    hashes: Vec<Limbs>,
    ids: Vec<u64>,
    mih: OnceLock<Mih>,
}

/// Recent inserts, sorted by id.
#[derive(Clone, Debug, Default)]
struct Delta {
    hashes: Vec<Limbs>,
    ids: Vec<u64>,
}

/// Exact Hamming-distance index over [`Hash256`] values, each stored under a `u64` id.
///
/// See the [module documentation](self) for strategies, live updates and threads.
///
/// ```
/// use mediamatch::{Hash256, index::Index};
/// let h: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
/// let index = Index::build([(1, h), (2, Hash256::ZERO)])?;
/// assert_eq!(index.search(&h, 0)[0].id, 1);
/// let reader = index.clone(); // a cheap, unchanging snapshot
/// std::thread::spawn(move || assert_eq!(reader.len(), 2)).join().unwrap();
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Index {
    config: IndexConfig,
    level: Level,
    base: Arc<Segment>,
    /// Bitmap over base positions: set = removed.
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
    /// Fails on a duplicate id.
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

    /// From id-sorted, duplicate-free columns (checked by the caller).
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
        let n = ids.len();
        let index = Index {
            config,
            base: Arc::new(Segment {
                hashes,
                ids,
                mih: OnceLock::new(),
            }),
            dead: Arc::new(vec![0; n.div_ceil(64)]),
            ..Index::new()
        };
        if eager_tables {
            index.prepare();
        }
        Ok(index)
    }

    /// The configuration.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.base.ids.len() - self.dead_count + self.delta.ids.len()
    }

    /// Whether the index holds no hash.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of the popcount kernel in use (`"avx512-vpopcntdq"`, `"avx2"`, `"popcnt"` or
    /// `"portable"`).
    pub fn kernel(&self) -> &'static str {
        self.level.name()
    }

    /// Bytes of heap memory used by hashes, ids and tables.
    pub fn heap_bytes(&self) -> usize {
        let b = &self.base;
        b.hashes.capacity() * 32
            + b.ids.capacity() * 8
            + b.mih.get().map_or(0, Mih::heap_bytes)
            + self.dead.capacity() * 8
            + self.delta.hashes.capacity() * 32
            + self.delta.ids.capacity() * 8
    }

    /// Builds the multi-index tables now if the strategy will use them, instead of on the
    /// first search that needs them (useful right after opening a database).
    pub fn prepare(&self) {
        if self.tables_wanted(0) {
            self.tables();
        }
    }

    fn tables_wanted(&self, r: u32) -> bool {
        match self.config.strategy {
            Strategy::Flat => false,
            Strategy::MultiIndex => true,
            Strategy::Auto => r < 32 && self.base.ids.len() >= self.config.mih_min_len,
        }
    }

    fn tables(&self) -> &Mih {
        self.base.mih.get_or_init(|| Mih::build(&self.base.hashes))
    }

    #[inline]
    fn is_dead(&self, p: u32) -> bool {
        self.dead_count > 0 && (self.dead[p as usize / 64] >> (p % 64)) & 1 == 1
    }

    fn base_pos(&self, id: u64) -> Option<usize> {
        let p = self.base.ids.binary_search(&id).ok()?;
        (!self.is_dead(p as u32)).then_some(p)
    }

    /// Whether a hash is stored under `id`.
    pub fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// The hash stored under `id`.
    pub fn get(&self, id: u64) -> Option<Hash256> {
        if let Some(p) = self.base_pos(id) {
            return Some(Hash256::from_limbs(self.base.hashes[p]));
        }
        let i = self.delta.ids.binary_search(&id).ok()?;
        Some(Hash256::from_limbs(self.delta.hashes[i]))
    }

    /// All `(id, hash)` pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Hash256)> + '_ {
        let base = (0..self.base.ids.len())
            .filter(|&p| !self.is_dead(p as u32))
            .map(|p| (self.base.ids[p], self.base.hashes[p]));
        let delta = self
            .delta
            .ids
            .iter()
            .copied()
            .zip(self.delta.hashes.iter().copied());
        let mut base = base.peekable();
        let mut delta = delta.peekable();
        std::iter::from_fn(move || {
            let take_base = match (base.peek(), delta.peek()) {
                (Some(b), Some(d)) => b.0 < d.0,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let (id, l) = if take_base {
                base.next()?
            } else {
                delta.next()?
            };
            Some((id, Hash256::from_limbs(l)))
        })
    }

    /// Adds `hash` under `id`; visible to the next search. Fails if `id` is already present.
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

    /// Removes the hash stored under `id`; returns whether there was one.
    pub fn remove(&mut self, id: u64) -> bool {
        if let Some(p) = self.base_pos(id) {
            Arc::make_mut(&mut self.dead)[p / 64] |= 1 << (p % 64);
            self.dead_count += 1;
            if self.dead_count > self.config.delta_limit
                && self.dead_count * 4 > self.base.ids.len()
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

    /// Merges recent inserts and removals into a new base now (and builds its tables if the
    /// strategy uses them). Searches give the same results before and after.
    pub fn compact(&mut self) {
        let n = self.len();
        let mut ids = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for (id, h) in self.iter() {
            ids.push(id);
            hashes.push(h.limbs());
        }
        let config = self.config.clone();
        // Cannot fail: the columns come from a valid index.
        if let Ok(index) = Index::from_sorted(ids, hashes, config, true) {
            *self = index;
        }
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
        let mut out: Vec<Match> = hits
            .into_iter()
            .filter(|&(p, _)| !self.is_dead(p))
            .map(|(p, d)| Match {
                id: self.base.ids[p as usize],
                distance: d,
            })
            .collect();
        let mut hits = Vec::new();
        flat::search(self.level, &self.delta.hashes, &q, r, &mut hits);
        out.extend(hits.into_iter().map(|(p, d)| Match {
            id: self.delta.ids[p as usize],
            distance: d,
        }));
        out.sort_unstable();
        out
    }

    /// Flat search of several queries in one pass over memory; `out[i]` answers `queries[i]`.
    fn search_flat_multi(&self, queries: &[Hash256], r: u32) -> Vec<Vec<Match>> {
        let qs: Vec<Limbs> = queries.iter().map(Hash256::limbs).collect();
        let mut base_hits = vec![Vec::new(); qs.len()];
        flat::search_multi(self.level, &self.base.hashes, &qs, r, &mut base_hits);
        let mut delta_hits = vec![Vec::new(); qs.len()];
        flat::search_multi(self.level, &self.delta.hashes, &qs, r, &mut delta_hits);
        base_hits
            .into_iter()
            .zip(delta_hits)
            .map(|(b, d)| {
                let mut out: Vec<Match> = b
                    .into_iter()
                    .filter(|&(p, _)| !self.is_dead(p))
                    .map(|(p, distance)| Match {
                        id: self.base.ids[p as usize],
                        distance,
                    })
                    .chain(d.into_iter().map(|(p, distance)| Match {
                        id: self.delta.ids[p as usize],
                        distance,
                    }))
                    .collect();
                out.sort_unstable();
                out
            })
            .collect()
    }

    /// Searches many queries in parallel on the current rayon pool; `out[i]` answers
    /// `queries[i]` and equals `self.search(&queries[i], max_distance)`.
    pub fn search_many(&self, queries: &[Hash256], max_distance: u32) -> Vec<Vec<Match>> {
        let r = max_distance.min(256);
        if self.tables_wanted(r) || self.config.strategy == Strategy::MultiIndex {
            queries.par_iter().map(|q| self.search(q, r)).collect()
        } else {
            queries
                .par_chunks(16)
                .flat_map_iter(|c| self.search_flat_multi(c, r))
                .collect()
        }
    }

    /// Searches with several variants of one image (typically the 8 dihedral PDQ hashes from
    /// [`crate::PdqHasher::hash_file_dihedral`]) and merges the hits: each id once, at its
    /// smallest distance to any variant, sorted by `(distance, id)`.
    pub fn search_dihedral(&self, variants: &[Hash256], max_distance: u32) -> Vec<Match> {
        let r = max_distance.min(256);
        let lists = if self.tables_wanted(r) || self.config.strategy == Strategy::MultiIndex {
            variants.iter().map(|q| self.search(q, r)).collect()
        } else {
            self.search_flat_multi(variants, r)
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
        flat::knn(
            self.level,
            &self.base.hashes,
            &q,
            &mut heap,
            k,
            |heap, p, d| {
                if !self.is_dead(p) {
                    offer(heap, d, self.base.ids[p as usize]);
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
