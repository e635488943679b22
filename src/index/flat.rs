//! Flat (linear) scan: every stored hash is compared with the query.
//!
//! Exact for every radius, no extra memory, and cache friendly: the hashes are one contiguous
//! array read front to back with the widest popcount the CPU has ([`super::simd`]). When
//! several queries are searched together (the 8 dihedral variants, or a batch), the array is
//! walked once in blocks that stay in the L2 cache, and each block is compared with every
//! query, so memory traffic does not grow with the number of queries.

use std::collections::BinaryHeap;

use super::simd::{self, Level, Limbs};

/// Hashes per block when several queries share one pass (256 KiB of hashes).
const BLOCK: usize = 8192;

/// Pushes `(position, distance)` for every hash within `r` of `q`, in position order.
pub(crate) fn search(level: Level, hashes: &[Limbs], q: &Limbs, r: u32, out: &mut Vec<(u32, u32)>) {
    simd::scan(level, hashes, q, r, 0, out);
}

/// Like [`search`] for several queries in one pass: `outs[i]` receives the hits of `qs[i]`.
pub(crate) fn search_multi(
    level: Level,
    hashes: &[Limbs],
    qs: &[Limbs],
    r: u32,
    outs: &mut [Vec<(u32, u32)>],
) {
    for (b, block) in hashes.chunks(BLOCK).enumerate() {
        let offset = (b * BLOCK) as u32;
        for (q, out) in qs.iter().zip(outs.iter_mut()) {
            simd::scan(level, block, q, r, offset, out);
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
