//! Query-side video matching beyond plain vPDQ: letterbox removal *in addition to* the plain
//! frame hashes, and dihedral transforms (mirror, flip, rotations) matched under one
//! consistent transform per (query, known) pair.
//!
//! The stored hashes of known videos stay plain vPDQ (what other platforms compute and
//! exchange); only the upload is hashed in several ways. Each sampled query frame carries
//! *alternatives* (the frame as decoded, and, with [`VideoQueryOptions::unletterbox`], the
//! frame after letterbox removal), each under every transform of
//! [`VideoQueryOptions::transforms`] (all from one DCT per alternative). A query frame matches a
//! known frame if any of its alternatives does, at the smallest distance. The match
//! percentages and the alignment are computed once per transform, and the transform with the
//! best result is kept: a mirrored upload matches under [`Dihedral::FlipY`], and chance matches
//! cannot pile up across transforms within one pair.

use serde::{Deserialize, Serialize};

use super::layout::{LayoutConfig, VideoLayout};
use super::{
    align_hits, align_speed, AlignConfig, FrameHash, Hit, MatchPercentages, MatchRule, Segment,
    SpeedAlignConfig, SpeedSegment,
};
use crate::hash::{Hash256, PdqHash};
use crate::letterbox::LetterboxConfig;
use crate::pdq::Dihedral;
use crate::region::RegionConfig;

/// How a query video is hashed (query side only).
///
/// ```
/// use mediamatch::video::VideoQueryOptions;
/// use mediamatch::Dihedral;
/// let plain = VideoQueryOptions::default();
/// assert_eq!(plain.transforms, vec![Dihedral::Original]);
/// assert!(plain.unletterbox.is_none());
/// let robust = VideoQueryOptions::robust();
/// assert_eq!(robust.transforms, Dihedral::ALL.to_vec());
/// assert!(robust.unletterbox.is_some());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoQueryOptions {
    /// Also hash every sampled frame after letterbox removal, as a second alternative next to
    /// the plain hash (`None`: plain only); a frame without bars has no second alternative
    /// (it would be the plain hash again).
    pub unletterbox: Option<LetterboxConfig>,
    /// Transforms tried, each matched on its own; the first should be
    /// [`Dihedral::Original`]. Empty is read as `[Original]`.
    pub transforms: Vec<Dihedral>,
    /// Query frames hashed per second of video (dense sampling; `None`: the hasher's own
    /// sampling, one per second by default). The stored side stays one per second; a dense
    /// query puts a query frame close in content time to every stored frame, whatever the
    /// excerpt's start or the speed. With `n`, a video at `fps` has every
    /// `max(1, trunc(fps / n))`-th frame hashed (vPDQ's rule at `1000 / n` ms).
    #[serde(default)]
    pub frames_per_second: Option<u32>,
    /// With [`VideoQueryOptions::frames_per_second`]: a video whose frame count and rate are
    /// known up front is sampled *more* densely when that stays within this many query
    /// frames — every `m`-th frame, `m` the smallest step that does (every frame for a short
    /// clip), never sparser than `frames_per_second`. Content that moves fast changes by more
    /// than the match distance within a few tens of ms; a short excerpt has few stored frames,
    /// each of which then needs a query frame at nearly its content time (`None`: always
    /// `frames_per_second`).
    #[serde(default)]
    pub max_dense_frames: Option<u64>,
    /// Hash query frames from a reduced frame whose shorter side is at least this many pixels
    /// (an integer box reduction, see [`super::FramePixels::to_luma_reduced`]), when the frame
    /// is at least twice that size; `None`: full frames. The query side need not be
    /// bit-exact, only close: measured in `tests/video/dense.rs`.
    #[serde(default)]
    pub reduced_min_side: Option<u32>,
    /// Per-frame layout candidates: every sampled frame's candidate content rectangles
    /// ([`crate::region::find_regions`] on the frame as hashed: a 9:16 story's picture between
    /// blurred fills, a picture-in-picture window, a frame) are hashed as further alternatives,
    /// at most [`RegionConfig::max_regions`] per frame (`None`: off).
    #[serde(default)]
    pub regions: Option<RegionConfig>,
    /// Whole-video layouts: windows of independent motion (picture-in-picture) and regions
    /// recurring over the video (a 9:16 story's picture, a frame), found once per video and
    /// hashed on every sampled frame as further alternatives (see [`LayoutConfig`]; `None`:
    /// off).
    #[serde(default)]
    pub layouts: Option<LayoutConfig>,
}

