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
//!   hashing its frames as they come and keeping only the hashes. The FFmpeg backend runs the
//!   same tasks with libav decoders fed by this module's demuxer.
//! * Refused with [`VideoErrorKind::UnsupportedCodec`] (naming the `ffmpeg` feature): other
//!   codecs, and H.264 other than 8-bit 4:2:0/4:0:0, because our colour conversion reproduces
//!   FFmpeg's exactly only for those.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_h264::decoder::{ChromaFormat, Decoder, Frame};
use rust_h264::nal::{parse_avcc, parse_avcc_config, parse_sps_info, NalUnit, NalUnitType};

use super::mp4::{read_video_track, Mp4Track, Sample};
use super::sample::{Sampler, Sampling};
use super::{FramePixels, FrameRate, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

pub(crate) trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

const FEATURE_HINT: &str = "build mediamatch with the `ffmpeg` feature to decode it";

/// Frames kept waiting for an earlier display index before giving up on it.
const REORDER_DEPTH: usize = 34;

/// A parallel task decodes at least this many samples (fewer, larger tasks for short GOPs).
pub(crate) const MIN_TASK_SAMPLES: usize = 48;

/// In-band parameter sets carried into parallel tasks at most (beyond: decode sequentially).
const MAX_PRELUDE_BYTES: usize = 4 << 20;

/// How a parallel task gets its own reader of the same bytes.
#[derive(Clone, Debug)]
enum Opener {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Opener {
    fn open(&self) -> Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Opener::File(p) => Box::new(BufReader::new(
                File::open(p).map_err(|e| Error::io(Some(p.clone()), e))?,
            )),
            Opener::Bytes(b) => Box::new(Cursor::new(ArcBytes(b.clone()))),
        })
    }
}

/// `AsRef<[u8]>` for a shared buffer, so a `Cursor` can read it.
struct ArcBytes(Arc<[u8]>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// What is done with a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Not read at all (keyframes mode: not a sync sample).
    Skip,
    /// Read; only its non-slice NAL units (parameter sets, SEI) go to the decoder.
    Drop,
    /// Decoded (its slices too, unless it is neither hashed nor referenced).
    Decode,
}

/// The stream as parsed from the container, shared by the tasks of a parallel decode.
#[derive(Debug)]
struct Stream {
    info: VideoInfo,
    limits: VideoLimits,
    file_len: u64,
    track: Mp4Track,
    /// Display index per sample (decode order); `None` = outside the edit list.
    display: Vec<Option<u64>>,
    length_size: usize,
}

impl Stream {
    fn wanted(&self, sampler: &Sampler, i: usize) -> bool {
        self.display[i].is_some_and(|d| sampler.wants(d, self.track.samples[i].sync))
    }

    /// A decoder loaded with the `avcC` parameter sets; returns it and the full-range flag.
    fn new_decoder(&self) -> Result<(Decoder, bool)> {
        let mut decoder = Decoder::new();
        let mut full_range = false;
        if let Some(avcc) = &self.track.codec.avcc {
            let cfg = parse_avcc_config(avcc).map_err(|e| {
                Error::from(VideoError::new(
                    VideoErrorKind::Container,
                    format!("bad avcC box: {e}"),
                ))
            })?;
            for nal in cfg.sps_nals.iter().chain(cfg.pps_nals.iter()) {
                if nal.nal_unit_type == NalUnitType::Sps {
                    full_range = check_sps(nal, &self.limits)?;
                }
                decode_guarded(&mut decoder, nal)?;
            }
        }
        Ok((decoder, full_range))
    }

    fn check_sample(&self, i: usize) -> Result<Sample> {
        let s = self.track.samples[i];
        if s.size > self.limits.max_sample_bytes {
            return Err(VideoError::new(
                VideoErrorKind::LimitsExceeded,
                format!("a frame of {} bytes exceeds the limit", s.size),
            )
            .into());
        }
        let end = s.offset.checked_add(s.size as u64);
        if end.is_none_or(|e| e > self.file_len) {
            return Err(VideoError::new(
                VideoErrorKind::Container,
                format!("frame {i} lies beyond the end of the file (truncated file?)"),
            )
            .into());
        }
        Ok(s)
    }

