//! The `ffmpeg` feature's backend: libavformat/libavcodec/libswscale through `ffmpeg-next`,
//! for every container and codec the system's FFmpeg reads.
//!
//! It does what the vPDQ reference does: first video stream, `avg_frame_rate` (falling back to
//! `r_frame_rate`), frames numbered in the order the decoder returns them, and each sampled
//! frame converted by swscale to RGB24 at its native size with `SWS_AREA` from the pixel
//! format the codec context reports when the file is opened.
//!
//! Faster than the reference, same frames: with more than one thread FFmpeg's frame threading
//! is used (same frames, same order); and for H.264 in MP4/MOV, which the built-in demuxer
//! also reads, the frames that are needed are known before decoding (display indices from
//! the sample table), so packets of GOP tails after the last hashed frame and of unsampled
//! non-reference frames are never sent to the decoder, and output frames are numbered from
//! the sample table. Each packet is checked to be the sample the plan expects (byte offset and
//! size); on any disagreement decoding starts again without skipping.
//!
//! Parallel decoding of one file ([`super::VideoHasher::hash_file`] with
//! [`super::VideoConfig::parallel`] on a pool of more than one thread): for H.264 in MP4/MOV
//! the shared H.264 task plan of [`super::h264`] (IDR segments, and open-GOP recovery points with their
//! leading pictures) is reused ([`FfmpegSplit`]); each worker thread
//! has one single-threaded libav H.264 decoder (made from a copy of the stream's codec
//! parameters taken when the split is planned, so the `avcC` box is its extradata and the file
//! is probed once), flushed between the tasks it takes, and fed the samples the built-in
//! demuxer reads, as AVCC
//! packets whose PTS is the sample's display index; in-band parameter sets of samples before
//! the task or not sent are prepended to the next packet sent. No libavformat seeking is
//! involved. The split is used only when libavformat's packets are exactly the demuxer's
//! samples (offset and size, in order; one pass over the packets without decoding). Other
//! containers and codecs, and files the built-in demuxer refuses, use frame threading.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use ffmpeg_next as ff;

mod split;
pub(crate) use split::FfmpegSplit;

use super::h264::plan::{skip_plan, Action, SkipPlan};
use super::h264::stream::{raw_nals, Opener};
use super::sample::{Sampler, Sampling};
use super::{FramePixels, FrameRate, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

/// A decoding error: libav's "invalid data" is damaged input ([`VideoErrorKind::Corrupt`]).
fn decode_err(what: &'static str, e: ff::Error) -> Error {
    let kind = match e {
        ff::Error::InvalidData => VideoErrorKind::Corrupt,
        _ => VideoErrorKind::Decoder,
    };
    ff_err(kind, what, e)
}

fn ff_err(kind: VideoErrorKind, what: &'static str, e: ff::Error) -> Error {
    VideoError::new(kind, what).with_source(Box::new(e)).into()
}

/// A video decoder for a stream's codec parameters: frame threading with `threads` > 1,
/// else slice threading (`threads` = 0: as many slice threads as cores; 1: none).
///
/// `all_frames`: return frames libav does not count as recovered. A decode that starts at an
/// open-GOP recovery point needs it: libav counts the pictures after the point as recovered
/// only once the point itself is returned, so one decoded before that (a P picture after the
/// point's leading B pictures) would be dropped at the end of the stream although it is exact.
/// The caller discards the leading pictures, whose references are missing, by their number.
fn video_decoder(
    params: ff::codec::Parameters,
    threads: usize,
    all_frames: bool,
) -> Result<ff::decoder::Video> {
    let mut ctx = ff::codec::context::Context::from_parameters(params)
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "codec parameters", e))?;
    if all_frames {
        ctx.set_flags(ff::codec::Flags::OUTPUT_CORRUPT);
    }
    ctx.set_threading(if threads > 1 {
        ff::codec::threading::Config {
            kind: ff::codec::threading::Type::Frame,
            count: threads.min(16),
            ..Default::default()
        }
    } else {
        ff::codec::threading::Config {
            kind: ff::codec::threading::Type::Slice,
            count: threads,
            ..Default::default()
        }
    });
    ctx.decoder().video().map_err(|e| {
        ff_err(
            VideoErrorKind::UnsupportedCodec,
            "no decoder for this codec in the system's FFmpeg",
            e,
        )
    })
}

