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
    AlignConfig, FrameHash, FrameRate, FrameSource, MatchRule, Mp4H264Source, QueryVideo, Sampling,
    Segment, VideoFrame, VideoHasher, VideoInfo, VideoLimits, VideoQueryOptions,
};
use mediamatch::Dihedral;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate as EncRate, IntraFramePeriod, QpRange,
    RateControlMode,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use openh264::OpenH264API;
use rayon::prelude::*;

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

/// Encodes RGB frames with OpenH264 (Constrained Baseline, constant quantiser) into an MP4.
struct StreamEncoder {
    enc: Encoder,
    width: usize,
    height: usize,
    sps: Vec<u8>,
    pps: Vec<u8>,
    samples: Vec<(Vec<u8>, bool)>,
}

impl StreamEncoder {
    fn new(width: u32, height: u32, rate: FrameRate, qp: u8) -> Result<StreamEncoder, String> {
        // H.264 4:2:0 wants even sides: an odd last row or column is dropped.
        let (width, height) = ((width & !1) as usize, (height & !1) as usize);
        if width == 0 || height == 0 {
            return Err("frames too small to encode".into());
        }
        let fps = rate.as_f64() as f32;
        let cfg = EncoderConfig::new()
            .bitrate(BitRate::from_bps(2_000_000))
            .max_frame_rate(EncRate::from_hz(fps))
            .rate_control_mode(RateControlMode::Bitrate)
            .qp(QpRange::new(qp, qp))
            .skip_frames(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                (2.0 * fps).round().max(1.0) as u32,
            ));
        let enc = Encoder::with_api_config(OpenH264API::from_source(), cfg)
            .map_err(|e| format!("encoder: {e}"))?;
        Ok(StreamEncoder {
            enc,
            width,
            height,
            sps: Vec::new(),
            pps: Vec::new(),
            samples: Vec::new(),
        })
    }

    fn push(&mut self, frame: RgbImage) -> Result<(), String> {
        let (w, h) = (self.width, self.height);
        let frame = if frame.dimensions() == (w as u32, h as u32) {
            frame
        } else if frame.width() as usize >= w && frame.height() as usize >= h {
            image::imageops::crop_imm(&frame, 0, 0, w as u32, h as u32).to_image()
        } else {
            return Err("frame size changed within a copy".into());
        };
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(frame.as_raw(), (w, h)));
        let bs = self
            .enc
            .encode(&yuv)
            .map_err(|e| format!("encoding: {e}"))?
            .to_vec();
        let mut sample = Vec::new();
        let mut idr = false;
        for nal in make::split_annexb(&bs) {
            match nal[0] & 0x1f {
                7 => self.sps = nal.to_vec(),
                8 => self.pps = nal.to_vec(),
                t => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
            }
        }
        self.samples.push((sample, idr));
        Ok(())
    }

    fn finish(self, rate: FrameRate) -> Vec<u8> {
        make::mux_with(
            self.width,
            self.height,
            rate.num,
            &self.sps,
            &self.pps,
            &self.samples,
            make::MuxOpts {
                timescale: Some(rate.num),
                sample_delta: Some(rate.den),
                ..Default::default()
            },
        )
    }
}

/// One transformation of one original in progress.
struct Stage {
    tr: VideoTransformer,
    qp: u8,
    enc: Option<StreamEncoder>,
    err: Option<String>,
}

impl Stage {
    fn emit(
        enc: &mut Option<StreamEncoder>,
        err: &mut Option<String>,
        rate: FrameRate,
        qp: u8,
        f: RgbImage,
    ) {
        if err.is_some() {
            return;
        }
        if enc.is_none() {
            match StreamEncoder::new(f.width(), f.height(), rate, qp) {
                Ok(e) => *enc = Some(e),
                Err(e) => {
                    *err = Some(e);
                    return;
                }
            }
        }
        if let Some(e) = enc.as_mut() {
            if let Err(e) = e.push(f) {
                *err = Some(e);
            }
        }
    }

