//! The video part of the robustness benchmark (included with `#[path]` by
//! `examples/robustness.rs` and by the integration test `tests/robustness_video.rs`).
//!
//! Per original video: decode it once (the build's backend), stream every frame of the first
//! `max_seconds` through one [`VideoTransformer`] per transformation, encode each copy as it
//! goes with OpenH264 into an in-memory MP4 (the MP4 writer of `tests/video/make.rs`), hash the
//! original's frames with [`VideoHasher`] on the way (vPDQ, one frame per second), then decode
//! and hash each copy twice: plain vPDQ, and with letterbox removal (query side only; the stored
//! hashes of the originals stay plain vPDQ). Memory: one frame per transformation plus the
//! compressed copies of the videos in flight.
//!
//! Methods, for a copy of original `i` against the stored hashes of original `j`:
//! * `vpdq-cpp`, `vpdq-pytx`: the reference's bag-of-frames percentages under the C++ rule
//!   (distance < 31, quality ≥ 50) and the python-threatexchange rule (de-duplicated, distance
//!   ≤ 31, quality ≥ 50); a match when query % ≥ `query_pct` and known % ≥ `known_pct`
//!   (defaults 80 and 0: pytx `VPDQSignal`'s decision).
//! * `align`: our temporal alignment ([`align`] with [`AlignConfig::default`]). For a true pair
//!   it counts when a segment is *located*: for the excerpt transformations, one segment whose
//!   copy and original start and end times are all within ±1 s of the truth; for the others, a
//!   segment at the true time offset ±1 s. For a distinct pair any segment is a false match.
//! * `+unlb`: the same, each copy frame hashed both as is and after letterbox removal; a
//!   copy frame matches a stored frame if either hash does, at the smaller distance
//!   ([`VideoQueryOptions::unletterbox`]).
//! * `+dih`: the same, under each of the eight dihedral transforms of the copy's frames (from
//!   one DCT per frame), keeping the transform with the best result for each (copy, original)
//!   pair ([`VideoQueryOptions::transforms`]); `+dih+unlb` both.

use std::cell::RefCell;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use image::RgbImage;
use mediamatch::robustness::{Placement, VideoTransform, VideoTransformer};
use mediamatch::video::{
    FrameHash, FrameSource, Mp4H264Source, QueryVideo, VideoFrame, VideoHasher, VideoLimits,
    VideoQueryOptions,
};
use mediamatch::Dihedral;
use rayon::prelude::*;

#[path = "video_bench/encode.rs"]
mod encode;
#[path = "video_bench/evaluate.rs"]
mod evaluate;
#[path = "video_bench/report.rs"]
mod report;

use encode::{Keep, Stage, Tee};
#[allow(unused_imports)]
pub use evaluate::{evaluate, located, Cell, Report};
#[allow(unused_imports)]
pub use report::pct_percentile;

// The integration tests load this file too, next to their own copy of `make`.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../tests/video/make.rs"]
pub mod make;

/// The benchmark's method names, in column order.
pub const METHODS: [&str; 12] = [
    "vpdq-cpp",
    "vpdq-pytx",
    "align",
    "vpdq-cpp+unlb",
    "vpdq-pytx+unlb",
    "align+unlb",
    "vpdq-cpp+dih",
    "vpdq-pytx+dih",
    "align+dih",
    "vpdq-cpp+dih+unlb",
    "vpdq-pytx+dih+unlb",
    "align+dih+unlb",
];

/// Query variants in [`METHODS`] order (three methods each): plain, +unlb, +dih, +dih+unlb.
pub const VARIANTS: usize = 4;

/// The query variants of a fully hashed query ([`VideoQueryOptions::robust`]).
pub fn variants(q: &QueryVideo) -> [QueryVideo; VARIANTS] {
    let id = [Dihedral::Original];
    [
        q.subset(&id, false),
        q.subset(&id, true),
        q.subset(&Dihedral::ALL, false),
        q.clone(),
    ]
}

/// Settings of the video benchmark.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Only the first this many seconds of each original are processed.
    pub max_seconds: f64,
    /// Seed of the generated footage and the logo's corner.
    pub seed: u64,
    /// OpenH264 quantiser of the copies (0 best – 51 worst).
    pub qp: u8,
    /// Quantiser of the low-bitrate copy.
    pub low_qp: u8,
    /// vPDQ decision: query % at least this.
    pub query_pct: f64,
    /// vPDQ decision: known (compared) % at least this.
    pub known_pct: f64,
    /// The transformations.
    pub transforms: Vec<VideoTransform>,
    /// Treat originals whose file names share the part before the first `-` as versions of the
    /// same footage: their pairs are neither true nor distinct pairs (for sets such as the vPDQ
    /// sample clips, where `pattern-hd-no-bar` and `pattern-sd-grey-bar` show the same scene).
    pub group_by_prefix: bool,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            max_seconds: 60.0,
            seed: 1,
            qp: 26,
            low_qp: 42,
            query_pct: 80.0,
            known_pct: 0.0,
            transforms: VideoTransform::standard_set(),
            group_by_prefix: false,
        }
    }
}

