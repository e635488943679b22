//! Match metrics: recall and distance percentiles of true pairs (an original and its transformed
//! copy), and the false-match rate of distinct pairs (two different originals).

use crate::hash::{Hash256, PdqHash};
use serde::{Deserialize, Serialize};

/// The nearest-rank percentile of a set of distances: the smallest value `v` such that at least
/// `p` % of the values are `≤ v` (`p` in `0..=100`; `p = 0` gives the minimum). `None` for an
/// empty slice. The input need not be sorted.
///
/// ```
/// use mediamatch::robustness::percentile;
/// assert_eq!(percentile(&[4, 1, 3, 2], 50.0), Some(2));
/// assert_eq!(percentile(&[4, 1, 3, 2], 95.0), Some(4));
/// assert_eq!(percentile(&[], 50.0), None);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn percentile(values: &[u32], p: f64) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.saturating_sub(1).min(v.len() - 1)])
}

/// One true pair: the distance between an original's stored hash and the query made from its
/// transformed copy, and whether the query passed the quality rule (PDQ quality ≥ 50; always
/// `true` for hashes without a quality score).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruePair {
    /// Hamming distance.
    pub distance: u32,
    /// Whether the query hash may be used for matching at all.
    pub usable: bool,
}

/// Summary of true pairs at one threshold.
///
/// ```
/// use mediamatch::robustness::{TruePair, TruePairStats};
/// let pairs = [
///     TruePair { distance: 4, usable: true },
///     TruePair { distance: 40, usable: true },
///     TruePair { distance: 10, usable: false }, // close, but the query's quality is too low
///     TruePair { distance: 20, usable: true },
/// ];
/// let s = TruePairStats::new(&pairs, 31);
/// assert_eq!((s.pairs, s.matched, s.unusable), (4, 2, 1));
/// assert_eq!(s.recall(), 0.5);
/// assert_eq!((s.median, s.p95), (Some(10), Some(40)));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TruePairStats {
    /// Number of true pairs.
    pub pairs: usize,
    /// Pairs found: usable query and distance ≤ threshold.
    pub matched: usize,
    /// Pairs whose query failed the quality rule (counted as misses).
    pub unusable: usize,
    /// The threshold used.
    pub threshold: u32,
    /// Nearest-rank median distance over all pairs (usable or not).
    pub median: Option<u32>,
    /// Nearest-rank 95th percentile distance over all pairs.
    pub p95: Option<u32>,
}

impl TruePairStats {
    /// Summarises `pairs` at `threshold` (a match is `distance <= threshold`).
    pub fn new(pairs: &[TruePair], threshold: u32) -> Self {
        let d: Vec<u32> = pairs.iter().map(|p| p.distance).collect();
        TruePairStats {
            pairs: pairs.len(),
            matched: pairs
                .iter()
                .filter(|p| p.usable && p.distance <= threshold)
                .count(),
            unusable: pairs.iter().filter(|p| !p.usable).count(),
            threshold,
            median: percentile(&d, 50.0),
            p95: percentile(&d, 95.0),
        }
    }

    /// `matched / pairs`, or 0 when there are no pairs.
    pub fn recall(&self) -> f64 {
        ratio(self.matched, self.pairs)
    }
}

/// Summary of distinct pairs (query from one original, stored hash of another) at one threshold.
///
/// ```
/// use mediamatch::robustness::DistinctPairStats;
/// let s = DistinctPairStats::new(&[120, 30, 31, 32, 100], 31);
/// assert_eq!((s.pairs, s.false_matches), (5, 2));
/// assert_eq!(s.false_match_rate(), 0.4);
/// assert_eq!(s.min_distance, Some(30)); // thresholds ≥ 30 give false matches
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DistinctPairStats {
    /// Number of distinct pairs.
    pub pairs: usize,
    /// Pairs at distance ≤ threshold.
    pub false_matches: usize,
    /// The threshold used.
    pub threshold: u32,
    /// The smallest distance of any distinct pair: the threshold at which false matches start.
    pub min_distance: Option<u32>,
    /// Nearest-rank 1st percentile distance (where false matches reach 1 % of pairs).
    pub p1: Option<u32>,
}