/// Decodes any video FFmpeg can read.
///
/// ```no_run
/// use mediamatch::video::{FfmpegSource, VideoHasher, VideoLimits};
/// let src = FfmpegSource::open("clip.webm", VideoLimits::default())?;
/// let hashes: Vec<_> = VideoHasher::new().frames(src).collect::<Result<_, _>>()?;
/// println!("{} frames hashed", hashes.len());
/// Ok::<(), mediamatch::Error>(())
/// ```
pub struct FfmpegSource {
    input: ff::format::context::Input,
    stream: usize,
    decoder: ff::decoder::Video,
    /// Pixel format the reference's scaler is created for.
    src_format: ff::format::Pixel,
    info: VideoInfo,
    limits: VideoLimits,
    sampler: Sampler,
    next_number: u64,
    eof_sent: bool,
    done: bool,
    /// The file or the bytes (a restart opens them again).
    origin: Opener,
    threads: usize,
    /// Which packets are sent (H.264 in MP4 only).
    plan: Option<SkipPlan>,
    plan_made: bool,
    /// Video packets read so far.
    packets: usize,
    /// Display indices of the sent samples whose frames have not come out yet.
    pending: BTreeSet<u64>,
    skipped_any: bool,
    /// After a restart: frames below this number were returned already.
    min_number: u64,
    last_returned: Option<u64>,
}

impl std::fmt::Debug for FfmpegSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfmpegSource")
            .field("info", &self.info)
            .field("next_number", &self.next_number)
            .finish_non_exhaustive()
    }
}

/// Takes the next decoded frame into `frame`: `Ok(true)` if there was one, `Ok(false)` when the
/// decoder needs more input or has ended (then `done` is set).
fn receive_frame(
    decoder: &mut ff::decoder::Video,
    frame: &mut ff::frame::Video,
    done: &mut bool,
) -> Result<bool> {
    match decoder.receive_frame(frame) {
        Ok(()) => Ok(true),
        Err(ff::Error::Eof) => {
            *done = true;
            Ok(false)
        }
        Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => Ok(false),
        Err(e) => Err(decode_err("decoding", e)),
    }
}

impl FfmpegSource {
    /// Opens a file (single-threaded decoding, like the reference for streams with one slice).
    pub fn open(path: impl AsRef<Path>, limits: VideoLimits) -> Result<FfmpegSource> {
        Self::open_with_threads(path, limits, 1)
    }

    /// Opens a file, decoding with `threads` frame threads (slice threading when 1). FFmpeg's
    /// frame threading returns the same frames in the same order, later.
    pub fn open_with_threads(
        path: impl AsRef<Path>,
        limits: VideoLimits,
        threads: usize,
    ) -> Result<FfmpegSource> {
        Self::with_origin(Opener::File(path.as_ref().to_path_buf()), limits, threads)
    }

    /// Reads a video held in memory (any container and codec FFmpeg reads) through a custom
    /// I/O context over the bytes: nothing is written to disk. Single-threaded decoding.
    ///
    /// ```
    /// use mediamatch::video::{FfmpegSource, VideoLimits};
    /// // not a video: a typed error, as for a file
    /// let err = FfmpegSource::from_bytes(b"not a video".to_vec().into(), VideoLimits::default())
    ///     .unwrap_err();
    /// assert!(matches!(err, mediamatch::Error::Video(_)));
    /// ```
    pub fn from_bytes(bytes: Arc<[u8]>, limits: VideoLimits) -> Result<FfmpegSource> {
        Self::from_bytes_with_threads(bytes, limits, 1)
    }

    /// [`FfmpegSource::from_bytes`] decoding with `threads` frame threads (see
    /// [`FfmpegSource::open_with_threads`]).
    pub fn from_bytes_with_threads(
        bytes: Arc<[u8]>,
        limits: VideoLimits,
        threads: usize,
    ) -> Result<FfmpegSource> {
        Self::with_origin(Opener::Bytes(bytes), limits, threads)
    }

