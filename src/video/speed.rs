//! Alignment that tolerates speed changes: *where* and *how fast* the known video plays in the
//! query.
//!
//! [`super::align`] votes on a time offset only (slope 1). A copy played 1.25× faster, or an
//! excerpt re-timed to another frame rate and speed, drifts away from any single offset. Here
//! each matching pair `(query time q, known time k)` is a point, and a copy of a stretch of the
//! known video is a line `k = speed × q + c` through many of them. For each speed of a
//! geometric grid over [`SpeedAlignConfig::min_speed`]..[`SpeedAlignConfig::max_speed`] the
//! intercepts `c` of all pairs are sorted and the window of width
//! [`SpeedAlignConfig::tolerance_ms`] holding the most distinct known frames wins; its pairs are
//! refitted by least squares (a few rounds, the pairs within the tolerance of the fitted line
//! kept), cut where the known time jumps by more than [`SpeedAlignConfig::max_gap_ms`], and
//! each piece with at least [`SpeedAlignConfig::min_frames`] distinct known frames becomes a
//! [`SpeedSegment`]. The pairs explained by a segment are removed and the search repeats, so
//! compilations (several excerpts) and cuts give several segments.
//!
//! The known side is the sparse one (stored hashes, one per second) and the query side the
//! dense one (see [`super::VideoQueryOptions::dense`]): every known frame then has a query
//! frame close in content time whatever the excerpt's start or the speed, which is what makes
//! the pairs exist at all.

use serde::{Deserialize, Serialize};

use super::Hit;

/// Settings of [`align_speed`]. `Default` suits stored hashes at one per second against a
/// dense query (several frames per second).
///
/// ```
/// use mediamatch::video::SpeedAlignConfig;
/// let c = SpeedAlignConfig::default();
/// assert_eq!((c.min_speed, c.max_speed), (0.5, 2.0));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpeedAlignConfig {
    /// Two frames match at PDQ distance ≤ this.
    pub max_distance: u32,
    /// Frames of lower quality are ignored on both sides.
    pub min_quality: u8,
    /// Slowest speed searched (known time per query time).
    pub min_speed: f64,
    /// Fastest speed searched.
    pub max_speed: f64,
    /// How far (in known time, ms) a pair may lie from its segment's line.
    pub tolerance_ms: u64,
    /// A jump in known time longer than this between matched known frames splits a segment.
    pub max_gap_ms: u64,
    /// Fewest distinct matched known frames for a segment.
    pub min_frames: usize,
    /// Each known frame keeps at most this many nearest query frames as candidates.
    pub max_candidates: usize,
}

impl Default for SpeedAlignConfig {
    fn default() -> Self {
        SpeedAlignConfig {
            max_distance: 31,
            min_quality: 50,
            min_speed: 0.5,
            max_speed: 2.0,
            tolerance_ms: 700,
            max_gap_ms: 6000,
            min_frames: 3,
            max_candidates: 6,
        }
    }
}

/// A stretch of the query that shows a stretch of the known video at some speed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedSegment {
    /// First matched query frame, ms.
    pub query_start_ms: u64,
    /// Last matched query frame, ms.
    pub query_end_ms: u64,
    /// First matched known frame, ms.
    pub known_start_ms: u64,
    /// Last matched known frame, ms.
    pub known_end_ms: u64,
    /// Known time per query time along the segment (1.25: the query plays the known video
    /// 1.25× faster).
    pub speed: f64,
    /// Distinct known frames matched in the segment.
    pub frames_matched: usize,
    /// Mean PDQ distance of the segment's best pair per known frame.
    pub mean_distance: f64,
}

impl SpeedSegment {
    /// The known time the segment's line puts at query time `query_ms`.
    pub fn known_at(&self, query_ms: f64) -> f64 {
        self.known_start_ms as f64 + self.speed * (query_ms - self.query_start_ms as f64)
    }
}

impl std::fmt::Display for SpeedSegment {
    /// `query 1200-7400ms = known 0-6200ms at 1.00x (7 frames, mean distance 12.3)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "query {}-{}ms = known {}-{}ms at {:.2}x ({} frames, mean distance {:.1})",
            self.query_start_ms,
            self.query_end_ms,
            self.known_start_ms,
            self.known_end_ms,
            self.speed,
            self.frames_matched,
            self.mean_distance
        )
    }
}

/// Least-squares line `k = s q + c` through `(q, k)` points; `None` when all `q` are equal.
fn fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mq, mk) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), &(q, k)| (a + q / n, b + k / n));
    let (mut sqq, mut sqk) = (0.0, 0.0);
    for &(q, k) in points {
        sqq += (q - mq) * (q - mq);
        sqk += (q - mq) * (k - mk);
    }
    if sqq <= 1e-9 {
        return None;
    }
    let s = sqk / sqq;
    Some((s, mk - s * mq))
}

