//! Video hashing with vPDQ semantics: decode, sample, hash each sampled frame with PDQ.
//!
//! Data path: file → [`FrameSource`] (the built-in pure-Rust H.264-in-MP4 backend, or FFmpeg
//! with the `ffmpeg` feature, or the caller's own decoder) → frames in display order with
//! their vPDQ frame numbers → sampling ([`Sampling`]) → RGB24 exactly as FFmpeg's swscale
//! makes it → PDQ → [`FrameHash`].
//!
//! What "vPDQ semantics" means (Meta's `vpdq`, see `../shared/notes/pdq-reference.md` §3):
//! * frame numbers count decoded frames in display order from 0;
//! * with one hash per `s` seconds, frame `n` is hashed iff `n % max(1, trunc(s × fps)) == 0`,
//!   where `fps` is the stream's average frame rate (FFmpeg's `avg_frame_rate`);
//! * each hashed frame is converted to RGB24 at its native size and hashed with plain PDQ
//!   (full resolution, no 512-pixel cap);
//! * the timestamp is `frame_number / fps` (the reference computes it in `float` and prints 3
//!   decimals; [`FrameHash::timestamp_ms`] is that printed value as an exact integer).
//!
//! Speed: the frames to hash are known from the container before decoding, so only they and
//! the frames they depend on are decoded (unsampled non-reference frames and the rest of each
//! closed GOP after its last sampled frame are skipped), and one file is decoded on several
//! threads ([`VideoConfig::parallel`]); the hashes are the same as those of a decode of every
//! frame.
//!
//! Beyond the reference: a keyframes-only mode ([`Sampling::Keyframes`], 40–100× cheaper
//! to decode), optional letterbox removal, temporal alignment of matches ([`align()`]), and
//! query-side robust matching ([`VideoQueryOptions`], [`QueryVideo`]: letterbox removal in
//! addition to the plain hashes, mirrored and rotated uploads under one transform per pair).
//!
//! ```no_run
//! use mediamatch::video::{VideoHasher, vpdq};
//! let hasher = VideoHasher::new();
//! let frames = hasher.hash_file("clip.mp4")?;
//! print!("{}", vpdq::write_lines(&frames));
//! Ok::<(), mediamatch::Error>(())
//! ```

pub mod align;
mod decode_builtin;
#[cfg(feature = "ffmpeg")]
mod decode_ffmpeg;
mod mp4;
mod query;
mod sample;
pub mod vpdq;
mod yuv;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, VideoError, VideoErrorKind};
use crate::hash::PdqHash;
use crate::letterbox::{remove_letterbox, LetterboxConfig};
use crate::luma::LumaImage;
use crate::pdq::PdqHasher;

pub use align::{align, align_hits, AlignConfig, Hit, Segment};
pub use decode_builtin::Mp4H264Source;
#[cfg(feature = "ffmpeg")]
pub use decode_ffmpeg::FfmpegSource;
pub use query::{QueryAlignment, QueryFrame, QueryMatch, QueryVideo, VideoQueryOptions};
pub use sample::Sampling;
pub use vpdq::{match_percentages, MatchPercentages, MatchRule};

/// A frame rate as an exact fraction `num / den` frames per second.
///
/// ```
/// use mediamatch::video::FrameRate;
/// let ntsc = FrameRate::new(30000, 1001).unwrap();
/// assert!((ntsc.as_f64() - 29.97).abs() < 0.001);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameRate {
    /// Numerator (frames).
    pub num: u32,
    /// Denominator (seconds).
    pub den: u32,
}