impl Default for VideoQueryOptions {
    /// Plain vPDQ: one alternative, identity only.
    fn default() -> Self {
        VideoQueryOptions {
            unletterbox: None,
            transforms: vec![Dihedral::Original],
            frames_per_second: None,
            max_dense_frames: None,
            reduced_min_side: None,
            regions: None,
            layouts: None,
        }
    }
}

impl VideoQueryOptions {
    /// Letterbox removal in addition to the plain hashes, and all eight dihedral transforms
    /// ([`Dihedral::ALL`]: identity first, so identity wins ties).
    pub fn robust() -> Self {
        VideoQueryOptions {
            unletterbox: Some(LetterboxConfig::default()),
            transforms: Dihedral::ALL.to_vec(),
            frames_per_second: None,
            max_dense_frames: None,
            reduced_min_side: None,
            regions: None,
            layouts: None,
        }
    }

    /// [`VideoQueryOptions::robust`] sampled densely (8 frames per second, more for a short
    /// video: up to every frame while that stays within 480 query frames, 16 s at 30 fps) and
    /// hashed from reduced frames (shorter side ≥ 160), with the whole-video layouts
    /// ([`LayoutConfig::default`]): the options for [`QueryVideo::verdict`], which finds
    /// excerpts cut at any time, copies at another speed, 9:16 re-frames and
    /// picture-in-picture copies.
    pub fn dense() -> Self {
        VideoQueryOptions {
            frames_per_second: Some(8),
            max_dense_frames: Some(480),
            reduced_min_side: Some(160),
            layouts: Some(LayoutConfig::default()),
            ..Self::robust()
        }
    }

    /// Sets the whole-video layouts (`None`: off).
    #[must_use]
    pub fn with_layouts(mut self, layouts: Option<LayoutConfig>) -> Self {
        self.layouts = layouts;
        self
    }

    /// Sets the dense sampling rate (`None`: the hasher's sampling).
    #[must_use]
    pub fn with_frames_per_second(mut self, n: Option<u32>) -> Self {
        self.frames_per_second = n;
        self
    }

    /// Sets the frame budget of denser sampling of short videos (`None`: off).
    #[must_use]
    pub fn with_max_dense_frames(mut self, n: Option<u64>) -> Self {
        self.max_dense_frames = n;
        self
    }

    /// [`VideoQueryOptions::dense`] with per-frame layout candidates
    /// ([`VideoQueryOptions::regions`]: bars and edge-bounded rectangles, at most 3 per frame).
    pub fn dense_layouts() -> Self {
        VideoQueryOptions {
            regions: Some(RegionConfig {
                max_regions: 3,
                ..RegionConfig::video_frames()
            }),
            ..Self::dense()
        }
    }

    /// Sets the per-frame layout candidates (`None`: off).
    #[must_use]
    pub fn with_regions(mut self, regions: Option<RegionConfig>) -> Self {
        self.regions = regions;
        self
    }

    /// Sets hashing from reduced frames (`None`: full frames).
    #[must_use]
    pub fn with_reduced_min_side(mut self, side: Option<u32>) -> Self {
        self.reduced_min_side = side;
        self
    }

    /// Sets letterbox removal (in addition to the plain hash) on or off.
    #[must_use]
    pub fn with_unletterbox(mut self, cfg: Option<LetterboxConfig>) -> Self {
        self.unletterbox = cfg;
        self
    }

    /// Sets the transforms tried.
    #[must_use]
    pub fn with_transforms(mut self, transforms: &[Dihedral]) -> Self {
        self.transforms = transforms.to_vec();
        self
    }

    pub(crate) fn transforms(&self) -> Vec<Dihedral> {
        if self.transforms.is_empty() {
            vec![Dihedral::Original]
        } else {
            self.transforms.clone()
        }
    }
}

