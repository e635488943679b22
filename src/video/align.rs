//! Temporal alignment: *where* in the query the known video is.
//!
//! The reference's percentages ignore time. Here matching frame pairs vote for a time offset
//! `query_time − known_time`; a copy of a known clip (re-encoded, at another frame rate,
//! cut into a longer upload) gives many pairs with nearly the same offset, while chance
//! matches scatter. Greedily, the densest offset window (width
//! [`AlignConfig::offset_tolerance_ms`], which absorbs the up-to-one-interval jitter between
//! two differently phased 1-per-second samplings) becomes a candidate; its pairs are split
//! where the query has a gap longer than [`AlignConfig::max_gap_ms`], and every run with at
//! least [`AlignConfig::min_frames`] distinct query frames is reported as a [`Segment`].
//!
//! Timestamps are the frames' nominal times (frame number / frame rate), so a frame-rate
//! change leaves the offset unchanged; a time offset is what is being voted on.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::FrameHash;

/// Settings of [`align`]. `Default` suits one-hash-per-second sampling.
///
/// ```
/// use mediamatch::video::AlignConfig;
/// let c = AlignConfig::default();
/// assert_eq!((c.max_distance, c.min_quality, c.min_frames), (31, 50, 3));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlignConfig {
    /// Two frames match at PDQ distance ≤ this.
    pub max_distance: u32,
    /// Frames of lower quality are ignored on both sides.
    pub min_quality: u8,
    /// Width of the offset window that one segment's pairs must fall in, in ms.
    pub offset_tolerance_ms: u64,
    /// A pause longer than this between matched query frames splits a segment, in ms.
    pub max_gap_ms: u64,
    /// Fewest distinct matched query frames for a segment.
    pub min_frames: usize,
    /// Each query frame keeps at most this many nearest known frames as candidates
    /// (bounds the work on static or repetitive footage).
    pub max_candidates: usize,
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            max_distance: 31,
            min_quality: 50,
            offset_tolerance_ms: 2000,
            max_gap_ms: 8000,
            min_frames: 3,
            max_candidates: 16,
        }
    }
}

/// A stretch of the query that shows a stretch of the known video.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// First matched query frame, ms.
    pub query_start_ms: u64,
    /// Last matched query frame, ms.
    pub query_end_ms: u64,
    /// First matched known frame, ms.
    pub known_start_ms: u64,
    /// Last matched known frame, ms.
    pub known_end_ms: u64,
    /// Distinct query frames matched in the segment.
    pub frames_matched: usize,
    /// Mean PDQ distance of the segment's best pair per query frame.
    pub mean_distance: f64,
}

impl Segment {
    /// `query time − known time` at the segment's start, ms (positive: the known video starts
    /// later in the query).
    pub fn offset_ms(&self) -> i64 {
        self.query_start_ms as i64 - self.known_start_ms as i64
    }
}

/// One matching frame pair, for callers whose index already found the pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hit {
    /// Query frame time, ms.
    pub query_ms: u64,
    /// Known frame time, ms.
    pub known_ms: u64,
    /// PDQ distance.
    pub distance: u32,
}

/// Finds the segments of `known` inside `query` (brute-force pair search, then
/// [`align_hits`]). Segments come sorted by query start.
///
/// ```
/// use mediamatch::video::{align, AlignConfig, FrameHash};
/// use mediamatch::{Hash256, PdqHash};
/// // distinct pseudo-random hashes, one per second
/// let h = |k: u64| {
///     let mut b = [0u8; 32];
///     for (i, x) in b.iter_mut().enumerate() {
///         *x = ((k * 2654435761 + i as u64 * 40503) >> 7) as u8 ^ (k as u8).wrapping_mul(37);
///     }
///     PdqHash { hash: Hash256::from_bytes(b), quality: 100 }
/// };
/// let known: Vec<FrameHash> = (0..10).map(|s| FrameHash {
///     frame_number: s * 30, timestamp_ms: s * 1000, hash: h(s) }).collect();
/// // the query shows other footage for 60 s, then the known clip
/// let query: Vec<FrameHash> = (0..80).map(|s| FrameHash {
///     frame_number: s * 25, timestamp_ms: s * 1000,
///     hash: if (60..70).contains(&s) { h(s - 60) } else { h(1000 + s) } }).collect();
/// let segs = align(&query, &known, &AlignConfig::default());
/// assert_eq!(segs.len(), 1);
/// assert_eq!((segs[0].query_start_ms, segs[0].query_end_ms), (60_000, 69_000));
/// assert_eq!((segs[0].known_start_ms, segs[0].known_end_ms), (0, 9_000));
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn align(query: &[FrameHash], known: &[FrameHash], cfg: &AlignConfig) -> Vec<Segment> {
    let usable = |f: &&FrameHash| f.hash.quality >= cfg.min_quality;
    let known: Vec<&FrameHash> = known.iter().filter(usable).collect();
    let mut hits = Vec::new();
    let mut cand: Vec<(u32, u64)> = Vec::new();
    for q in query.iter().filter(usable) {
        cand.clear();
        for k in &known {
            let d = q.hash.hash.distance(&k.hash.hash);
            if d <= cfg.max_distance {
                cand.push((d, k.timestamp_ms));
            }
        }
        cand.sort_unstable();
        cand.truncate(cfg.max_candidates.max(1));
        hits.extend(cand.iter().map(|&(d, k)| Hit {
            query_ms: q.timestamp_ms,
            known_ms: k,
            distance: d,
        }));
    }
    align_hits(&hits, cfg)
}

