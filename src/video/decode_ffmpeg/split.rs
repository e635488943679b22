//! Parallel FFmpeg decoding of one H.264-in-MP4/MOV file: the shared task plan of
//! [`crate::video::h264::split`] ([`Splitter`]: IDR segments and open-GOP recovery points),
//! each task decoded by a single-threaded libav H.264 decoder of its own, fed the samples the
//! built-in demuxer reads as AVCC packets whose PTS is the sample's display index. No
//! libavformat seeking is involved; the split is used only when libavformat's packets are
//! exactly the demuxer's samples.

use std::sync::Arc;

use ffmpeg_next as ff;

use super::{convert_with, decode_err, ff_err, receive_frame, video_decoder, FfmpegSource, Scaler};
use crate::error::{Result, VideoError, VideoErrorKind};
use crate::video::h264::plan::Action;
use crate::video::h264::split::{Splitter, MIN_TASK_SAMPLES};
use crate::video::h264::stream::{raw_nals, Opener, ReadSeek};
use crate::video::sample::{Sampler, Sampling};
use crate::video::{FrameSource, VideoFrame, VideoInfo, VideoLimits};

/// H.264 in MP4/MOV cut into independent tasks (the shared
/// [`Splitter`]), each decoded by a libav H.264 decoder of its own that is fed the samples
/// read by the built-in demuxer, so no libavformat seeking is involved.
pub(crate) struct FfmpegSplit {
    pub(super) split: Splitter,
    /// The stream's codec parameters (an owned copy), for each worker's decoder.
    params: std::sync::Mutex<ff::codec::Parameters>,
    limits: VideoLimits,
    info: VideoInfo,
    src_format: ff::format::Pixel,
    sampler: Sampler,
}

impl std::fmt::Debug for FfmpegSplit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfmpegSplit")
            .field("tasks", &self.split.tasks())
            .finish_non_exhaustive()
    }
}

impl FfmpegSplit {
    /// The tasks for `origin` at the sampling `sampling` gives for its stream; `None` when the input is not H.264 in MP4/MOV as
    /// the built-in demuxer reads it, when libavformat's packets are not exactly the samples
    /// of that demuxer (offset and size, in order), or when there is too little work to split:
    /// the caller then decodes sequentially.
    pub(crate) fn new(
        origin: &Opener,
        limits: VideoLimits,
        sampling: &dyn Fn(&VideoInfo) -> Sampling,
    ) -> Option<FfmpegSplit> {
        Self::with_min_task(origin, limits, sampling, MIN_TASK_SAMPLES)
    }

    /// [`FfmpegSplit::new`] with tasks of at least `min_task` decoded samples.
    pub(super) fn with_min_task(
        origin: &Opener,
        limits: VideoLimits,
        sampling: &dyn Fn(&VideoInfo) -> Sampling,
        min_task: usize,
    ) -> Option<FfmpegSplit> {
        let (mut input, stream, _, src_format, info) =
            FfmpegSource::open_parts(origin, limits, 1).ok()?;
        if info.codec != "h264" {
            return None;
        }
        let params = input.stream(stream)?.parameters().clone();
        let sampler = Sampler::new(sampling(&info), info.frame_rate.map(|r| r.as_f64()));
        let (stream_info, mut reader) = origin.stream(limits).ok()?;
        let split = Splitter::plan(
            Arc::new(stream_info),
            origin.clone(),
            &mut *reader,
            sampler,
            true,
            true,
            min_task,
        )?;
        // the same samples as the sequential path's packets (which number frames the same way)
        let mut k = 0;
        for (s, packet) in input.packets() {
            if s.index() != stream {
                continue;
            }
            let (off, size) = split.sample(k)?;
            if packet.position() < 0
                || packet.position() as u64 != off
                || packet.size() != size as usize
            {
                return None;
            }
            k += 1;
        }
        if k != split.sample_count() {
            return None;
        }
        Some(FfmpegSplit {
            split,
            params: std::sync::Mutex::new(params),
            limits,
            info,
            src_format,
            sampler,
        })
    }

    /// Number of tasks.
    pub(crate) fn len(&self) -> usize {
        self.split.tasks().len()
    }

    /// The source decoding task `t` alone (its frames in display order). A finished task of
    /// the same split passed as `prev` lends its decoder (flushed: an IDR access unit starts
    /// every task, and a flushed libav decoder keeps nothing of earlier pictures), its reader
    /// and its scaler, which saves probing the file and allocating a frame pool per task.
    pub(crate) fn source<'a>(
        &'a self,
        t: usize,
        prev: Option<FfmpegTask<'a>>,
    ) -> Result<FfmpegTask<'a>> {
        let (decoder, reader, scaler) = match prev {
            Some(mut p) => {
                p.decoder.flush();
                (p.decoder, p.reader, p.scaler)
            }
            None => {
                // a poisoned lock still holds intact parameters (only `clone` runs under it)
                let params = match self.params.lock() {
                    Ok(p) => p.clone(),
                    Err(p) => p.into_inner().clone(),
                };
                (
                    video_decoder(params, 1, true)?,
                    self.split.open_reader()?,
                    None,
                )
            }
        };
        let ls = self.split.length_size();
        let mut prefix = Vec::new();
        for nal in self.split.prelude(t) {
            push_nal(&mut prefix, nal, ls)?;
        }
        Ok(FfmpegTask {
            split: self,
            range: self.split.tasks()[t].clone(),
            overhang: self.split.overhang(t),
            bounds: self.split.bounds(t),
            next: self.split.tasks()[t].start,
            reader,
            decoder,
            scaler,
            sampler: self.sampler,
            prefix,
            buf: Vec::new(),
            eof_sent: false,
            done: false,
        })
    }
}