    /// Opens the file or bytes of `origin`.
    pub(crate) fn with_origin(
        origin: Opener,
        limits: VideoLimits,
        threads: usize,
    ) -> Result<FfmpegSource> {
        let (input, stream, decoder, src_format, info) =
            Self::open_parts(&origin, limits, threads)?;
        Ok(FfmpegSource {
            input,
            stream,
            src_format,
            decoder,
            info,
            limits,
            sampler: Sampler::new(Sampling::EveryFrame, None),
            next_number: 0,
            eof_sent: false,
            done: false,
            origin,
            threads,
            plan: None,
            plan_made: false,
            packets: 0,
            pending: BTreeSet::new(),
            skipped_any: false,
            min_number: 0,
            last_returned: None,
        })
    }

    #[allow(clippy::type_complexity)]
    fn open_parts(
        origin: &Opener,
        limits: VideoLimits,
        threads: usize,
    ) -> Result<(
        ff::format::context::Input,
        usize,
        ff::decoder::Video,
        ff::format::Pixel,
        VideoInfo,
    )> {
        ff::init().map_err(|e| ff_err(VideoErrorKind::Decoder, "initialising FFmpeg", e))?;
        ff::util::log::set_level(ff::util::log::Level::Fatal);
        let input = match origin {
            Opener::File(path) => ff::format::input(path),
            Opener::Bytes(bytes) => super::ffmpeg_io::input_from_bytes(bytes.clone()),
        }
        .map_err(|e| {
            ff_err(
                VideoErrorKind::Container,
                "cannot open or probe the input",
                e,
            )
        })?;
        let stream = input
            .streams()
            .find(|s| s.parameters().medium() == ff::media::Type::Video)
            .ok_or_else(|| {
                Error::from(VideoError::new(
                    VideoErrorKind::NoVideoTrack,
                    "the file has no video stream",
                ))
            })?;
        let index = stream.index();
        let mut rate = stream.avg_frame_rate();
        if rate.numerator() == 0 || rate.denominator() == 0 {
            rate = stream.rate();
        }
        let frame_rate = if rate.numerator() > 0 && rate.denominator() > 0 {
            FrameRate::new(rate.numerator() as u32, rate.denominator() as u32)
        } else {
            None
        };
        let frames = stream.frames();
        let params = stream.parameters();
        let codec_name = params.id().name().to_string();
        let decoder = video_decoder(params, if threads > 1 { threads } else { 0 }, false)?;
        let (w, h) = (decoder.width(), decoder.height());
        limits.check_size(w, h)?;
        let info = VideoInfo {
            width: w,
            height: h,
            frame_rate,
            frame_count: (frames > 0).then_some(frames as u64),
            codec: codec_name,
        };
        let fmt = decoder.format();
        Ok((input, index, decoder, fmt, info))
    }

    /// Decodes from the start again without skipping, returning only frames after the
    /// last one returned.
    fn restart(&mut self) -> Result<()> {
        let (input, stream, decoder, src_format, _) =
            Self::open_parts(&self.origin, self.limits, self.threads)?;
        self.input = input;
        self.stream = stream;
        self.decoder = decoder;
        self.src_format = src_format;
        self.plan = None;
        self.pending.clear();
        self.packets = 0;
        self.next_number = 0;
        self.eof_sent = false;
        self.done = false;
        self.min_number = self.last_returned.map_or(0, |n| n + 1);
        Ok(())
    }