impl FrameRate {
    /// `num / den`, reduced; `None` if either is zero.
    pub fn new(num: u32, den: u32) -> Option<FrameRate> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num as u64, den as u64) as u32;
        Some(FrameRate {
            num: num / g,
            den: den / g,
        })
    }

    /// From a count of frames over a duration in `timescale` units (FFmpeg's `avg_frame_rate`
    /// for MP4: sample count × timescale / total duration), reduced and, like FFmpeg's
    /// `av_reduce(..., INT_MAX)`, approximated if it does not fit.
    pub fn from_count(frames: u64, duration: u64, timescale: u32) -> Option<FrameRate> {
        if frames == 0 || duration == 0 || timescale == 0 {
            return None;
        }
        let mut num = frames as u128 * timescale as u128;
        let mut den = duration as u128;
        let g = gcd_u128(num, den);
        num /= g;
        den /= g;
        while num > u32::MAX as u128 || den > u32::MAX as u128 {
            num = num.div_ceil(2);
            den = den.div_ceil(2);
        }
        FrameRate::new(num as u32, den as u32)
    }

    /// The rate as a double, as the reference uses it.
    pub fn as_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Limits that keep a hostile or broken video from exhausting memory or time.
///
/// ```
/// use mediamatch::video::VideoLimits;
/// let l = VideoLimits::default().with_max_size(3840, 3840).with_max_frames(1_000_000);
/// assert_eq!((l.max_width, l.max_frames), (3840, 1_000_000));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoLimits {
    /// Largest frame width in pixels (default 8192).
    pub max_width: u32,
    /// Largest frame height in pixels (default 8192).
    pub max_height: u32,
    /// Largest frame area in pixels (default 8192 × 4320, "8K").
    pub max_pixels: u64,
    /// Most samples (frames) a file may declare (default 10 million, ~93 h at 30 fps).
    pub max_frames: u64,
    /// Largest container header box (`moov`, `moof`) read into memory (default 256 MiB).
    pub max_header_bytes: u64,
    /// Largest single compressed frame (default 64 MiB).
    pub max_sample_bytes: u32,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            max_width: 8192,
            max_height: 8192,
            max_pixels: 8192 * 4320,
            max_frames: 10_000_000,
            max_header_bytes: 256 << 20,
            max_sample_bytes: 64 << 20,
        }
    }
}

impl VideoLimits {
    /// Sets the largest frame width and height.
    #[must_use]
    pub fn with_max_size(mut self, width: u32, height: u32) -> Self {
        self.max_width = width;
        self.max_height = height;
        self
    }
    /// Sets the largest frame area in pixels.
    #[must_use]
    pub fn with_max_pixels(mut self, pixels: u64) -> Self {
        self.max_pixels = pixels;
        self
    }
    /// Sets the most frames a file may declare.
    #[must_use]
    pub fn with_max_frames(mut self, frames: u64) -> Self {
        self.max_frames = frames;
        self
    }
    /// Sets the largest container header box read into memory.
    #[must_use]
    pub fn with_max_header_bytes(mut self, bytes: u64) -> Self {
        self.max_header_bytes = bytes;
        self
    }
    /// Sets the largest compressed frame.
    #[must_use]
    pub fn with_max_sample_bytes(mut self, bytes: u32) -> Self {
        self.max_sample_bytes = bytes;
        self
    }

    pub(crate) fn check_size(&self, width: u32, height: u32) -> Result<(), VideoError> {
        if width == 0 || height == 0 {
            return Err(VideoError::new(
                VideoErrorKind::Container,
                format!("frame size {width}x{height}"),
            ));
        }
        if width > self.max_width
            || height > self.max_height
            || width as u64 * height as u64 > self.max_pixels
        {
            return Err(VideoError::new(
                VideoErrorKind::LimitsExceeded,
                format!("frame size {width}x{height} exceeds the limits"),
            ));
        }
        Ok(())
    }
}

/// Which decoder backend opens files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Backend {
    /// FFmpeg when the `ffmpeg` feature is on, else the built-in backend.
    #[default]
    Auto,
    /// The built-in pure-Rust backend: H.264 (8-bit 4:2:0) in MP4/MOV, fragmented or not.
    Builtin,
    /// libav* through `ffmpeg-next` (needs the `ffmpeg` feature).
    Ffmpeg,
}