/// Number of distinct known times among `hits[idx]` (sorted or not).
fn distinct_known(hits: &[Hit], idx: &[usize]) -> usize {
    let mut k: Vec<u64> = idx.iter().map(|&i| hits[i].known_ms).collect();
    k.sort_unstable();
    k.dedup();
    k.len()
}

/// Segments from matching pairs (found by any means: brute force, an index), sorted by query
/// start. A pair's `query_ms` is the dense side, `known_ms` the stored side.
///
/// ```
/// use mediamatch::video::{align_speed, Hit, SpeedAlignConfig};
/// // known seconds 0..10 shown 1.25x faster from query second 3: k = 1.25 (q - 3000)
/// let hits: Vec<Hit> = (0..10u64)
///     .map(|s| Hit { query_ms: 3000 + s * 800, known_ms: s * 1000, distance: 8 })
///     .collect();
/// let segs = align_speed(&hits, &SpeedAlignConfig::default());
/// assert_eq!(segs.len(), 1);
/// assert!((segs[0].speed - 1.25).abs() < 0.01);
/// assert_eq!((segs[0].query_start_ms, segs[0].known_end_ms), (3000, 9000));
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn align_speed(hits: &[Hit], cfg: &SpeedAlignConfig) -> Vec<SpeedSegment> {
    let hits: Vec<Hit> = hits
        .iter()
        .filter(|h| h.distance <= cfg.max_distance)
        .copied()
        .collect();
    let min_frames = cfg.min_frames.max(2);
    let tol = cfg.tolerance_ms.max(1) as f64;
    let (lo_s, hi_s) = (
        cfg.min_speed.max(0.05),
        cfg.max_speed.max(cfg.min_speed.max(0.05)),
    );
    // speed grid: the step keeps the drift over the query's whole span within half the tolerance
    let span = hits
        .iter()
        .map(|h| h.query_ms)
        .max()
        .unwrap_or(0)
        .saturating_sub(hits.iter().map(|h| h.query_ms).min().unwrap_or(0))
        .max(1000) as f64;
    let ratio = (1.0 + tol / (2.0 * span)).clamp(1.0005, 1.05);
    let mut speeds = vec![1.0];
    let mut s = lo_s;
    while s <= hi_s {
        speeds.push(s);
        s *= ratio;
    }
    let mut alive = vec![true; hits.len()];
    let mut out = Vec::new();
    let mut keys: Vec<(f64, usize)> = Vec::with_capacity(hits.len());
    loop {
        // the (speed, intercept window) with the most distinct known frames among live pairs
        let mut best: Option<(usize, f64, Vec<usize>)> = None;
        for &s in &speeds {
            keys.clear();
            keys.extend(
                (0..hits.len())
                    .filter(|&i| alive[i])
                    .map(|i| (hits[i].known_ms as f64 - s * hits[i].query_ms as f64, i)),
            );
            keys.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut counts: std::collections::HashMap<u64, usize> = Default::default();
            let mut lo = 0;
            for hi in 0..keys.len() {
                *counts.entry(hits[keys[hi].1].known_ms).or_insert(0) += 1;
                while keys[hi].0 - keys[lo].0 > tol {
                    let k = hits[keys[lo].1].known_ms;
                    if let Some(e) = counts.get_mut(&k) {
                        *e -= 1;
                        if *e == 0 {
                            counts.remove(&k);
                        }
                    }
                    lo += 1;
                }
                if best.as_ref().is_none_or(|b| counts.len() > b.0) {
                    best = Some((
                        counts.len(),
                        s,
                        keys[lo..=hi].iter().map(|&(_, i)| i).collect(),
                    ));
                }
            }
        }
        let Some((count, s0, members)) = best else {
            break;
        };
        if count < min_frames {
            break;
        }
        // refit: least squares over the members, then the live pairs near the fitted line
        let c0 = members
            .iter()
            .map(|&i| hits[i].known_ms as f64 - s0 * hits[i].query_ms as f64)
            .sum::<f64>()
            / members.len() as f64;
        let (mut s, mut c) = (s0, c0);
        let mut inliers = members.clone();
        for _ in 0..3 {
            let pts: Vec<(f64, f64)> = inliers
                .iter()
                .map(|&i| (hits[i].query_ms as f64, hits[i].known_ms as f64))
                .collect();
            if let Some((fs, fc)) = fit(&pts) {
                if fs >= lo_s * 0.9 && fs <= hi_s * 1.1 {
                    (s, c) = (fs, fc);
                }
            }
            let next: Vec<usize> = (0..hits.len())
                .filter(|&i| {
                    alive[i]
                        && (hits[i].known_ms as f64 - (s * hits[i].query_ms as f64 + c)).abs()
                            <= tol / 2.0 + 1.0
                })
                .collect();
            if distinct_known(&hits, &next) < distinct_known(&hits, &inliers) {
                break;
            }
            inliers = next;
        }
        for &i in &members {
            alive[i] = false;
        }
        for &i in &inliers {
            alive[i] = false;
        }
        // best pair per known frame (smallest distance, then closest to the line), in known order
        let mut per_k: std::collections::BTreeMap<u64, Hit> = Default::default();
        let off = |h: &Hit| (h.known_ms as f64 - (s * h.query_ms as f64 + c)).abs();
        for &i in &inliers {
            let h = hits[i];
            per_k
                .entry(h.known_ms)
                .and_modify(|e| {
                    if (h.distance, off(&h)) < (e.distance, off(e)) {
                        *e = h;
                    }
                })
                .or_insert(h);
        }
        let run: Vec<Hit> = per_k.into_values().collect();
        let mut start = 0;
        for i in 1..=run.len() {
            if i == run.len() || run[i].known_ms - run[i - 1].known_ms > cfg.max_gap_ms {
                let piece = &run[start..i];
                if piece.len() >= min_frames {
                    let seg = segment_of(piece, s);
                    // pairs inside the reported rectangle are explained by it
                    for (k, h) in hits.iter().enumerate() {
                        if alive[k]
                            && (seg.query_start_ms..=seg.query_end_ms).contains(&h.query_ms)
                            && (seg.known_start_ms..=seg.known_end_ms).contains(&h.known_ms)
                        {
                            alive[k] = false;
                        }
                    }
                    out.push(seg);
                }
                start = i;
            }
        }
    }
    out.sort_by(|a, b| {
        (a.query_start_ms, a.known_start_ms).cmp(&(b.query_start_ms, b.known_start_ms))
    });
    out
}