    /// Whether a video packet goes to the decoder; `Err(())` when the plan does not fit the
    /// packets (decode again without it).
    fn wants_packet(&mut self, packet: &ff::Packet) -> std::result::Result<bool, ()> {
        let Some(plan) = &self.plan else {
            return Ok(true);
        };
        let k = self.packets;
        self.packets += 1;
        let fits = plan.samples.get(k).is_some_and(|&(off, size)| {
            packet.position() >= 0
                && packet.position() as u64 == off
                && packet.size() == size as usize
        });
        if !fits {
            if !self.skipped_any {
                // nothing skipped yet: frame counting is still right, carry on without a plan
                self.plan = None;
                self.pending.clear();
                return Ok(true);
            }
            return Err(());
        }
        let data = packet.data().unwrap_or(&[]);
        let mut has_ps = false;
        let mut vcl = 0;
        let mut referenced = false;
        for nal in raw_nals(data, plan.length_size) {
            match nal[0] & 0x1f {
                7 | 8 => has_ps = true,
                1 | 5 => {
                    vcl += 1;
                    referenced |= nal[0] & 0x60 != 0;
                }
                _ => {}
            }
        }
        let send = match plan.action[k] {
            Action::Skip | Action::Drop => has_ps,
            Action::Decode => plan.wanted[k] || has_ps || referenced || vcl == 0,
        };
        if send {
            if let Some(d) = plan.display[k] {
                self.pending.insert(d);
            }
        } else {
            self.skipped_any = true;
        }
        Ok(send)
    }

    /// Converts with a scaler of its own: a cached one would make the source not `Send`.
    fn convert(&self, frame: &ff::frame::Video) -> Result<FramePixels> {
        convert_with(&mut None, frame, self.src_format, &self.limits)
    }
}

/// A swscale context with the source format and size it was made for.
struct Scaler {
    key: (ff::format::Pixel, u32, u32),
    sws: ff::software::scaling::Context,
    /// The RGB24 output frame, written anew by each conversion (no allocation per frame).
    rgb: ff::frame::Video,
}

/// A decoded frame as RGB24 at its own size, converted by swscale (`SWS_AREA`) from
/// `src_format` (the reference builds its scaler once, for the format known at open time),
/// reusing the scaler in `cache` when it was made for the same format and size (a scaler's
/// output depends only on these and the flags).
fn convert_with(
    cache: &mut Option<Scaler>,
    frame: &ff::frame::Video,
    src_format: ff::format::Pixel,
    limits: &VideoLimits,
) -> Result<FramePixels> {
    let (w, h) = (frame.width(), frame.height());
    limits.check_size(w, h)?;
    let fmt = if src_format == ff::format::Pixel::None {
        frame.format()
    } else {
        src_format
    };
    let key = (fmt, w, h);
    if cache.as_ref().is_none_or(|c| c.key != key) {
        *cache = None;
        let sws = ff::software::scaling::Context::get(
            fmt,
            w,
            h,
            ff::format::Pixel::RGB24,
            w,
            h,
            ff::software::scaling::Flags::AREA,
        )
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "creating the scaler", e))?;
        *cache = Some(Scaler {
            key,
            sws,
            rgb: ff::frame::Video::empty(),
        });
    }
    let Scaler { sws, rgb, .. } = cache.as_mut().expect("made above");
    sws.run(frame, rgb)
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "converting to RGB24", e))?;
    let stride = rgb.stride(0);
    let data = rgb.data(0);
    let (w, h) = (w as usize, h as usize);
    let mut out = Vec::with_capacity(w * h * 3);
    for r in 0..h {
        out.extend_from_slice(&data[r * stride..r * stride + 3 * w]);
    }
    Ok(FramePixels::Rgb8 {
        width: w,
        height: h,
        stride: 3 * w,
        data: out,
    })
}

impl FfmpegSource {
    /// Receives one decoded frame if the decoder has one.
    fn receive(&mut self) -> Result<Option<VideoFrame>> {
        let mut frame = ff::frame::Video::empty();
        while receive_frame(&mut self.decoder, &mut frame, &mut self.done)? {
            let counted = self.next_number;
            self.next_number += 1;
            let n = match &self.plan {
                Some(_) => self.pending.pop_first().unwrap_or(counted),
                None => counted,
            };
            let key = frame.is_key();
            if n < self.min_number || !self.sampler.wants(n, key) {
                continue;
            }
            self.last_returned = Some(n);
            return Ok(Some(VideoFrame {
                frame_number: n,
                keyframe: key,
                pixels: self.convert(&frame)?,
            }));
        }
        Ok(None)
    }
}

impl FrameSource for FfmpegSource {
    fn info(&self) -> &VideoInfo {
        &self.info
    }