impl DistinctPairStats {
    /// Summarises the distances of distinct pairs at `threshold`.
    pub fn new(distances: &[u32], threshold: u32) -> Self {
        DistinctPairStats {
            pairs: distances.len(),
            false_matches: distances.iter().filter(|&&d| d <= threshold).count(),
            threshold,
            min_distance: distances.iter().copied().min(),
            p1: percentile(distances, 1.0),
        }
    }

    /// `false_matches / pairs`, or 0 when there are no pairs.
    pub fn false_match_rate(&self) -> f64 {
        ratio(self.false_matches, self.pairs)
    }
}

/// Counts of each distance `0..=max` (larger distances land in the last bin).
///
/// ```
/// use mediamatch::robustness::histogram;
/// assert_eq!(histogram(&[0, 2, 2, 9], 3), vec![1, 0, 2, 1]);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn histogram(distances: &[u32], max: u32) -> Vec<u64> {
    let mut bins = vec![0u64; max as usize + 1];
    for &d in distances {
        bins[d.min(max) as usize] += 1;
    }
    bins
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The best (smallest) distance from any usable query hash to any of the `stored` hashes of
/// one original (its plain hash and, when banked with derived views, theirs).
///
/// Query hashes below [`PdqHash::QUALITY_THRESHOLD`] do not count; if none is usable the result
/// is the smallest distance over all of them with `usable: false` (a miss under the quality
/// rule). An empty query or an empty `stored` gives distance 256, unusable.
///
/// ```
/// use mediamatch::robustness::query_distance;
/// use mediamatch::{Hash256, PdqHash};
/// let q = PdqHash { hash: Hash256::ZERO, quality: 90 };
/// assert_eq!(query_distance(&[q], &[Hash256::ZERO]).distance, 0);
/// assert!(!query_distance(&[q], &[]).usable);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn query_distance(queries: &[PdqHash], stored: &[Hash256]) -> TruePair {
    let best = |usable_only: bool| {
        queries
            .iter()
            .filter(|q| !usable_only || q.is_usable())
            .flat_map(|q| stored.iter().map(move |s| q.hash.distance(s)))
            .min()
    };
    match best(true) {
        Some(d) => TruePair {
            distance: d,
            usable: true,
        },
        None => TruePair {
            distance: best(false).unwrap_or(256),
            usable: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_toy_case() {
        // Three originals A, B, C. Copies of A and B are near; C's copy is far; B's copy failed
        // the quality rule.
        let true_pairs = [
            TruePair {
                distance: 6,
                usable: true,
            },
            TruePair {
                distance: 12,
                usable: false,
            },
            TruePair {
                distance: 70,
                usable: true,
            },
        ];
        let t = TruePairStats::new(&true_pairs, 31);
        assert_eq!(t.matched, 1);
        assert_eq!(t.unusable, 1);
        assert!((t.recall() - 1.0 / 3.0).abs() < 1e-12);
        // sorted 6, 12, 70: median rank ceil(1.5) = 2 -> 12; p95 rank ceil(2.85) = 3 -> 70
        assert_eq!(t.median, Some(12));
        assert_eq!(t.p95, Some(70));
        // Distinct ordered pairs AB, AC, BA, BC, CA, CB.
        let distinct = [110, 25, 110, 128, 25, 128];
        let d = DistinctPairStats::new(&distinct, 31);
        assert_eq!(d.pairs, 6);
        assert_eq!(d.false_matches, 2);
        assert!((d.false_match_rate() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(d.min_distance, Some(25));
        assert_eq!(d.p1, Some(25));
        let d24 = DistinctPairStats::new(&distinct, 24);
        assert_eq!(d24.false_matches, 0);
    }

    #[test]
    fn empty_inputs() {
        let t = TruePairStats::new(&[], 31);
        assert_eq!((t.recall(), t.median, t.p95), (0.0, None, None));
        let d = DistinctPairStats::new(&[], 31);
        assert_eq!((d.false_match_rate(), d.min_distance), (0.0, None));
        assert_eq!(percentile(&[7], 0.0), Some(7));
        assert_eq!(percentile(&[7, 9], f64::NAN), Some(7));
        assert_eq!(histogram(&[], 0), vec![0]);
    }
}