    /// Reads sample `i` into `buf`.
    fn read_sample(&self, reader: &mut dyn ReadSeek, i: usize, buf: &mut Vec<u8>) -> Result<()> {
        let s = self.check_sample(i)?;
        buf.clear();
        buf.resize(s.size as usize, 0);
        reader
            .seek(SeekFrom::Start(s.offset))
            .and_then(|_| reader.read_exact(buf))
            .map_err(|e| {
                Error::from(
                    VideoError::new(VideoErrorKind::Io, "reading a frame").with_source(Box::new(e)),
                )
            })
    }

    /// Walks the NAL unit headers of sample `i` without reading the payloads: the type of its
    /// first slice (`None` without one) and whether it carries parameter sets. `None` if the
    /// sample cannot be read (the decode reports that later).
    fn scan(&self, reader: &mut dyn ReadSeek, i: usize) -> Option<(Option<u8>, bool)> {
        let s = self.check_sample(i).ok()?;
        let ls = self.length_size;
        let mut pos = 0u64;
        let mut has_ps = false;
        let mut hdr = [0u8; 5];
        reader.seek(SeekFrom::Start(s.offset)).ok()?;
        let mut at = 0u64; // reader position relative to the sample
        while pos + (ls as u64) < s.size as u64 {
            if at != pos {
                reader.seek(SeekFrom::Current((pos - at) as i64)).ok()?;
            }
            reader.read_exact(&mut hdr[..ls + 1]).ok()?;
            at = pos + ls as u64 + 1;
            let len = hdr[..ls].iter().fold(0u64, |a, &b| (a << 8) | b as u64);
            let kind = hdr[ls] & 0x1f;
            match kind {
                1 | 5 => return Some((Some(kind), has_ps)),
                7 | 8 => has_ps = true,
                _ => {}
            }
            if len == 0 {
                break;
            }
            pos += ls as u64 + len;
        }
        Some((None, has_ps))
    }

    /// Which samples are decoded, given the sampling and which samples start a closed GOP
    /// (`idr[i]`). Every sample after the last wanted one of its IDR segment is dropped.
    fn plan(&self, sampler: &Sampler, idr: &[bool], skip_tails: bool) -> Vec<Action> {
        self.plan_cuts(sampler, idr, &[], skip_tails, true)
    }

    /// [`Stream::plan`] where `cut[i]` starts an independent segment, and the segment before
    /// it is needed to its end when `carry[i]` (an open-GOP recovery point whose leading
    /// pictures, decoded after it but shown before it, are hashed). With
    /// [`Sampling::Keyframes`], the other samples are not read when `keyframes_alone`.
    fn plan_cuts(
        &self,
        sampler: &Sampler,
        cut: &[bool],
        carry: &[bool],
        skip_tails: bool,
        keyframes_alone: bool,
    ) -> Vec<Action> {
        let idr = cut;
        let n = self.track.samples.len();
        let mut action: Vec<Action> = (0..n)
            .map(|i| {
                if keyframes_alone && sampler.keyframes_only() && !self.track.samples[i].sync {
                    Action::Skip
                } else {
                    Action::Decode
                }
            })
            .collect();
        if !skip_tails {
            return action;
        }
        // walk backwards: a sample is dropped until a wanted sample is met, and the state
        // resets at each IDR (the start of an independent segment)
        let mut needed = false;
        for i in (0..n).rev() {
            needed |= self.wanted(sampler, i);
            if !needed && action[i] == Action::Decode {
                action[i] = Action::Drop;
            }
            if idr[i] {
                needed = carry.get(i).copied().unwrap_or(false);
            }
        }
        action
    }

    /// Whether sample `i` is an open-GOP recovery point that decoding may start from with
    /// exact results: its first slice is an I slice and it carries a recovery point SEI with
    /// `recovery_frame_cnt` 0 and `exact_match_flag` 1 (the encoder's promise that decoding
    /// from here gives, at and after this picture in display order, the pictures of a decode
    /// from the start).
    fn recovery_point(&self, reader: &mut dyn ReadSeek, i: usize, buf: &mut Vec<u8>) -> bool {
        if self.read_sample(reader, i, buf).is_err() {
            return false;
        }
        let mut exact = false;
        for nal in raw_nals(buf, self.length_size) {
            match nal[0] & 0x1f {
                6 => exact |= sei_exact_recovery(&nal[1..]),
                1 => {
                    // first_mb_in_slice ue(v), slice_type ue(v): 2 or 7 = I
                    let mut r = Bits::new(&nal[1..]);
                    let st = r.ue().and_then(|_| r.ue());
                    return exact && matches!(st, Some(2 | 7));
                }
                5 => return false,
                _ => {}
            }
        }
        false
    }
}

