//! Banking side for videos we hold: every stored frame (one per second, the plain vPDQ hash
//! that other platforms compute too) with the PDQ hashes of derived views of that frame
//! ([`BankViews::video`]: centre crops and small rotations), stored as extra entries of the
//! same frame, marked derived, so that a zoomed or tilted re-upload meets them frame by frame;
//! and, for a stored frame too poor to match ([`BankViews::stand_in_ms`]), a better frame
//! near it as its stand-in.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bank::{
    bank_views, BankViews, BankedView, NEIGHBOUR_SAME_BITS, STAND_IN_BELOW, STAND_IN_QUALITY,
};
use crate::db::{MediaKind, Metadata};
use crate::error::Result;
use crate::hash::Hash256;
use crate::luma::LumaImage;
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
    /// `Some(name)` when this frame is not a stored (sampled) frame but the stand-in of one
    /// too poor to match ([`BankViews::stand_in_ms`]): `stand-in+8` (eight frames after the
    /// stored frame). Its entries are then all derived: the frame as `name`, its views as
    /// `name how` (`stand-in+8 crop-c92`), at the stand-in's own time.
    #[serde(default)]
    pub stand_in: Option<String>,
}

/// Whether an entry's [`Metadata::derived`] names a stand-in frame itself
/// ([`BankedFrame::stand_in`]; not one of its views): such an entry is a frame of the known
/// video's timeline.
pub fn is_stand_in(derived: &str) -> bool {
    derived.starts_with(STAND_IN_PREFIX) && !derived.contains(' ')
}

const STAND_IN_PREFIX: &str = "stand-in";

impl BankedFrame {
    /// A frame and its views.
    pub fn new(frame: FrameHash, views: Vec<BankedView>) -> Self {
        BankedFrame {
            frame,
            views,
            stand_in: None,
        }
    }

    /// The database entries of this frame of video `video_id`: the plain hash first, then
    /// each view marked [`Metadata::derived`], all with `template`'s metadata and
    /// [`MediaKind::VideoFrame`] at the frame's time (a stand-in's plain hash is derived too,
    /// see [`BankedFrame::stand_in`]).
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
        let plain = match &self.stand_in {
            Some(name) => meta.clone().derived(name.clone()),
            None => meta.clone(),
        };
        out.push((self.frame.hash.hash, Some(self.frame.hash.quality), plain));
        out.extend(self.views.iter().map(|v| {
            let how = match &self.stand_in {
                Some(name) => format!("{name} {}", v.how),
                None => v.how.clone(),
            };
            (v.hash.hash, Some(v.hash.quality), meta.clone().derived(how))
        }));
        out
    }
}

/// Hashes a video file we hold for banking: every sampled frame as
/// [`VideoHasher::hash_file`] hashes it, with the hashes of its derived `views` (computed by
/// `pdq` on the frame's luma as hashed), of its temporal neighbours
/// ([`BankViews::neighbour_frames`]) and, after a stored frame too poor to match, its
/// stand-in ([`BankViews::stand_in_ms`], found by a second decode). In time order. Errors
/// name the file.
pub fn bank_video_file(
    video: &VideoHasher,
    pdq: &PdqHasher,
    path: impl AsRef<Path>,
    views: &BankViews,
) -> Result<Vec<BankedFrame>> {
    let path = path.as_ref();
    bank_with(
        pdq,
        views,
        |n, extra| video.hash_file_around(path, n, extra),
        |want, extra| video.hash_file_at(path, want, extra),
    )
}

/// [`bank_video_file`] on an in-memory video.
pub fn bank_video_bytes(
    video: &VideoHasher,
    pdq: &PdqHasher,
    bytes: &[u8],
    views: &BankViews,
) -> Result<Vec<BankedFrame>> {
    bank_with(
        pdq,
        views,
        |n, extra| video.hash_bytes_around(bytes, n, extra),
        |want, extra| video.hash_bytes_at(bytes, want, extra),
    )
}

/// Frames with (for a sampled frame or a good candidate stand-in) their views.
type WithViews = Vec<(FrameHash, Option<Vec<BankedView>>)>;

