//! Multi-index hashing: 16 tables, one per 16-bit chunk of the hash.
//!
//! If two hashes are within distance `r`, their 16 chunk distances add up to at most `r`, so
//! (pigeonhole) at least one chunk is within `r / 16` (rounded down). A search therefore probes,
//! in every table, all buckets whose 16-bit key is within `r / 16` of the query's chunk, and
//! verifies each candidate with the full 256-bit distance. A hash within `r` may be found
//! through several tables; it is reported only by the first table `t` whose chunk is within
//! `r / 16`, so no set or bitmap is needed to remove duplicates.
//!
//! Each table is stored as a compressed sparse row: `65 537` bucket offsets and the positions
//! of the hashes sorted by chunk value, i.e. 64 bytes per hash for the 16 tables plus a fixed
//! 4 MiB. Probing costs `16 * C(16, <= r/16)` buckets: 16 at radius 0..=15, 272 at 16..=31,
//! 2 192 at 32..=47, which is why the automatic strategy uses this index only below 32.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::simd::{self, Level, Limbs};

/// Number of tables (chunks of the hash).
pub(crate) const TABLES: usize = 16;
pub(crate) const BUCKETS: usize = 1 << 16;

/// The 16-bit chunk `t` (0..16) of a hash.
#[inline(always)]
pub(crate) fn chunk(h: &Limbs, t: usize) -> u16 {
    (h[t / 4] >> (16 * (t % 4))) as u16
}

/// All 16-bit masks sorted by number of set bits, and `starts[w]` = index of the first mask
/// with `w` bits (so masks of weight `<= w` are `masks[..starts[w + 1]]`).
fn masks() -> &'static (Vec<u16>, [usize; 18]) {
    static MASKS: OnceLock<(Vec<u16>, [usize; 18])> = OnceLock::new();
    MASKS.get_or_init(|| {
        let mut m: Vec<u16> = (0..=u16::MAX).collect();
        m.sort_by_key(|x| (x.count_ones(), *x));
        let mut starts = [0usize; 18];
        for w in 0..=17u32 {
            starts[w as usize] = m.partition_point(|x| x.count_ones() < w);
        }
        (m, starts)
    })
}

/// The 16 chunk tables over one immutable run of hashes.
#[derive(Debug)]
pub(crate) struct Mih {
    /// `TABLES * (BUCKETS + 1)` offsets into `positions` (relative to the table's run).
    offsets: Vec<u32>,
    /// `TABLES * n` positions, table-major, sorted by chunk value within each table.
    positions: Vec<u32>,
    n: usize,
}

impl Mih {
    /// Builds the tables (the 16 tables in parallel on the current rayon pool).
    ///
    /// `hashes.len()` must fit in `u32` (checked by the caller).
    pub(crate) fn build(hashes: &[Limbs]) -> Mih {
        let n = hashes.len();
        let tables: Vec<(Vec<u32>, Vec<u32>)> = (0..TABLES)
            .into_par_iter()
            .map(|t| {
                // Counting sort by chunk value.
                let mut offsets = vec![0u32; BUCKETS + 1];
                for h in hashes {
                    offsets[chunk(h, t) as usize + 1] += 1;
                }
                for b in 0..BUCKETS {
                    offsets[b + 1] += offsets[b];
                }
                let mut fill = offsets.clone();
                let mut positions = vec![0u32; n];
                for (p, h) in hashes.iter().enumerate() {
                    let c = chunk(h, t) as usize;
                    positions[fill[c] as usize] = p as u32;
                    fill[c] += 1;
                }
                (offsets, positions)
            })
            .collect();
        let mut offsets = Vec::with_capacity(TABLES * (BUCKETS + 1));
        let mut positions = Vec::with_capacity(TABLES * n);
        for (o, p) in tables {
            offsets.extend_from_slice(&o);
            positions.extend_from_slice(&p);
        }
        Mih {
            offsets,
            positions,
            n,
        }
    }

    /// Heap bytes used by the tables.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.positions.capacity()) * 4
    }

    /// Pushes `(position, distance)` for every hash within `r` of `q`, each once, in no
    /// particular order.
    pub(crate) fn search(
        &self,
        level: Level,
        hashes: &[Limbs],
        q: &Limbs,
        r: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        debug_assert_eq!(hashes.len(), self.n);
        let sub = (r / TABLES as u32).min(16) as usize;
        let (all_masks, starts) = masks();
        let probe = &all_masks[..starts[sub + 1]];
        for t in 0..TABLES {
            let qc = chunk(q, t);
            let offs = &self.offsets[t * (BUCKETS + 1)..(t + 1) * (BUCKETS + 1)];
            let pos = &self.positions[t * self.n..(t + 1) * self.n];
            for &m in probe {
                let v = (qc ^ m) as usize;
                let (s, e) = (offs[v] as usize, offs[v + 1] as usize);
                if s == e {
                    continue;
                }
                let start = out.len();
                simd::verify(level, hashes, &pos[s..e], q, r, out);
                if t > 0 && out.len() > start {
                    // Drop hits that an earlier table already reported.
                    let mut keep = start;
                    for i in start..out.len() {
                        let h = &hashes[out[i].0 as usize];
                        let seen = (0..t)
                            .any(|u| (chunk(h, u) ^ chunk(q, u)).count_ones() as usize <= sub);
                        if !seen {
                            out[keep] = out[i];
                            keep += 1;
                        }
                    }
                    out.truncate(keep);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_sorted_by_weight() {
        let (m, starts) = masks();
        assert_eq!(m.len(), 65536);
        assert_eq!(starts[0], 0);
        assert_eq!(starts[1], 1);
        assert_eq!(starts[2], 17);
        assert_eq!(starts[3], 137);
        assert_eq!(starts[17], 65536);
    }

    #[test]
    fn finds_each_hit_once() {
        let q = [0x1234_5678_9abc_def0u64, 7, 9, 11];
        let mut hashes = vec![q; 3];
        hashes[1][0] ^= 0xffff; // 16 bits in chunk 0
        hashes[2][3] ^= 1; // 1 bit
        hashes.push([!0, !0, !0, !0]);
        let mih = Mih::build(&hashes);
        for r in [0u32, 1, 15, 16, 31, 256] {
            let mut out = Vec::new();
            mih.search(Level::detect(), &hashes, &q, r, &mut out);
            out.sort();
            let mut want = Vec::new();
            simd::scan(Level::Portable, &hashes, &q, r, 0, &mut want);
            assert_eq!(out, want, "r={r}");
        }
    }
}
