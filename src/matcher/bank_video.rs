//! Banking side for videos we hold: every stored frame (one per second, the plain vPDQ hash
//! that other platforms compute too) with the PDQ hashes of derived views of that frame
//! ([`BankViews::video`]: centre crops and small rotations), stored as extra entries of the
//! same frame, marked derived, so that a zoomed or tilted re-upload meets them frame by frame.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bank::{bank_views, BankViews, BankedView, NEIGHBOUR_SAME_BITS};
use crate::db::{MediaKind, Metadata};
use crate::error::Result;
use crate::hash::Hash256;
use crate::pdq::PdqHasher;
use crate::video::{FrameHash, VideoHasher};

/// One stored frame of a banked video: its plain hash and its derived views' hashes.
///
/// ```
/// use mediamatch::db::{MediaKind, Metadata};
/// use mediamatch::matcher::{BankedFrame, BankedView};
/// use mediamatch::video::FrameHash;
/// use mediamatch::{Hash256, PdqHash};
/// let h = |b| PdqHash { hash: Hash256::from_bytes([b; 32]), quality: 90 };
/// let f = BankedFrame::new(
///     FrameHash { frame_number: 30, timestamp_ms: 1000, hash: h(1) },
///     vec![BankedView::new("crop-c94", h(2))],
/// );
/// let e = f.entries("clip.mp4", &Metadata::new("bank"));
/// assert_eq!(e.len(), 2);
/// assert_eq!(e[0].2.media, MediaKind::VideoFrame { video_id: "clip.mp4".into(), timestamp_ms: 1000 });
/// assert_eq!((e[0].2.derived.as_deref(), e[1].2.derived.as_deref()), (None, Some("crop-c94")));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankedFrame {
    /// The plain frame hash (what [`VideoHasher::hash_file`] gives).
    pub frame: FrameHash,
    /// The derived views of this frame.
    pub views: Vec<BankedView>,
}

impl BankedFrame {
    /// A frame and its views.
    pub fn new(frame: FrameHash, views: Vec<BankedView>) -> Self {
        BankedFrame { frame, views }
    }

    /// The database entries of this frame of video `video_id`: the plain hash first, then
    /// each view marked [`Metadata::derived`], all with `template`'s metadata and
    /// [`MediaKind::VideoFrame`] at the frame's time.
    pub fn entries(
        &self,
        video_id: &str,
        template: &Metadata,
    ) -> Vec<(Hash256, Option<u8>, Metadata)> {
        let meta = template.clone().media(MediaKind::VideoFrame {
            video_id: video_id.to_string(),
            timestamp_ms: self.frame.timestamp_ms,
        });
        let mut out = Vec::with_capacity(1 + self.views.len());
        out.push((
            self.frame.hash.hash,
            Some(self.frame.hash.quality),
            meta.clone(),
        ));
        out.extend(self.views.iter().map(|v| {
            (
                v.hash.hash,
                Some(v.hash.quality),
                meta.clone().derived(v.how.clone()),
            )
        }));
        out
    }
}

/// Hashes a video file we hold for banking: every sampled frame as
/// [`VideoHasher::hash_file`] hashes it, with the hashes of its derived `views` (computed by
/// `pdq` on the frame's luma as hashed) and of its temporal neighbours
/// ([`BankViews::neighbour_frames`]). Errors name the file.
pub fn bank_video_file(
    video: &VideoHasher,
    pdq: &PdqHasher,
    path: impl AsRef<Path>,
    views: &BankViews,
) -> Result<Vec<BankedFrame>> {
    let frames = video.hash_file_around(path, views.neighbour_frames, &|luma| {
        bank_views(pdq, luma, views)
    })?;
    Ok(group(frames, views.neighbour_frames))
}

/// [`bank_video_file`] on an in-memory video.
pub fn bank_video_bytes(
    video: &VideoHasher,
    pdq: &PdqHasher,
    bytes: &[u8],
    views: &BankViews,
) -> Result<Vec<BankedFrame>> {
    let frames = video.hash_bytes_around(bytes, views.neighbour_frames, &|luma| {
        bank_views(pdq, luma, views)
    })?;
    Ok(group(frames, views.neighbour_frames))
}

/// The sampled frames (those with views) with their views, each neighbour appended to the
/// views of the nearest sampled frame as `frame-1`, `frame+1`, …, unless it is within
/// [`NEIGHBOUR_SAME_BITS`] of it or more than `radius` frames away (the last frames of a video
/// whose next sampled frame is past its end). `frames` is in frame order.
fn group(frames: Vec<(FrameHash, Option<Vec<BankedView>>)>, radius: u32) -> Vec<BankedFrame> {
    let mut out: Vec<BankedFrame> = Vec::new();
    let mut neighbours = Vec::new();
    for (f, views) in frames {
        match views {
            Some(v) => out.push(BankedFrame::new(f, v)),
            None => neighbours.push(f),
        }
    }
    for f in neighbours {
        let n = f.frame_number;
        // the sampled frames either side of `n`, the nearer one within `radius`
        let next = out.partition_point(|s| s.frame.frame_number < n);
        let dist = |k: usize| out[k].frame.frame_number.abs_diff(n);
        let nearest = match (next.checked_sub(1), (next < out.len()).then_some(next)) {
            (Some(b), Some(a)) => Some(if dist(a) < dist(b) { a } else { b }),
            (b, a) => b.or(a),
        };
        let Some(k) = nearest.filter(|&k| dist(k) <= radius as u64) else {
            continue;
        };
        let stored = &mut out[k];
        if f.hash.hash.distance(&stored.frame.hash.hash) <= NEIGHBOUR_SAME_BITS {
            continue;
        }
        let offset = n as i64 - stored.frame.frame_number as i64;
        stored
            .views
            .push(BankedView::new(format!("frame{offset:+}"), f.hash));
    }
    out
}
