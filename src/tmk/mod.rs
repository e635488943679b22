//! TMK+PDQF video hashing, the `.tmk` file format and two-level scoring, compatible with
//! Meta's reference (`tmk/cpp` of facebook/ThreatExchange), which GIFCT's hash-sharing
//! database carries for its videos.
//!
//! Pipeline: frames resampled to 15 fps and 64×64 RGB → [`pdqf_from_rgb64`] per frame (PDQ's
//! float DCT) → [`TmkBuilder`] (Fourier features over 4 periods with 32 weights, plus the pure
//! average) → [`TmkFeatures`] (a 263,344-byte `.tmk` file) → [`level1`] / [`level2`] scores or
//! a [`TmkIndex`].
//!
//! Every step after the RGB frames is bit-exact with the reference (tested on its vectors).
//! The frames themselves come from [`resample`]: with the `ffmpeg` feature
//! `hash_video_ffmpeg` follows the reference's `ffmpeg -s 64:64 -pix_fmt rgb24 -r 15` exactly
//! (bicubic swscale, CFR frame selection); without it, [`hash_video_builtin`] resamples the
//! built-in decoder's frames with its own scaler, which is close but not bit-exact.

mod features;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod format;
mod hash;
mod index;
mod pdqf;
pub mod resample;
mod score;

pub use features::{coeffs, TmkBuilder, COEFF_BITS, MIN_TMK_FRAMES, PERIODS, TMK_FPS};
#[cfg(feature = "ffmpeg")]
pub use ffmpeg::{hash_video_ffmpeg, rgb64_frames_ffmpeg};
pub use format::{TmkFeatures, HEADER_LEN, MAX_COEFFS, MAX_DIM, MAX_FILE_BYTES, MAX_PERIODS};
pub use hash::{hash_frame_source, hash_rgb64_frames, hash_video_builtin, resize_rgb_to_64};
pub use index::{TmkIndex, TmkMatch};
pub use pdqf::{pdqf_from_rgb64, Pdqf, FRAME_BYTES, FRAME_SIDE, PDQF_DIM};
pub use score::{
    level1, level1_normalised, level2, score_pair, TmkScore, TmkThresholds,
    DEFAULT_LEVEL1_THRESHOLD, DEFAULT_LEVEL2_THRESHOLD, FULL_SCAN_LEVEL1, FULL_SCAN_LEVEL2,
};