/// Segments from matching pairs (query time, known time, distance) found by any means.
pub fn align_hits(hits: &[Hit], cfg: &AlignConfig) -> Vec<Segment> {
    let mut hits: Vec<(i64, Hit)> = hits
        .iter()
        .filter(|h| h.distance <= cfg.max_distance)
        .map(|h| (h.query_ms as i64 - h.known_ms as i64, *h))
        .collect();
    hits.sort_by_key(|&(o, h)| (o, h.query_ms, h.known_ms, h.distance));
    let tol = cfg.offset_tolerance_ms as i64;
    let min_frames = cfg.min_frames.max(1);
    let mut alive = vec![true; hits.len()];
    let mut out = Vec::new();
    loop {
        // densest window of offsets by distinct query frames among live pairs
        let mut best: Option<(usize, usize, usize)> = None; // (count, lo, hi)
        let mut counts: HashMap<u64, usize> = HashMap::new();
        let mut lo = 0;
        for hi in 0..hits.len() {
            if alive[hi] {
                *counts.entry(hits[hi].1.query_ms).or_insert(0) += 1;
            }
            while hits[hi].0 - hits[lo].0 > tol {
                if alive[lo] {
                    let e = counts.entry(hits[lo].1.query_ms).or_insert(1);
                    *e -= 1;
                    if *e == 0 {
                        counts.remove(&hits[lo].1.query_ms);
                    }
                }
                lo += 1;
            }
            if best.is_none_or(|b| counts.len() > b.0) {
                best = Some((counts.len(), lo, hi));
            }
        }
        let Some((count, lo, hi)) = best else { break };
        if count < min_frames {
            break;
        }
        // the window's pairs, best pair per query frame, in query order
        let mut per_q: HashMap<u64, Hit> = HashMap::new();
        for k in lo..=hi {
            if !alive[k] {
                continue;
            }
            alive[k] = false;
            let h = hits[k].1;
            per_q
                .entry(h.query_ms)
                .and_modify(|e| {
                    if (h.distance, h.known_ms) < (e.distance, e.known_ms) {
                        *e = h;
                    }
                })
                .or_insert(h);
        }
        let mut run: Vec<Hit> = per_q.into_values().collect();
        run.sort_by_key(|h| (h.query_ms, h.known_ms));
        let mut start = 0;
        for i in 1..=run.len() {
            if i == run.len() || run[i].query_ms - run[i - 1].query_ms > cfg.max_gap_ms {
                let piece = &run[start..i];
                if piece.len() >= min_frames {
                    let seg = segment_of(piece);
                    // pairs inside the reported rectangle are explained by it
                    for (k, (_, h)) in hits.iter().enumerate() {
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

fn segment_of(piece: &[Hit]) -> Segment {
    let sum: u64 = piece.iter().map(|h| h.distance as u64).sum();
    Segment {
        query_start_ms: piece.iter().map(|h| h.query_ms).min().unwrap_or(0),
        query_end_ms: piece.iter().map(|h| h.query_ms).max().unwrap_or(0),
        known_start_ms: piece.iter().map(|h| h.known_ms).min().unwrap_or(0),
        known_end_ms: piece.iter().map(|h| h.known_ms).max().unwrap_or(0),
        frames_matched: piece.len(),
        mean_distance: sum as f64 / piece.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_segments_and_noise() {
        // known 0..20 s; query has known 5..10 s at 100 s and known 12..18 s at 300 s,
        // plus a few scattered chance hits
        let mut hits = Vec::new();
        for s in 5..=10u64 {
            hits.push(Hit {
                query_ms: 100_000 + (s - 5) * 1000 + 300,
                known_ms: s * 1000,
                distance: 8,
            });
        }
        for s in 12..=18u64 {
            hits.push(Hit {
                query_ms: 300_000 + (s - 12) * 1000,
                known_ms: s * 1000 + 500,
                distance: 12,
            });
        }
        hits.push(Hit {
            query_ms: 50_000,
            known_ms: 3_000,
            distance: 30,
        });
        hits.push(Hit {
            query_ms: 200_000,
            known_ms: 19_000,
            distance: 30,
        });
        let segs = align_hits(&hits, &AlignConfig::default());
        assert_eq!(segs.len(), 2, "{segs:?}");
        assert_eq!(segs[0].query_start_ms, 100_300);
        assert_eq!(segs[0].known_start_ms, 5_000);
        assert_eq!(segs[0].frames_matched, 6);
        assert_eq!(segs[1].query_start_ms, 300_000);
        assert_eq!(segs[1].known_end_ms, 18_500);
        assert_eq!(segs[1].mean_distance, 12.0);
    }
}