    fn push(&mut self, n: u64, frame: &RgbImage) {
        if self.err.is_some() {
            return;
        }
        let rate = self.tr.output_rate();
        let (enc, err, qp) = (&mut self.enc, &mut self.err, self.qp);
        if let Err(e) = self
            .tr
            .push(n, frame, &mut |f| Stage::emit(enc, err, rate, qp, f))
        {
            self.err = Some(e.to_string());
        }
    }

    fn finish(mut self) -> Result<(Vec<u8>, Placement, u64), String> {
        let rate = self.tr.output_rate();
        let (enc, err, qp) = (&mut self.enc, &mut self.err, self.qp);
        self.tr
            .finish(&mut |f| Stage::emit(enc, err, rate, qp, f))
            .map_err(|e| e.to_string())?;
        if let Some(e) = self.err {
            return Err(e);
        }
        let enc = self.enc.ok_or("the copy has no frames")?;
        Ok((enc.finish(rate), self.tr.placement(), self.tr.frames_out()))
    }
}

/// Hands every decoded frame of the processed part to a callback before the hasher sees it,
/// and ends the stream at the duration cap.
struct Tee<'a, S> {
    inner: S,
    cap: u64,
    on_frame: &'a mut dyn FnMut(&VideoFrame),
}

impl<S: FrameSource> FrameSource for Tee<'_, S> {
    fn info(&self) -> &VideoInfo {
        self.inner.info()
    }
    fn set_sampling(&mut self, _: Sampling) {
        // every frame feeds the transformations; the hasher samples by itself
        self.inner.set_sampling(Sampling::EveryFrame);
    }
    fn next_frame(&mut self) -> mediamatch::Result<Option<VideoFrame>> {
        match self.inner.next_frame()? {
            Some(f) if f.frame_number < self.cap => {
                (self.on_frame)(&f);
                Ok(Some(f))
            }
            _ => Ok(None),
        }
    }
}

/// Keeps the last frame it handed out, so that a second hasher can hash exactly the frames the
/// first one sampled.
struct Keep<S> {
    inner: S,
    last: Rc<RefCell<Option<VideoFrame>>>,
}

impl<S: FrameSource> FrameSource for Keep<S> {
    fn info(&self) -> &VideoInfo {
        self.inner.info()
    }
    fn set_sampling(&mut self, s: Sampling) {
        self.inner.set_sampling(s);
    }
    fn next_frame(&mut self) -> mediamatch::Result<Option<VideoFrame>> {
        let f = self.inner.next_frame()?;
        *self.last.borrow_mut() = f.clone();
        Ok(f)
    }
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

/// Whether alignment located the original in a copy (see the module docs).
pub fn located(segs: &[Segment], p: &Placement, excerpt: bool) -> bool {
    let near = |a: u64, b: u64| a.abs_diff(b) <= 1000;
    let truth_offset = p.copy_start_ms as i64 - p.original_start_ms as i64;
    segs.iter().any(|s| {
        if excerpt {
            let last = p.duration_ms.saturating_sub(1000);
            near(s.query_start_ms, p.copy_start_ms)
                && near(s.known_start_ms, p.original_start_ms)
                && near(s.query_end_ms, p.copy_start_ms + last)
                && near(s.known_end_ms, p.original_start_ms + last)
        } else {
            (s.offset_ms() - truth_offset).abs() <= 1000
        }
    })
}

/// Location error of the segment with most frames, ms (largest of its start errors).
fn location_error(segs: &[Segment], p: &Placement) -> Option<u32> {
    let s = segs.iter().max_by_key(|s| s.frames_matched)?;
    Some(
        s.query_start_ms
            .abs_diff(p.copy_start_ms)
            .max(s.known_start_ms.abs_diff(p.original_start_ms))
            .min(u32::MAX as u64) as u32,
    )
}

/// Nearest-neighbour distance of each usable query frame among the usable known frames (the
/// smallest over the frame's usable hashes: alternatives and transforms).
fn frame_distances(
    query: &QueryVideo,
    known: &[FrameHash],
    window: Option<&Placement>,
) -> Vec<u32> {
    let known: Vec<_> = known.iter().filter(|f| f.hash.quality >= 50).collect();
    if known.is_empty() {
        return Vec::new();
    }
    query
        .frames
        .iter()
        .filter(|f| {
            window.is_none_or(|p| {
                f.timestamp_ms >= p.copy_start_ms
                    && f.timestamp_ms < p.copy_start_ms + p.duration_ms
            })
        })
        .filter_map(|q| {
            q.hashes
                .iter()
                .flatten()
                .filter(|h| h.quality >= 50)
                .flat_map(|h| known.iter().map(|k| h.hash.distance(&k.hash.hash)))
                .min()
        })
        .collect()
}

/// Results of one (transformation, method) cell.
#[derive(Default, Clone)]
pub struct Cell {
    /// True pairs evaluated.
    pub pairs: usize,
    /// True pairs matched (located, for alignment).
    pub matched: usize,
    /// Query % of the true pairs (vPDQ methods).
    pub query_pct: Vec<f64>,
    /// Known % of the true pairs (vPDQ methods).
    pub known_pct: Vec<f64>,
    /// Location error of the best segment, ms (alignment methods).
    pub loc_err: Vec<u32>,
    /// Distinct pairs (copy of one original against another original).
    pub distinct_pairs: usize,
    /// Distinct pairs that matched.
    pub false_matches: usize,
    /// Highest query % among distinct pairs (vPDQ methods).
    pub max_distinct_query_pct: f64,
}

impl Cell {
    /// Share of true pairs matched.
    pub fn recall(&self) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            self.matched as f64 / self.pairs as f64
        }
    }
}

