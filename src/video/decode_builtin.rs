//! The built-in backend: H.264 in MP4/MOV (fragmented too), pure Rust.
//!
//! * Demuxing: our own [`super::mp4`] reader (bounds-checked; `re_mp4`, recommended by the
//!   decoder study, indexes its sample tables unchecked and panics on corrupt files).
//! * Decoding: `rust_h264` (pinned `=0.6.0`), measured bit-exact against FFmpeg on High-profile
//!   B-frame streams (`../shared/notes/video-decoding.md`), hidden behind this module. Its
//!   low-level decode-order API is used; display order comes from the container's composition
//!   times, so every frame carries its vPDQ frame number even when others are skipped, and the
//!   set of hashed frames is known before anything is decoded.
//! * Work skipping, all exact (the output equals a decode of every frame):
//!   - samples that are neither hashed nor referenced (`nal_ref_idc == 0`) are not decoded;
//!   - *GOP tails*: an IDR access unit (NAL type 5) starts a closed GOP that never refers to
//!     anything before it, so within each IDR-delimited segment the samples after (in decode
//!     order) the last hashed one are not decoded; their parameter sets are still read;
//!   - with [`Sampling::Keyframes`] only sync samples are decoded.
//!
//!   Splitting happens at samples whose first slice is an IDR slice, and at open-GOP
//!   recovery points that promise exact decoding from them (an I slice and a recovery point
//!   SEI with `recovery_frame_cnt` 0 and `exact_match_flag` 1): the task before such a point
//!   also decodes the point and its *leading pictures* (decoded after it, shown before it,
//!   referring to earlier pictures) when one of those is hashed, and the task starting there
//!   returns only frames shown from the point on (so the samples before a recovery point
//!   after its segment's last hashed one are skipped as a GOP tail too, unless a leading
//!   picture is hashed; a sequential decode skips them too). Other sync samples never start
//!   a task.
//! * Parallel decoding: the same IDR segments are independent, so [`super::VideoHasher`]
//!   decodes groups of them on the rayon pool, one decoder each (see [`Splitter`]), each task
//!   hashing its frames as they come and keeping only the hashes. The plans (which samples,
//!   which tasks) are made by [`super::h264`], which the FFmpeg backend uses too.
//! * Refused with [`VideoErrorKind::UnsupportedCodec`] (naming the `ffmpeg` feature): other
//!   codecs, and H.264 other than 8-bit 4:2:0/4:0:0, because our colour conversion reproduces
//!   FFmpeg's exactly only for those.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Seek};
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use rust_h264::decoder::{ChromaFormat, Decoder, Frame};
use rust_h264::nal::{parse_avcc, parse_avcc_config, parse_sps_info, NalUnit, NalUnitType};

