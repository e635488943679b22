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
