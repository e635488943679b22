//! The built-in backend: H.264 in MP4/MOV (fragmented too), pure Rust.
//!
//! * Demuxing: our own [`super::mp4`] reader (bounds-checked; `re_mp4`, recommended by the
//!   decoder study, indexes its sample tables unchecked and panics on corrupt files).
//! * Decoding: `rust_h264` (pinned `=0.6.0`), measured bit-exact against FFmpeg on High-profile
//!   B-frame streams (`../shared/notes/video-decoding.md`), hidden behind this module. Its
//!   low-level decode-order API is used; display order comes from the container's composition
//!   times, so every frame carries its vPDQ frame number even when others are skipped.
//! * Work skipping: samples that are neither hashed nor referenced (`nal_ref_idc == 0`) are
//!   not decoded at all; with [`Sampling::Keyframes`] only sync samples are decoded.
//! * Refused with [`VideoErrorKind::UnsupportedCodec`] (naming the `ffmpeg` feature): other
//!   codecs, and H.264 other than 8-bit 4:2:0/4:0:0, because our colour conversion reproduces
//!   FFmpeg's exactly only for those.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rust_h264::decoder::{ChromaFormat, Decoder, Frame};
use rust_h264::nal::{parse_avcc, parse_avcc_config, parse_sps_info, NalUnit, NalUnitType};

use super::mp4::{read_video_track, Mp4Track};
use super::sample::{Sampler, Sampling};
use super::{FramePixels, FrameRate, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

const FEATURE_HINT: &str = "build mediamatch with the `ffmpeg` feature to decode it";

/// Frames kept waiting for an earlier display index before giving up on it.
const REORDER_DEPTH: usize = 34;

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
    reader: Box<dyn ReadSeek>,
    file_len: u64,
    info: VideoInfo,
    limits: VideoLimits,
    track: Mp4Track,
    /// Display index per sample (decode order); `None` = outside the edit list.
    display: Vec<Option<u64>>,
    length_size: usize,
    decoder: Decoder,
    /// The SPS signals full-range ("PC") levels.
    full_range: bool,
    sampler: Sampler,
    next_sample: usize,
    /// Sample whose picture the decoder is building.
    building: Option<usize>,
    /// Decoded frames waiting for their turn, by display index.
    ready: BTreeMap<u64, VideoFrame>,
    /// Display indices still expected, in order.
    expected: VecDeque<u64>,
    plan_made: bool,
    feed: Vec<bool>,
    buf: Vec<u8>,
    flushed: bool,
    failed: bool,
    skip_non_reference: bool,
}

impl std::fmt::Debug for Mp4H264Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp4H264Source")
            .field("info", &self.info)
            .field("samples", &self.track.samples.len())
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

impl Mp4H264Source {
    /// Opens a file.
    pub fn open(path: impl AsRef<Path>, limits: VideoLimits) -> Result<Mp4H264Source> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::io(Some(path.to_path_buf()), e))?;
        let len = f
            .metadata()
            .map_err(|e| Error::io(Some(path.to_path_buf()), e))?
            .len();
        Self::from_reader(BufReader::new(f), len, limits)
    }

    /// Reads from any seekable reader of `len` bytes.
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
        let mut decoder = Decoder::new();
        let mut length_size = 4;
        let mut full_range = false;
        match &track.codec.avcc {
            Some(avcc) => {
                let cfg = parse_avcc_config(avcc).map_err(|e| {
                    Error::from(VideoError::new(
                        VideoErrorKind::Container,
                        format!("bad avcC box: {e}"),
                    ))
                })?;
                length_size = cfg.length_size;
                for nal in cfg.sps_nals.iter().chain(cfg.pps_nals.iter()) {
                    if nal.nal_unit_type == NalUnitType::Sps {
                        full_range |= check_sps(nal, &limits)?;
                    }
                    decode_guarded(&mut decoder, nal)?;
                }
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
        Ok(Mp4H264Source {
            reader: Box::new(reader),
            file_len: len,
            info,
            limits,
            track,
            display,
            length_size,
            decoder,
            full_range,
            sampler: Sampler::new(Sampling::EveryFrame, None),
            next_sample: 0,
            building: None,
            ready: BTreeMap::new(),
            expected: VecDeque::new(),
            plan_made: false,
            feed: Vec::new(),
            buf: Vec::new(),
            flushed: false,
            failed: false,
            skip_non_reference: true,
        })
    }

    /// Whether frames that are neither hashed nor used as references are skipped without
    /// decoding (default `true`; the output is identical either way, only slower without).
    pub fn set_skip_non_reference(&mut self, skip: bool) {
        self.skip_non_reference = skip;
    }

    /// Decides which samples are decoded and which frames come out.
    fn make_plan(&mut self) {
        self.plan_made = true;
        let n = self.track.samples.len();
        self.feed = vec![true; n];
        let mut wanted: Vec<u64> = Vec::new();
        for i in 0..n {
            let s = self.track.samples[i];
            let w = self.display[i].is_some_and(|d| self.sampler.wants(d, s.sync));
            if self.sampler.keyframes_only() {
                self.feed[i] = s.sync;
            }
            if w {
                wanted.push(self.display[i].unwrap_or(0));
            }
        }
        wanted.sort_unstable();
        self.expected = wanted.into();
    }

    fn read_sample(&mut self, i: usize) -> Result<()> {
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
        self.buf.clear();
        self.buf.resize(s.size as usize, 0);
        self.reader
            .seek(SeekFrom::Start(s.offset))
            .and_then(|_| self.reader.read_exact(&mut self.buf))
            .map_err(|e| {
                Error::from(
                    VideoError::new(VideoErrorKind::Io, "reading a frame").with_source(Box::new(e)),
                )
            })
    }

    /// Feeds one NAL, catching decoder panics; returns a finished frame if any.
    fn feed_nal(&mut self, nal: &NalUnit<'_>) -> Result<Option<Frame>> {
        if nal.nal_unit_type == NalUnitType::Sps {
            self.full_range = check_sps(nal, &self.limits)?;
        }
        decode_guarded(&mut self.decoder, nal)
    }

    /// Takes a frame that the decoder finished for sample `idx`.
    fn accept(&mut self, idx: Option<usize>, frame: Frame) -> Result<()> {
        let Some(idx) = idx else { return Ok(()) };
        let Some(d) = self.display.get(idx).copied().flatten() else {
            return Ok(());
        };
        let sync = self.track.samples[idx].sync;
        if !self.sampler.wants(d, sync) {
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
        if self.next_sample >= self.track.samples.len() {
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
        if !self.feed[i] {
            return Ok(true);
        }
        self.read_sample(i)?;
        let buf = std::mem::take(&mut self.buf);
        let nals = parse_avcc(&buf, self.length_size);
        let wanted =
            self.display[i].is_some_and(|d| self.sampler.wants(d, self.track.samples[i].sync));
        let is_vcl =
            |n: &NalUnit<'_>| matches!(n.nal_unit_type, NalUnitType::Slice | NalUnitType::SliceIdr);
        let droppable = self.skip_non_reference
            && !wanted
            && nals
                .iter()
                .filter(|n| is_vcl(n))
                .all(|n| n.nal_ref_idc == 0);
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
        &self.info
    }

    fn set_sampling(&mut self, sampling: Sampling) {
        if !self.plan_made {
            self.sampler = Sampler::new(sampling, self.info.frame_rate.map(|r| r.as_f64()));
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