use super::h264::plan::{sequential_plan, Action};
use super::h264::split::{Splitter, MIN_TASK_SAMPLES};
use super::h264::stream::{Opener, ReadSeek, Stream, Windowed, FEATURE_HINT};
use super::sample::{Sampler, Sampling};
use super::{DecodeReport, FramePixels, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

/// Frames kept waiting for an earlier display index before giving up on it.
const REORDER_DEPTH: usize = 34;

/// A decoder loaded with the stream's `avcC` parameter sets; returns it, the full-range flag
/// and whether an SPS was accepted.
fn new_decoder(stream: &Stream) -> Result<(Decoder, bool, bool)> {
    let mut decoder = Decoder::new();
    let mut full_range = false;
    let mut sps_ok = false;
    if let Some(avcc) = &stream.track.codec.avcc {
        let cfg = parse_avcc_config(avcc).map_err(|e| {
            Error::from(VideoError::new(
                VideoErrorKind::Container,
                format!("bad avcC box: {e}"),
            ))
        })?;
        for nal in cfg.sps_nals.iter().chain(cfg.pps_nals.iter()) {
            if nal.nal_unit_type == NalUnitType::Sps {
                full_range = check_sps(nal, &stream.limits)?;
                sps_ok = true;
            }
            decode_guarded(&mut decoder, nal, &mut 0)?;
        }
    }
    Ok((decoder, full_range, sps_ok))
}

/// The source decoding task `t` of `split` alone. A finished task passed as `prev` lends its
/// reader.
pub(crate) fn task_source(
    split: &Splitter,
    t: usize,
    prev: Option<Mp4H264Source>,
) -> Result<Mp4H264Source> {
    let range = split.tasks()[t].clone();
    let (mut decoder, mut full_range, mut sps_ok) = new_decoder(&split.stream)?;
    // the parameter sets of earlier samples, in order, as a sequential decode has seen them
    for (_, ps) in split
        .parameter_sets
        .iter()
        .filter(|(i, _)| *i < range.start)
    {
        for nal in parse_avcc(ps, 4) {
            if nal.nal_unit_type == NalUnitType::Sps {
                full_range = check_sps(&nal, &split.stream.limits)?;
                sps_ok = true;
            }
            decode_guarded(&mut decoder, &nal, &mut 0)?;
        }
    }
    let reader = match prev {
        Some(p) => p.reader,
        None => split.opener.open()?,
    };
    let mut src = Mp4H264Source::new(
        split.stream.clone(),
        Some(split.opener.clone()),
        reader,
        decoder,
        full_range,
    );
    src.sampler = split.sampler;
    src.skip_non_reference = split.skip_non_reference;
    src.sps_ok = sps_ok;
    src.make_task_plan(
        split.action.clone(),
        range,
        split.overhang(t),
        split.bounds(t),
    );
    Ok(src)
}

/// Decodes H.264 video from an MP4/MOV file or reader.
///
/// ```no_run
/// use mediamatch::video::{FrameSource, Mp4H264Source, VideoHasher, VideoLimits};
/// let src = Mp4H264Source::open("clip.mp4", VideoLimits::default())?;
/// println!("{}x{} at {:?}", src.info().width, src.info().height, src.info().frame_rate);
/// let hashes: Vec<_> = VideoHasher::new().frames(src).collect::<Result<_, _>>()?;
/// println!("{} frames hashed", hashes.len());
/// Ok::<(), mediamatch::Error>(())
/// ```
pub struct Mp4H264Source {
    stream: Arc<Stream>,
    /// For parallel tasks: how to open the same bytes again.
    opener: Option<Opener>,
    reader: Box<dyn ReadSeek>,
    decoder: Decoder,
    /// The SPS signals full-range ("PC") levels.
    full_range: bool,
    sampler: Sampler,
    /// Samples this source decodes (all, or one parallel task's).
    range: Range<usize>,
    /// Samples decoded after `range` (a parallel task's, see [`Splitter::overhang`]).
    overhang: Range<usize>,
    /// Display indices returned: `bounds.0..bounds.1`.
    bounds: (u64, u64),
    next_sample: usize,
    /// Sample whose picture the decoder is building.
    building: Option<usize>,
    /// Decoded frames waiting for their turn, by display index.
    ready: BTreeMap<u64, VideoFrame>,
    /// Display indices still expected, in order.
    expected: VecDeque<u64>,
    plan_made: bool,
    action: Arc<Vec<Action>>,
    buf: Vec<u8>,
    flushed: bool,
    failed: bool,
    skip_non_reference: bool,
    skip_gop_tails: bool,
    /// An SPS was accepted (the stream's declared format is one this backend decodes): a
    /// later "unsupported" from the decoder means damaged data.
    sps_ok: bool,
    /// Damage met so far.
    report: DecodeReport,
}

impl std::fmt::Debug for Mp4H264Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp4H264Source")
            .field("info", &self.stream.info)
            .field("samples", &self.range)
            .field("next_sample", &self.next_sample)
            .finish_non_exhaustive()
    }
}

fn unsupported(detail: String) -> Error {
    VideoError::new(VideoErrorKind::UnsupportedCodec, detail).into()
}

fn decoder_err(detail: impl Into<String>) -> Error {
    VideoError::new(VideoErrorKind::Decoder, detail.into()).into()
}

fn is_vcl(n: &NalUnit<'_>) -> bool {
    matches!(n.nal_unit_type, NalUnitType::Slice | NalUnitType::SliceIdr)
}

impl Mp4H264Source {
    /// Opens a file.
    pub fn open(path: impl AsRef<Path>, limits: VideoLimits) -> Result<Mp4H264Source> {
        let (stream, opener, reader) = Stream::open_file(path.as_ref(), limits)?;
        Self::with_stream(stream, Some(opener), Box::new(reader))
    }