fn segment_of(piece: &[Hit], line_speed: f64) -> SpeedSegment {
    let pts: Vec<(f64, f64)> = piece
        .iter()
        .map(|h| (h.query_ms as f64, h.known_ms as f64))
        .collect();
    let speed = fit(&pts).map_or(line_speed, |(s, _)| if s > 0.0 { s } else { line_speed });
    let sum: u64 = piece.iter().map(|h| h.distance as u64).sum();
    SpeedSegment {
        query_start_ms: piece.iter().map(|h| h.query_ms).min().unwrap_or(0),
        query_end_ms: piece.iter().map(|h| h.query_ms).max().unwrap_or(0),
        known_start_ms: piece.iter().map(|h| h.known_ms).min().unwrap_or(0),
        known_end_ms: piece.iter().map(|h| h.known_ms).max().unwrap_or(0),
        speed,
        frames_matched: piece.len(),
        mean_distance: sum as f64 / piece.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q0: u64, k0: u64, n: u64, speed: f64, step_ms: u64) -> Vec<Hit> {
        (0..n)
            .map(|i| Hit {
                query_ms: q0 + ((i * step_ms) as f64 / speed).round() as u64,
                known_ms: k0 + i * step_ms,
                distance: 10,
            })
            .collect()
    }

    /// Two excerpts at different speeds and offsets (a compilation), plus scattered chance
    /// pairs: both found, with their speeds and ends.
    #[test]
    fn compilation_at_two_speeds_with_noise() {
        let mut hits = line(2000, 10_000, 8, 0.8, 1000);
        hits.extend(line(30_000, 40_000, 6, 1.5, 1000));
        // chance pairs, no two on a common line of the grid with a third
        for i in 0..20u64 {
            hits.push(Hit {
                query_ms: (i * 7919) % 60_000,
                known_ms: (i * 104_729) % 90_000,
                distance: 30,
            });
        }
        let segs = align_speed(&hits, &SpeedAlignConfig::default());
        assert_eq!(segs.len(), 2, "{segs:#?}");
        assert!((segs[0].speed - 0.8).abs() < 0.02, "{segs:?}");
        assert_eq!(
            (segs[0].known_start_ms, segs[0].known_end_ms),
            (10_000, 17_000)
        );
        assert!((segs[1].speed - 1.5).abs() < 0.03, "{segs:?}");
        assert_eq!(segs[1].query_start_ms, 30_000);
    }

    /// Too few pairs on any line: nothing.
    #[test]
    fn two_pairs_are_not_a_segment() {
        let hits = line(0, 0, 2, 1.0, 1000);
        assert!(align_speed(&hits, &SpeedAlignConfig::default()).is_empty());
    }
}
