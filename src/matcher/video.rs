//! Video queries: a thin adapter over [`crate::video`] that searches every usable frame hash
//! of a (dense) query on a snapshot, groups the hits per known video and transform, and
//! decides each known video by the documented rule of [`crate::video::VerdictRule`]: the
//! speed-tolerant alignment ([`crate::video::align_speed`]) on the index's hits, the segments
//! that pass the rule making the match. The bag-of-frames percentages and the slope-1
//! alignment are kept as evidence.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::bank_video::is_stand_in;
use super::options::MatchOptions;
use super::plan::{Derivation, PlannedHash, View};
use super::result::{FrameHit, VideoMatch};
use super::search::{entry_usable, search_hashes};
use crate::db::{MediaKind, Snapshot};
use crate::hash::PdqHash;
use crate::video::{
    align_hits, align_speed, AlignConfig, FrameHash, Hit, QueryVideo, SpeedSegment, VerdictRule,
};

/// The usable stored frames of the known videos in `wanted` (`(source, video_id)`), in time
/// order, each with whether it is a stand-in ([`super::BankedFrame::stand_in`]): one pass
/// over the snapshot, no allocation for the other entries.
fn known_frames(
    snap: &Snapshot,
    opts: &MatchOptions,
    wanted: &BTreeSet<(String, String)>,
) -> HashMap<(String, String), Vec<(FrameHash, bool)>> {
    let mut by_source: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (s, v) in wanted {
        by_source.entry(s).or_default().insert(v);
    }
    let mut out: HashMap<(String, String), Vec<(FrameHash, bool)>> = HashMap::new();
    for e in snap.iter() {
        let MediaKind::VideoFrame {
            video_id,
            timestamp_ms,
        } = &e.metadata.media
        else {
            continue;
        };
        if !by_source
            .get(e.metadata.source.as_str())
            .is_some_and(|ids| ids.contains(video_id.as_str()))
            || !entry_usable(&e, opts)
            // the known video's timeline is its plain frames and their stand-ins (derived
            // views of a frame share its time)
            || e.metadata.derived.as_deref().is_some_and(|d| !is_stand_in(d))
        {
            continue;
        }
        let frame = FrameHash {
            frame_number: 0,
            timestamp_ms: *timestamp_ms,
            // unknown quality: usable (the stored-quality rule already passed)
            hash: PdqHash {
                hash: e.hash,
                quality: e.quality.unwrap_or(100),
            },
        };
        out.entry((e.metadata.source.clone(), video_id.clone()))
            .or_default()
            .push((frame, e.metadata.derived.is_some()));
    }
    for v in out.values_mut() {
        v.sort_by_key(|f| f.0.timestamp_ms);
        v.dedup_by_key(|f| f.0.timestamp_ms);
    }
    out
}

/// Per (known video, transform): the best distance per (query ms, known ms) pair.
#[derive(Default)]
struct Agg {
    pairs: BTreeMap<(u64, u64), u32>,
    /// The pairs whose smallest distance is a derived view's (plain entries win ties).
    via: BTreeMap<(u64, u64), String>,
}

