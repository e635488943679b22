//! Searching: radius search (single, batched, dihedral) and k nearest neighbours.

use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::simd::Limbs;
use super::*;
use crate::hash::Hash256;

impl Index {
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
        for recent in self.recent() {
            let mut hits = Vec::new();
            flat::search(self.level, &recent.hashes, &q, r, &mut hits);
            out.extend(hits.into_iter().map(|(p, d)| Match {
                id: recent.ids[p as usize],
                distance: d,
            }));
        }
        out.sort_unstable();
        out
    }

    /// Flat search of several queries in one cache-blocked pass over memory (the base split
    /// into parts searched in parallel if `parallel`); `out[i]` answers `queries[i]`.
    pub(super) fn search_flat_batch(
        &self,
        queries: &[Hash256],
        r: u32,
        parallel: bool,
    ) -> Vec<Vec<Match>> {
        let qs: Vec<Limbs> = queries.iter().map(Hash256::limbs).collect();
        let clusters = cluster::Clusters::new(&qs, r);
        let hashes = &self.base.hashes;
        let hits: Vec<Vec<flat::Hit>> = if parallel && hashes.len() >= 2 * flat::TILE {
            let parts = rayon::current_num_threads() * 4;
            let part = hashes.len().div_ceil(parts).div_ceil(flat::TILE) * flat::TILE;
            hashes
                .par_chunks(part)
                .enumerate()
                .map(|(i, c)| {
                    let mut out = Vec::new();
                    clusters.search_tiles(self.level, c, (i * part) as u32, &qs, r, &mut out);
                    out
                })
                .collect()
        } else {
            let mut out = Vec::new();
            clusters.search_tiles(self.level, hashes, 0, &qs, r, &mut out);
            vec![out]
        };
        let mut res: Vec<Vec<Match>> = vec![Vec::new(); qs.len()];
        for h in hits.iter().flatten() {
            self.push_base(h.pos, h.distance, &mut res[h.query as usize]);
        }
        for recent in self.recent() {
            let mut delta_hits = Vec::new();
            clusters.search_tiles(self.level, &recent.hashes, 0, &qs, r, &mut delta_hits);
            for h in delta_hits {
                res[h.query as usize].push(Match {
                    id: recent.ids[h.pos as usize],
                    distance: h.distance,
                });
            }
        }
        for v in &mut res {
            v.sort_unstable();
        }
        res
    }

    pub(super) fn batch_uses_tables(&self, r: u32) -> bool {
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
        for recent in self.recent() {
            flat::knn(
                self.level,
                &recent.hashes,
                &q,
                &mut heap,
                k,
                |heap, p, d| {
                    offer(heap, d, recent.ids[p as usize]);
                },
            );
        }
        heap.into_sorted_vec()
            .into_iter()
            .map(|(distance, id)| Match { id, distance })
            .collect()
    }
}

/// Merges two id-sorted streams into one.
pub(super) fn merge_by_id<T>(
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