/// Appends a NAL unit with its `length_size`-byte length prefix.
fn push_nal(out: &mut Vec<u8>, nal: &[u8], length_size: usize) -> Result<()> {
    if length_size < 4 && nal.len() >> (8 * length_size) != 0 {
        return Err(VideoError::new(
            VideoErrorKind::Container,
            "a parameter set is too long for the stream's NAL length size",
        )
        .into());
    }
    out.extend_from_slice(&(nal.len() as u32).to_be_bytes()[4 - length_size..]);
    out.extend_from_slice(nal);
    Ok(())
}

/// One task of an [`FfmpegSplit`]: its samples, fed to its own decoder as packets whose PTS
/// is the sample's display index (negative outside the edit list), so every frame that comes
/// out carries its frame number.
pub(crate) struct FfmpegTask<'a> {
    split: &'a FfmpegSplit,
    range: std::ops::Range<usize>,
    /// Samples decoded after `range` (see [`Splitter::overhang`]).
    overhang: std::ops::Range<usize>,
    /// Display indices returned: `lo..hi`.
    bounds: (u64, u64),
    next: usize,
    reader: Box<dyn ReadSeek>,
    decoder: ff::decoder::Video,
    /// The scaler of the last converted frame, with its source format and size.
    scaler: Option<Scaler>,
    sampler: Sampler,
    /// Parameter sets of samples not sent yet, length-prefixed, for the next packet.
    prefix: Vec<u8>,
    buf: Vec<u8>,
    eof_sent: bool,
    done: bool,
}

impl std::fmt::Debug for FfmpegTask<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfmpegTask")
            .field("samples", &self.range)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl FfmpegTask<'_> {
    fn receive(&mut self) -> Result<Option<VideoFrame>> {
        let mut frame = ff::frame::Video::empty();
        while receive_frame(&mut self.decoder, &mut frame, &mut self.done)? {
            let Some(n) = frame.pts().and_then(|p| u64::try_from(p).ok()) else {
                continue;
            };
            let key = frame.is_key();
            if n < self.bounds.0 || n >= self.bounds.1 || !self.sampler.wants(n, key) {
                continue;
            }
            return Ok(Some(VideoFrame {
                frame_number: n,
                keyframe: key,
                pixels: convert_with(
                    &mut self.scaler,
                    &frame,
                    self.split.src_format,
                    &self.split.limits,
                )?,
            }));
        }
        Ok(None)
    }

    /// Sends sample `i` if the plan needs its picture; keeps its parameter sets otherwise.
    /// Samples of the overhang are decoded whatever the plan says of them (it is made for the
    /// task that starts there).
    fn feed(&mut self, i: usize) -> Result<()> {
        let action = if self.overhang.contains(&i) {
            Action::Decode
        } else {
            self.split.split.action(i)
        };
        if action == Action::Skip {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        self.split
            .split
            .read_sample(&mut *self.reader, i, &mut buf)?;
        let ls = self.split.split.length_size();
        let mut vcl = 0;
        let mut referenced = false;
        for nal in raw_nals(&buf, ls) {
            if matches!(nal[0] & 0x1f, 1 | 5) {
                vcl += 1;
                referenced |= nal[0] & 0x60 != 0;
            }
        }
        let returned = self
            .split
            .split
            .display(i)
            .is_some_and(|d| d >= self.bounds.0 && d < self.bounds.1);
        let send = action == Action::Decode
            && ((self.split.split.wanted(i) && returned) || referenced || vcl == 0);
        let result = if send {
            let mut packet = if self.prefix.is_empty() {
                ff::Packet::copy(&buf)
            } else {
                self.prefix.extend_from_slice(&buf);
                let p = ff::Packet::copy(&self.prefix);
                self.prefix.clear();
                p
            };
            let pts = self.split.split.display(i).map_or(-1, |d| d as i64);
            packet.set_pts(Some(pts));
            packet.set_dts(Some(i as i64));
            // like the reference, a packet the decoder refuses ends decoding
            self.decoder
                .send_packet(&packet)
                .map_err(|e| decode_err("decoding", e))
        } else {
            let mut r = Ok(());
            for nal in raw_nals(&buf, ls) {
                if matches!(nal[0] & 0x1f, 7 | 8) {
                    r = r.and_then(|_| push_nal(&mut self.prefix, nal, ls));
                }
            }
            r
        };
        self.buf = buf;
        result
    }
}

impl FrameSource for FfmpegTask<'_> {
    fn info(&self) -> &VideoInfo {
        &self.split.info
    }

    fn set_sampling(&mut self, _: Sampling) {}

    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        while !self.done {
            if let Some(f) = self.receive()? {
                return Ok(Some(f));
            }
            if self.done {
                break;
            }
            if self.next < self.range.end.max(self.overhang.end) {
                let i = self.next;
                self.next += 1;
                self.feed(i)?;
            } else if !self.eof_sent {
                self.eof_sent = true;
                self.decoder
                    .send_eof()
                    .map_err(|e| ff_err(VideoErrorKind::Decoder, "flushing", e))?;
            } else {
                // flushed and drained without an end-of-stream mark
                self.done = true;
            }
        }
        Ok(None)
    }
}
