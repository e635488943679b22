//! Flat (linear) scan: every stored hash is compared with the query.
//!
//! Exact for every radius, no extra memory, and cache friendly: the hashes are one contiguous
//! array read front to back with the widest popcount the CPU has ([`super::simd`]). When
//! several queries are searched together (the 8 dihedral variants, or a batch), the array is
//! walked once in tiles that stay in the L2 cache, and each tile is compared with every
//! query, so memory traffic does not grow with the number of queries: a single query is
//! bound by memory bandwidth, a batch by popcount throughput.

use std::collections::BinaryHeap;

use super::simd::{self, Level, Limbs};

/// Hashes per block for k-nearest scans (256 KiB of hashes).
const BLOCK: usize = 8192;

/// Hashes per tile when several queries share one pass: 512 KiB, well inside the L2 cache,
/// so that every query after the first reads the tile from L2 instead of memory.
pub(crate) const TILE: usize = 16384;

/// Pushes `(position, distance)` for every hash within `r` of `q`, in position order.
pub(crate) fn search(level: Level, hashes: &[Limbs], q: &Limbs, r: u32, out: &mut Vec<(u32, u32)>) {
    simd::scan(level, hashes, q, r, 0, out);
}

pub(crate) use simd::Hit;

/// Like [`search`] for several queries in one pass over `hashes` (whose first position is
/// `offset`), tile by tile: pushes a [`Hit`] for every query and hash within `r`, in no
/// particular order. With AVX-512 and at least 4 queries, each tile is first transposed
/// into groups of 8 hashes ([`simd::transpose`]), which the batch kernel compares with 4
/// queries per load.
pub(crate) fn search_tiles(
    level: Level,
    hashes: &[Limbs],
    offset: u32,
    qs: &[Limbs],
    r: u32,
    out: &mut Vec<Hit>,
) {
    let grouped = qs.len() >= 4 && simd::groups_supported(level);
    let mut buf = Vec::new();
    let mut groups = Vec::new();
    for (t, tile) in hashes.chunks(TILE).enumerate() {
        let base = offset + (t * TILE) as u32;
        let rest = if grouped {
            simd::transpose(tile, &mut groups);
            simd::scan_groups(level, &groups, qs, r, base, out);
            tile.len() / simd::GROUP * simd::GROUP
        } else {
            0
        };
        for (qi, q) in qs.iter().enumerate() {
            buf.clear();
            simd::scan(level, &tile[rest..], q, r, base + rest as u32, &mut buf);
            out.extend(buf.iter().map(|&(pos, distance)| Hit {
                query: qi as u32,
                pos,
                distance,
            }));
        }
    }
}

/// k-nearest helper: scans in blocks with the radius bounded by the current `k`-th best
/// distance in `heap` (a max-heap of `(distance, id)`, kept at `k` entries by `visit`), and
/// calls `visit(heap, position, distance)` for every hash within that bound.
pub(crate) fn knn<F>(
    level: Level,
    hashes: &[Limbs],
    q: &Limbs,
    heap: &mut BinaryHeap<(u32, u64)>,
    k: usize,
    mut visit: F,
) where
    F: FnMut(&mut BinaryHeap<(u32, u64)>, u32, u32),
{
    let mut buf = Vec::new();
    for (b, block) in hashes.chunks(BLOCK).enumerate() {
        buf.clear();
        let bound = if heap.len() < k {
            256
        } else {
            heap.peek().map_or(256, |x| x.0)
        };
        simd::scan(level, block, q, bound, (b * BLOCK) as u32, &mut buf);
        for &(p, d) in &buf {
            visit(heap, p, d);
        }
    }
}