/// Where a decode may be cut into independent segments (see [`Mp4H264Source::cuts`]).
struct Cuts {
    /// Sample `i` starts a segment.
    cut: Vec<bool>,
    /// The segment before recovery point `i` is needed to its end (a leading picture of `i`
    /// is hashed).
    carry: Vec<bool>,
    /// The leading pictures of each recovery point used as a cut.
    leading_of: BTreeMap<usize, Vec<usize>>,
}

/// Reads the bits of a NAL unit payload, skipping emulation prevention bytes.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    zeros: usize,
    byte: u8,
    left: u8,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            zeros: 0,
            byte: 0,
            left: 0,
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        let mut b = *self.data.get(self.pos)?;
        self.pos += 1;
        if self.zeros >= 2 && b == 3 {
            b = *self.data.get(self.pos)?;
            self.pos += 1;
            self.zeros = 0;
        }
        self.zeros = if b == 0 { self.zeros + 1 } else { 0 };
        Some(b)
    }

    fn bit(&mut self) -> Option<u32> {
        if self.left == 0 {
            self.byte = self.next_byte()?;
            self.left = 8;
        }
        self.left -= 1;
        Some(((self.byte >> self.left) & 1) as u32)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |a, _| Some((a << 1) | self.bit()?))
    }

    /// Exp-Golomb `ue(v)`, up to 31 leading zeros.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + self.bits(zeros)? as u64) as u32)
    }

    /// An SEI `ff`-coded value (payload type or size).
    fn sei_value(&mut self) -> Option<usize> {
        let mut v = 0usize;
        loop {
            let b = self.bits(8)? as usize;
            v = v.checked_add(b)?;
            if b != 0xff {
                return Some(v);
            }
        }
    }
}

/// Whether an SEI NAL unit payload (after the header byte) holds a recovery point message
/// with `recovery_frame_cnt` 0 and `exact_match_flag` 1.
fn sei_exact_recovery(payload: &[u8]) -> bool {
    let mut r = Bits::new(payload);
    // messages follow each other until the trailing bits (a lone 0x80)
    for _ in 0..64 {
        let Some(kind) = r.sei_value() else {
            return false;
        };
        let Some(size) = r.sei_value() else {
            return false;
        };
        if kind == 6 {
            return r.ue() == Some(0) && r.bit() == Some(1);
        }
        for _ in 0..size {
            if r.bits(8).is_none() {
                return false;
            }
        }
    }
    false
}

/// Which samples of an H.264 MP4 another decoder (the FFmpeg backend, reading the same file)
/// must decode for a sampling: GOP tails and unsampled non-reference frames are not needed.
#[derive(Debug)]
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
pub(crate) struct SkipPlan {
    /// Byte offset and size per sample (decode order), to check that the other demuxer's
    /// packets are these samples.
    pub samples: Vec<(u64, u32)>,
    /// Display index per sample.
    pub display: Vec<Option<u64>>,
    /// What to do with each sample.
    pub action: Vec<Action>,
    /// Whether each sample's frame is hashed.
    pub wanted: Vec<bool>,
    /// Bytes of the NAL unit length prefix.
    pub length_size: usize,
}

/// The [`SkipPlan`] of an H.264 MP4/MOV file; `None` if the built-in demuxer does not read it
/// (another container or codec), so the caller decodes everything.
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
pub(crate) fn skip_plan(path: &Path, limits: VideoLimits, sampler: Sampler) -> Option<SkipPlan> {
    let mut src = Mp4H264Source::open(path, limits).ok()?;
    src.sampler = sampler;
    let (idr, _) = src.find_idr(false);
    let stream = src.stream.clone();
    let n = stream.track.samples.len();
    // libav, fed non-IDR keyframes alone (frame-number gaps), drops and misorders frames:
    // then the samples between keyframes are decoded too (unsampled non-reference ones and
    // GOP tails are still withheld)
    let alone = (0..n).all(|i| !stream.track.samples[i].sync || idr[i]);
    Some(SkipPlan {
        samples: stream
            .track
            .samples
            .iter()
            .map(|s| (s.offset, s.size))
            .collect(),
        display: stream.display.clone(),
        action: stream.plan_cuts(&sampler, &idr, &[], true, alone),
        wanted: (0..n).map(|i| stream.wanted(&sampler, i)).collect(),
        length_size: stream.length_size,
    })
}

