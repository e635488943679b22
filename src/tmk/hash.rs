//! TMK+PDQF of a whole video: frames → 15 fps ([`CfrSelector`]) → 64×64 RGB → PDQF →
//! [`TmkBuilder`].
//!
//! [`hash_frame_source`] works on any [`FrameSource`] (the built-in H.264/MP4 decoder, the
//! caller's own frames) and resizes with this crate's own separable bicubic filter (the
//! Keys/Mitchell-family cubic with FFmpeg's default parameter, widened by the scale factor, on
//! RGB). That is close to, not bit-exact with, the reference's FFmpeg step, which scales the
//! YUV planes before converting; `hash_video_ffmpeg` (feature `ffmpeg`) is the exact
//! path.

use std::path::Path;

use super::features::{TmkBuilder, TMK_FPS};
use super::format::TmkFeatures;
use super::pdqf::{pdqf_from_rgb64, FRAME_BYTES, FRAME_SIDE};
use super::resample::CfrSelector;
use crate::error::{Error, Result};
use crate::video::{FrameSource, Mp4H264Source, VideoLimits};

/// Adds 64×64 RGB frames, already at 15 fps, to a builder; the usual end of every TMK path.
pub fn hash_rgb64_frames<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Result<TmkFeatures> {
    let mut b = TmkBuilder::new();
    for (i, f) in frames.into_iter().enumerate() {
        let f: &[u8; FRAME_BYTES] = f.try_into().map_err(|_| {
            Error::invalid(format!(
                "frame {i} has {} bytes, a 64x64 RGB frame has {FRAME_BYTES}",
                f.len()
            ))
        })?;
        b.push(&pdqf_from_rgb64(f));
    }
    Ok(b.finish())
}

/// FFmpeg's default `bicubic` kernel (B = 0, C = 0.6 in Mitchell–Netravali terms).
fn cubic(x: f64) -> f64 {
    let (b, c) = (0.0, 0.6);
    let x = x.abs();
    if x < 1.0 {
        ((12.0 - 9.0 * b - 6.0 * c) * x * x * x
            + (-18.0 + 12.0 * b + 6.0 * c) * x * x
            + (6.0 - 2.0 * b))
            / 6.0
    } else if x < 2.0 {
        ((-b - 6.0 * c) * x * x * x
            + (6.0 * b + 30.0 * c) * x * x
            + (-12.0 * b - 48.0 * c) * x
            + (8.0 * b + 24.0 * c))
            / 6.0
    } else {
        0.0
    }
}

/// Per output sample: first source index and normalised weights.
fn weights(src: usize, dst: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = src as f64 / dst as f64;
    let support = 2.0 * scale.max(1.0);
    (0..dst)
        .map(|o| {
            let centre = (o as f64 + 0.5) * scale - 0.5;
            let lo = ((centre - support).floor().max(0.0)) as usize;
            let hi = ((centre + support).ceil() as usize).min(src - 1);
            let w: Vec<f64> = (lo..=hi)
                .map(|i| cubic((i as f64 - centre) / scale.max(1.0)))
                .collect();
            let sum: f64 = w.iter().sum();
            (lo, w.iter().map(|x| (x / sum) as f32).collect())
        })
        .collect()
}

/// Resizes packed RGB24 (`3·w` bytes per row) to 64×64 with the separable cubic filter.
pub fn resize_rgb_to_64(rgb: &[u8], width: usize, height: usize) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || rgb.len() < width * height * 3 {
        return Err(Error::invalid(format!(
            "RGB buffer of {} bytes for a {width}x{height} frame",
            rgb.len()
        )));
    }
    let wx = weights(width, FRAME_SIDE);
    let wy = weights(height, FRAME_SIDE);
    // Horizontal pass: height × 64 × 3 floats.
    let mut tmp = vec![0.0f32; height * FRAME_SIDE * 3];
    for y in 0..height {
        let row = &rgb[y * width * 3..(y + 1) * width * 3];
        for (ox, (lo, w)) in wx.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, wk) in w.iter().enumerate() {
                let p = &row[(lo + k) * 3..(lo + k) * 3 + 3];
                for c in 0..3 {
                    acc[c] += wk * p[c] as f32;
                }
            }
            tmp[(y * FRAME_SIDE + ox) * 3..(y * FRAME_SIDE + ox) * 3 + 3].copy_from_slice(&acc);
        }
    }
    let mut out = vec![0u8; FRAME_BYTES];
    for (oy, (lo, w)) in wy.iter().enumerate() {
        for ox in 0..FRAME_SIDE {
            for c in 0..3 {
                let mut acc = 0.0f32;
                for (k, wk) in w.iter().enumerate() {
                    acc += wk * tmp[((lo + k) * FRAME_SIDE + ox) * 3 + c];
                }
                out[(oy * FRAME_SIDE + ox) * 3 + c] = acc.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Ok(out)
}

/// TMK+PDQF of the frames of any [`FrameSource`]: frame `n` is taken to be at `n / fps`
/// seconds (the source's frame rate; 30 fps when it reports none), selected for 15 fps by
/// [`CfrSelector`], converted to RGB, resized by [`resize_rgb_to_64`].
pub fn hash_frame_source(source: &mut dyn FrameSource) -> Result<TmkFeatures> {
    let fps = source
        .info()
        .frame_rate
        .map(|r| r.as_f64())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(30.0);
    let mut sel = CfrSelector::new(TMK_FPS as f64);
    let mut b = TmkBuilder::new();
    let mut last: Option<super::Pdqf> = None;
    while let Some(frame) = source.next_frame()? {
        let e = sel.push(frame.frame_number as f64 / fps, 1.0 / fps);
        if let Some(prev) = &last {
            for _ in 0..e.previous {
                b.push(prev);
            }
        }
        if e.current == 0 {
            continue;
        }
        let (w, h) = match &frame.pixels {
            crate::video::FramePixels::Rgb8 { width, height, .. }
            | crate::video::FramePixels::Gray8 { width, height, .. }
            | crate::video::FramePixels::Yuv420 { width, height, .. } => (*width, *height),
        };
        let rgb = frame.pixels.to_rgb24()?;
        let small = resize_rgb_to_64(&rgb, w, h)?;
        let f = pdqf_from_rgb64(small[..].try_into().expect("64x64 RGB"));
        for _ in 0..e.current {
            b.push(&f);
        }
        last = Some(f);
    }
    Ok(b.finish())
}

/// TMK+PDQF of an MP4/MOV H.264 file with the built-in decoder (no FFmpeg), through
/// [`hash_frame_source`]: close to the reference, not bit-exact (see the module docs and the
/// measured scores in the README).
pub fn hash_video_builtin(path: impl AsRef<Path>, limits: VideoLimits) -> Result<TmkFeatures> {
    let mut src = Mp4H264Source::open(path, limits)?;
    hash_frame_source(&mut src)
}