/// Everything the report needs.
pub struct Report {
    /// Transformation names, in row order.
    pub transforms: Vec<String>,
    /// `cells[t][m]`, `m` indexing [`METHODS`].
    pub cells: Vec<Vec<Cell>>,
    /// Per transformation, true-pair frame distances per query variant.
    pub frame_dist: Vec<[Vec<u32>; VARIANTS]>,
    /// Distinct-pair frame distances over all transformations per query variant.
    pub distinct_frame_dist: [Vec<u32>; VARIANTS],
    /// Per method, the pairs of distinct originals (originals themselves as queries).
    pub originals: Vec<Cell>,
    /// Mean size of the copies per transformation, bytes.
    pub mean_bytes: Vec<f64>,
    /// Copies that failed.
    pub failures: usize,
    /// Originals taking part.
    pub videos: usize,
    /// Ordered pairs of different originals left out as versions of the same footage.
    pub related_pairs: usize,
}

/// The content group of each original (see [`BenchConfig::group_by_prefix`]).
fn groups(originals: &[Original], by_prefix: bool) -> Vec<String> {
    originals
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let stem = o
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match stem.split_once('-') {
                Some((prefix, _)) if by_prefix => prefix.to_string(),
                _ => format!("{i}:{stem}"),
            }
        })
        .collect()
}

/// Decision of one method for a query against stored hashes: (matched, query %, known %,
/// segments).
fn judge(
    m: usize,
    query: &QueryVideo,
    known: &[FrameHash],
) -> (Option<(f64, f64)>, Option<Vec<Segment>>) {
    match m % 3 {
        0 | 1 => {
            let rule = if m.is_multiple_of(3) {
                MatchRule::cpp()
            } else {
                MatchRule::pytx()
            };
            let p = query.match_percentages(known, rule).percentages;
            (Some((p.query, p.target)), None)
        }
        _ => (
            None,
            Some(query.align(known, &AlignConfig::default()).segments),
        ),
    }
}