    fn set_sampling(&mut self, sampling: Sampling) {
        if !self.plan_made {
            self.sampler = Sampler::new(sampling, self.info.frame_rate.map(|r| r.as_f64()));
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        if !self.plan_made {
            self.plan_made = true;
            if self.info.codec == "h264" {
                self.plan = skip_plan(&self.origin, self.limits, self.sampler);
            }
        }
        while !self.done {
            if let Some(f) = self.receive()? {
                return Ok(Some(f));
            }
            if self.done || self.eof_sent {
                break;
            }
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() == self.stream {
                        match self.wants_packet(&packet) {
                            // like the reference, a packet the decoder refuses ends decoding
                            Ok(true) => self
                                .decoder
                                .send_packet(&packet)
                                .map_err(|e| decode_err("decoding", e))?,
                            Ok(false) => {}
                            Err(()) => self.restart()?,
                        }
                    }
                }
                // like the reference (`while av_read_frame(...) == 0`), any read error ends
                // the stream: a truncated file gives the frames it has
                Err(_) => {
                    self.eof_sent = true;
                    self.decoder
                        .send_eof()
                        .map_err(|e| ff_err(VideoErrorKind::Decoder, "flushing", e))?;
                }
            }
        }
        if self.eof_sent && !self.done {
            return self.receive();
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{Mp4H264Source, VideoLimits};
    use sha2::{Digest, Sha256};
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/video/gops-high-320x180.mp4")
    }

    /// The sampled frames of the sequential source: number, keyframe flag, RGB24.
    fn drain_rgb(src: &mut FfmpegSource) -> Vec<(u64, bool, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(f) = src.next_frame().unwrap() {
            out.push((f.frame_number, f.keyframe, f.pixels.to_rgb24().unwrap()));
        }
        out
    }

    /// The frames of all tasks of `split`, in task order; task `t` lends its decoder, reader
    /// and scaler to the next when `lend(t)`.
    fn drain_split(split: &FfmpegSplit, lend: impl Fn(usize) -> bool) -> Vec<(u64, bool, Vec<u8>)> {
        let mut got = Vec::new();
        let mut prev = None;
        for t in 0..split.len() {
            let mut task = split.source(t, prev.take()).unwrap();
            while let Some(f) = task.next_frame().unwrap() {
                got.push((f.frame_number, f.keyframe, f.pixels.to_rgb24().unwrap()));
            }
            if lend(t) {
                prev = Some(task);
            }
        }
        got
    }

    /// The skip plan is checked packet by packet: when a packet is not the sample the plan
    /// expects, decoding goes on without the plan (nothing skipped yet) or starts again from
    /// the beginning without skipping (after a skip), returning each frame exactly once. The
    /// frames equal a decode of every packet without a plan in both cases.
    #[test]
    fn plan_mismatch_falls_back_to_full_decode() {
        let sampling = Sampling::Interval { millis: 280 };
        let open = || {
            let mut src = FfmpegSource::open(fixture(), VideoLimits::default()).unwrap();
            src.set_sampling(sampling);
            src
        };
        let mut plain = open();
        plain.plan_made = true; // no plan: every packet decoded, frames counted
        let want = drain_rgb(&mut plain);
        assert!(want.len() > 10, "{} frames", want.len());
        let sampler = Sampler::new(sampling, plain.info.frame_rate.map(|r| r.as_f64()));
        let plan =
            skip_plan(&Opener::File(fixture()), VideoLimits::default(), sampler).expect("plan");
        // the plan skips packets, and with it the frames are the same
        assert!(plan.action.iter().any(|&a| a != Action::Decode));
        let mut planned = open();
        assert_eq!(drain_rgb(&mut planned), want);
        assert!(planned.skipped_any && planned.plan.is_some());
        let n = plan.samples.len();
        for bad in [0, n / 2, n - 1] {
            let mut wrong = plan.samples.clone();
            wrong[bad].1 += 1;
            let mut src = open();
            src.plan_made = true;
            src.plan = Some(SkipPlan {
                samples: wrong,
                display: plan.display.clone(),
                action: plan.action.clone(),
                wanted: plan.wanted.clone(),
                length_size: plan.length_size,
            });
            let got = drain_rgb(&mut src);
            assert!(src.plan.is_none(), "mismatch at {bad} not detected");
            let numbers: Vec<u64> = got.iter().map(|f| f.0).collect();
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
            assert!(got == want, "mismatch at packet {bad}: frames differ");
        }
    }

