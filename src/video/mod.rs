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
mod config;
#[cfg(feature = "h264")]
mod decode_builtin;
#[cfg(not(feature = "h264"))]
#[path = "decode_builtin_off.rs"]
mod decode_builtin;
#[cfg(feature = "ffmpeg")]
mod decode_ffmpeg;
#[cfg(feature = "ffmpeg")]
mod ffmpeg_io;
mod frame;
mod gif;
// planning for the decoders: without `h264`, parts serve only the built-in decoder
#[cfg_attr(not(feature = "h264"), allow(dead_code))]
mod h264;
mod hasher;
mod layout;
mod mp4;
mod query;
mod sample;
mod source;
mod speed;
mod tasks;
mod verdict;
pub mod vpdq;
mod yuv;

pub use align::{align, align_hits, AlignConfig, Hit, Segment};
pub use config::{Backend, VideoConfig, VideoLimits};
pub use decode_builtin::Mp4H264Source;
#[cfg(feature = "ffmpeg")]
pub use decode_ffmpeg::FfmpegSource;
pub use frame::{FramePixels, VideoFrame};
pub use gif::GifSource;
pub use hasher::{vpdq_timestamp_ms, FrameHash, Frames, VideoHasher, VideoHashes};
pub use layout::{LayoutConfig, VideoLayout};
pub use query::{
    QueryAlignment, QueryFrame, QueryMatch, QueryVideo, SpeedAlignment, VideoQueryOptions,
};
pub use sample::Sampling;
pub use source::{DecodeReport, FrameRate, FrameSource, MemorySource, VideoInfo};
pub use speed::{align_speed, SpeedAlignConfig, SpeedSegment};
pub use verdict::{VerdictRule, VideoVerdict};
pub use vpdq::{match_percentages, MatchPercentages, MatchRule};