/// A decode plan cut into independent tasks (at IDR pictures and exact open-GOP recovery
/// points, see [`Mp4H264Source::split`]), for [`super::VideoHasher`] to run
/// in parallel. `Sync`: each task opens its own reader and decoder.
#[derive(Debug)]
pub(crate) struct Splitter {
    stream: Arc<Stream>,
    opener: Opener,
    sampler: Sampler,
    action: Arc<Vec<Action>>,
    skip_non_reference: bool,
    /// In-band parameter sets, each with the sample that carries it, length-prefixed (4).
    parameter_sets: Vec<(usize, Vec<u8>)>,
    tasks: Vec<Range<usize>>,
    /// Per task: the samples decoded after its range (an open-GOP recovery point that starts
    /// the next task and its hashed leading pictures; empty otherwise).
    overhang: Vec<Range<usize>>,
    /// Per task: the display indices it returns, `[lo, hi)`.
    bounds: Vec<(u64, u64)>,
}

/// What another decoder (the FFmpeg backend) needs to run a [`Splitter`]'s tasks itself.
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
impl Splitter {
    /// A reader of the file's bytes of its own.
    pub(crate) fn open_reader(&self) -> Result<Box<dyn ReadSeek>> {
        self.opener.open()
    }

    /// Reads sample `i` (bounds and size limits checked) into `buf`.
    pub(crate) fn read_sample(
        &self,
        reader: &mut dyn ReadSeek,
        i: usize,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.stream.read_sample(reader, i, buf)
    }

    /// What is done with sample `i`.
    pub(crate) fn action(&self, i: usize) -> Action {
        self.action[i]
    }

    /// Whether sample `i`'s frame is hashed.
    pub(crate) fn wanted(&self, i: usize) -> bool {
        self.stream.wanted(&self.sampler, i)
    }

    /// Display index of sample `i` (`None`: outside the edit list).
    pub(crate) fn display(&self, i: usize) -> Option<u64> {
        self.stream.display[i]
    }

    /// Byte offset and size of sample `i`.
    pub(crate) fn sample(&self, i: usize) -> Option<(u64, u32)> {
        self.stream.track.samples.get(i).map(|s| (s.offset, s.size))
    }

    /// Number of samples.
    pub(crate) fn sample_count(&self) -> usize {
        self.stream.track.samples.len()
    }

    /// Bytes of the NAL unit length prefix of the samples.
    pub(crate) fn length_size(&self) -> usize {
        self.stream.length_size
    }

    /// Samples decoded after task `t`'s range: the recovery point starting the next task and
    /// its leading pictures, when some of those are hashed (open GOP); else empty.
    pub(crate) fn overhang(&self, t: usize) -> Range<usize> {
        self.overhang[t].clone()
    }

    /// The display indices task `t` returns: `lo..hi`.
    pub(crate) fn bounds(&self, t: usize) -> (u64, u64) {
        self.bounds[t]
    }

    /// The in-band parameter set NAL units (header byte first) that samples before task `t`
    /// carry, in decode order.
    pub(crate) fn prelude(&self, t: usize) -> impl Iterator<Item = &[u8]> {
        let start = self.tasks[t].start;
        self.parameter_sets
            .iter()
            .filter(move |(i, _)| *i < start)
            .flat_map(|(_, ps)| raw_nals(ps, 4))
    }
}

impl Splitter {
    /// The sample ranges, in decode order.
    pub fn tasks(&self) -> &[Range<usize>] {
        &self.tasks
    }