/// One sampled query frame: its alternatives under every transform of the owning
/// [`QueryVideo`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFrame {
    /// Display-order frame number from 0.
    pub frame_number: u64,
    /// vPDQ timestamp, ms.
    pub timestamp_ms: u64,
    /// Hashes per transform (outer, in [`QueryVideo::transforms`] order), then per
    /// alternative (inner: plain first, then after letterbox removal when requested).
    pub hashes: Vec<Vec<PdqHash>>,
}

impl QueryFrame {
    /// The plain hash (identity transform, first alternative) as a vPDQ frame hash.
    pub fn plain(&self) -> Option<FrameHash> {
        let h = *self.hashes.first()?.first()?;
        Some(FrameHash {
            frame_number: self.frame_number,
            timestamp_ms: self.timestamp_ms,
            hash: h,
        })
    }
}

/// A query video hashed for robust matching.
///
/// ```
/// use mediamatch::video::{FrameHash, QueryVideo, MatchRule, AlignConfig};
/// use mediamatch::{Dihedral, Hash256, PdqHash};
/// let f = |s: u64, b: u8| FrameHash { frame_number: s * 30, timestamp_ms: s * 1000,
///     hash: PdqHash { hash: Hash256::from_bytes([b.wrapping_mul(37) ^ s as u8; 32]), quality: 100 } };
/// let known: Vec<FrameHash> = (0..5).map(|s| f(s, 1)).collect();
/// // plain frame hashes only: the same numbers as `match_percentages` and `align`
/// let q = QueryVideo::from_plain(&known);
/// let m = q.match_percentages(&known, MatchRule::pytx());
/// assert_eq!((m.transform, m.percentages.query), (Dihedral::Original, 100.0));
/// let a = q.align(&known, &AlignConfig::default());
/// assert_eq!(a.segments.len(), 1);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryVideo {
    /// The transforms the frames were hashed under.
    pub transforms: Vec<Dihedral>,
    /// The sampled frames in order.
    pub frames: Vec<QueryFrame>,
    /// The whole-video layouts found ([`VideoQueryOptions::layouts`]), in pixels of the
    /// frames' luma as hashed; each is one further alternative of the frames it was hashed on.
    #[serde(default)]
    pub layouts: Vec<VideoLayout>,
}

/// The best bag-of-frames result of a [`QueryVideo`] against one known video.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryMatch {
    /// The transform under which the query matched best.
    pub transform: Dihedral,
    /// The percentages under that transform.
    pub percentages: MatchPercentages,
}

/// The best speed-tolerant alignment of a [`QueryVideo`] against one known video.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedAlignment {
    /// The transform under which the segments were found.
    pub transform: Dihedral,
    /// The segments (see [`super::align_speed`]); empty if none under any transform.
    pub segments: Vec<SpeedSegment>,
}

/// The best alignment of a [`QueryVideo`] against one known video.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryAlignment {
    /// The transform under which the segments were found.
    pub transform: Dihedral,
    /// The segments (see [`super::align()`]); empty if none under any transform.
    pub segments: Vec<Segment>,
}

impl QueryVideo {
    /// A query of plain vPDQ hashes only (identity, one alternative).
    pub fn from_plain(frames: &[FrameHash]) -> QueryVideo {
        QueryVideo {
            transforms: vec![Dihedral::Original],
            frames: frames
                .iter()
                .map(|f| QueryFrame {
                    frame_number: f.frame_number,
                    timestamp_ms: f.timestamp_ms,
                    hashes: vec![vec![f.hash]],
                })
                .collect(),
            layouts: Vec::new(),
        }
    }

    /// The plain vPDQ hashes (identity, first alternative).
    pub fn plain(&self) -> Vec<FrameHash> {
        self.frames.iter().filter_map(QueryFrame::plain).collect()
    }