/// Configuration of a [`VideoHasher`]. `Default` is the vPDQ reference behaviour at one hash
/// per second.
///
/// ```
/// use mediamatch::video::{Sampling, VideoConfig};
/// let cfg = VideoConfig::default();
/// assert_eq!(cfg.sampling, Sampling::Interval { millis: 1000 });
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoConfig {
    /// Which frames are hashed.
    pub sampling: Sampling,
    /// Crop uniform letterbox/pillarbox bars before hashing. Off by default: the vPDQ
    /// reference hashes the whole frame, and hashes exchanged with other platforms must match
    /// theirs. Turn it on for a private database whose known videos were hashed the same way.
    pub letterbox: Option<LetterboxConfig>,
    /// Resource limits.
    pub limits: VideoLimits,
    /// Decoder backend for files.
    pub backend: Backend,
    /// Decode one video on several threads (default `true`): independent parts (IDR segments,
    /// exact open-GOP recovery points) of a file are decoded as tasks on the current rayon pool, one decoder each (FFmpeg: for
    /// H.264 in MP4/MOV through [`VideoHasher::hash_file`]; other inputs, and
    /// [`VideoHasher::open`], use FFmpeg's frame threading with as many threads as that
    /// pool). The hashes are identical either
    /// way; turn it off when many videos are already hashed in parallel (as
    /// [`VideoHasher::hash_files`] does) or for the lowest latency on tiny files.
    #[serde(default = "default_parallel")]
    pub parallel: bool,
}

fn default_parallel() -> bool {
    true
}

impl VideoConfig {
    /// Sets the sampling.
    #[must_use]
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }
    /// Turns letterbox removal on (`Some`) or off.
    #[must_use]
    pub fn with_letterbox(mut self, letterbox: Option<LetterboxConfig>) -> Self {
        self.letterbox = letterbox;
        self
    }
    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: VideoLimits) -> Self {
        self.limits = limits;
        self
    }
    /// Sets the backend.
    #[must_use]
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }
    /// Turns decoding one video on several threads on or off.
    #[must_use]
    pub fn with_parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            sampling: Sampling::default(),
            letterbox: None,
            limits: VideoLimits::default(),
            backend: Backend::Auto,
            parallel: true,
        }
    }
}

/// What a [`FrameSource`] knows about its stream before decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VideoInfo {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Average frame rate, as the reference takes it (FFmpeg's `avg_frame_rate`).
    pub frame_rate: Option<FrameRate>,
    /// Number of frames, when the container says.
    pub frame_count: Option<u64>,
    /// Codec name, for messages.
    pub codec: String,
}

impl VideoInfo {
    /// Stream information for frames a caller decodes itself.
    pub fn new(width: u32, height: u32, frame_rate: Option<FrameRate>) -> VideoInfo {
        VideoInfo {
            width,
            height,
            frame_rate,
            frame_count: None,
            codec: String::new(),
        }
    }
}

/// The pixels of one decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramePixels {
    /// Packed RGB, 3 bytes per pixel, rows `stride` bytes apart (what the reference hashes).
    Rgb8 {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Bytes from one row to the next.
        stride: usize,
        /// The pixels.
        data: Vec<u8>,
    },
    /// 8-bit grey, used directly as the PDQ luma (`Y = v`).
    Gray8 {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Bytes from one row to the next.
        stride: usize,
        /// The pixels.
        data: Vec<u8>,
    },
    /// 8-bit planar YUV 4:2:0 (chroma planes `ceil(w/2) × ceil(h/2)`, packed rows), converted
    /// to RGB24 exactly as FFmpeg's swscale does by default (BT.601).
    Yuv420 {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Luma plane, `width × height`.
        y: Vec<u8>,
        /// Cb plane.
        u: Vec<u8>,
        /// Cr plane.
        v: Vec<u8>,
        /// Full ("PC", `yuvj420p`) range instead of limited ("TV") range.
        full_range: bool,
    },
}