/// Compares every copy with every original.
pub fn evaluate(originals: &[Original], cfg: &BenchConfig) -> Report {
    let nt = cfg.transforms.len();
    let n = originals.len();
    let group = groups(originals, cfg.group_by_prefix);
    let related = |i: usize, j: usize| i != j && group[i] == group[j];
    let is_match = |pct: (f64, f64)| pct.0 >= cfg.query_pct && pct.1 >= cfg.known_pct;
    // per transformation: cells, true-pair and distinct-pair frame distances, mean size, failures
    type PerTransform = (
        Vec<Cell>,
        [Vec<u32>; VARIANTS],
        [Vec<u32>; VARIANTS],
        f64,
        usize,
    );
    let per_t: Vec<PerTransform> = (0..nt)
        .into_par_iter()
        .map(|t| {
            let excerpt = cfg.transforms[t].is_excerpt();
            let mut cells = vec![Cell::default(); METHODS.len()];
            let mut fd: [Vec<u32>; VARIANTS] = Default::default();
            let mut dd: [Vec<u32>; VARIANTS] = Default::default();
            let (mut bytes, mut ok, mut failed) = (0.0, 0usize, 0usize);
            for (i, o) in originals.iter().enumerate() {
                let Ok(c) = &o.copies[t] else {
                    failed += 1;
                    continue;
                };
                bytes += c.bytes as f64;
                ok += 1;
                let qv = variants(&c.query);
                for (j, k) in originals.iter().enumerate() {
                    if related(i, j) {
                        continue;
                    }
                    for (v, q) in qv.iter().enumerate() {
                        if i == j {
                            fd[v].extend(frame_distances(q, &k.hashes, Some(&c.placement)));
                        } else {
                            dd[v].extend(frame_distances(q, &k.hashes, None));
                        }
                        for mm in 0..3 {
                            let m = v * 3 + mm;
                            let cell = &mut cells[m];
                            let (pct, segs) = judge(m, q, &k.hashes);
                            if i == j {
                                cell.pairs += 1;
                                if let Some(p) = pct {
                                    cell.query_pct.push(p.0);
                                    cell.known_pct.push(p.1);
                                    cell.matched += usize::from(is_match(p));
                                }
                                if let Some(s) = &segs {
                                    cell.matched += usize::from(located(s, &c.placement, excerpt));
                                    if let Some(e) = location_error(s, &c.placement) {
                                        cell.loc_err.push(e);
                                    }
                                }
                            } else {
                                cell.distinct_pairs += 1;
                                if let Some(p) = pct {
                                    cell.false_matches += usize::from(is_match(p));
                                    cell.max_distinct_query_pct =
                                        cell.max_distinct_query_pct.max(p.0);
                                }
                                if let Some(s) = &segs {
                                    cell.false_matches += usize::from(!s.is_empty());
                                }
                            }
                        }
                    }
                }
            }
            let mean = if ok > 0 { bytes / ok as f64 } else { 0.0 };
            (cells, fd, dd, mean, failed)
        })
        .collect();
    let mut originals_cells = vec![Cell::default(); METHODS.len()];
    for (i, a) in originals.iter().enumerate() {
        let av = variants(&a.query);
        for (j, b) in originals.iter().enumerate() {
            if i == j || related(i, j) {
                continue;
            }
            // the originals as queries (hashed with the same options as the copies) against
            // the others' stored plain hashes
            for (m, cell) in originals_cells.iter_mut().enumerate() {
                let (pct, segs) = judge(m, &av[m / 3], &b.hashes);
                cell.distinct_pairs += 1;
                if let Some(p) = pct {
                    cell.false_matches += usize::from(is_match(p));
                    cell.max_distinct_query_pct = cell.max_distinct_query_pct.max(p.0);
                }
                if let Some(s) = segs {
                    cell.false_matches += usize::from(!s.is_empty());
                }
            }
        }
    }
    let mut report = Report {
        transforms: cfg.transforms.iter().map(|t| t.name()).collect(),
        cells: Vec::new(),
        frame_dist: Vec::new(),
        distinct_frame_dist: Default::default(),
        originals: originals_cells,
        mean_bytes: Vec::new(),
        failures: 0,
        videos: n,
        related_pairs: (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| related(i, j))
            .count(),
    };
    for (cells, fd, dd, mean, failed) in per_t {
        report.cells.push(cells);
        report.frame_dist.push(fd);
        for (all, d) in report.distinct_frame_dist.iter_mut().zip(dd) {
            all.extend(d);
        }
        report.mean_bytes.push(mean);
        report.failures += failed;
    }
    report
}