    /// The source decoding task `t` alone. A finished task passed as `prev` lends its
    /// reader.
    pub fn source(&self, t: usize, prev: Option<Mp4H264Source>) -> Result<Mp4H264Source> {
        let range = self.tasks[t].clone();
        let (mut decoder, mut full_range) = self.stream.new_decoder()?;
        // the parameter sets of earlier samples, in order, as a sequential decode has seen them
        for (_, ps) in self.parameter_sets.iter().filter(|(i, _)| *i < range.start) {
            for nal in parse_avcc(ps, 4) {
                if nal.nal_unit_type == NalUnitType::Sps {
                    full_range = check_sps(&nal, &self.stream.limits)?;
                }
                decode_guarded(&mut decoder, &nal)?;
            }
        }
        let reader = match prev {
            Some(p) => p.reader,
            None => self.opener.open()?,
        };
        let mut src = Mp4H264Source::new(
            self.stream.clone(),
            Some(self.opener.clone()),
            reader,
            decoder,
            full_range,
        );
        src.sampler = self.sampler;
        src.skip_non_reference = self.skip_non_reference;
        src.make_task_plan(
            self.action.clone(),
            range,
            self.overhang[t].clone(),
            self.bounds[t],
        );
        Ok(src)
    }
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
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::io(Some(path.to_path_buf()), e))?;
        let len = f
            .metadata()
            .map_err(|e| Error::io(Some(path.to_path_buf()), e))?
            .len();
        let mut src = Self::from_reader(BufReader::new(f), len, limits)?;
        src.opener = Some(Opener::File(path.to_path_buf()));
        Ok(src)
    }

    /// Reads an MP4/MOV held in memory (parallel decoding shares the buffer).
    pub fn from_bytes(bytes: Arc<[u8]>, limits: VideoLimits) -> Result<Mp4H264Source> {
        let len = bytes.len() as u64;
        let mut src = Self::from_reader(Cursor::new(ArcBytes(bytes.clone())), len, limits)?;
        src.opener = Some(Opener::Bytes(bytes));
        Ok(src)
    }

    /// Reads from any seekable reader of `len` bytes (decoded sequentially: a parallel
    /// decode needs [`Mp4H264Source::open`] or [`Mp4H264Source::from_bytes`]).
    pub fn from_reader<R: Read + Seek + Send + 'static>(
        mut reader: R,
        len: u64,
        limits: VideoLimits,
    ) -> Result<Mp4H264Source> {
        let track = read_video_track(&mut reader, len, &limits)?;
        let codec_name = track.codec.name();
        if !matches!(&track.codec.fourcc, b"avc1" | b"avc3") {
            return Err(unsupported(format!(
                "{codec_name} is not decoded by the built-in backend (H.264 only); {FEATURE_HINT}"
            )));
        }
        let mut length_size = 4;
        match &track.codec.avcc {
            Some(avcc) => {
                let cfg = parse_avcc_config(avcc).map_err(|e| {
                    Error::from(VideoError::new(
                        VideoErrorKind::Container,
                        format!("bad avcC box: {e}"),
                    ))
                })?;
                length_size = cfg.length_size;
            }
            None if track.codec.fourcc == *b"avc1" => {
                return Err(VideoError::new(
                    VideoErrorKind::Container,
                    "H.264 track without its avcC configuration",
                )
                .into());
            }
            None => {}
        }
        if !(1..=4).contains(&length_size) {
            return Err(VideoError::new(
                VideoErrorKind::Container,
                format!("bad avcC NAL length size {length_size}"),
            )
            .into());
        }
        limits.check_size(track.width.max(1), track.height.max(1))?;

        // display order: composition time, among samples inside the edit window
        let n = track.samples.len();
        let mut order: Vec<usize> = (0..n)
            .filter(|&i| {
                let c = track.samples[i].cts;
                match track.edit {
                    Some((start, end)) => c >= start && end.is_none_or(|e| c < e),
                    None => true,
                }
            })
            .collect();
        order.sort_by_key(|&i| (track.samples[i].cts, i));
        let mut display = vec![None; n];
        for (rank, &i) in order.iter().enumerate() {
            display[i] = Some(rank as u64);
        }
        let frame_rate =
            FrameRate::from_count(track.fps_basis.1, track.fps_basis.0, track.timescale);
        let info = VideoInfo {
            width: track.width,
            height: track.height,
            frame_rate,
            frame_count: Some(order.len() as u64),
            codec: codec_name,
        };
        let stream = Arc::new(Stream {
            info,
            limits,
            file_len: len,
            track,
            display,
            length_size,
        });
        let (decoder, full_range) = stream.new_decoder()?;
        Ok(Mp4H264Source::new(
            stream,
            None,
            Box::new(reader),
            decoder,
            full_range,
        ))
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

    /// `idr[i]`: sample `i` starts a closed GOP. Only sync samples are looked at, unless
    /// `all`; also returns which samples carry parameter sets when `all`.
    fn find_idr(&mut self, all: bool) -> (Vec<bool>, Vec<bool>) {
        let stream = self.stream.clone();
        let n = stream.track.samples.len();
        let mut idr = vec![false; n];
        let mut ps = vec![false; n];
        for i in 0..n {
            if !all && !stream.track.samples[i].sync {
                continue;
            }
            if let Some((kind, has_ps)) = stream.scan(&mut *self.reader, i) {
                idr[i] = stream.track.samples[i].sync && kind == Some(5);
                ps[i] = has_ps;
            } else if all {
                // unreadable: treat as a parameter-set carrier so that it is looked at again
                ps[i] = true;
            }
        }
        (idr, ps)
    }

    /// Decides which samples are decoded and which frames come out.
    fn make_plan(&mut self) {
        let n = self.stream.track.samples.len();
        let action = if self.skip_gop_tails {
            let idr = self.find_idr(false).0;
            let cuts = self.cuts(&idr);
            self.stream
                .plan_cuts(&self.sampler, &cuts.cut, &cuts.carry, true, true)
        } else {
            self.stream.plan(&self.sampler, &vec![false; n], false)
        };
        self.make_plan_with(Arc::new(action), 0..n);
    }

    /// Where independent segments start (IDR pictures and exact recovery points) and, per
    /// recovery point, its leading pictures and whether one of those is hashed.
    fn cuts(&mut self, idr: &[bool]) -> Cuts {
        let mut cuts = Cuts {
            cut: idr.to_vec(),
            carry: vec![false; idr.len()],
            leading_of: BTreeMap::new(),
        };
        for (i, leading) in self.recovery_cuts(idr) {
            cuts.cut[i] = true;
            cuts.carry[i] = leading
                .iter()
                .any(|&j| self.stream.wanted(&self.sampler, j));
            cuts.leading_of.insert(i, leading);
        }
        cuts
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

    /// The tasks of a parallel decode whose frames are picked by `sampler` (another backend's
    /// frame rate may differ from the sample table's), for a decoder other than this one.
    #[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
    pub(crate) fn splitter_for(&mut self, sampler: Sampler, min_task: usize) -> Option<Splitter> {
        if self.plan_made {
            return None;
        }
        self.sampler = sampler;
        self.split(min_task)
    }

    /// Open-GOP recovery points usable as cuts: `(sample, leading pictures)` in decode order.
    /// A point is used only if every sample before it (back to the previous sync sample) is
    /// shown before it and every sample after it (to the next sync sample) that is shown
    /// before it is one of its leading pictures.
    fn recovery_cuts(&mut self, idr: &[bool]) -> Vec<(usize, Vec<usize>)> {
        let stream = self.stream.clone();
        let samples = &stream.track.samples;
        let n = samples.len();
        let syncs: Vec<usize> = (0..n).filter(|&i| samples[i].sync).collect();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for (k, &i) in syncs.iter().enumerate() {
            if i == 0 || idr[i] || !stream.recovery_point(&mut *self.reader, i, &mut buf) {
                continue;
            }
            let Some(d) = stream.display[i] else { continue };
            let before = syncs[k.saturating_sub(1)]..i;
            let after = i + 1..syncs.get(k + 1).copied().unwrap_or(n);
            let shown_before = |j: &usize| stream.display[*j].is_some_and(|e| e < d);
            if !before
                .clone()
                .all(|j| stream.display[j].is_none_or(|e| e < d))
            {
                continue;
            }
            let leading: Vec<usize> = after.filter(shown_before).collect();
            out.push((i, leading));
        }
        out
    }

    /// Tasks start at IDR access units and at open-GOP recovery points (see
    /// [`Stream::recovery_point`]): the task before such a point also decodes the point and its
    /// leading pictures when one of those is hashed, and the task starting there does not
    /// return them.
    fn split(&mut self, min_task: usize) -> Option<Splitter> {
        let opener = self.opener.clone()?;
        let stream = self.stream.clone();
        let n = stream.track.samples.len();
        let (idr, ps) = self.find_idr(true);
        let Cuts {
            cut,
            carry,
            leading_of,
        } = self.cuts(&idr);
        let action = stream.plan_cuts(&self.sampler, &cut, &carry, self.skip_gop_tails, true);
        // group segments into tasks of at least `min_task` decoded samples
        let mut tasks: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        let mut work = 0;
        for i in 0..n {
            if cut[i] && i > start && work >= min_task {
                tasks.push(start..i);
                start = i;
                work = 0;
            }
            if action[i] == Action::Decode {
                work += 1;
            }
        }
        if work > 0 || tasks.is_empty() {
            tasks.push(start..n);
        } else if let Some(last) = tasks.last_mut() {
            last.end = n;
        }
        if tasks.len() < 2 {
            return None;
        }
        // at a recovery point: the task starting there returns frames shown from it on, and
        // the task before decodes it and its leading pictures if one of those is hashed
        let shown_from = |i: usize| {
            leading_of
                .contains_key(&i)
                .then(|| stream.display[i])
                .flatten()
        };
        let bounds: Vec<(u64, u64)> = tasks
            .iter()
            .enumerate()
            .map(|(t, r)| {
                let hi = tasks.get(t + 1).and_then(|next| shown_from(next.start));
                (shown_from(r.start).unwrap_or(0), hi.unwrap_or(u64::MAX))
            })
            .collect();
        let overhang: Vec<Range<usize>> = tasks
            .iter()
            .map(|r| match leading_of.get(&r.end) {
                Some(leading) if carry[r.end] => {
                    r.end..leading.iter().max().map_or(r.end + 1, |&j| j + 1)
                }
                _ => r.end..r.end,
            })
            .collect();
        let mut parameter_sets = Vec::new();
        let mut bytes = 0;
        let last_start = tasks.last().map_or(0, |r| r.start);
        for i in (0..last_start).filter(|&i| ps[i]) {
            stream.check_sample(i).ok()?;
            self.read_sample(i).ok()?;
            let mut out = Vec::new();
            for raw in raw_nals(&self.buf, stream.length_size) {
                if matches!(raw[0] & 0x1f, 7 | 8) {
                    out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
                    out.extend_from_slice(raw);
                }
            }
            bytes += out.len();
            if bytes > MAX_PRELUDE_BYTES {
                return None;
            }
            parameter_sets.push((i, out));
        }
        Some(Splitter {
            stream,
            opener,
            sampler: self.sampler,
            action: Arc::new(action),
            skip_non_reference: self.skip_non_reference,
            parameter_sets,
            tasks,
            overhang,
            bounds,
        })
    }

    fn read_sample(&mut self, i: usize) -> Result<()> {
        self.stream.read_sample(&mut *self.reader, i, &mut self.buf)
    }

    /// Feeds one NAL, catching decoder panics; returns a finished frame if any.
    fn feed_nal(&mut self, nal: &NalUnit<'_>) -> Result<Option<Frame>> {
        if nal.nal_unit_type == NalUnitType::Sps {
            self.full_range = check_sps(nal, &self.stream.limits)?;
        }
        decode_guarded(&mut self.decoder, nal)
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

/// The NAL units (header byte first) of a sample whose units are prefixed by their
/// `length_size`-byte big-endian lengths; stops at the first inconsistent length.
pub(crate) fn raw_nals(buf: &[u8], length_size: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() <= length_size {
            return None;
        }
        let (len, tail) = rest.split_at(length_size);
        let len = len.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        if len == 0 || len > tail.len() {
            return None;
        }
        let (nal, next) = tail.split_at(len);
        rest = next;
        Some(nal)
    })
}

/// Feeds one NAL to the decoder, turning its panics and unsupported features into errors.
fn decode_guarded(dec: &mut Decoder, nal: &NalUnit<'_>) -> Result<Option<Frame>> {
    match catch_unwind(AssertUnwindSafe(|| dec.decode_nal(nal))) {
        Ok(Ok(f)) => Ok(f),
        Ok(Err(rust_h264::error::DecodeError::Unsupported(what))) => Err(unsupported(format!(
            "H.264 stream uses a feature the built-in decoder does not support ({what}); {FEATURE_HINT}"
        ))),
        // a damaged slice or parameter set: the decoder conceals what it can, keep going
        Ok(Err(_)) => Ok(None),
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
        let (idr, ps) = src.find_idr(true);
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
                let mut src = split.source(t, prev.take()).unwrap();
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
            let (idr, _) = seq.find_idr(true);
            let idr_only = seq.stream.plan(&seq.sampler, &idr, true);
            let idr_dropped = idr_only.iter().filter(|&&a| a == Action::Drop).count();
            if sampling == (Sampling::Interval { millis: 1000 }) {
                assert!(dropped > idr_dropped, "{dropped} vs {idr_dropped}");
            }
            let mut src = Mp4H264Source::open(&clip, VideoLimits::default()).unwrap();
            let (idr, _) = src.find_idr(true);
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
                got.extend(drain(split.source(t, None).unwrap()));
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
