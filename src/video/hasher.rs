//! [`VideoHasher`]: sampled frames of a source or file hashed with PDQ, with vPDQ semantics.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::config::{Backend, VideoConfig};
use super::decode_builtin::{self, Mp4H264Source};
#[cfg(feature = "ffmpeg")]
use super::decode_ffmpeg::{self, FfmpegSource};
use super::gif::{is_animation, GifSource};
#[cfg(feature = "ffmpeg")]
use super::h264::stream::Opener;
use super::layout::WorkFrames;
use super::mp4::is_mp4_family;
use super::sample::{self, Sampling};
use super::tasks::run_tasks;
use super::{
    DecodeReport, FramePixels, FrameRate, FrameSource, QueryFrame, QueryVideo, VideoFrame,
    VideoInfo, VideoQueryOptions,
};
use crate::error::{Result, VideoError, VideoErrorKind};
use crate::hash::PdqHash;
use crate::letterbox::{find_content, remove_letterbox};
use crate::luma::LumaImage;
use crate::pdq::PdqHasher;
use crate::region::find_regions;

/// The hash of one video frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameHash {
    /// Display-order frame number from 0.
    pub frame_number: u64,
    /// `frame_number / fps` in milliseconds, exactly as the reference prints it (3 decimals).
    pub timestamp_ms: u64,
    /// PDQ hash and quality.
    pub hash: PdqHash,
}

/// The vPDQ timestamp of a frame in ms: the reference computes `float(n) / float(fps)` and
/// prints it with 3 decimals; this is that printed number as an integer.
pub fn vpdq_timestamp_ms(frame_number: u64, fps: f64) -> u64 {
    let t = frame_number as f32 / fps as f32;
    if !(t.is_finite() && t >= 0.0) {
        return 0;
    }
    let s = format!("{:.3}", t as f64);
    let (int, frac) = s.split_once('.').unwrap_or((&s, "0"));
    let int: u64 = int.parse().unwrap_or(0);
    let frac: u64 = frac.parse().unwrap_or(0);
    int.saturating_mul(1000).saturating_add(frac)
}

/// Hashes videos with vPDQ semantics.
///
/// ```
/// use mediamatch::video::{Sampling, VideoConfig, VideoHasher};
/// let hasher = VideoHasher::with_config(VideoConfig::default().with_sampling(Sampling::Keyframes));
/// assert_eq!(hasher.config().sampling, Sampling::Keyframes);
/// // a file that is not a video gives a typed error
/// let err = hasher.hash_bytes(b"definitely not an mp4").unwrap_err();
/// assert!(matches!(err, mediamatch::Error::Video(_)));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct VideoHasher {
    config: VideoConfig,
    pdq: PdqHasher,
    /// During one call: when decoding must stop.
    deadline: Option<Instant>,
    /// During one query call: the frame budget of dense sampling
    /// ([`VideoQueryOptions::max_dense_frames`]).
    dense_budget: Option<u64>,
}

/// The name errors about in-memory input give.
const MEMORY: &str = "<memory>";

/// The hashes of a video and what went wrong without stopping its decode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoHashes {
    /// The sampled frames' hashes in order (of the frames that came out of the decoder).
    pub frames: Vec<FrameHash>,
    /// Damage met: concealed or dropped frames, truncation.
    pub report: DecodeReport,
}

impl VideoHasher {
    /// The reference behaviour: one hash per second, whole frames.
    pub fn new() -> Self {
        Self::default()
    }

    /// With a configuration.
    pub fn with_config(config: VideoConfig) -> Self {
        VideoHasher {
            config,
            pdq: PdqHasher::new(),
            deadline: None,
            dense_budget: None,
        }
    }

    /// Sets the sampling.
    #[must_use]
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.config.sampling = sampling;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &VideoConfig {
        &self.config
    }