    /// Reads an MP4/MOV held in memory (parallel decoding shares the buffer).
    pub fn from_bytes(bytes: Arc<[u8]>, limits: VideoLimits) -> Result<Mp4H264Source> {
        let (stream, opener) = Stream::from_bytes(bytes, limits)?;
        let reader = opener.open()?;
        Self::with_stream(stream, Some(opener), reader)
    }

    /// Reads from any seekable reader of `len` bytes (decoded sequentially: a parallel
    /// decode needs [`Mp4H264Source::open`] or [`Mp4H264Source::from_bytes`]).
    pub fn from_reader<R: Read + Seek + Send + 'static>(
        mut reader: R,
        len: u64,
        limits: VideoLimits,
    ) -> Result<Mp4H264Source> {
        let stream = Stream::from_reader(&mut reader, len, limits)?;
        Self::with_stream(stream, None, Box::new(Windowed::new(reader)))
    }

    /// A source over a parsed stream, with the decoder loaded with its `avcC`.
    fn with_stream(
        stream: Stream,
        opener: Option<Opener>,
        reader: Box<dyn ReadSeek>,
    ) -> Result<Mp4H264Source> {
        if let Some(avcc) = &stream.track.codec.avcc {
            let cfg = parse_avcc_config(avcc).map_err(|e| {
                Error::from(VideoError::new(
                    VideoErrorKind::Container,
                    format!("bad avcC box: {e}"),
                ))
            })?;
            if cfg.length_size != stream.length_size {
                return Err(VideoError::new(
                    VideoErrorKind::Container,
                    format!("bad avcC NAL length size {}", cfg.length_size),
                )
                .into());
            }
        }
        let stream = Arc::new(stream);
        let (decoder, full_range, sps_ok) = new_decoder(&stream)?;
        let mut src = Mp4H264Source::new(stream, opener, reader, decoder, full_range);
        src.sps_ok = sps_ok;
        Ok(src)
    }

    fn new(
        stream: Arc<Stream>,
        opener: Option<Opener>,
        reader: Box<dyn ReadSeek>,
        decoder: Decoder,
        full_range: bool,
    ) -> Mp4H264Source {
        let n = stream.track.samples.len();
        Mp4H264Source {
            stream,
            opener,
            reader,
            decoder,
            full_range,
            sampler: Sampler::new(Sampling::EveryFrame, None),
            range: 0..n,
            overhang: n..n,
            bounds: (0, u64::MAX),
            next_sample: 0,
            building: None,
            ready: BTreeMap::new(),
            expected: VecDeque::new(),
            plan_made: false,
            action: Arc::new(Vec::new()),
            buf: Vec::new(),
            flushed: false,
            failed: false,
            skip_non_reference: true,
            skip_gop_tails: true,
            sps_ok: false,
            report: DecodeReport::default(),
        }
    }

    /// Whether frames that are neither hashed nor used as references are skipped without
    /// decoding (default `true`; the output is identical either way, only slower without).
    pub fn set_skip_non_reference(&mut self, skip: bool) {
        self.skip_non_reference = skip;
    }

    /// Whether the samples of a closed GOP (IDR-delimited) that follow, in decode order, its
    /// last hashed frame are skipped without decoding (default `true`; the output is
    /// identical either way, only slower without). Set before the first frame is read.
    pub fn set_skip_gop_tails(&mut self, skip: bool) {
        self.skip_gop_tails = skip;
    }

    /// Decides which samples are decoded and which frames come out.
    fn make_plan(&mut self) {
        let n = self.stream.track.samples.len();
        let action = sequential_plan(
            &self.stream,
            &mut *self.reader,
            &self.sampler,
            self.skip_gop_tails,
        );
        self.make_plan_with(Arc::new(action), 0..n);
    }

    fn make_plan_with(&mut self, action: Arc<Vec<Action>>, range: Range<usize>) {
        let end = range.end;
        self.make_task_plan(action, range, end..end, (0, u64::MAX));
    }

    /// The plan of one task: the samples of `range`, then those of `overhang` (decoded
    /// whatever `action` says of them), returning the frames shown at `bounds.0..bounds.1`.
    fn make_task_plan(
        &mut self,
        action: Arc<Vec<Action>>,
        range: Range<usize>,
        overhang: Range<usize>,
        bounds: (u64, u64),
    ) {
        self.plan_made = true;
        self.action = action;
        self.next_sample = range.start;
        self.bounds = bounds;
        let mut wanted: Vec<u64> = range
            .clone()
            .chain(overhang.clone())
            .filter(|&i| self.stream.wanted(&self.sampler, i))
            .filter_map(|i| self.stream.display[i])
            .filter(|&d| d >= bounds.0 && d < bounds.1)
            .collect();
        wanted.sort_unstable();
        self.expected = wanted.into();
        self.range = range;
        self.overhang = overhang;
    }

    /// Cuts the decode into independent tasks at IDR access units, for a parallel decode.
    /// `None` when this source cannot (opened from a plain reader, already started) or need
    /// not be split (fewer than two tasks' worth of work).
    pub(crate) fn splitter(&mut self, sampling: Sampling) -> Option<Splitter> {
        self.splitter_with(sampling, MIN_TASK_SAMPLES)
    }

    /// [`Mp4H264Source::splitter`] with tasks of at least `min_task` decoded samples.
    fn splitter_with(&mut self, sampling: Sampling, min_task: usize) -> Option<Splitter> {
        if self.plan_made {
            return None;
        }
        self.set_sampling(sampling);
        self.split(min_task)
    }

    /// See [`Splitter::plan`]; `None` without an opener.
    fn split(&mut self, min_task: usize) -> Option<Splitter> {
        let opener = self.opener.clone()?;
        Splitter::plan(
            self.stream.clone(),
            opener,
            &mut *self.reader,
            self.sampler,
            self.skip_gop_tails,
            self.skip_non_reference,
            min_task,
        )
    }

    fn read_sample(&mut self, i: usize) -> Result<()> {
        self.stream.read_sample(&mut *self.reader, i, &mut self.buf)
    }

    /// Feeds one NAL, catching decoder panics; returns a finished frame if any.
    fn feed_nal(&mut self, nal: &NalUnit<'_>) -> Result<Option<Frame>> {
        let r: Result<()> = if nal.nal_unit_type == NalUnitType::Sps {
            check_sps(nal, &self.stream.limits).map(|full| {
                self.full_range = full;
                self.sps_ok = true;
            })
        } else {
            Ok(())
        };
        let r = r.and_then(|_| decode_guarded(&mut self.decoder, nal, &mut self.report.concealed));
        match r {
            Err(Error::Video(e)) if e.kind == VideoErrorKind::UnsupportedCodec && self.sps_ok => {
                let what = e.detail.replace(&format!("; {FEATURE_HINT}"), "");
                Err(VideoError::new(
                    VideoErrorKind::Corrupt,
                    format!("damaged H.264 data in a stream of a supported format ({what})"),
                )
                .into())
            }
            r => r,
        }
    }

    /// Takes a frame that the decoder finished for sample `idx`.
    fn accept(&mut self, idx: Option<usize>, frame: Frame) -> Result<()> {
        let Some(idx) = idx else { return Ok(()) };
        let Some(d) = self.stream.display.get(idx).copied().flatten() else {
            return Ok(());
        };
        let sync = self.stream.track.samples[idx].sync;
        if d < self.bounds.0 || d >= self.bounds.1 || !self.sampler.wants(d, sync) {
            return Ok(());
        }
        if frame.bit_depth != 8 || frame.chroma_format != ChromaFormat::Yuv420 {
            return Err(unsupported(format!(
                "H.264 {}-bit {} is not converted by the built-in backend; {FEATURE_HINT}",
                frame.bit_depth,
                if frame.chroma_format == ChromaFormat::Yuv420 {
                    "4:2:0"
                } else {
                    "4:2:2"
                }
            )));
        }
        let (w, h) = (frame.width as usize, frame.height as usize);
        let full_range = self.full_range;
        self.ready.insert(
            d,
            VideoFrame {
                frame_number: d,
                keyframe: sync,
                pixels: FramePixels::Yuv420 {
                    width: w,
                    height: h,
                    y: frame.y,
                    u: frame.u,
                    v: frame.v,
                    full_range,
                },
            },
        );
        Ok(())
    }

    fn pop_ready(&mut self, at_end: bool) -> Option<VideoFrame> {
        loop {
            let head = *self.expected.front()?;
            if let Some(f) = self.ready.remove(&head) {
                self.expected.pop_front();
                return Some(f);
            }
            // the head frame never came (decode error): give up on it once later frames pile up
            if at_end || self.ready.len() > REORDER_DEPTH {
                self.expected.pop_front();
                if !self.report.truncated {
                    self.report.dropped += 1;
                }
                continue;
            }
            return None;
        }
    }

    fn step(&mut self) -> Result<bool> {
        // returns false when the input is exhausted
        if self.next_sample >= self.range.end.max(self.overhang.end) {
            if !self.flushed {
                self.flushed = true;
                let dec = &mut self.decoder;
                let last = catch_unwind(AssertUnwindSafe(|| dec.flush()))
                    .map_err(|_| decoder_err("the H.264 decoder failed on this stream"))?;
                if let Some(f) = last {
                    let b = self.building.take();
                    self.accept(b, f)?;
                }
            }
            return Ok(false);
        }
        let i = self.next_sample;
        self.next_sample += 1;
        let action = if self.overhang.contains(&i) {
            Action::Decode
        } else {
            self.action[i]
        };
        if action == Action::Skip {
            return Ok(true);
        }
        if self.stream.beyond_end(i) {
            // a truncated file: the frames decoded so far are the result, flagged
            self.report.truncated = true;
            self.next_sample = self.range.end.max(self.overhang.end);
            return self.step();
        }
        self.read_sample(i)?;
        let buf = std::mem::take(&mut self.buf);
        let nals = parse_avcc(&buf, self.stream.length_size);
        let wanted = self.stream.wanted(&self.sampler, i)
            && self.stream.display[i].is_some_and(|d| d >= self.bounds.0 && d < self.bounds.1);
        let droppable = action == Action::Drop
            || (self.skip_non_reference
                && !wanted
                && nals
                    .iter()
                    .filter(|n| is_vcl(n))
                    .all(|n| n.nal_ref_idc == 0));
        let mut result = Ok(true);
        for nal in &nals {
            if droppable && is_vcl(nal) {
                continue;
            }
            match self.feed_nal(nal) {
                Ok(Some(f)) => {
                    let b = self.building;
                    if let Err(e) = self.accept(b, f) {
                        result = Err(e);
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            if is_vcl(nal) {
                self.building = Some(i);
            }
        }
        drop(nals);
        self.buf = buf;
        result
    }
}

/// Feeds one NAL to the decoder, turning its panics and unsupported features into errors.
fn decode_guarded(
    dec: &mut Decoder,
    nal: &NalUnit<'_>,
    concealed: &mut u64,
) -> Result<Option<Frame>> {
    match catch_unwind(AssertUnwindSafe(|| dec.decode_nal(nal))) {
        Ok(Ok(f)) => Ok(f),
        Ok(Err(rust_h264::error::DecodeError::Unsupported(what))) => Err(unsupported(format!(
            "H.264 stream uses a feature the built-in decoder does not support ({what}); {FEATURE_HINT}"
        ))),
        // a damaged slice or parameter set: the decoder conceals what it can, keep going
        Ok(Err(_)) => {
            *concealed += 1;
            Ok(None)
        }
        Err(_) => Err(decoder_err("the H.264 decoder failed on this stream")),
    }
}

/// Refuses SPSs this backend cannot decode exactly, and sizes beyond the limits, before the
/// decoder allocates pictures for them.
/// Returns whether the SPS signals full-range levels.
fn check_sps(nal: &NalUnit<'_>, limits: &VideoLimits) -> Result<bool> {
    let info = match catch_unwind(|| parse_sps_info(nal)) {
        Ok(Ok(i)) => i,
        Ok(Err(rust_h264::error::DecodeError::Unsupported(what))) => {
            return Err(unsupported(format!(
                "H.264 stream uses a feature the built-in decoder does not support ({what}); {FEATURE_HINT}"
            )))
        }
        Ok(Err(e)) => {
            return Err(VideoError::new(VideoErrorKind::Decoder, format!("bad H.264 SPS: {e}")).into())
        }
        Err(_) => return Err(decoder_err("bad H.264 SPS")),
    };
    if info.chroma_format > 1 {
        let what = match info.chroma_format {
            2 => "4:2:2",
            _ => "4:4:4",
        };
        return Err(unsupported(format!(
            "H.264 {what} chroma is not supported by the built-in backend; {FEATURE_HINT}"
        )));
    }
    if info.bit_depth_luma != 8 || info.bit_depth_chroma != 8 {
        return Err(unsupported(format!(
            "{}-bit H.264 is not supported by the built-in backend; {FEATURE_HINT}",
            info.bit_depth_luma
        )));
    }
    limits.check_size(info.coded_width, info.coded_height)?;
    Ok(info.full_range)
}

impl FrameSource for Mp4H264Source {
    fn info(&self) -> &VideoInfo {
        &self.stream.info
    }

    fn report(&self) -> DecodeReport {
        self.report
    }

    fn set_sampling(&mut self, sampling: Sampling) {
        if !self.plan_made {
            self.sampler = Sampler::new(sampling, self.stream.info.frame_rate.map(|r| r.as_f64()));
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        if self.failed {
            return Ok(None);
        }
        if !self.plan_made {
            self.make_plan();
        }
        loop {
            if let Some(f) = self.pop_ready(false) {
                return Ok(Some(f));
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => return Ok(self.pop_ready(true)),
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::h264::plan::find_idr;
    use std::io::Cursor;
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/video/gops-high-320x180.mp4")
    }

    fn drain(mut src: Mp4H264Source) -> Vec<VideoFrame> {
        let mut out = Vec::new();
        while let Some(f) = src.next_frame().unwrap() {
            out.push(f);
        }
        out
    }

    /// Every frame, every sample decoded: the oracle.
    fn decode_all(sampling: Sampling) -> Vec<VideoFrame> {
        let mut src = Mp4H264Source::open(fixture(), VideoLimits::default()).unwrap();
        src.set_skip_non_reference(false);
        src.set_skip_gop_tails(false);
        src.set_sampling(sampling);
        drain(src)
    }

    /// The fixture's 9 keyframes are IDR access units, found without decoding; the plan drops
    /// GOP tails at one frame per second; the sampled frames still equal a full decode.
    #[test]
    fn idr_segments_and_tail_plan() {
        let mut src = Mp4H264Source::open(fixture(), VideoLimits::default()).unwrap();
        let (idr, ps) = find_idr(&src.stream, &mut *src.reader, true);
        let syncs: Vec<usize> = (0..idr.len())
            .filter(|&i| src.stream.track.samples[i].sync)
            .collect();
        let idrs: Vec<usize> = (0..idr.len()).filter(|&i| idr[i]).collect();
        assert_eq!(idrs.len(), 9);
        assert_eq!(idrs, syncs);
        assert!(!ps.iter().any(|&p| p), "avc1: parameter sets only in avcC");
        src.set_sampling(Sampling::Interval { millis: 1000 });
        let plan = src.stream.plan(&src.sampler, &idr, true);
        let dropped = plan.iter().filter(|&&a| a == Action::Drop).count();
        // frames 0, 25, ..., 125 are hashed; GOPs of 18: most of each GOP is never decoded
        assert!(dropped > 60, "{dropped} samples dropped");
        let want = decode_all(Sampling::Interval { millis: 1000 });
        assert_eq!(
            want.iter().map(|f| f.frame_number).collect::<Vec<_>>(),
            [0, 25, 50, 75, 100, 125]
        );
        assert_eq!(drain(src), want);
    }

    /// Split at every IDR (the finest split), each task decoded by its own decoder: the
    /// frames, concatenated, equal a sequential decode of everything, for several samplings.
    #[test]
    fn every_task_split_equals_full_decode() {
        for sampling in [
            Sampling::EveryFrame,
            Sampling::Interval { millis: 1000 },
            Sampling::Interval { millis: 280 },
            Sampling::Keyframes,
        ] {
            let want = decode_all(sampling);
            let mut src = Mp4H264Source::open(fixture(), VideoLimits::default()).unwrap();
            let split = src.splitter_with(sampling, 1).expect("splits");
            assert!(
                split.tasks().len() >= 5,
                "{sampling:?}: {:?}",
                split.tasks()
            );
            // every other task reuses the previous task's reader
            let mut got = Vec::new();
            let mut prev = None;
            for t in 0..split.tasks().len() {
                let mut src = task_source(&split, t, prev.take()).unwrap();
                while let Some(f) = src.next_frame().unwrap() {
                    got.push(f);
                }
                if t % 2 == 0 {
                    prev = Some(src);
                }
            }
            assert_eq!(got.len(), want.len(), "{sampling:?}");
            assert!(got == want, "{sampling:?}: split decode differs");
        }
    }

    /// The open-GOP fixture (one IDR, then I-frame recovery points with exact-match recovery
    /// point SEI, two followed by leading B-frames) is split at its recovery points; the task
    /// before a point decodes the point and its leading pictures when one of those is sampled,
    /// the task starting there does not return them, and the frames, concatenated, equal a
    /// sequential decode of everything.
    #[test]
    fn open_gop_split_equals_full_decode() {
        let clip =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/video/opengop-high-320x180.mp4");
        for sampling in crate::video::sample::TEST_SAMPLINGS {
            let mut all = Mp4H264Source::open(&clip, VideoLimits::default()).unwrap();
            all.set_skip_non_reference(false);
            all.set_skip_gop_tails(false);
            all.set_sampling(sampling);
            let want = drain(all);
            // sequential, skipping GOP tails before recovery points too
            let mut seq = Mp4H264Source::open(&clip, VideoLimits::default()).unwrap();
            seq.set_sampling(sampling);
            let mut got = Vec::new();
            while let Some(f) = seq.next_frame().unwrap() {
                got.push(f);
            }
            assert!(got == want, "{sampling:?}: sequential decode differs");
            let dropped = seq.action.iter().filter(|&&a| a == Action::Drop).count();
            let (idr, _) = find_idr(&seq.stream, &mut *seq.reader, true);
            let idr_only = seq.stream.plan(&seq.sampler, &idr, true);
            let idr_dropped = idr_only.iter().filter(|&&a| a == Action::Drop).count();
            if sampling == (Sampling::Interval { millis: 1000 }) {
                assert!(dropped > idr_dropped, "{dropped} vs {idr_dropped}");
            }
            let mut src = Mp4H264Source::open(&clip, VideoLimits::default()).unwrap();
            let (idr, _) = find_idr(&src.stream, &mut *src.reader, true);
            assert_eq!(idr.iter().filter(|&&b| b).count(), 1);
            let split = src.splitter_with(sampling, 1).expect("splits");
            let tasks = split.tasks().len();
            assert!(tasks >= 5, "{sampling:?}: {:?}", split.tasks());
            let overhangs = (0..tasks)
                .filter(|&t| !split.overhang(t).is_empty())
                .count();
            if sampling == Sampling::EveryFrame {
                assert_eq!(overhangs, 2, "{split:?}");
            }
            let mut got = Vec::new();
            for t in 0..split.tasks().len() {
                got.extend(drain(task_source(&split, t, None).unwrap()));
            }
            got.sort_by_key(|f| f.frame_number);
            assert_eq!(got.len(), want.len(), "{sampling:?}");
            assert!(got == want, "{sampling:?}: split decode differs");
        }
    }

    /// A plain reader cannot be reopened, so it is never split.
    #[test]
    fn plain_reader_is_not_split() {
        let bytes = std::fs::read(fixture()).unwrap();
        let len = bytes.len() as u64;
        let mut src =
            Mp4H264Source::from_reader(Cursor::new(bytes), len, VideoLimits::default()).unwrap();
        assert!(src.splitter_with(Sampling::EveryFrame, 1).is_none());
        let bytes: Arc<[u8]> = std::fs::read(fixture()).unwrap().into();
        let mut src = Mp4H264Source::from_bytes(bytes, VideoLimits::default()).unwrap();
        assert!(src.splitter_with(Sampling::EveryFrame, 1).is_some());
    }
}
