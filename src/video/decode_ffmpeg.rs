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

use std::collections::BTreeSet;
use std::path::PathBuf;

use std::path::Path;

use ffmpeg_next as ff;

use super::decode_builtin::{raw_nals, skip_plan, Action, SkipPlan};
use super::sample::{Sampler, Sampling};
use super::{FramePixels, FrameRate, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

fn ff_err(kind: VideoErrorKind, what: &'static str, e: ff::Error) -> Error {
    VideoError::new(kind, what).with_source(Box::new(e)).into()
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
    path: PathBuf,
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
        let path = path.as_ref();
        let (input, stream, decoder, src_format, info) = Self::open_parts(path, limits, threads)?;
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
            path: path.to_path_buf(),
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
        path: &Path,
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
        let input = ff::format::input(&path).map_err(|e| {
            ff_err(
                VideoErrorKind::Container,
                "cannot open or probe the file",
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
        let mut ctx = ff::codec::context::Context::from_parameters(params)
            .map_err(|e| ff_err(VideoErrorKind::Decoder, "codec parameters", e))?;
        ctx.set_threading(if threads > 1 {
            ff::codec::threading::Config {
                kind: ff::codec::threading::Type::Frame,
                count: threads.min(16),
                ..Default::default()
            }
        } else {
            ff::codec::threading::Config {
                kind: ff::codec::threading::Type::Slice,
                count: 0,
                ..Default::default()
            }
        });
        let decoder = ctx.decoder().video().map_err(|e| {
            ff_err(
                VideoErrorKind::UnsupportedCodec,
                "no decoder for this codec in the system's FFmpeg",
                e,
            )
        })?;
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
            Self::open_parts(&self.path, self.limits, self.threads)?;
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

    fn convert(&self, frame: &ff::frame::Video) -> Result<FramePixels> {
        let (w, h) = (frame.width(), frame.height());
        self.limits.check_size(w, h)?;
        // the reference builds its scaler once, for the format and size known at open time
        let fmt = if self.src_format == ff::format::Pixel::None {
            frame.format()
        } else {
            self.src_format
        };
        let mut sws = ff::software::scaling::Context::get(
            fmt,
            w,
            h,
            ff::format::Pixel::RGB24,
            w,
            h,
            ff::software::scaling::Flags::AREA,
        )
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "creating the scaler", e))?;
        let mut rgb = ff::frame::Video::empty();
        sws.run(frame, &mut rgb)
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

    /// Receives one decoded frame if the decoder has one.
    fn receive(&mut self) -> Result<Option<VideoFrame>> {
        let mut frame = ff::frame::Video::empty();
        loop {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
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
                Err(ff::Error::Eof) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                    return Ok(None)
                }
                Err(e) => return Err(ff_err(VideoErrorKind::Decoder, "decoding", e)),
            }
        }
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
                self.plan = skip_plan(&self.path, self.limits, self.sampler);
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
                                .map_err(|e| ff_err(VideoErrorKind::Decoder, "decoding", e))?,
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