impl Agg {
    fn query_frames(&self) -> usize {
        self.pairs
            .keys()
            .map(|p| p.0)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The pairs as alignment hits: for each known frame its `max_candidates` nearest query
    /// frames (as [`QueryVideo::align_speed`] takes them by brute force).
    fn hits_per_known(&self, max_candidates: usize) -> Vec<Hit> {
        let mut per_k: BTreeMap<u64, Vec<(u32, u64)>> = BTreeMap::new();
        for (&(q, k), &d) in &self.pairs {
            per_k.entry(k).or_default().push((d, q));
        }
        let mut hits = Vec::new();
        for (k, mut c) in per_k {
            c.sort_unstable();
            c.truncate(max_candidates.max(1));
            hits.extend(c.into_iter().map(|(d, q)| Hit {
                query_ms: q,
                known_ms: k,
                distance: d,
            }));
        }
        hits
    }

    /// The pairs as hits for the slope-1 alignment (every pair).
    fn hits(&self) -> Vec<Hit> {
        self.pairs
            .iter()
            .map(|(&(q, k), &d)| Hit {
                query_ms: q,
                known_ms: k,
                distance: d,
            })
            .collect()
    }
}

/// The verdict of one (known video, transform): the speed segments that pass `rule`, every
/// segment found, and the known frames they cover.
fn decide(
    a: &Agg,
    known: &[FrameHash],
    rule: &VerdictRule,
    query_span_ms: (u64, u64),
) -> (Vec<SpeedSegment>, usize) {
    let segs = align_speed(
        &a.hits_per_known(rule.align.max_candidates),
        &rule.alignment(),
    );
    let accepted: Vec<SpeedSegment> = segs
        .into_iter()
        .filter(|s| rule.accepts(s, known, query_span_ms))
        .collect();
    let covered = accepted.iter().map(|s| s.frames_matched).sum();
    (accepted, covered)
}

/// What [`match_query_video`] found.
pub(crate) struct VideoSearch {
    /// Usable query frames (at least one hash of quality ≥ the query minimum).
    pub frames: usize,
    /// Hashes actually searched in the index (the identity on every usable frame, the other
    /// transforms on the probe frames and, only where the probes hit, on the rest).
    pub hashes_searched: usize,
    /// The known videos hit: matched ones first, then most query frames, then smallest
    /// distance.
    pub videos: Vec<VideoMatch>,
    /// Still images matched by single frames (as is).
    pub frame_hits: Vec<FrameHit>,
}

/// Searches a hashed query video.
pub(crate) fn match_query_video(
    snap: &Snapshot,
    query: &QueryVideo,
    opts: &MatchOptions,
) -> VideoSearch {
    // (frame index, transform index, hash) of every usable hash; the identity is searched on
    // every frame, the other transforms first on every PROBE-th frame only, and on the rest
    // only when the probes hit a known video under that transform (a mirrored or rotated
    // copy hits on the probes too; this halves the searches of an ordinary upload)
    const PROBE: usize = 4;
    let mut usable: BTreeSet<usize> = BTreeSet::new();
    let mut probe = Vec::new();
    let mut rest = Vec::new();
    for (k, f) in query.frames.iter().enumerate() {
        for (t, alts) in f.hashes.iter().enumerate() {
            for h in alts.iter().filter(|h| h.quality >= opts.min_query_quality) {
                if t == 0 || k % PROBE == 0 {
                    probe.push((k, t, h.hash));
                } else {
                    rest.push((k, t, h.hash));
                }
                usable.insert(k);
            }
        }
    }
    if usable.is_empty() {
        return VideoSearch {
            frames: 0,
            hashes_searched: 0,
            videos: Vec::new(),
            frame_hits: Vec::new(),
        };
    }
    let search = |w: &[(usize, usize, crate::hash::Hash256)]| {
        snap.search_many(
            &w.iter().map(|w| w.2).collect::<Vec<_>>(),
            opts.max_distance,
        )
    };
    let mut found = search(&probe);
    let is_video_hit = |m: &crate::index::Match| {
        snap.get(m.id).is_some_and(|e| {
            entry_usable(&e, opts) && matches!(e.metadata.media, MediaKind::VideoFrame { .. })
        })
    };
    let hit_transforms: BTreeSet<usize> = probe
        .iter()
        .zip(&found)
        .filter(|(w, ms)| w.1 > 0 && ms.iter().any(is_video_hit))
        .map(|(w, _)| w.1)
        .collect();
    rest.retain(|w| hit_transforms.contains(&w.1));
    found.extend(search(&rest));
    let mut wanted = probe;
    wanted.extend(rest);
    let hashes_searched = wanted.len();
    // frames whose identity hashes hit an entry that is not a video frame (a still image)
    let still_frames: BTreeSet<usize> = wanted
        .iter()
        .zip(&found)
        .filter(|(w, ms)| {
            w.1 == 0
                && ms.iter().any(|m| {
                    snap.get(m.id)
                        .is_some_and(|e| !matches!(e.metadata.media, MediaKind::VideoFrame { .. }))
                })
        })
        .map(|(w, _)| w.0)
        .collect();
    let mut per_video: BTreeMap<(String, String, usize), Agg> = BTreeMap::new();
    for (&(k, t, _), matches) in wanted.iter().zip(&found) {
        let f = &query.frames[k];
        for m in matches {
            let Some(e) = snap.get(m.id) else { continue };
            if !entry_usable(&e, opts) {
                continue;
            }
            if let MediaKind::VideoFrame {
                video_id,
                timestamp_ms,
            } = &e.metadata.media
            {
                let a = per_video
                    .entry((e.metadata.source.clone(), video_id.clone(), t))
                    .or_default();
                let key = (f.timestamp_ms, *timestamp_ms);
                let d = a.pairs.entry(key).or_insert(u32::MAX);
                let derived = e.metadata.derived.as_ref();
                if m.distance < *d || (m.distance == *d && derived.is_none()) {
                    *d = m.distance;
                    match derived {
                        Some(how) => a.via.insert(key, how.clone()),
                        None => a.via.remove(&key),
                    };
                }
            }
        }
    }
    let frame_hits = frame_hits(snap, query, &still_frames, opts);
    let hit_videos: BTreeSet<(String, String)> = per_video
        .keys()
        .map(|(s, v, _)| (s.clone(), v.clone()))
        .collect();
    let known = known_frames(snap, opts, &hit_videos);
    // the frames a segment is expected to show are the stored ones: a stand-in adds evidence
    // when matched, and its absence vetoes nothing (it is a frame of quality 60–70 beside a
    // poorer one, which a re-encode or a dropped frame loses more often); once per video
    let stored: HashMap<&(String, String), Vec<FrameHash>> = known
        .iter()
        .map(|(k, v)| (k, v.iter().filter(|f| !f.1).map(|f| f.0).collect()))
        .collect();
    let mut rule = VerdictRule::default();
    rule.align.max_distance = opts.max_distance;
    rule.align.min_quality = opts.min_stored_quality;
    // per known video, the transform whose accepted segments cover the most known frames,
    // then the one with the most matched query frames (the first on ties)
    type Best<'a> = ((usize, usize), usize, &'a Agg, Vec<SpeedSegment>);
    let mut best: BTreeMap<(String, String), Best<'_>> = BTreeMap::new();
    for ((source, video_id, t), a) in &per_video {
        let key = (source.clone(), video_id.clone());
        let frames = stored.get(&key).map_or(&[][..], Vec::as_slice);
        let (segs, covered) = decide(a, frames, &rule, query.span_ms());
        let score = (covered, a.query_frames());
        if best.get(&key).is_none_or(|b| score > b.0) {
            best.insert(key, (score, *t, a, segs));
        }
    }
    let mut videos: Vec<VideoMatch> = best
        .into_iter()
        .map(|((source, video_id), (_, t, a, speed_segments))| {
            let query_frames: BTreeSet<u64> = a.pairs.keys().map(|p| p.0).collect();
            let known_hit: BTreeSet<u64> = a.pairs.keys().map(|p| p.1).collect();
            let known_total = known
                .get(&(source.clone(), video_id.clone()))
                .map_or(0, Vec::len)
                .max(1);
            VideoMatch {
                transform: query.transforms[t],
                query_pct: 100.0 * query_frames.len() as f64 / usable.len() as f64,
                known_pct: 100.0 * known_hit.len().min(known_total) as f64 / known_total as f64,
                frames_matched: query_frames.len(),
                query_frames: usable.len(),
                best_distance: a.pairs.values().copied().min().unwrap_or(256),
                segments: align_hits(&a.hits(), &AlignConfig::default()),
                matched: !speed_segments.is_empty(),
                speed_segments,
                derived_views: a.via.values().fold(BTreeMap::new(), |mut m, how| {
                    *m.entry(how.clone()).or_insert(0) += 1;
                    m
                }),
                video_id,
                source,
            }
        })
        .collect();
    videos.sort_by(|a, b| {
        b.matched
            .cmp(&a.matched)
            .then(b.frames_matched.cmp(&a.frames_matched))
            .then(a.best_distance.cmp(&b.best_distance))
            .then(a.video_id.cmp(&b.video_id))
    });
    VideoSearch {
        frames: usable.len(),
        hashes_searched,
        videos,
        frame_hits,
    }
}

/// Still images hit by single query frames (those of `frames`, the query frame indices whose
/// search found a still), untransformed (transform index 0).
fn frame_hits(
    snap: &Snapshot,
    query: &QueryVideo,
    frames: &BTreeSet<usize>,
    opts: &MatchOptions,
) -> Vec<FrameHit> {
    let mut out = Vec::new();
    for f in frames.iter().filter_map(|&k| query.frames.get(k)) {
        let Some(alts) = f.hashes.first() else {
            continue;
        };
        let planned: Vec<PlannedHash> = alts
            .iter()
            .filter(|h| h.quality >= opts.min_query_quality)
            .map(|&hash| PlannedHash {
                hash,
                derivation: Derivation {
                    view: View::Plain,
                    transform: crate::pdq::Dihedral::Original,
                },
            })
            .collect();
        let refs: Vec<&PlannedHash> = planned.iter().collect();
        for hit in search_hashes(snap, &refs, opts) {
            if !matches!(hit.metadata.media, MediaKind::VideoFrame { .. }) {
                out.push(FrameHit {
                    timestamp_ms: f.timestamp_ms,
                    hit,
                });
            }
        }
    }
    out
}
