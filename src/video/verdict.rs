//! One documented decision per (query, known video) pair, so that a caller does not invent
//! thresholds: [`QueryVideo::verdict`].
//!
//! **The rule** ([`VerdictRule::default`]): the query *matches* the known video iff the
//! speed-tolerant alignment ([`super::align_speed`], default [`SpeedAlignConfig`]: PDQ distance
//! ≤ 31, quality ≥ 50 on both sides, speeds 0.5–2×) finds, under one transform, a segment that
//! is either
//! * **long**: at least 3 distinct known frames matched (three seconds of stored
//!   one-per-second hashes), spanning at least 2 s of known time, matching at least 60 % of
//!   the usable known frames inside its known time span (a real copy matches nearly every
//!   stored frame it covers; chance pairs that happen to line up are sparse); or
//! * **short** (an excerpt of 2–3 s, or a known video with only two usable frames): 2 distinct
//!   known frames, in temporal order on a line of speed 0.5–2×, at a mean PDQ distance ≤ 16
//!   (half the match distance), that are *all* the usable known frames the whole query can
//!   show — the segment's line, extended over the query's first to last frame, covers no
//!   other usable known frame. The query is then fully explained by the known video.
//!
//! The reference's bag-of-frames percentages ([`MatchRule::pytx`]) are kept next to the
//! decision as evidence; they do not decide it (an excerpt of 10 s of a 10 min video matches
//! 100 % of the query but under 2 % of the known video).

use serde::{Deserialize, Serialize};

use super::{FrameHash, MatchRule, QueryMatch, QueryVideo, SpeedAlignConfig, SpeedSegment};
use crate::pdq::Dihedral;

/// The thresholds of the decision of [`QueryVideo::verdict`].
///
/// **The default rule**: the query *matches* the known video iff the speed-tolerant
/// alignment ([`super::align_speed`], default [`SpeedAlignConfig`]: PDQ distance ≤ 31,
/// quality ≥ 50 on both sides, speeds 0.5–2×) finds, under one transform, a segment that is
/// *long* — at least 3 distinct known frames, spanning at least 2 s of known time, matching
/// at least 60 % of the usable known frames inside its known time span — or *short* — 2
/// distinct known frames at a mean distance ≤ 16 that are all the usable known frames the
/// segment's line covers over the whole query. The reference's percentages are kept as
/// evidence only.
///
/// ```
/// use mediamatch::video::VerdictRule;
/// let r = VerdictRule::default();
/// assert_eq!((r.min_frames, r.min_known_span_ms), (3, 2000));
/// assert_eq!((r.short_frames, r.short_max_mean_distance), (2, 16.0));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerdictRule {
    /// Fewest distinct known frames in a long deciding segment.
    pub min_frames: usize,
    /// Shortest known time span of a long deciding segment, ms.
    pub min_known_span_ms: u64,
    /// Smallest share of the usable known frames inside a long segment's span that it matches.
    pub min_density: f64,
    /// Fewest distinct known frames of a short deciding segment (fewer than
    /// [`VerdictRule::min_frames`]; at least 2: a single pair has no order or speed; equal to
    /// `min_frames`: no short segments).
    #[serde(default = "default_short_frames")]
    pub short_frames: usize,
    /// Largest mean PDQ distance of a short deciding segment.
    #[serde(default = "default_short_distance")]
    pub short_max_mean_distance: f64,
    /// The alignment ([`SpeedAlignConfig::min_frames`] is lowered to
    /// [`VerdictRule::short_frames`] when that is smaller).
    pub align: SpeedAlignConfig,
}

fn default_short_frames() -> usize {
    2
}

fn default_short_distance() -> f64 {
    16.0
}

impl Default for VerdictRule {
    fn default() -> Self {
        VerdictRule {
            min_frames: 3,
            min_known_span_ms: 2000,
            min_density: 0.6,
            short_frames: default_short_frames(),
            short_max_mean_distance: default_short_distance(),
            align: SpeedAlignConfig::default(),
        }
    }
}

