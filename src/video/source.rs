//! Where frames come from: the [`FrameSource`] trait every backend implements, what a source
//! knows before decoding ([`VideoInfo`], [`FrameRate`]), and frames held in memory.

use serde::{Deserialize, Serialize};

use super::{Sampling, VideoFrame};
use crate::error::Result;

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
    /// Damage met so far that did not stop decoding (default: none known).
    fn report(&self) -> DecodeReport {
        DecodeReport::default()
    }
}

/// Damage met while decoding that did not stop it: the hashes are of the frames that came out.
///
/// ```
/// use mediamatch::video::DecodeReport;
/// let r = DecodeReport::default();
/// assert!(r.is_clean());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecodeReport {
    /// Damaged NAL units (slices, parameter sets) the decoder concealed or skipped.
    pub concealed: u64,
    /// Frames to be hashed that never came out of the decoder (before the end of the data).
    pub dropped: u64,
    /// The file ends before the last frame its container declares: the result holds the
    /// frames decoded before the end.
    pub truncated: bool,
}

impl DecodeReport {
    /// Nothing went wrong.
    pub fn is_clean(&self) -> bool {
        *self == DecodeReport::default()
    }

    /// Both reports together (the parts of one parallel decode).
    #[must_use]
    pub fn merge(self, other: DecodeReport) -> DecodeReport {
        DecodeReport {
            concealed: self.concealed + other.concealed,
            dropped: self.dropped + other.dropped,
            truncated: self.truncated || other.truncated,
        }
    }
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
    fn report(&self) -> DecodeReport {
        (**self).report()
    }
}
