//! Decoded frames and their pixels, converted as FFmpeg's swscale does.

use super::yuv;
use crate::error::{Error, Result};
use crate::luma::LumaImage;

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

    /// A luma plane reduced by an integer box filter whose factor divides both of PDQ's blur
    /// windows (`ceil(side / 128)`) and keeps the shorter side at least `min_side` (the full
    /// plane when there is no such factor above 1: up to 640 × 360 at least). YUV frames are
    /// reduced as 4:2:0 planes (luma and chroma by the same factor) and converted as full
    /// frames are: close to, not bit-exact with, the reduced luma of the full frame.
    pub fn to_luma_reduced(&self, min_side: usize) -> Result<LumaImage> {
        let (w, h) = match self {
            FramePixels::Rgb8 { width, height, .. }
            | FramePixels::Gray8 { width, height, .. }
            | FramePixels::Yuv420 { width, height, .. } => (*width, *height),
        };
        // PDQ blurs with a box of ceil(side / 128) pixels per side before sampling 64 × 64; a
        // reduction by a common divisor `k` of both windows keeps the blur's extent in the
        // original pixels (the box sums of `k`-blocks are box sums of the full frame), so the
        // hash stays close
        let (wx, wy) = (w.div_ceil(128), h.div_ceil(128));
        let k = (2..=wx.min(wy))
            .rev()
            .find(|&k| wx % k == 0 && wy % k == 0 && w.min(h) / k >= min_side.max(1))
            .unwrap_or(1);
        if k < 2 {
            return self.to_luma();
        }
        let (rw, rh) = (w / k, h / k);
        match self {
            FramePixels::Yuv420 {
                y,
                u,
                v,
                full_range,
                ..
            } => {
                let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
                let (rcw, rch) = (rw.div_ceil(2), rh.div_ceil(2));
                if y.len() < w * h || u.len() < cw * ch || v.len() < cw * ch {
                    return Err(Error::invalid("YUV planes are smaller than the frame"));
                }
                // a reduced 4:2:0 frame (each chroma sample still covers 2 × 2 luma samples),
                // converted like a full one
                let to_u8 =
                    |p: Vec<f32>| -> Vec<u8> { p.into_iter().map(|x| (x + 0.5) as u8).collect() };
                let ry = to_u8(box_reduce(y, w, h, k, rw, rh));
                let ru = to_u8(box_reduce(u, cw, ch, k, rcw, rch));
                let rv = to_u8(box_reduce(v, cw, ch, k, rcw, rch));
                let p = yuv::Yuv420 {
                    width: rw,
                    height: rh,
                    y: &ry,
                    y_stride: rw,
                    u: &ru,
                    v: &rv,
                    c_stride: rcw,
                    full_range: *full_range,
                };
                LumaImage::from_f32(rw, rh, p.to_luma_f32())
            }
            _ => {
                let l = self.to_luma()?;
                LumaImage::from_f32(rw, rh, box_reduce(l.as_slice(), w, h, k, rw, rh))
            }
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

/// Means of `k × k` blocks of a `w × h` plane, `ow × oh` of them (blocks reaching past the
/// plane's edge repeat its last row or column).
fn box_reduce<T: Copy + Into<f32>>(
    plane: &[T],
    w: usize,
    h: usize,
    k: usize,
    ow: usize,
    oh: usize,
) -> Vec<f32> {
    let mut out = vec![0f32; ow * oh];
    let scale = 1.0 / (k * k) as f32;
    for oy in 0..oh {
        let row = &mut out[oy * ow..(oy + 1) * ow];
        for y in oy * k..(oy + 1) * k {
            let line = &plane[y.min(h - 1) * w..y.min(h - 1) * w + w];
            for (ox, o) in row.iter_mut().enumerate() {
                let mut acc = 0f32;
                for x in ox * k..(ox + 1) * k {
                    acc += line[x.min(w - 1)].into();
                }
                *o += acc;
            }
        }
        for o in row.iter_mut() {
            *o *= scale;
        }
    }
    out
}