/// The banking of one video whatever it is read from: `around` hashes the sampled frames with
/// their views and `n` neighbours, `at` the frames at the times it accepts (the second decode,
/// only when a stored frame needs a stand-in).
fn bank_with(
    pdq: &PdqHasher,
    views: &BankViews,
    around: impl FnOnce(u32, &(dyn Fn(&LumaImage) -> Vec<BankedView> + Sync)) -> Result<WithViews>,
    at: impl FnOnce(
        &(dyn Fn(u64) -> bool + Sync),
        &(dyn Fn(&FrameHash, &LumaImage) -> Option<Vec<BankedView>> + Sync),
    ) -> Result<WithViews>,
) -> Result<Vec<BankedFrame>> {
    let frames = around(views.neighbour_frames, &|luma| bank_views(pdq, luma, views))?;
    let mut out = group(frames, views.neighbour_frames);
    let poor = poor_times(&out, views);
    if !poor.is_empty() {
        let found = at(
            &|t| near(&poor, t, views.stand_in_ms).is_some(),
            &|h, luma| stand_in_views(pdq, h, luma, views),
        )?;
        add_stand_ins(&mut out, &poor, found, views.stand_in_ms);
    }
    Ok(out)
}

/// The times of the stored frames that need a stand-in, in order (none when stand-ins are
/// off).
fn poor_times(frames: &[BankedFrame], views: &BankViews) -> Vec<u64> {
    if views.stand_in_ms == 0 {
        return Vec::new();
    }
    frames
        .iter()
        .filter(|f| f.frame.hash.quality < STAND_IN_BELOW)
        .map(|f| f.frame.timestamp_ms)
        .collect()
}

/// The time in `sorted` nearest to `t`, if within `radius` ms (the earlier one on a tie).
fn near(sorted: &[u64], t: u64, radius: u32) -> Option<u64> {
    let k = sorted.partition_point(|&s| s < t);
    let after = sorted.get(k).copied();
    let before = k.checked_sub(1).map(|b| sorted[b]);
    let best = match (before, after) {
        (Some(b), Some(a)) => Some(if a - t < t - b { a } else { b }),
        (b, a) => b.or(a),
    };
    best.filter(|&s| s.abs_diff(t) <= radius as u64)
}

/// A candidate stand-in's views, or `None` when the frame is itself too poor to stand in.
fn stand_in_views(
    pdq: &PdqHasher,
    h: &FrameHash,
    luma: &LumaImage,
    views: &BankViews,
) -> Option<Vec<BankedView>> {
    (h.hash.quality >= STAND_IN_QUALITY).then(|| bank_views(pdq, luma, views))
}

/// Inserts after each stored frame of quality below [`STAND_IN_BELOW`] (at the times `poor`)
/// the nearest of the `found` candidates (good enough ones carry their views) within `radius`
/// ms of it, nearer in time first, then higher quality.
fn add_stand_ins(out: &mut Vec<BankedFrame>, poor: &[u64], found: WithViews, radius: u32) {
    // per poor stored time: (time distance, -quality, candidate)
    let mut best: std::collections::BTreeMap<u64, (u64, i32, FrameHash, Vec<BankedView>)> =
        std::collections::BTreeMap::new();
    for (h, v) in found {
        let (Some(v), Some(t)) = (v, near(poor, h.timestamp_ms, radius)) else {
            continue;
        };
        let key = (h.timestamp_ms.abs_diff(t), -i32::from(h.hash.quality));
        match best.get(&t) {
            Some(b) if (b.0, b.1) <= key => {}
            _ => {
                best.insert(t, (key.0, key.1, h, v));
            }
        }
    }
    let mut merged = Vec::with_capacity(out.len() + best.len());
    for f in out.drain(..) {
        let stand_in = (f.frame.hash.quality < STAND_IN_BELOW)
            .then(|| best.remove(&f.frame.timestamp_ms))
            .flatten()
            .map(|(_, _, h, views)| {
                let offset = h.frame_number as i64 - f.frame.frame_number as i64;
                BankedFrame {
                    frame: h,
                    views,
                    stand_in: Some(format!("{STAND_IN_PREFIX}{offset:+}")),
                }
            });
        // in time order: a stand-in before its stored frame goes first
        match stand_in {
            Some(s) if s.frame.frame_number < f.frame.frame_number => {
                merged.push(s);
                merged.push(f);
            }
            s => {
                merged.push(f);
                merged.extend(s);
            }
        }
    }
    *out = merged;
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
