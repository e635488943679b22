//! How videos are hashed: limits, backend choice and sampling ([`VideoConfig`]).

use serde::{Deserialize, Serialize};

use super::Sampling;
use crate::error::{Result, VideoError, VideoErrorKind};
use crate::letterbox::LetterboxConfig;

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
    /// Longest time one call may spend decoding and hashing one input, in ms (default one
    /// hour; `None`: unbounded). Beyond it the call fails with
    /// [`VideoErrorKind::LimitsExceeded`].
    #[serde(default = "default_max_decode_ms")]
    pub max_decode_ms: Option<u64>,
}

fn default_max_decode_ms() -> Option<u64> {
    Some(3_600_000)
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
            max_decode_ms: default_max_decode_ms(),
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
    /// Sets the longest decode time per input (`None`: unbounded).
    #[must_use]
    pub fn with_max_decode_ms(mut self, ms: Option<u64>) -> Self {
        self.max_decode_ms = ms;
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

/// Configuration of a [`VideoHasher`](super::VideoHasher). `Default` is the vPDQ reference behaviour at one hash
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
    /// H.264 in MP4/MOV through [`VideoHasher::hash_file`](super::VideoHasher::hash_file); other inputs, and
    /// [`VideoHasher::open`](super::VideoHasher::open), use FFmpeg's frame threading with as many threads as that
    /// pool). The hashes are identical either
    /// way; turn it off when many videos are already hashed in parallel (as
    /// [`VideoHasher::hash_files`](super::VideoHasher::hash_files) does) or for the lowest latency on tiny files.
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