/// Nearest-rank percentile of percentages.
pub fn pct_percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.saturating_sub(1).min(v.len() - 1)])
}

fn f1(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn u(x: Option<u32>) -> String {
    x.map_or_else(|| "-".into(), |v| v.to_string())
}

fn pctl(v: &[u32], p: f64) -> Option<u32> {
    mediamatch::robustness::percentile(v, p)
}

impl Report {
    /// The Markdown tables.
    pub fn markdown(&self, cfg: &BenchConfig) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "## Video robustness: {} originals (first {} s of each), {} transformations\n\n",
            self.videos,
            cfg.max_seconds,
            self.transforms.len()
        ));
        s.push_str(&format!(
            "Recall in %. vPDQ: one frame per second; a copy matches when query % ≥ {} and known % ≥ {} \
             (`cpp`: distance < 31; `pytx`: de-duplicated, distance ≤ 31; both quality ≥ 50). \
             `align`: the original located by temporal alignment (excerpts: start and end within ±1 s; \
             others: the true time offset ±1 s). `+unlb`: each copy frame hashed as is and after letterbox \
             removal, a frame matching if either does; `+dih`: matched under each of the 8 dihedral \
             transforms of the copy's frames, the best transform kept per pair (stored hashes stay plain vPDQ).\n\n",
            cfg.query_pct, cfg.known_pct
        ));
        s.push_str("| transformation |");
        for m in METHODS {
            s.push_str(&format!(" {m} |"));
        }
        s.push_str("\n|---|");
        for _ in METHODS {
            s.push_str("---:|");
        }
        s.push('\n');
        for (t, name) in self.transforms.iter().enumerate() {
            s.push_str(&format!("| {name} |"));
            for c in &self.cells[t] {
                s.push_str(&format!(" {:.1} |", 100.0 * c.recall()));
            }
            s.push('\n');
        }
        s.push_str(
            "\nTrue pairs: vPDQ percentages (pytx rule) as median / 5th percentile (the low tail is \
             what misses), nearest-neighbour frame distance (copy frame showing the original → closest \
             stored frame, quality ≥ 50) as median / 95th percentile, alignment's location error of the \
             best segment (ms, median / 95th percentile), mean size of the copy.\n\n",
        );
        s.push_str("| transformation | query % | known % | +unlb query % | +dih+unlb query % | frame distance | +unlb frame distance | +dih+unlb frame distance | location error ms | copy KB |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (t, name) in self.transforms.iter().enumerate() {
            let c = &self.cells[t];
            let fd = &self.frame_dist[t];
            s.push_str(&format!(
                "| {name} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {:.0} |\n",
                f1(pct_percentile(&c[1].query_pct, 50.0)),
                f1(pct_percentile(&c[1].query_pct, 5.0)),
                f1(pct_percentile(&c[1].known_pct, 50.0)),
                f1(pct_percentile(&c[1].known_pct, 5.0)),
                f1(pct_percentile(&c[4].query_pct, 50.0)),
                f1(pct_percentile(&c[4].query_pct, 5.0)),
                f1(pct_percentile(&c[10].query_pct, 50.0)),
                f1(pct_percentile(&c[10].query_pct, 5.0)),
                u(pctl(&fd[0], 50.0)),
                u(pctl(&fd[0], 95.0)),
                u(pctl(&fd[1], 50.0)),
                u(pctl(&fd[1], 95.0)),
                u(pctl(&fd[3], 50.0)),
                u(pctl(&fd[3], 95.0)),
                u(pctl(&c[2].loc_err, 50.0)),
                u(pctl(&c[2].loc_err, 95.0)),
                self.mean_bytes[t] / 1000.0
            ));
        }
        s.push_str(
            "\nFalse matches (ordered pairs of distinct originals: the originals themselves, and every \
             copy against the other originals):\n\n",
        );
        if self.related_pairs > 0 {
            s.push_str(&format!(
                "{} ordered pairs of originals whose names share the prefix before the first `-` were left \
                 out as versions of the same footage.\n\n",
                self.related_pairs
            ));
        }
        s.push_str("| method | originals: pairs | false | copies: pairs | false | rate | highest distinct query % |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for (m, name) in METHODS.iter().enumerate() {
            let o = &self.originals[m];
            let (mut pairs, mut fm, mut maxq) = (0, 0, o.max_distinct_query_pct);
            for row in &self.cells {
                pairs += row[m].distinct_pairs;
                fm += row[m].false_matches;
                maxq = maxq.max(row[m].max_distinct_query_pct);
            }
            let rate = if pairs > 0 {
                100.0 * fm as f64 / pairs as f64
            } else {
                0.0
            };
            let maxq = if m % 3 == 2 {
                "-".to_string()
            } else {
                format!("{maxq:.1}")
            };
            s.push_str(&format!(
                "| {name} | {} | {} | {pairs} | {fm} | {rate:.2}% | {maxq} |\n",
                o.distinct_pairs, o.false_matches
            ));
        }
        if self.failures > 0 {
            s.push_str(&format!(
                "\n{} copies failed and were left out (see stderr).\n",
                self.failures
            ));
        }
        s
    }

    /// CSV rows (with header) for `video-results.csv`.
    pub fn csv(&self, cfg: &BenchConfig) -> String {
        let mut s = String::from(
            "transformation,method,videos,pairs,matched,recall,query_pct_median,query_pct_p5,known_pct_median,known_pct_p5,frame_dist_median,frame_dist_p95,loc_err_ms_median,loc_err_ms_p95,distinct_pairs,false_matches,false_match_rate,max_distinct_query_pct,mean_copy_bytes,query_pct_min,known_pct_min\n",
        );
        let row = |s: &mut String,
                   t: &str,
                   m: usize,
                   c: &Cell,
                   fd: Option<&[Vec<u32>; VARIANTS]>,
                   bytes: f64| {
            let fd = fd.map(|f| &f[m / 3]);
            let rate = if c.distinct_pairs > 0 {
                c.false_matches as f64 / c.distinct_pairs as f64
            } else {
                0.0
            };
            s.push_str(&format!(
                "{t},{},{},{},{},{:.6},{},{},{},{},{},{},{},{},{},{},{:.8},{:.2},{:.0},{},{}\n",
                METHODS[m],
                self.videos,
                c.pairs,
                c.matched,
                c.recall(),
                f1(pct_percentile(&c.query_pct, 50.0)),
                f1(pct_percentile(&c.query_pct, 5.0)),
                f1(pct_percentile(&c.known_pct, 50.0)),
                f1(pct_percentile(&c.known_pct, 5.0)),
                u(fd.and_then(|f| pctl(f, 50.0))),
                u(fd.and_then(|f| pctl(f, 95.0))),
                u(pctl(&c.loc_err, 50.0)),
                u(pctl(&c.loc_err, 95.0)),
                c.distinct_pairs,
                c.false_matches,
                rate,
                c.max_distinct_query_pct,
                bytes,
                f1(pct_percentile(&c.query_pct, 0.0)),
                f1(pct_percentile(&c.known_pct, 0.0)),
            ));
        };
        let _ = cfg;
        for (t, name) in self.transforms.iter().enumerate() {
            for (m, c) in self.cells[t].iter().enumerate() {
                row(
                    &mut s,
                    name,
                    m,
                    c,
                    Some(&self.frame_dist[t]),
                    self.mean_bytes[t],
                );
            }
        }
        for (m, c) in self.originals.iter().enumerate() {
            row(&mut s, "distinct-originals", m, c, None, 0.0);
        }
        s
    }
}
