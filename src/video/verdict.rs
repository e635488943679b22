//! One documented decision per (query, known video) pair, so that a caller does not invent
//! thresholds: [`QueryVideo::verdict`].
//!
//! **The rule** ([`VerdictRule::default`]): the query *matches* the known video iff the
//! speed-tolerant alignment ([`super::align_speed`], default [`SpeedAlignConfig`]: PDQ distance
//! ≤ 31, quality ≥ 50 on both sides, speeds 0.5–2×) finds, under one transform, a segment
//! with
//! * at least 3 distinct known frames matched (three seconds of stored one-per-second hashes),
//! * spanning at least 2 s of known time, and
//! * matching at least 60 % of the usable known frames inside its known time span (a real copy
//!   matches nearly every stored frame it covers; chance pairs that happen to line up are
//!   sparse).
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
/// quality ≥ 50 on both sides, speeds 0.5–2×) finds, under one transform, a segment with at
/// least 3 distinct known frames, spanning at least 2 s of known time, that matches at least
/// 60 % of the usable known frames inside its known time span. The reference's percentages
/// are kept as evidence only.
///
/// ```
/// use mediamatch::video::VerdictRule;
/// let r = VerdictRule::default();
/// assert_eq!((r.min_frames, r.min_known_span_ms), (3, 2000));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerdictRule {
    /// Fewest distinct known frames in the deciding segment.
    pub min_frames: usize,
    /// Shortest known time span of the deciding segment, ms.
    pub min_known_span_ms: u64,
    /// Smallest share of the usable known frames inside the segment's span that it matches.
    pub min_density: f64,
    /// The alignment.
    pub align: SpeedAlignConfig,
}

impl Default for VerdictRule {
    fn default() -> Self {
        VerdictRule {
            min_frames: 3,
            min_known_span_ms: 2000,
            min_density: 0.6,
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
    /// Whether `seg` decides a match against `known` (its usable frames).
    pub fn accepts(&self, seg: &SpeedSegment, known: &[FrameHash]) -> bool {
        let inside = known
            .iter()
            .filter(|k| k.hash.quality >= self.align.min_quality)
            .filter(|k| (seg.known_start_ms..=seg.known_end_ms).contains(&k.timestamp_ms))
            .count()
            .max(1);
        seg.frames_matched >= self.min_frames
            && seg.known_end_ms - seg.known_start_ms >= self.min_known_span_ms
            && seg.frames_matched as f64 >= self.min_density * inside as f64
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
        let a = self.align_speed(known, &rule.align);
        let segments: Vec<SpeedSegment> = a
            .segments
            .iter()
            .filter(|s| rule.accepts(s, known))
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