    /// An open-GOP clip (one IDR, then I-frame recovery points, two with leading B-frames)
    /// is split at its recovery points; each task's libav decoder starts there, the task
    /// before decodes the point and its leading pictures when one of those is sampled, and
    /// the frames, concatenated, are FFmpeg's (checksums committed beside the clip) and equal
    /// the sequential decode, for several samplings.
    #[test]
    fn open_gop_split_equals_full_decode() {
        let clip =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/video/opengop-high-320x180.mp4");
        let checksums: Vec<String> = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/video/opengop-high-320x180.rgb24.framehash"),
        )
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect();
        assert_eq!(checksums.len(), 150);
        for sampling in crate::video::sample::TEST_SAMPLINGS {
            let mut seq = FfmpegSource::open(&clip, VideoLimits::default()).unwrap();
            seq.set_sampling(sampling);
            seq.plan_made = true; // every packet decoded
            let want = drain_rgb(&mut seq);
            assert!(!want.is_empty());
            let split = FfmpegSplit::with_min_task(
                &Opener::File(clip.clone()),
                VideoLimits::default(),
                &|_| sampling,
                1,
            )
            .expect("splits at recovery points");
            assert!(split.len() >= 5, "{sampling:?}: {} tasks", split.len());
            let overhangs = (0..split.len())
                .filter(|&t| !split.split.overhang(t).is_empty())
                .count();
            if sampling == Sampling::EveryFrame {
                // the two recovery points with leading pictures
                assert_eq!(overhangs, 2, "{split:?}");
            }
            let mut got = drain_split(&split, |_| true);
            got.sort_by_key(|f| f.0);
            assert_eq!(got.len(), want.len(), "{sampling:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "{sampling:?}");
                let sha: String = Sha256::digest(&g.2)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(sha, checksums[g.0 as usize], "{sampling:?}: frame {}", g.0);
            }
            assert!(got == want, "{sampling:?}: split decode differs");
        }
    }

    /// Split at every IDR (the finest split), each task decoded by its own libav decoder from
    /// the built-in demuxer's samples: the frames, concatenated, are those of the built-in
    /// backend decoding every sample sequentially (its frames are FFmpeg's, bit for bit).
    #[test]
    fn every_task_split_equals_full_decode() {
        // the default task size splits the fixture's 150 frames too (libavformat's packets
        // are the demuxer's samples), so `hash_file` takes this path
        let split = FfmpegSplit::new(&Opener::File(fixture()), VideoLimits::default(), &|_| {
            Sampling::EveryFrame
        })
        .expect("splits");
        assert!(split.len() >= 2, "{split:?}");
        for sampling in [
            Sampling::EveryFrame,
            Sampling::Interval { millis: 1000 },
            Sampling::Interval { millis: 280 },
            Sampling::Keyframes,
        ] {
            let mut src = Mp4H264Source::open(fixture(), VideoLimits::default()).unwrap();
            src.set_skip_non_reference(false);
            src.set_skip_gop_tails(false);
            src.set_sampling(sampling);
            let mut want = Vec::new();
            while let Some(f) = src.next_frame().unwrap() {
                want.push((f.frame_number, f.keyframe, f.pixels.to_rgb24().unwrap()));
            }
            assert!(!want.is_empty());
            let split = FfmpegSplit::with_min_task(
                &Opener::File(fixture()),
                VideoLimits::default(),
                &|_| sampling,
                1,
            )
            .expect("splits");
            assert!(split.len() >= 5, "{sampling:?}: {} tasks", split.len());
            // every other task reuses the previous task's decoder, reader and scaler
            let got = drain_split(&split, |t| t % 2 == 0);
            assert_eq!(got.len(), want.len(), "{sampling:?}");
            assert!(got == want, "{sampling:?}: split decode differs");
        }
    }
}