/// The decision for one (query, known video) pair, with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoVerdict {
    /// The query shows (part of) the known video, by the rule.
    pub matched: bool,
    /// The transform of the segments.
    pub transform: Dihedral,
    /// The segments that satisfy the rule (empty when not matched), sorted by query start.
    pub segments: Vec<SpeedSegment>,
    /// Every segment the alignment found, those too weak for the rule included.
    pub candidates: Vec<SpeedSegment>,
    /// Evidence only: the reference's percentages ([`MatchRule::pytx`]).
    pub percentages: QueryMatch,
}

impl VerdictRule {
    /// The alignment settings the rule runs ([`VerdictRule::align`] finding short segments
    /// too).
    pub fn alignment(&self) -> SpeedAlignConfig {
        let mut a = self.align;
        a.min_frames = a.min_frames.min(self.short_frames.max(2));
        a
    }

    /// Whether `seg` decides a match against `known` (its usable frames), for a query whose
    /// frames span `query_span_ms` (first to last frame time).
    pub fn accepts(
        &self,
        seg: &SpeedSegment,
        known: &[FrameHash],
        query_span_ms: (u64, u64),
    ) -> bool {
        let usable = known
            .iter()
            .filter(|k| k.hash.quality >= self.align.min_quality);
        let inside = usable
            .clone()
            .filter(|k| (seg.known_start_ms..=seg.known_end_ms).contains(&k.timestamp_ms))
            .count()
            .max(1);
        let long = seg.frames_matched >= self.min_frames
            && seg.known_end_ms - seg.known_start_ms >= self.min_known_span_ms
            && seg.frames_matched as f64 >= self.min_density * inside as f64;
        if long {
            return true;
        }
        if self.short_frames < 2
            || seg.frames_matched < self.short_frames
            || seg.mean_distance > self.short_max_mean_distance
        {
            return false;
        }
        // the segment's line over the whole query: the known frames it can show
        let a = seg.known_at(query_span_ms.0 as f64);
        let b = seg.known_at(query_span_ms.1 as f64);
        let (lo, hi) = (a.min(b), a.max(b));
        let showable = usable
            .filter(|k| (lo..=hi).contains(&(k.timestamp_ms as f64)))
            .count();
        seg.frames_matched >= showable
    }
}

impl QueryVideo {
    /// The decision by the default rule (see [`VerdictRule`]).
    ///
    /// ```
    /// use mediamatch::video::{FrameHash, QueryVideo};
    /// use mediamatch::{Hash256, PdqHash};
    /// let h = |k: u64| {
    ///     let mut b = [0u8; 32];
    ///     for (i, x) in b.iter_mut().enumerate() {
    ///         *x = ((k * 2654435761 + i as u64 * 40503) >> 7) as u8 ^ (k as u8).wrapping_mul(37);
    ///     }
    ///     PdqHash { hash: Hash256::from_bytes(b), quality: 100 }
    /// };
    /// let known: Vec<FrameHash> = (0..10).map(|s| FrameHash {
    ///     frame_number: s * 30, timestamp_ms: s * 1000, hash: h(s) }).collect();
    /// let q = QueryVideo::from_plain(&known);
    /// let v = q.verdict(&known);
    /// assert!(v.matched);
    /// assert_eq!((v.segments[0].known_start_ms, v.segments[0].known_end_ms), (0, 9000));
    /// let other: Vec<FrameHash> = (0..10).map(|s| FrameHash {
    ///     frame_number: s * 30, timestamp_ms: s * 1000, hash: h(500 + s) }).collect();
    /// assert!(!QueryVideo::from_plain(&other).verdict(&known).matched);
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn verdict(&self, known: &[FrameHash]) -> VideoVerdict {
        self.verdict_with(known, &VerdictRule::default())
    }