    /// Opens a video file with the configured backend.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Box<dyn FrameSource + Send>> {
        let path = path.as_ref();
        match self.config.backend {
            #[cfg(feature = "ffmpeg")]
            Backend::Auto | Backend::Ffmpeg => {
                let threads = if self.config.parallel {
                    rayon::current_num_threads()
                } else {
                    1
                };
                Ok(Box::new(FfmpegSource::open_with_threads(
                    path,
                    self.config.limits,
                    threads,
                )?))
            }
            #[cfg(not(feature = "ffmpeg"))]
            Backend::Ffmpeg => Err(VideoError::new(
                VideoErrorKind::UnsupportedCodec,
                "the FFmpeg backend is not in this build: build mediamatch with the `ffmpeg` feature",
            )
            .into()),
            _ => Ok(Box::new(Mp4H264Source::open(path, self.config.limits)?)),
        }
    }

    /// Hashes a video file: the sampled frames in order.
    ///
    /// With [`VideoConfig::parallel`] (the default) one file is decoded on several threads;
    /// the result is the same as that of [`VideoHasher::frames`] over [`VideoHasher::open`].
    pub fn hash_file(&self, path: impl AsRef<Path>) -> Result<Vec<FrameHash>> {
        Ok(self.hash_file_report(path)?.frames)
    }

    /// [`VideoHasher::hash_file`] with what went wrong without stopping the decode: frames
    /// concealed or dropped, and whether the file is truncated (its frames up to the cut are
    /// returned). Errors name the file.
    pub fn hash_file_report(&self, path: impl AsRef<Path>) -> Result<VideoHashes> {
        let path = path.as_ref();
        let this = self.started();
        this.file_with(path, &|f, fps| this.hash_frame(f, fps), &|h| h.frame_number)
            .map(|(frames, report)| VideoHashes { frames, report })
            .map_err(|e| e.with_video_path(path))
    }

    /// [`VideoHasher::hash_file`], and `extra` applied to every sampled frame's luma as hashed
    /// (full resolution, after the configured letterbox removal): what a bank needs to store
    /// derived views of the frames of a video it holds. The frame hashes are those of
    /// [`VideoHasher::hash_file`]. Errors name the file.
    ///
    /// ```no_run
    /// use mediamatch::video::VideoHasher;
    /// // each sampled frame's hash, and its luma's size
    /// let frames = VideoHasher::new().hash_file_with("clip.mp4", &|l| (l.width(), l.height()))?;
    /// for (f, (w, h)) in &frames {
    ///     println!("{} ms: {} ({w}×{h})", f.timestamp_ms, f.hash.hash);
    /// }
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn hash_file_with<T: Send>(
        &self,
        path: impl AsRef<Path>,
        extra: &(dyn Fn(&LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, T)>> {
        Ok(only_sampled(self.hash_file_around(path, 0, extra)?))
    }

    /// [`VideoHasher::hash_file_with`] on an in-memory video (decoded as
    /// [`VideoHasher::hash_bytes`] does). Errors name the input `<memory>`.
    pub fn hash_bytes_with<T: Send>(
        &self,
        bytes: &[u8],
        extra: &(dyn Fn(&LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, T)>> {
        Ok(only_sampled(self.hash_bytes_around(bytes, 0, extra)?))
    }

    /// [`VideoHasher::hash_file_with`], and with interval sampling also the `frames` frames
    /// before and after every sampled frame ([`Sampling::Around`]), hashed the same way, with
    /// `None` for `extra`: the temporal neighbours a bank stores so that a copy that dropped
    /// the sampled frame meets one next to it. The sampled frames and their hashes are those
    /// of [`VideoHasher::hash_file`]; in frame order. Errors name the file.
    ///
    /// ```no_run
    /// use mediamatch::video::VideoHasher;
    /// let frames = VideoHasher::new().hash_file_around("clip.mp4", 1, &|_| ())?;
    /// let sampled = frames.iter().filter(|(_, x)| x.is_some()).count();
    /// println!("{sampled} sampled frames, {} neighbours", frames.len() - sampled);
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn hash_file_around<T: Send>(
        &self,
        path: impl AsRef<Path>,
        frames: u32,
        extra: &(dyn Fn(&LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, Option<T>)>> {
        let path = path.as_ref();
        let this = self.started().around(frames);
        this.file_with(
            path,
            &|f, fps| this.hash_frame_around(f, fps, extra),
            &|h: &(FrameHash, Option<T>)| h.0.frame_number,
        )
        .map(|(frames, _)| frames)
        .map_err(|e| e.with_video_path(path))
    }

    /// [`VideoHasher::hash_file_around`] on an in-memory video. Errors name the input
    /// `<memory>`.
    pub fn hash_bytes_around<T: Send>(
        &self,
        bytes: &[u8],
        frames: u32,
        extra: &(dyn Fn(&LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, Option<T>)>> {
        let this = self.started().around(frames);
        this.bytes_with(
            bytes,
            &|f, fps| this.hash_frame_around(f, fps, extra),
            &|h: &(FrameHash, Option<T>)| h.0.frame_number,
        )
        .map(|(frames, _)| frames)
        .map_err(|e| e.with_video_path(MEMORY))
    }

    /// The frames whose time (ms, as [`FrameHash::timestamp_ms`]) `want` accepts, hashed as
    /// [`VideoHasher::hash_file`] hashes its frames, each with `extra` of its hash and luma as
    /// hashed; in frame order. Every frame is decoded; the others are neither converted nor
    /// hashed. What a bank needs to look near a stored frame for a better one.
    pub(crate) fn hash_file_at<T: Send>(
        &self,
        path: &Path,
        want: &(dyn Fn(u64) -> bool + Sync),
        extra: &(dyn Fn(&FrameHash, &LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, T)>> {
        let this = self.started().every_frame();
        this.file_with(
            path,
            &|f, fps| this.hash_frame_at(f, fps, want, extra),
            &|h: &(u64, Option<(FrameHash, T)>)| h.0,
        )
        .map(|(frames, _)| frames.into_iter().filter_map(|(_, x)| x).collect())
        .map_err(|e| e.with_video_path(path))
    }

    /// [`VideoHasher::hash_file_at`] on an in-memory video.
    pub(crate) fn hash_bytes_at<T: Send>(
        &self,
        bytes: &[u8],
        want: &(dyn Fn(u64) -> bool + Sync),
        extra: &(dyn Fn(&FrameHash, &LumaImage) -> T + Sync),
    ) -> Result<Vec<(FrameHash, T)>> {
        let this = self.started().every_frame();
        this.bytes_with(
            bytes,
            &|f, fps| this.hash_frame_at(f, fps, want, extra),
            &|h: &(u64, Option<(FrameHash, T)>)| h.0,
        )
        .map(|(frames, _)| frames.into_iter().filter_map(|(_, x)| x).collect())
        .map_err(|e| e.with_video_path(MEMORY))
    }

    /// This hasher sampling every frame.
    fn every_frame(mut self) -> VideoHasher {
        self.config.sampling = Sampling::EveryFrame;
        self
    }

    /// One frame of [`VideoHasher::hash_file_at`]: its number, and its hash and `extra` when
    /// `want` accepts its time.
    #[allow(clippy::type_complexity)]
    fn hash_frame_at<T>(
        &self,
        frame: &VideoFrame,
        fps: Option<FrameRate>,
        want: &(dyn Fn(u64) -> bool + Sync),
        extra: &(dyn Fn(&FrameHash, &LumaImage) -> T + Sync),
    ) -> Result<(u64, Option<(FrameHash, T)>)> {
        let t = frame_time_ms(frame, fps);
        if !want(t) {
            return Ok((frame.frame_number, None));
        }
        let luma = self.luma_as_hashed(&frame.pixels)?;
        let h = FrameHash {
            frame_number: frame.frame_number,
            timestamp_ms: t,
            hash: self.pdq.hash(&luma),
        };
        let x = extra(&h, &luma);
        Ok((frame.frame_number, Some((h, x))))
    }

    /// This hasher sampling `frames` neighbours around each frame of its interval sampling
    /// (unchanged for other samplings or no neighbours).
    fn around(mut self, frames: u32) -> VideoHasher {
        if let (Sampling::Interval { millis }, true) = (self.config.sampling, frames > 0) {
            self.config.sampling = Sampling::Around { millis, frames };
        }
        self
    }

    /// One frame's hash (as [`VideoHasher::hash_frame`]) and, for a sampled frame (not a
    /// neighbour of [`Sampling::Around`]), `extra` of its luma as hashed.
    fn hash_frame_around<T>(
        &self,
        frame: &VideoFrame,
        fps: Option<FrameRate>,
        extra: &(dyn Fn(&LumaImage) -> T + Sync),
    ) -> Result<(FrameHash, Option<T>)> {
        let sampled = match self.config.sampling {
            Sampling::Around { millis, .. } => {
                sample::Sampler::new(Sampling::Interval { millis }, fps.map(|r| r.as_f64()))
                    .is_sampled(frame.frame_number, frame.keyframe)
            }
            _ => true,
        };
        let luma = self.luma_as_hashed(&frame.pixels)?;
        Ok((
            FrameHash {
                frame_number: frame.frame_number,
                timestamp_ms: frame_time_ms(frame, fps),
                hash: self.pdq.hash(&luma),
            },
            sampled.then(|| extra(&luma)),
        ))
    }

    /// A frame's full-resolution luma as [`VideoHasher::hash_frame`] hashes it (after the
    /// configured letterbox removal).
    fn luma_as_hashed(&self, pixels: &FramePixels) -> Result<LumaImage> {
        let luma = pixels.to_luma()?;
        Ok(match &self.config.letterbox {
            Some(cfg) => remove_letterbox(&luma, cfg),
            None => luma,
        })
    }

    /// This hasher with the decode deadline of its limits starting now.
    fn started(&self) -> VideoHasher {
        let mut this = self.clone();
        this.deadline = self
            .config
            .limits
            .max_decode_ms
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        this
    }

    /// [`VideoHasher::hash_file`] with any per-frame hashing; `key` gives the frame number.
    fn file_with<T: Send>(
        &self,
        path: &Path,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<(Vec<T>, DecodeReport)> {
        let use_builtin = match self.config.backend {
            Backend::Builtin => true,
            Backend::Auto => !cfg!(feature = "ffmpeg"),
            Backend::Ffmpeg => false,
        };
        let mut head = Vec::with_capacity(64);
        std::fs::File::open(path)
            .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 64), &mut head))
            .map_err(|e| crate::Error::io(Some(path.to_path_buf()), e))?;
        let head = &head[..];
        // media detection by content: GIFs (and animated WebP/PNG) are read here whatever
        // the backend
        if is_animation(head) {
            return self.sampled(GifSource::open(path, self.config.limits)?, hash);
        }
        if use_builtin {
            if !is_mp4_family(head) {
                return Err(VideoError::new(
                    VideoErrorKind::UnsupportedCodec,
                    "not an MP4/MOV or GIF file: the built-in backend reads only those; build \
                     mediamatch with the `ffmpeg` feature for other containers",
                )
                .into());
            }
            return self.builtin_with(Mp4H264Source::open(path, self.config.limits)?, hash, key);
        }
        #[cfg(feature = "ffmpeg")]
        {
            self.ffmpeg_with(Opener::File(path.to_path_buf()), hash, key)
        }
        // without FFmpeg, only `Backend::Ffmpeg` gets here, and `open` names the feature
        #[cfg(not(feature = "ffmpeg"))]
        {
            self.sampled(self.open(path)?, hash)
        }
    }

    /// Hashes an in-memory video: GIF; MP4/MOV with H.264 by the built-in backend; with the
    /// `ffmpeg` feature, any other container or codec by FFmpeg, which reads the bytes
    /// through a custom I/O context (nothing is written to disk). [`Backend::Ffmpeg`] sends
    /// everything but GIFs to FFmpeg, [`Backend::Builtin`] nothing.
    pub fn hash_bytes(&self, bytes: &[u8]) -> Result<Vec<FrameHash>> {
        Ok(self.hash_bytes_report(bytes)?.frames)
    }

    /// [`VideoHasher::hash_bytes`] with what went wrong without stopping the decode (see
    /// [`VideoHasher::hash_file_report`]). Errors name the input `<memory>`.
    pub fn hash_bytes_report(&self, bytes: &[u8]) -> Result<VideoHashes> {
        let this = self.started();
        this.bytes_with(bytes, &|f, fps| this.hash_frame(f, fps), &|h| {
            h.frame_number
        })
        .map(|(frames, report)| VideoHashes { frames, report })
        .map_err(|e| e.with_video_path(MEMORY))
    }

    /// [`VideoHasher::hash_bytes`] with any per-frame hashing; `key` gives the frame number.
    fn bytes_with<T: Send>(
        &self,
        bytes: &[u8],
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<(Vec<T>, DecodeReport)> {
        let limits = self.config.limits;
        if is_animation(bytes) {
            return self.sampled(GifSource::from_bytes(bytes.to_vec(), limits)?, hash);
        }
        let bytes: Arc<[u8]> = bytes.into();
        #[cfg(feature = "ffmpeg")]
        {
            let ffmpeg = |bytes| self.ffmpeg_with(Opener::Bytes(bytes), hash, key);
            match self.config.backend {
                Backend::Ffmpeg => return ffmpeg(bytes),
                Backend::Auto if !is_mp4_family(&bytes) => return ffmpeg(bytes),
                // another codec in MP4/MOV (HEVC, 10-bit H.264…): FFmpeg decodes it
                Backend::Auto => {
                    match Mp4H264Source::from_bytes(bytes.clone(), limits)
                        .and_then(|src| self.builtin_with(src, hash, key))
                    {
                        Err(crate::Error::Video(e))
                            if e.kind() == VideoErrorKind::UnsupportedCodec =>
                        {
                            return ffmpeg(bytes)
                        }
                        r => return r,
                    }
                }
                Backend::Builtin => {}
            }
        }
        #[cfg(not(feature = "ffmpeg"))]
        if self.config.backend == Backend::Ffmpeg {
            return Err(VideoError::new(
                VideoErrorKind::UnsupportedCodec,
                "the FFmpeg backend is not in this build: build mediamatch with the `ffmpeg` feature",
            )
            .into());
        }
        self.builtin_with(Mp4H264Source::from_bytes(bytes, limits)?, hash, key)
    }

    /// Decodes with FFmpeg: split across threads like [`VideoHasher::hash_file`] when it can
    /// be, else one source with frame threads.
    #[cfg(feature = "ffmpeg")]
    fn ffmpeg_with<T: Send>(
        &self,
        origin: Opener,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<(Vec<T>, DecodeReport)> {
        let threads = rayon::current_num_threads();
        if self.config.parallel && threads > 1 {
            if let Some(split) =
                decode_ffmpeg::FfmpegSplit::new(&origin, self.config.limits, &|info| {
                    self.sampling_for(info)
                })
            {
                return run_tasks(
                    split.len(),
                    |t, prev| split.source(t, prev),
                    &|src| self.sampled_mut(src, hash),
                    key,
                );
            }
        }
        let threads = if self.config.parallel { threads } else { 1 };
        self.sampled(
            FfmpegSource::with_origin(origin, self.config.limits, threads)?,
            hash,
        )
    }

    /// [`VideoHasher::hash_builtin`] with any per-frame hashing.
    fn builtin_with<T: Send>(
        &self,
        mut src: Mp4H264Source,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<(Vec<T>, DecodeReport)> {
        if self.config.parallel && rayon::current_num_threads() > 1 {
            if let Some(split) = src.splitter(self.sampling_for(src.info())) {
                return run_tasks(
                    split.tasks().len(),
                    |t, prev| decode_builtin::task_source(&split, t, prev),
                    &|src| self.sampled_mut(src, hash),
                    key,
                );
            }
        }
        self.sampled(src, hash)
    }

    /// Applies `hash` to the sampled frames of a source, in order.
    fn sampled<S: FrameSource, T>(
        &self,
        mut source: S,
        hash: &dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T>,
    ) -> Result<(Vec<T>, DecodeReport)> {
        self.sampled_mut(&mut source, hash)
    }

    /// [`VideoHasher::sampled`] leaving the source to the caller.
    fn sampled_mut<S: FrameSource, T>(
        &self,
        source: &mut S,
        hash: &dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T>,
    ) -> Result<(Vec<T>, DecodeReport)> {
        let sampling = self.sampling_for(source.info());
        source.set_sampling(sampling);
        let rate = source.info().frame_rate;
        let sampler = sample::Sampler::new(sampling, rate.map(|r| r.as_f64()));
        let mut out = Vec::new();
        loop {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(VideoError::new(
                    VideoErrorKind::LimitsExceeded,
                    "decoding took longer than the limit (VideoLimits::max_decode_ms)",
                )
                .into());
            }
            let Some(f) = source.next_frame()? else { break };
            if sampler.wants(f.frame_number, f.keyframe) {
                out.push(hash(&f, rate)?);
            }
        }
        Ok((out, source.report()))
    }

    /// Hashes one frame for robust matching (query side): the plain hash (as
    /// [`VideoHasher::hash_frame`]) and, with [`VideoQueryOptions::unletterbox`], the hash
    /// after letterbox removal, each under every transform of the options, from one DCT each.
    pub fn hash_query_frame(
        &self,
        frame: &VideoFrame,
        fps: Option<FrameRate>,
        opts: &VideoQueryOptions,
    ) -> Result<QueryFrame> {
        self.query_frame(frame, fps, opts, None)
    }

    /// [`VideoHasher::hash_query_frame`], keeping the frame's working copy in `work` for the
    /// whole-video layouts.
    fn query_frame(
        &self,
        frame: &VideoFrame,
        fps: Option<FrameRate>,
        opts: &VideoQueryOptions,
        work: Option<&WorkFrames>,
    ) -> Result<QueryFrame> {
        let transforms = opts.transforms();
        let luma = match opts.reduced_min_side {
            Some(side) => frame.pixels.to_luma_reduced(side.max(1) as usize)?,
            None => frame.pixels.to_luma()?,
        };
        let luma = match &self.config.letterbox {
            Some(cfg) => remove_letterbox(&luma, cfg),
            None => luma,
        };
        if let Some(work) = work {
            work.keep(frame.frame_number, &luma);
        }
        let mut alts = vec![self.pdq.hash_transforms(&luma, &transforms)];
        if let Some(cfg) = &opts.unletterbox {
            // a frame without bars would give the plain hash again: no second alternative
            let r = find_content(&luma, cfg);
            if r.width != luma.width() || r.height != luma.height() {
                if let Ok(c) = luma.crop(r.left, r.top, r.width, r.height) {
                    alts.push(self.pdq.hash_transforms(&c, &transforms));
                }
            }
        }
        if let Some(cfg) = &opts.regions {
            for r in find_regions(&luma, cfg).into_iter().take(cfg.max_regions) {
                let c = r.rect;
                if let Ok(crop) = luma.crop(c.left, c.top, c.width, c.height) {
                    alts.push(self.pdq.hash_transforms(&crop, &transforms));
                }
            }
        }
        Ok(QueryFrame {
            frame_number: frame.frame_number,
            timestamp_ms: frame_time_ms(frame, fps),
            hashes: (0..transforms.len())
                .map(|t| alts.iter().map(|a| a[t]).collect())
                .collect(),
        })
    }

    /// Hashes the sampled frames of a source for robust matching (see
    /// [`VideoHasher::hash_query_frame`]). The plain hashes are those of
    /// [`VideoHasher::frames`].
    pub fn hash_query_source<S: FrameSource>(
        &self,
        source: S,
        opts: &VideoQueryOptions,
    ) -> Result<QueryVideo> {
        let this = self.for_query(opts);
        let work = opts.layouts.map(WorkFrames::new);
        let frames = this
            .sampled(source, &|f, fps| {
                this.query_frame(f, fps, opts, work.as_ref())
            })?
            .0;
        Ok(this.finish_query(frames, work, opts))
    }

    /// The query video of `frames`, with the whole-video layouts of `work` hashed in.
    fn finish_query(
        &self,
        mut frames: Vec<QueryFrame>,
        work: Option<WorkFrames>,
        opts: &VideoQueryOptions,
    ) -> QueryVideo {
        let transforms = opts.transforms();
        let layouts = match work {
            Some(work) => work.apply(&mut frames, &transforms, &self.pdq),
            None => Vec::new(),
        };
        QueryVideo {
            transforms,
            frames,
            layouts,
        }
    }

    /// This hasher with the sampling of `opts` ([`VideoQueryOptions::frames_per_second`]).
    fn for_query(&self, opts: &VideoQueryOptions) -> VideoHasher {
        let mut this = self.started();
        if let Some(n) = opts.frames_per_second {
            this.config.sampling = Sampling::Interval {
                millis: (1000 / n.max(1)).max(1),
            };
            this.dense_budget = opts.max_dense_frames;
        }
        this
    }

    /// The sampling for a source with `info`: the configured one, except that a dense query
    /// ([`VideoQueryOptions::max_dense_frames`]) of a video whose frame count and rate are
    /// known hashes every `m`-th frame, `m` the smallest step that keeps the sampled frames
    /// within the budget, but never sparser than the configured interval.
    pub(crate) fn sampling_for(&self, info: &VideoInfo) -> Sampling {
        if self.dense_budget.is_some() && super::gif::is_animation_codec(&info.codec) {
            // every picture of an animation once: a GIF keeps a fraction of the frames of
            // what it was cut from, so each one is the nearest to some stored frame
            return Sampling::Distinct;
        }
        let (Some(budget), Sampling::Interval { .. }, Some(rate), Some(count)) = (
            self.dense_budget,
            self.config.sampling,
            info.frame_rate,
            info.frame_count,
        ) else {
            return self.config.sampling;
        };
        let fps = rate.as_f64();
        let Some(sparsest) = self.config.sampling.frame_mod(fps) else {
            return self.config.sampling;
        };
        let m = count.div_ceil(budget.max(1)).clamp(1, sparsest);
        if m == 1 {
            Sampling::EveryFrame
        } else if m == sparsest || !(fps.is_finite() && fps > 0.0) {
            self.config.sampling
        } else {
            // trunc(millis / 1000 × fps) = m: millis = ceil(1000 m / fps) exceeds it by less
            // than fps / 1000 frames
            Sampling::Interval {
                millis: (1000.0 * m as f64 / fps).ceil() as u32,
            }
        }
    }

    /// Hashes an in-memory video for robust matching, decoding as [`VideoHasher::hash_bytes`]
    /// does (FFmpeg for what the built-in backend does not read, with the `ffmpeg` feature).
    pub fn hash_query_bytes(&self, bytes: &[u8], opts: &VideoQueryOptions) -> Result<QueryVideo> {
        let this = self.for_query(opts);
        let work = opts.layouts.map(WorkFrames::new);
        let frames = this
            .bytes_with(
                bytes,
                &|f, fps| this.query_frame(f, fps, opts, work.as_ref()),
                &|q: &QueryFrame| q.frame_number,
            )
            .map_err(|e| e.with_video_path(MEMORY))?
            .0;
        Ok(this.finish_query(frames, work, opts))
    }

    /// Hashes a video file for robust matching (see [`VideoHasher::hash_query_frame`]),
    /// decoding as [`VideoHasher::hash_file`] does.
    pub fn hash_query_file(
        &self,
        path: impl AsRef<Path>,
        opts: &VideoQueryOptions,
    ) -> Result<QueryVideo> {
        let this = self.for_query(opts);
        let path = path.as_ref();
        let work = opts.layouts.map(WorkFrames::new);
        let frames = this
            .file_with(
                path,
                &|f, fps| this.query_frame(f, fps, opts, work.as_ref()),
                &|q: &QueryFrame| q.frame_number,
            )
            .map_err(|e| e.with_video_path(path))?
            .0;
        Ok(this.finish_query(frames, work, opts))
    }

    /// Hashes many files in parallel on the current rayon pool (one video per task; when
    /// there are at least as many videos as threads, each video's own decode is sequential).
    pub fn hash_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<Vec<FrameHash>>> {
        use rayon::prelude::*;
        let parallel = self.config.parallel && paths.len() < rayon::current_num_threads();
        let one = VideoHasher {
            config: self.config.with_parallel(parallel),
            pdq: self.pdq.clone(),
            deadline: None,
            dense_budget: None,
        };
        paths.par_iter().map(|p| one.hash_file(p)).collect()
    }

    /// Hashes the frames of a source lazily, in display order.
    pub fn frames<S: FrameSource>(&self, mut source: S) -> Frames<'_, S> {
        source.set_sampling(self.config.sampling);
        let fps = source.info().frame_rate.map(|r| r.as_f64());
        let sampler = sample::Sampler::new(self.config.sampling, fps);
        Frames {
            hasher: self,
            source,
            sampler,
            fps,
            done: false,
        }
    }

    /// Hashes one caller-provided frame (no sampling applied): identical to what a file's frame
    /// with the same pixels gets.
    pub fn hash_frame(&self, frame: &VideoFrame, fps: Option<FrameRate>) -> Result<FrameHash> {
        let hash = match (&frame.pixels, &self.config.letterbox) {
            // RGB straight into PDQ's first filter pass (the same numbers, no luma plane)
            (
                FramePixels::Rgb8 {
                    width,
                    height,
                    stride,
                    data,
                },
                None,
            ) => self.pdq.hash_rgb8(data, *width, *height, *stride)?,
            (pixels, _) => self.pdq.hash(&self.luma_as_hashed(pixels)?),
        };
        Ok(FrameHash {
            frame_number: frame.frame_number,
            timestamp_ms: frame_time_ms(frame, fps),
            hash,
        })
    }
}

/// A frame's vPDQ timestamp, ms (0 when the frame rate is unknown).
fn frame_time_ms(frame: &VideoFrame, fps: Option<FrameRate>) -> u64 {
    fps.map_or(0, |f| vpdq_timestamp_ms(frame.frame_number, f.as_f64()))
}

/// The sampled frames of [`VideoHasher::hash_file_around`]'s output, with their `extra`.
fn only_sampled<T>(frames: Vec<(FrameHash, Option<T>)>) -> Vec<(FrameHash, T)> {
    frames
        .into_iter()
        .filter_map(|(f, x)| x.map(|x| (f, x)))
        .collect()
}

/// Iterator over the hashes of a video's sampled frames (see [`VideoHasher::frames`]).
#[derive(Debug)]
pub struct Frames<'h, S> {
    hasher: &'h VideoHasher,
    source: S,
    sampler: sample::Sampler,
    fps: Option<f64>,
    done: bool,
}

impl<S: FrameSource> Iterator for Frames<'_, S> {
    type Item = Result<FrameHash>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.source.next_frame() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.done = true;
                }
                Ok(Some(f)) => {
                    if !self.sampler.wants(f.frame_number, f.keyframe) {
                        continue;
                    }
                    let fps = self.fps.and_then(|_| self.source.info().frame_rate);
                    return Some(self.hasher.hash_frame(&f, fps));
                }
            }
        }
        None
    }
}