impl FramePixels {
    /// The frame as packed RGB24 (`3 × width` bytes per row), as the reference hashes it.
    pub fn to_rgb24(&self) -> Result<Vec<u8>> {
        match self {
            FramePixels::Rgb8 {
                width,
                height,
                stride,
                data,
            } => {
                // Validate the buffer only: building a luma plane here would be wasted work.
                crate::luma::check_buffer(data.len(), *width, *height, *stride, 3)?;
                let mut out = Vec::with_capacity(width * height * 3);
                for r in 0..*height {
                    out.extend_from_slice(&data[r * stride..r * stride + width * 3]);
                }
                Ok(out)
            }
            FramePixels::Gray8 {
                width,
                height,
                stride,
                data,
            } => {
                crate::luma::check_buffer(data.len(), *width, *height, *stride, 1)?;
                let mut out = Vec::with_capacity(width * height * 3);
                for r in 0..*height {
                    for &g in &data[r * stride..r * stride + width] {
                        out.extend_from_slice(&[g, g, g]);
                    }
                }
                Ok(out)
            }
            FramePixels::Yuv420 { .. } => Ok(self.yuv()?.to_rgb24()),
        }
    }

    fn yuv(&self) -> Result<yuv::Yuv420<'_>> {
        match self {
            FramePixels::Yuv420 {
                width,
                height,
                y,
                u,
                v,
                full_range,
            } => {
                let p = yuv::Yuv420 {
                    width: *width,
                    height: *height,
                    y,
                    y_stride: *width,
                    u,
                    v,
                    c_stride: width.div_ceil(2),
                    full_range: *full_range,
                };
                if !p.check() {
                    return Err(Error::invalid("YUV planes are smaller than the frame"));
                }
                Ok(p)
            }
            _ => Err(Error::invalid("not a YUV frame")),
        }
    }

    /// The PDQ luma plane.
    pub fn to_luma(&self) -> Result<LumaImage> {
        match self {
            FramePixels::Rgb8 {
                width,
                height,
                stride,
                data,
            } => LumaImage::from_rgb8(data, *width, *height, *stride),
            FramePixels::Gray8 {
                width,
                height,
                stride,
                data,
            } => LumaImage::from_gray8(data, *width, *height, *stride),
            FramePixels::Yuv420 { width, height, .. } => {
                let p = self.yuv()?;
                LumaImage::from_f32(*width, *height, p.to_luma_f32())
            }
        }
    }
}

/// One decoded frame in display order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoFrame {
    /// Display-order index from 0 (the vPDQ frame number).
    pub frame_number: u64,
    /// Whether the frame is a random access point (keyframe).
    pub keyframe: bool,
    /// The pixels.
    pub pixels: FramePixels,
}

/// Something that yields decoded frames in display order: a decoder backend, or the caller's
/// own frames.
///
/// Backends receive the sampling through [`FrameSource::set_sampling`] so they can skip work
/// (not converting, or not even decoding, frames that will not be hashed). The hasher filters
/// by the same rule again, so a source that ignores the hint is still correct.
pub trait FrameSource {
    /// Stream properties.
    fn info(&self) -> &VideoInfo;
    /// Hint: only frames selected by `sampling` will be used.
    fn set_sampling(&mut self, sampling: Sampling) {
        let _ = sampling;
    }
    /// The next frame, `Ok(None)` at the end.
    fn next_frame(&mut self) -> Result<Option<VideoFrame>>;
}

/// Frames held in memory (for callers with their own decoder).
///
/// ```
/// use mediamatch::video::{FrameRate, FramePixels, MemorySource, VideoFrame, VideoHasher, VideoInfo};
/// let info = VideoInfo::new(64, 48, FrameRate::new(2, 1));
/// let frames = (0..4u64).map(|n| VideoFrame {
///     frame_number: n,
///     keyframe: n == 0,
///     pixels: FramePixels::Gray8 {
///         width: 64, height: 48, stride: 64,
///         data: (0..64 * 48).map(|i| ((i % 64) * 4 + n as usize * 9) as u8).collect(),
///     },
/// }).collect();
/// let hashes: Vec<_> = VideoHasher::new()
///     .frames(MemorySource::new(info, frames))
///     .collect::<Result<_, _>>()?;
/// // 2 fps, one hash per second: frames 0 and 2
/// assert_eq!(hashes.iter().map(|h| h.frame_number).collect::<Vec<_>>(), [0, 2]);
/// assert_eq!(hashes[1].timestamp_ms, 1000);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
pub struct MemorySource {
    info: VideoInfo,
    frames: std::vec::IntoIter<VideoFrame>,
}

