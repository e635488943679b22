//! Video queries: a thin adapter over [`crate::video::QueryVideo`] that searches every usable
//! frame hash on a snapshot and aggregates the hits per known video (match shares and temporal
//! alignment under the best transform).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::options::MatchOptions;
use super::plan::{Derivation, PlannedHash, View};
use super::result::{FrameHit, VideoMatch};
use super::search::{entry_usable, search_hashes};
use crate::db::{MediaKind, Snapshot};
use crate::video::{align_hits, AlignConfig, Hit, QueryVideo};

/// Number of usable stored frames of each known video (`(source, video_id)`).
fn known_frame_counts(snap: &Snapshot, opts: &MatchOptions) -> HashMap<(String, String), usize> {
    let mut counts = HashMap::new();
    for e in snap.iter() {
        if let MediaKind::VideoFrame { video_id, .. } = &e.metadata.media {
            if entry_usable(&e, opts) {
                *counts
                    .entry((e.metadata.source.clone(), video_id.clone()))
                    .or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Per (known video, transform): the best distance per (query ms, known ms) pair.
#[derive(Default)]
struct Agg {
    pairs: BTreeMap<(u64, u64), u32>,
}

impl Agg {
    fn query_frames(&self) -> usize {
        self.pairs
            .keys()
            .map(|p| p.0)
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// Searches a hashed query video; returns the usable frame count, the known videos matched
/// (best first: most query frames, then smallest distance) and the still images matched by
/// single frames (as is).
pub(crate) fn match_query_video(
    snap: &Snapshot,
    query: &QueryVideo,
    opts: &MatchOptions,
) -> (usize, Vec<VideoMatch>, Vec<FrameHit>) {
    // (frame index, transform index, hash) of every usable hash
    let mut wanted = Vec::new();
    let mut usable: BTreeSet<usize> = BTreeSet::new();
    for (k, f) in query.frames.iter().enumerate() {
        for (t, alts) in f.hashes.iter().enumerate() {
            for h in alts.iter().filter(|h| h.quality >= opts.min_query_quality) {
                wanted.push((k, t, h.hash));
                usable.insert(k);
            }
        }
    }
    if usable.is_empty() {
        return (0, Vec::new(), Vec::new());
    }
    let found = snap.search_many(
        &wanted.iter().map(|w| w.2).collect::<Vec<_>>(),
        opts.max_distance,
    );
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
                let d = a
                    .pairs
                    .entry((f.timestamp_ms, *timestamp_ms))
                    .or_insert(m.distance);
                *d = (*d).min(m.distance);
            }
        }
    }
    // still images hit by single frames, untransformed (transform index 0)
    let mut frame_hits = Vec::new();
    for f in &query.frames {
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
                frame_hits.push(FrameHit {
                    timestamp_ms: f.timestamp_ms,
                    hit,
                });
            }
        }
    }
    // per known video, the transform with the most matched query frames (the first on ties)
    let mut best: BTreeMap<(String, String), (usize, &Agg)> = BTreeMap::new();
    for ((source, video_id, t), a) in &per_video {
        let key = (source.clone(), video_id.clone());
        match best.get(&key) {
            Some((_, b)) if b.query_frames() >= a.query_frames() => {}
            _ => {
                best.insert(key, (*t, a));
            }
        }
    }
    let known = known_frame_counts(snap, opts);
    let mut videos: Vec<VideoMatch> = best
        .into_iter()
        .map(|((source, video_id), (t, a))| {
            let query_frames: BTreeSet<u64> = a.pairs.keys().map(|p| p.0).collect();
            let known_frames: BTreeSet<u64> = a.pairs.keys().map(|p| p.1).collect();
            let known_total = known
                .get(&(source.clone(), video_id.clone()))
                .copied()
                .unwrap_or(0)
                .max(1);
            let hits: Vec<Hit> = a
                .pairs
                .iter()
                .map(|(&(q, k), &d)| Hit {
                    query_ms: q,
                    known_ms: k,
                    distance: d,
                })
                .collect();
            VideoMatch {
                transform: query.transforms[t],
                query_pct: 100.0 * query_frames.len() as f64 / usable.len() as f64,
                known_pct: 100.0 * known_frames.len() as f64 / known_total as f64,
                frames_matched: query_frames.len(),
                query_frames: usable.len(),
                best_distance: a.pairs.values().copied().min().unwrap_or(256),
                segments: align_hits(&hits, &AlignConfig::default()),
                video_id,
                source,
            }
        })
        .collect();
    videos.sort_by(|a, b| {
        b.frames_matched
            .cmp(&a.frames_matched)
            .then(a.best_distance.cmp(&b.best_distance))
            .then(a.video_id.cmp(&b.video_id))
    });
    (usable.len(), videos, frame_hits)
}