/// A transformed copy, hashed.
pub struct Copy {
    /// The query hashes ([`VideoQueryOptions::robust`]: plain and unletterboxed, 8 transforms).
    pub query: QueryVideo,
    /// Where the original shows in the copy.
    pub placement: Placement,
    /// Size of the encoded MP4.
    pub bytes: usize,
}

/// An original and its copies.
pub struct Original {
    /// The file.
    pub path: PathBuf,
    /// Its stored hashes (plain vPDQ of the processed part).
    pub hashes: Vec<FrameHash>,
    /// The original hashed as a query ([`VideoQueryOptions::robust`]), for the distinct pairs
    /// of originals.
    pub query: QueryVideo,
    /// Frames processed.
    pub frames: u64,
    /// Per transformation, the copy or why it failed.
    pub copies: Vec<Result<Copy, String>>,
}

/// Hashes an encoded copy as a query: plain vPDQ and after letterbox removal, under the eight
/// dihedral transforms.
fn hash_copy(mp4: Vec<u8>) -> Result<QueryVideo, String> {
    let len = mp4.len() as u64;
    let src = Mp4H264Source::from_reader(Cursor::new(mp4), len, VideoLimits::default())
        .map_err(|e| e.to_string())?;
    VideoHasher::new()
        .hash_query_source(src, &VideoQueryOptions::robust())
        .map_err(|e| e.to_string())
}

/// Decodes `path`, makes and hashes every copy. `progress` is called once per copy done.
pub fn process(
    path: &Path,
    cfg: &BenchConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<Original, String> {
    let hasher = VideoHasher::new();
    let src = hasher.open(path).map_err(|e| e.to_string())?;
    let info = src.info().clone();
    let rate = info
        .frame_rate
        .ok_or("the video has no frame rate, so no vPDQ timestamps")?;
    let cap = (cfg.max_seconds.max(0.0) * rate.as_f64()).floor() as u64;
    let total = info.frame_count.map(|c| c.min(cap));
    let mut stages: Vec<Stage> = cfg
        .transforms
        .iter()
        .map(|&t| {
            VideoTransformer::new(t, rate, info.width, info.height, total, cfg.seed)
                .map(|tr| Stage {
                    tr,
                    qp: if t.low_bitrate() { cfg.low_qp } else { cfg.qp },
                    enc: None,
                    err: None,
                })
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let mut frames = 0u64;
    let mut frame_err: Option<String> = None;
    let mut on_frame = |f: &VideoFrame| {
        frames = frames.max(f.frame_number + 1);
        let rgb = f
            .pixels
            .to_rgb24()
            .map_err(|e| e.to_string())
            .and_then(|raw| {
                RgbImage::from_raw(info.width, info.height, raw)
                    .ok_or_else(|| "decoded frame size differs from the stream's".to_string())
            });
        match rgb {
            Ok(rgb) => stages
                .par_iter_mut()
                .for_each(|s| s.push(f.frame_number, &rgb)),
            Err(e) => frame_err = Some(e),
        }
    };
    let last = Rc::new(RefCell::new(None));
    let opts = VideoQueryOptions::robust();
    let mut hashes: Vec<FrameHash> = Vec::new();
    let mut query = QueryVideo {
        transforms: Dihedral::ALL.to_vec(),
        frames: Vec::new(),
        layouts: Vec::new(),
    };
    for h in hasher.frames(Keep {
        inner: Tee {
            inner: src,
            cap,
            on_frame: &mut on_frame,
        },
        last: Rc::clone(&last),
    }) {
        hashes.push(h.map_err(|e| e.to_string())?);
        let f = last.borrow();
        let f = f.as_ref().ok_or("hash without a frame")?;
        query.frames.push(
            hasher
                .hash_query_frame(f, Some(rate), &opts)
                .map_err(|e| e.to_string())?,
        );
    }
    if let Some(e) = frame_err {
        return Err(e);
    }
    let copies = stages
        .into_par_iter()
        .map(|s| {
            let r = s.finish().and_then(|(mp4, placement, _)| {
                let bytes = mp4.len();
                let query = hash_copy(mp4)?;
                Ok(Copy {
                    query,
                    placement,
                    bytes,
                })
            });
            progress();
            r
        })
        .collect();
    Ok(Original {
        path: path.to_path_buf(),
        hashes,
        query,
        frames,
        copies,
    })
}