    /// The same query restricted to the given transforms (those it has) and to the plain
    /// alternative unless `unletterboxed`; for comparing options without hashing again.
    pub fn subset(&self, transforms: &[Dihedral], unletterboxed: bool) -> QueryVideo {
        let keep: Vec<usize> = (0..self.transforms.len())
            .filter(|&t| transforms.contains(&self.transforms[t]))
            .collect();
        QueryVideo {
            transforms: keep.iter().map(|&t| self.transforms[t]).collect(),
            frames: self
                .frames
                .iter()
                .map(|f| QueryFrame {
                    frame_number: f.frame_number,
                    timestamp_ms: f.timestamp_ms,
                    hashes: keep
                        .iter()
                        .filter_map(|&t| f.hashes.get(t))
                        .map(|alts| {
                            let n = if unletterboxed { alts.len() } else { 1 };
                            alts.iter().take(n).copied().collect()
                        })
                        .collect(),
                })
                .collect(),
            layouts: if unletterboxed {
                self.layouts.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// The usable alternatives of each kept frame under transform index `t`, with the frame's
    /// time: pytx-style de-duplication (on the frame's alternatives, first kept) when the rule
    /// asks, then alternatives below the rule's quality dropped; frames left with none are
    /// dropped.
    fn kept(&self, t: usize, min_quality: u8, dedup: bool) -> Vec<(u64, Vec<Hash256>)> {
        let mut seen = std::collections::HashSet::new();
        self.frames
            .iter()
            .filter_map(|f| {
                let alts = f.hashes.get(t)?;
                if dedup && !seen.insert(alts.iter().map(|h| h.hash).collect::<Vec<_>>()) {
                    return None;
                }
                let good: Vec<Hash256> = alts
                    .iter()
                    .filter(|h| h.quality >= min_quality)
                    .map(|h| h.hash)
                    .collect();
                (!good.is_empty()).then_some((f.timestamp_ms, good))
            })
            .collect()
    }

    /// The reference's bag-of-frames percentages (see [`super::match_percentages`]) under
    /// each transform, a query frame matching if any of its alternatives does; the transform
    /// with the highest query %, then known %, is returned (the first on ties, so identity
    /// wins ties). With plain hashes only this equals [`super::match_percentages`].
    pub fn match_percentages(&self, known: &[FrameHash], rule: MatchRule) -> QueryMatch {
        let target = rule.filter(known);
        let mut best: Option<QueryMatch> = None;
        for (t, &d) in self.transforms.iter().enumerate() {
            let q = self.kept(t, rule.min_quality, rule.dedup);
            let p = if q.is_empty() || target.is_empty() {
                MatchPercentages {
                    query: 0.0,
                    target: 0.0,
                }
            } else {
                let hit = |a: &Hash256, b: &Hash256| rule.is_match(a.distance(b));
                let qm = q
                    .iter()
                    .filter(|(_, alts)| alts.iter().any(|a| target.iter().any(|y| hit(a, y))))
                    .count();
                let tm = target
                    .iter()
                    .filter(|y| q.iter().any(|(_, alts)| alts.iter().any(|a| hit(a, y))))
                    .count();
                MatchPercentages {
                    query: qm as f64 * 100.0 / q.len() as f64,
                    target: tm as f64 * 100.0 / target.len() as f64,
                }
            };
            let better = best
                .is_none_or(|b| (p.query, p.target) > (b.percentages.query, b.percentages.target));
            if better {
                best = Some(QueryMatch {
                    transform: d,
                    percentages: p,
                });
            }
        }
        best.unwrap_or(QueryMatch {
            transform: Dihedral::Original,
            percentages: MatchPercentages {
                query: 0.0,
                target: 0.0,
            },
        })
    }

    /// The matching pairs under transform index `t`: for each usable known frame, its
    /// `max_candidates` nearest query frames (smallest distance over the alternatives) within
    /// `max_distance`.
    pub(crate) fn hits_per_known(
        &self,
        t: usize,
        known: &[FrameHash],
        max_distance: u32,
        min_quality: u8,
        max_candidates: usize,
    ) -> Vec<Hit> {
        let q = self.kept(t, min_quality, false);
        let mut hits = Vec::new();
        let mut cand: Vec<(u32, u64)> = Vec::new();
        for k in known.iter().filter(|k| k.hash.quality >= min_quality) {
            cand.clear();
            for (qms, alts) in &q {
                let d = alts
                    .iter()
                    .map(|a| a.distance(&k.hash.hash))
                    .min()
                    .unwrap_or(u32::MAX);
                if d <= max_distance {
                    cand.push((d, *qms));
                }
            }
            cand.sort_unstable();
            cand.truncate(max_candidates.max(1));
            hits.extend(cand.iter().map(|&(d, qms)| Hit {
                query_ms: qms,
                known_ms: k.timestamp_ms,
                distance: d,
            }));
        }
        hits
    }

    /// Speed-tolerant alignment (see [`super::align_speed`]) under each transform; the
    /// transform whose segments cover the most matched known frames (then the lowest mean
    /// distance) is returned (the first on ties). Meant for a dense query
    /// ([`VideoQueryOptions::dense`]) against stored one-per-second hashes.
    pub fn align_speed(&self, known: &[FrameHash], cfg: &SpeedAlignConfig) -> SpeedAlignment {
        let mut best: Option<(usize, f64, SpeedAlignment)> = None;
        for (t, &d) in self.transforms.iter().enumerate() {
            let hits = self.hits_per_known(
                t,
                known,
                cfg.max_distance,
                cfg.min_quality,
                cfg.max_candidates,
            );
            let segments = align_speed(&hits, cfg);
            let frames: usize = segments.iter().map(|s| s.frames_matched).sum();
            let dsum: f64 = segments
                .iter()
                .map(|s| s.mean_distance * s.frames_matched as f64)
                .sum();
            let mean = if frames > 0 {
                dsum / frames as f64
            } else {
                0.0
            };
            let better = best.as_ref().is_none_or(|(bf, bm, _)| {
                frames > *bf || (frames == *bf && frames > 0 && mean < *bm)
            });
            if better {
                best = Some((
                    frames,
                    mean,
                    SpeedAlignment {
                        transform: d,
                        segments,
                    },
                ));
            }
        }
        best.map(|b| b.2).unwrap_or(SpeedAlignment {
            transform: Dihedral::Original,
            segments: Vec::new(),
        })
    }

    /// Temporal alignment (see [`super::align()`]) under each transform, a query frame's
    /// distance to a known frame being the smallest over its alternatives; the transform whose
    /// segments cover the most matched query frames (then the lowest mean distance) is
    /// returned (the first on ties). With plain hashes only this equals [`super::align()`].
    pub fn align(&self, known: &[FrameHash], cfg: &AlignConfig) -> QueryAlignment {
        let known: Vec<&FrameHash> = known
            .iter()
            .filter(|f| f.hash.quality >= cfg.min_quality)
            .collect();
        let mut best: Option<(usize, f64, QueryAlignment)> = None;
        let mut cand: Vec<(u32, u64)> = Vec::new();
        for (t, &d) in self.transforms.iter().enumerate() {
            let mut hits = Vec::new();
            for (qms, alts) in self.kept(t, cfg.min_quality, false) {
                cand.clear();
                for k in &known {
                    let dist = alts
                        .iter()
                        .map(|a| a.distance(&k.hash.hash))
                        .min()
                        .unwrap_or(u32::MAX);
                    if dist <= cfg.max_distance {
                        cand.push((dist, k.timestamp_ms));
                    }
                }
                cand.sort_unstable();
                cand.truncate(cfg.max_candidates.max(1));
                hits.extend(cand.iter().map(|&(dist, k)| Hit {
                    query_ms: qms,
                    known_ms: k,
                    distance: dist,
                }));
            }
            let segments = align_hits(&hits, cfg);
            let frames: usize = segments.iter().map(|s| s.frames_matched).sum();
            let dsum: f64 = segments
                .iter()
                .map(|s| s.mean_distance * s.frames_matched as f64)
                .sum();
            let mean = if frames > 0 {
                dsum / frames as f64
            } else {
                0.0
            };
            let better = best.as_ref().is_none_or(|(bf, bm, _)| {
                frames > *bf || (frames == *bf && frames > 0 && mean < *bm)
            });
            if better {
                best = Some((
                    frames,
                    mean,
                    QueryAlignment {
                        transform: d,
                        segments,
                    },
                ));
            }
        }
        best.map(|b| b.2).unwrap_or(QueryAlignment {
            transform: Dihedral::Original,
            segments: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{align, match_percentages};

    fn frames(seed: u64, n: u64, near: Option<&[FrameHash]>) -> Vec<FrameHash> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|s| {
                let mut b = [0u8; 32];
                for v in b.iter_mut() {
                    *v = next() as u8;
                }
                let mut hash = Hash256::from_bytes(b);
                if let Some(src) = near {
                    // a copy: the source frame with a few bits flipped, sometimes unrelated
                    if next() % 4 != 0 {
                        let mut sb = src[s as usize % src.len()].hash.hash.to_bytes();
                        for _ in 0..(next() % 40) {
                            let bit = next() % 256;
                            sb[(bit / 8) as usize] ^= 1 << (bit % 8);
                        }
                        hash = Hash256::from_bytes(sb);
                    }
                }
                FrameHash {
                    frame_number: s * 30,
                    timestamp_ms: s * 1000 + 333,
                    hash: PdqHash {
                        hash,
                        quality: (next() % 101) as u8,
                    },
                }
            })
            .collect()
    }

    #[test]
    fn plain_query_gives_the_plain_results() {
        for seed in 0..40 {
            let known = frames(seed, 30, None);
            let mut q = frames(seed + 1000, 25, Some(&known));
            if seed % 3 == 0 {
                // repeated hashes, for the de-duplication
                q[3] = q[2];
                q[4] = q[2];
            }
            let qv = QueryVideo::from_plain(&q);
            assert_eq!(qv.plain(), q);
            for rule in [MatchRule::cpp(), MatchRule::pytx()] {
                let m = qv.match_percentages(&known, rule);
                assert_eq!(m.percentages, match_percentages(&q, &known, rule), "{seed}");
                assert_eq!(m.transform, Dihedral::Original);
            }
            let cfg = AlignConfig::default();
            assert_eq!(qv.align(&known, &cfg).segments, align(&q, &known, &cfg));
        }
    }

    #[test]
    fn alternatives_match_at_the_smaller_distance_and_one_transform_is_kept() {
        let known = frames(7, 10, None);
        let junk = frames(8, 10, None);
        // alternative 0 is junk, alternative 1 equals the known frame: matched;
        // transform 0 is all junk, transform 1 carries the matches
        let q = QueryVideo {
            transforms: vec![Dihedral::Original, Dihedral::FlipY],
            frames: (0..10)
                .map(|k| QueryFrame {
                    frame_number: known[k].frame_number,
                    timestamp_ms: known[k].timestamp_ms,
                    hashes: vec![
                        vec![
                            PdqHash {
                                quality: 100,
                                ..junk[k].hash
                            };
                            2
                        ],
                        vec![
                            PdqHash {
                                quality: 100,
                                ..junk[k].hash
                            },
                            PdqHash {
                                quality: 100,
                                ..known[k].hash
                            },
                        ],
                    ],
                })
                .collect(),
            layouts: Vec::new(),
        };
        let known: Vec<FrameHash> = known
            .into_iter()
            .map(|f| FrameHash {
                hash: PdqHash {
                    quality: 100,
                    ..f.hash
                },
                ..f
            })
            .collect();
        let m = q.match_percentages(&known, MatchRule::pytx());
        assert_eq!(m.transform, Dihedral::FlipY);
        assert_eq!((m.percentages.query, m.percentages.target), (100.0, 100.0));
        let a = q.align(&known, &AlignConfig::default());
        assert_eq!(a.transform, Dihedral::FlipY);
        assert_eq!(a.segments.len(), 1);
        assert_eq!(a.segments[0].mean_distance, 0.0);
        // without the second alternative, nothing is left
        let plain = q.subset(&Dihedral::ALL, false);
        assert_eq!(
            plain.frames[0].hashes,
            vec![
                vec![q.frames[0].hashes[0][0]],
                vec![q.frames[0].hashes[1][0]]
            ]
        );
        assert_eq!(
            plain
                .match_percentages(&known, MatchRule::pytx())
                .percentages
                .query,
            0.0
        );
        assert!(plain
            .align(&known, &AlignConfig::default())
            .segments
            .is_empty());
        // only the identity: nothing either
        let id = q.subset(&[Dihedral::Original], true);
        assert_eq!(id.transforms, vec![Dihedral::Original]);
        assert_eq!(
            id.match_percentages(&known, MatchRule::pytx())
                .percentages
                .query,
            0.0
        );
    }
}
