//! Query clustering for batched flat scans: near-identical queries share one pass.
//!
//! A robust video query searches hundreds of hashes of consecutive frames, and consecutive
//! frames of one shot are often a few bits apart. Scanning the stored hashes once per query
//! repeats nearly the same work. Here the batch is first grouped greedily around *leaders*:
//! a query within [`JOIN`] bits of a recent leader becomes one of its members at a known
//! distance `δ` from it. Only the leaders are scanned, at radius `r + reach` (the largest `δ`
//! of the batch). By the triangle inequality, a stored hash `h` within `r` of a member `m` is
//! within `r + δ(m)` of its leader, so every answer of every member is among its leader's
//! hits, and each of those is then checked against the members exactly: the result is the
//! same as scanning every query, only the number of passes over memory shrinks.
//!
//! A batch of unrelated queries (no leader within [`JOIN`] bits) is left as it is: every
//! query is its own leader and the scan radius stays `r`.

use super::flat::{self, Hit};
use super::simd::{dist, Level, Limbs};

/// Largest distance (bits) from a query to the leader it joins.
pub(crate) const JOIN: u32 = 20;

/// Leaders compared with each new query (the most recent ones): batches come in frame order,
/// so the leader of the previous frames of the same transform is near the end.
const LOOKBACK: usize = 64;

/// Radii above which clustering is not worth it (the scan radius would grow past the point
/// where random hashes start to answer).
const MAX_RADIUS: u32 = 64;

/// A batch of queries grouped around leaders.
#[derive(Debug)]
pub(crate) struct Clusters {
    /// The leaders' hashes, in the order they were chosen.
    pub(crate) leaders: Vec<Limbs>,
    /// For each leader, its members as `(query index, distance to the leader)`; the leader
    /// itself is the first member, at distance 0.
    members: Vec<Vec<(u32, u32)>>,
    /// The largest member distance of the batch.
    reach: u32,
}

impl Clusters {
    /// Groups `qs` for a search at radius `r`.
    pub(crate) fn new(qs: &[Limbs], r: u32) -> Clusters {
        let join = if r <= MAX_RADIUS { JOIN } else { 0 };
        let mut leaders: Vec<Limbs> = Vec::new();
        let mut members: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut reach = 0;
        for (i, q) in qs.iter().enumerate() {
            let from = leaders.len().saturating_sub(LOOKBACK);
            let best = (from..leaders.len())
                .map(|l| (dist(&leaders[l], q), l))
                .min();
            match best {
                Some((d, l)) if d <= join => {
                    members[l].push((i as u32, d));
                    reach = reach.max(d);
                }
                _ => {
                    leaders.push(*q);
                    members.push(vec![(i as u32, 0)]);
                }
            }
        }
        Clusters {
            leaders,
            members,
            reach,
        }
    }

    /// The radius at which the leaders are scanned for a search at radius `r`.
    pub(crate) fn scan_radius(&self, r: u32) -> u32 {
        (r + self.reach).min(256)
    }

    /// Scans `hashes` (whose first position is `offset`) with the leaders and pushes a
    /// [`Hit`] for every query of `qs` and hash within `r`, exactly as
    /// [`flat::search_tiles`] on all of `qs` would (in no particular order).
    pub(crate) fn search_tiles(
        &self,
        level: Level,
        hashes: &[Limbs],
        offset: u32,
        qs: &[Limbs],
        r: u32,
        out: &mut Vec<Hit>,
    ) {
        let mut leader_hits = Vec::new();
        flat::search_tiles(
            level,
            hashes,
            offset,
            &self.leaders,
            self.scan_radius(r),
            &mut leader_hits,
        );
        for h in leader_hits {
            let stored = &hashes[(h.pos - offset) as usize];
            for &(m, delta) in &self.members[h.query as usize] {
                // d(h, m) >= d(h, leader) - δ: members too far from this hit are skipped
                // without computing their distance.
                if h.distance > r + delta {
                    continue;
                }
                // δ = 0: the member is the leader's hash itself.
                let distance = if delta == 0 {
                    h.distance
                } else {
                    dist(stored, &qs[m as usize])
                };
                if distance <= r {
                    out.push(Hit {
                        query: m,
                        pos: h.pos,
                        distance,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(mut s: u64) -> impl FnMut() -> u64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    fn flip(mut h: Limbs, bits: u32, next: &mut impl FnMut() -> u64) -> Limbs {
        for _ in 0..bits {
            let b = (next() % 256) as usize;
            h[b / 64] ^= 1 << (b % 64);
        }
        h
    }

    /// Queries in runs of near-identical hashes (like consecutive video frames) against a
    /// bank holding near copies of them: the clustered scan gives exactly the brute-force
    /// answers, and it does scan fewer queries.
    #[test]
    fn clustered_scan_equals_brute_force() {
        let mut next = rng(0x9e37_79b9_7f4a_7c15);
        let mut qs = Vec::new();
        while qs.len() < 300 {
            let centre = [next(), next(), next(), next()];
            for _ in 0..1 + next() % 8 {
                let bits = (next() % 11) as u32;
                qs.push(flip(centre, bits, &mut next));
            }
        }
        let mut hashes: Vec<Limbs> = (0..5000)
            .map(|_| [next(), next(), next(), next()])
            .collect();
        for i in 0..2000 {
            let q = qs[i % qs.len()];
            let bits = (next() % 45) as u32;
            hashes[(next() % 5000) as usize] = flip(q, bits, &mut next);
        }
        for r in [0, 10, 31, 50, 64, 90] {
            let c = Clusters::new(&qs, r);
            if r <= MAX_RADIUS {
                assert!(
                    c.leaders.len() < qs.len() / 2,
                    "{} leaders",
                    c.leaders.len()
                );
            } else {
                // only identical queries share a leader: the scan radius stays r
                assert_eq!(c.scan_radius(r), r);
            }
            let mut got = Vec::new();
            c.search_tiles(Level::detect(), &hashes[7..], 7, &qs, r, &mut got);
            let mut got: Vec<(u32, u32, u32)> =
                got.iter().map(|h| (h.query, h.pos, h.distance)).collect();
            got.sort_unstable();
            let mut want = Vec::new();
            for (qi, q) in qs.iter().enumerate() {
                for (p, h) in hashes.iter().enumerate().skip(7) {
                    let d = dist(h, q);
                    if d <= r {
                        want.push((qi as u32, p as u32, d));
                    }
                }
            }
            assert!(!want.is_empty() || r == 0);
            assert_eq!(got, want, "radius {r}");
        }
    }
}