impl MemorySource {
    /// Frames in display order.
    pub fn new(info: VideoInfo, frames: Vec<VideoFrame>) -> MemorySource {
        MemorySource {
            info,
            frames: frames.into_iter(),
        }
    }
}

impl FrameSource for MemorySource {
    fn info(&self) -> &VideoInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        Ok(self.frames.next())
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn info(&self) -> &VideoInfo {
        (**self).info()
    }
    fn set_sampling(&mut self, sampling: Sampling) {
        (**self).set_sampling(sampling)
    }
    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        (**self).next_frame()
    }
}

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
        self.file_with(path.as_ref(), &|f, fps| self.hash_frame(f, fps), &|h| {
            h.frame_number
        })
    }

    /// [`VideoHasher::hash_file`] with any per-frame hashing; `key` gives the frame number.
    fn file_with<T: Send>(
        &self,
        path: &Path,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<Vec<T>> {
        let use_builtin = match self.config.backend {
            Backend::Builtin => true,
            Backend::Auto => !cfg!(feature = "ffmpeg"),
            Backend::Ffmpeg => false,
        };
        if use_builtin {
            return self.builtin_with(Mp4H264Source::open(path, self.config.limits)?, hash, key);
        }
        #[cfg(feature = "ffmpeg")]
        if self.config.parallel && rayon::current_num_threads() > 1 {
            if let Some(split) =
                decode_ffmpeg::FfmpegSplit::new(path, self.config.limits, self.config.sampling)
            {
                return self.tasks_with(split.len(), |t, prev| split.source(t, prev), hash, key);
            }
        }
        self.sampled(self.open(path)?, hash)
    }

    /// Hashes an in-memory MP4/MOV (built-in backend).
    pub fn hash_bytes(&self, bytes: &[u8]) -> Result<Vec<FrameHash>> {
        let src = Mp4H264Source::from_bytes(bytes.into(), self.config.limits)?;
        self.hash_builtin(src)
    }

    /// The built-in backend's path: independent IDR-delimited parts in parallel when allowed
    /// and worth it, hashes kept in frame order.
    fn hash_builtin(&self, src: Mp4H264Source) -> Result<Vec<FrameHash>> {
        self.builtin_with(src, &|f, fps| self.hash_frame(f, fps), &|h| h.frame_number)
    }

    /// [`VideoHasher::hash_builtin`] with any per-frame hashing.
    fn builtin_with<T: Send>(
        &self,
        mut src: Mp4H264Source,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<Vec<T>> {
        if self.config.parallel && rayon::current_num_threads() > 1 {
            if let Some(split) = src.splitter(self.config.sampling) {
                return self.tasks_with(
                    split.tasks().len(),
                    |t, prev| split.source(t, prev),
                    hash,
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
    ) -> Result<Vec<T>> {
        self.sampled_mut(&mut source, hash)
    }

    /// [`VideoHasher::sampled`] leaving the source to the caller.
    fn sampled_mut<S: FrameSource, T>(
        &self,
        source: &mut S,
        hash: &dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T>,
    ) -> Result<Vec<T>> {
        source.set_sampling(self.config.sampling);
        let rate = source.info().frame_rate;
        let sampler = sample::Sampler::new(self.config.sampling, rate.map(|r| r.as_f64()));
        let mut out = Vec::new();
        while let Some(f) = source.next_frame()? {
            if sampler.wants(f.frame_number, f.keyframe) {
                out.push(hash(&f, rate)?);
            }
        }
        Ok(out)
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
        let transforms = opts.transforms();
        let luma = frame.pixels.to_luma()?;
        let luma = match &self.config.letterbox {
            Some(cfg) => remove_letterbox(&luma, cfg),
            None => luma,
        };
        let mut alts = vec![self.pdq.hash_transforms(&luma, &transforms)];
        if let Some(cfg) = &opts.unletterbox {
            alts.push(
                self.pdq
                    .hash_transforms(&remove_letterbox(&luma, cfg), &transforms),
            );
        }
        Ok(QueryFrame {
            frame_number: frame.frame_number,
            timestamp_ms: fps.map_or(0, |f| vpdq_timestamp_ms(frame.frame_number, f.as_f64())),
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
        Ok(QueryVideo {
            transforms: opts.transforms(),
            frames: self.sampled(source, &|f, fps| self.hash_query_frame(f, fps, opts))?,
        })
    }

    /// Hashes a video file for robust matching (see [`VideoHasher::hash_query_frame`]),
    /// decoding as [`VideoHasher::hash_file`] does.
    pub fn hash_query_file(
        &self,
        path: impl AsRef<Path>,
        opts: &VideoQueryOptions,
    ) -> Result<QueryVideo> {
        Ok(QueryVideo {
            transforms: opts.transforms(),
            frames: self.file_with(
                path.as_ref(),
                &|f, fps| self.hash_query_frame(f, fps, opts),
                &|q: &QueryFrame| q.frame_number,
            )?,
        })
    }

    /// Hashes the frames of `tasks` independent sources (parts of one video, made by
    /// `source`) on the rayon pool with `hash`, in frame order (`key` gives the frame number).
    ///
    /// One worker per pool thread takes the tasks in order from a shared counter (so the
    /// threads stay busy until the last task), and hands each finished source to `source` for
    /// its next task, to reuse its decoder and reader.
    fn tasks_with<S, F, T>(
        &self,
        tasks: usize,
        source: F,
        hash: &(dyn Fn(&VideoFrame, Option<FrameRate>) -> Result<T> + Sync),
        key: &(dyn Fn(&T) -> u64 + Sync),
    ) -> Result<Vec<T>>
    where
        S: FrameSource,
        F: Fn(usize, Option<S>) -> Result<S> + Sync,
        T: Send,
    {
        use rayon::prelude::*;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let workers = rayon::current_num_threads().clamp(1, tasks.max(1));
        let done: Vec<Vec<(usize, Result<Vec<T>>)>> = (0..workers)
            .into_par_iter()
            .map(|_| {
                let mut parts = Vec::new();
                let mut prev = None;
                loop {
                    let t = next.fetch_add(1, Ordering::Relaxed);
                    if t >= tasks {
                        break;
                    }
                    let part = source(t, prev.take()).and_then(|mut src| {
                        let hashes = self.sampled_mut(&mut src, hash)?;
                        prev = Some(src);
                        Ok(hashes)
                    });
                    parts.push((t, part));
                }
                parts
            })
            .collect();
        let mut parts: Vec<(usize, Result<Vec<T>>)> = done.into_iter().flatten().collect();
        parts.sort_by_key(|(t, _)| *t);
        let mut out = Vec::new();
        for (_, p) in parts {
            out.extend(p?);
        }
        // each part is in display order; parts of a well-formed stream follow each other,
        // and the sequential decode's output is sorted the same way
        out.sort_by_key(|h| key(h));
        Ok(out)
    }

    /// Hashes many files in parallel on the current rayon pool (one video per task; when
    /// there are at least as many videos as threads, each video's own decode is sequential).
    pub fn hash_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<Vec<FrameHash>>> {
        use rayon::prelude::*;
        let parallel = self.config.parallel && paths.len() < rayon::current_num_threads();
        let one = VideoHasher {
            config: self.config.with_parallel(parallel),
            pdq: self.pdq.clone(),
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
            (pixels, letterbox) => {
                let luma = pixels.to_luma()?;
                match letterbox {
                    Some(cfg) => self.pdq.hash(&remove_letterbox(&luma, cfg)),
                    None => self.pdq.hash(&luma),
                }
            }
        };
        Ok(FrameHash {
            frame_number: frame.frame_number,
            timestamp_ms: fps.map_or(0, |f| vpdq_timestamp_ms(frame.frame_number, f.as_f64())),
            hash,
        })
    }
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