    /// The decision by `rule`.
    pub fn verdict_with(&self, known: &[FrameHash], rule: &VerdictRule) -> VideoVerdict {
        let a = self.align_speed(known, &rule.alignment());
        let span = self.span_ms();
        let segments: Vec<SpeedSegment> = a
            .segments
            .iter()
            .filter(|s| rule.accepts(s, known, span))
            .copied()
            .collect();
        VideoVerdict {
            matched: !segments.is_empty(),
            transform: a.transform,
            segments,
            candidates: a.segments,
            percentages: self.match_percentages(known, MatchRule::pytx()),
        }
    }
}

impl QueryVideo {
    /// The times of the first and last frame, ms ((0, 0) without frames).
    pub fn span_ms(&self) -> (u64, u64) {
        let t = self.frames.iter().map(|f| f.timestamp_ms);
        (t.clone().min().unwrap_or(0), t.max().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{Hash256, PdqHash};

    fn hash(k: u64) -> Hash256 {
        let mut b = [0u8; 32];
        let mut x = (k + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for v in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = x as u8;
        }
        Hash256::from_bytes(b)
    }

    /// `h` with its first `bits` bits flipped.
    fn near(h: Hash256, bits: usize) -> Hash256 {
        let mut b = h.to_bytes();
        for i in 0..bits {
            b[i / 8] ^= 1 << (i % 8);
        }
        Hash256::from_bytes(b)
    }

    fn frame(ms: u64, h: Hash256, quality: u8) -> FrameHash {
        FrameHash {
            frame_number: ms / 40,
            timestamp_ms: ms,
            hash: PdqHash { hash: h, quality },
        }
    }

    /// A dense query (every 125 ms from `q0` to `q1`) showing known time `k0 + q`: frames at a
    /// whole known second carry that second's hash with `bits` flipped, the others junk.
    fn query(known: &[FrameHash], k0: u64, q0: u64, q1: u64, bits: usize) -> QueryVideo {
        let frames: Vec<FrameHash> = (q0 / 125..=q1 / 125)
            .map(|i| {
                let q = i * 125;
                let k = k0 + q;
                let h = known
                    .iter()
                    .find(|f| f.timestamp_ms == k)
                    .map_or(hash(10_000 + i), |f| near(f.hash.hash, bits));
                frame(q, h, 100)
            })
            .collect();
        QueryVideo::from_plain(&frames)
    }

    /// Two stored frames, both matched closely, all the query can show: matched (short rule).
    /// The same at a mean distance above 16, or with a third usable stored frame inside the
    /// query's reach left unmatched, or with the short rule off: not matched.
    #[test]
    fn short_rule_needs_close_frames_that_explain_the_query() {
        // a known video whose frames 2 s and 3 s are usable, the others not
        let known: Vec<FrameHash> = (0..6)
            .map(|s| frame(s * 1000, hash(s), if s == 2 || s == 3 { 100 } else { 10 }))
            .collect();
        let q = query(&known, 1500, 0, 2250, 8);
        let v = q.verdict(&known);
        assert!(v.matched, "{v:#?}");
        assert_eq!(v.segments[0].frames_matched, 2);
        assert_eq!(
            (v.segments[0].known_start_ms, v.segments[0].known_end_ms),
            (2000, 3000)
        );
        assert!(!query(&known, 1500, 0, 2250, 20).verdict(&known).matched);
        let off = VerdictRule {
            short_frames: 3,
            ..VerdictRule::default()
        };
        assert!(!q.verdict_with(&known, &off).matched);
        // a usable stored frame at 4 s that the query does not show: a query reaching it
        // (known 1.5–4.25 s) is not explained, one ending before it (1.5–3.875 s) is
        let mut more = known.clone();
        more[4] = frame(4000, hash(999), 100);
        let v = query(&known, 1500, 0, 2750, 8).verdict(&more);
        assert!(!v.matched, "{v:#?}");
        assert!(query(&known, 1500, 0, 2375, 8).verdict(&more).matched);
    }
}
