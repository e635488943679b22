//! [`LumaImage`]: the single input of the PDQ pipeline, a float32 luminance plane.

use image::DynamicImage;

use crate::error::{Error, Result};

/// The reference luma weights, rounded to float32 (`pdq/cpp/common/pdqbasetypes.h`).
const LUMA_R: f32 = 0.299;
const LUMA_G: f32 = 0.587;
const LUMA_B: f32 = 0.114;

/// Luma of one RGB pixel exactly as the reference computes it: `(0.299f*R + 0.587f*G) + 0.114f*B`
/// in float32, left to right, no fused multiply-add.
#[inline(always)]
pub(crate) fn luma_f32(r: u8, g: u8, b: u8) -> f32 {
    (LUMA_R * r as f32 + LUMA_G * g as f32) + LUMA_B * b as f32
}

/// A luminance image: `height` rows of `width` float32 samples, row-major.
///
/// Every way into PDQ goes through this type. Build it from an [`image::DynamicImage`], from a
/// raw RGB8 or 8-bit grey buffer with a row stride (as a video decoder or an upload pipeline
/// hands frames, without copying into an `image` buffer first), or from float samples.
///
/// ```
/// use mediamatch::LumaImage;
/// // a 2x2 RGB image with a stride of 8 bytes (2 padding bytes per row)
/// let rgb = [255u8, 0, 0, 0, 255, 0, 9, 9, 0, 0, 255, 255, 255, 255, 9, 9];
/// let luma = LumaImage::from_rgb8(&rgb, 2, 2, 8)?;
/// assert_eq!((luma.width(), luma.height()), (2, 2));
/// assert_eq!(luma.get(1, 1), (0.299f32 * 255.0 + 0.587 * 255.0) + 0.114 * 255.0);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LumaImage {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

/// The largest side [`LumaImage`] accepts, 2²⁰ (larger inputs are refused, not truncated).
pub(crate) const MAX_SIDE: usize = 1 << 20;

fn check_dims(width: usize, height: usize) -> Result<()> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::invalid(format!(
            "image side exceeds {MAX_SIDE} pixels ({width}x{height})"
        )));
    }
    width
        .checked_mul(height)
        .ok_or_else(|| Error::invalid("image dimensions overflow"))?;
    Ok(())
}

pub(crate) fn check_buffer(
    len: usize,
    width: usize,
    height: usize,
    stride: usize,
    bpp: usize,
) -> Result<()> {
    check_dims(width, height)?;
    let row = width
        .checked_mul(bpp)
        .ok_or_else(|| Error::invalid("row size overflows"))?;
    if stride < row {
        return Err(Error::invalid(format!(
            "stride {stride} is smaller than a row ({row} bytes)"
        )));
    }
    if height > 0 {
        let need = stride
            .checked_mul(height - 1)
            .and_then(|x| x.checked_add(row))
            .ok_or_else(|| Error::invalid("buffer size overflows"))?;
        if len < need {
            return Err(Error::invalid(format!(
                "buffer holds {len} bytes, {width}x{height} with stride {stride} needs {need}"
            )));
        }
    }
    Ok(())
}

impl LumaImage {
    /// Wraps float samples (row-major, `width * height` of them).
    pub fn from_f32(width: usize, height: usize, data: Vec<f32>) -> Result<Self> {
        check_dims(width, height)?;
        if data.len() != width * height {
            return Err(Error::invalid(format!(
                "{} samples given for a {width}x{height} image",
                data.len()
            )));
        }
        Ok(LumaImage {
            width,
            height,
            data,
        })
    }

    /// From packed RGB8 rows (`stride` bytes apart, `stride >= 3 * width`), with the reference's
    /// float32 luma formula.
    pub fn from_rgb8(data: &[u8], width: usize, height: usize, stride: usize) -> Result<Self> {
        Self::from_interleaved(data, width, height, stride, 3)
    }

    /// From packed RGBA8 rows; alpha is ignored, as in every reference implementation.
    pub fn from_rgba8(data: &[u8], width: usize, height: usize, stride: usize) -> Result<Self> {
        Self::from_interleaved(data, width, height, stride, 4)
    }

    fn from_interleaved(
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
        bpp: usize,
    ) -> Result<Self> {
        check_buffer(data.len(), width, height, stride, bpp)?;
        let mut out = Vec::with_capacity(width * height);
        for y in 0..height {
            let row = &data[y * stride..y * stride + width * bpp];
            out.extend(row.chunks_exact(bpp).map(|p| luma_f32(p[0], p[1], p[2])));
        }
        Ok(LumaImage {
            width,
            height,
            data: out,
        })
    }

    /// From 8-bit grey rows, taking the grey value as the luma (`Y = v`), as the C++ reference
    /// tool does for one-channel images (`fillFloatLumaFromGrey`).
    ///
    /// python-threatexchange/HMA instead replicate grey into R=G=B and apply the RGB weights;
    /// use [`LumaImage::from_gray8_as_rgb`] for that convention.
    pub fn from_gray8(data: &[u8], width: usize, height: usize, stride: usize) -> Result<Self> {
        Self::from_gray8_with(data, width, height, stride, |v| v as f32)
    }

    /// From 8-bit grey rows, replicated to R=G=B and weighted like RGB (python-threatexchange's
    /// convention, the default of [`crate::PdqHasher`] for grey images).
    pub fn from_gray8_as_rgb(
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self> {
        Self::from_gray8_with(data, width, height, stride, |v| luma_f32(v, v, v))
    }

    /// Grey rows mapped to luma one byte at a time.
    fn from_gray8_with(
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
        luma: impl Fn(u8) -> f32,
    ) -> Result<Self> {
        check_buffer(data.len(), width, height, stride, 1)?;
        let mut out = Vec::with_capacity(width * height);
        for y in 0..height {
            out.extend(
                data[y * stride..y * stride + width]
                    .iter()
                    .map(|&v| luma(v)),
            );
        }
        Ok(LumaImage {
            width,
            height,
            data: out,
        })
    }

    /// From a decoded image, following python-threatexchange/HMA (the default front end):
    ///
    /// * RGB8: the reference luma formula.
    /// * RGBA8 / LA8: alpha is dropped (not composited), as every reference does.
    /// * Grey (L8, LA8): replicated to R=G=B, then weighted (pytx); see
    ///   [`LumaImage::from_image_grey_direct`] for the C++ tool's `Y = v`.
    /// * 16-bit and float images: converted to 8 bits by `image` (16-bit samples are scaled,
    ///   `v * 255 / 65535` rounded, like ImageMagick; Pillow instead clips `I;16` to 255, so
    ///   HMA's hash of a 16-bit grey PNG differs from ours).
    ///
    /// Palette images arrive here already expanded to their colours by the decoder (HMA hashes
    /// the palette *indices*, which is a bug we do not copy); CMYK JPEGs arrive converted to RGB
    /// (HMA uses C, M, Y as R, G, B).
    pub fn from_image(img: &DynamicImage) -> Self {
        Self::from_image_inner(img, false)
    }

    /// Like [`LumaImage::from_image`], but one-channel images use `Y = v` as the C++ tool does.
    pub fn from_image_grey_direct(img: &DynamicImage) -> Self {
        Self::from_image_inner(img, true)
    }

    fn from_image_inner(img: &DynamicImage, grey_direct: bool) -> Self {
        let (w, h) = (img.width() as usize, img.height() as usize);
        // The buffers below come from a valid `DynamicImage`, so the dimension checks hold.
        let from = |r: Result<LumaImage>| {
            r.unwrap_or_else(|_| LumaImage {
                width: 0,
                height: 0,
                data: Vec::new(),
            })
        };
        match img {
            DynamicImage::ImageRgb8(b) => from(Self::from_rgb8(b.as_raw(), w, h, w * 3)),
            DynamicImage::ImageRgba8(b) => from(Self::from_rgba8(b.as_raw(), w, h, w * 4)),
            DynamicImage::ImageLuma8(b) => from(if grey_direct {
                Self::from_gray8(b.as_raw(), w, h, w)
            } else {
                Self::from_gray8_as_rgb(b.as_raw(), w, h, w)
            }),
            DynamicImage::ImageLumaA8(b) => {
                let g: Vec<u8> = b.as_raw().chunks_exact(2).map(|p| p[0]).collect();
                from(if grey_direct {
                    Self::from_gray8(&g, w, h, w)
                } else {
                    Self::from_gray8_as_rgb(&g, w, h, w)
                })
            }
            DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) if grey_direct => {
                let g = img.to_luma8();
                from(Self::from_gray8(g.as_raw(), w, h, w))
            }
            other => {
                let rgb = other.to_rgb8();
                from(Self::from_rgb8(rgb.as_raw(), w, h, w * 3))
            }
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }
    /// The samples, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
    /// The sample at column `x`, row `y`.
    ///
    /// # Panics
    /// If `x >= width` or `y >= height`.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        assert!(x < self.width && y < self.height, "pixel out of range");
        self.data[y * self.width + x]
    }

    /// Nearest-neighbour resize to `new_w` x `new_h` with the C++ tool's (CImg) rule:
    /// source index = floor(dest_index * src_size / dest_size).
    pub fn resize_nearest(&self, new_w: usize, new_h: usize) -> LumaImage {
        let mut data = Vec::with_capacity(new_w * new_h);
        let xs: Vec<usize> = (0..new_w).map(|x| x * self.width / new_w).collect();
        for y in 0..new_h {
            let sy = y * self.height / new_h;
            let row = &self.data[sy * self.width..(sy + 1) * self.width];
            data.extend(xs.iter().map(|&sx| row[sx]));
        }
        LumaImage {
            width: new_w,
            height: new_h,
            data,
        }
    }

    /// The bilinear interpolation of the samples at `(x, y)`, in pixel coordinates whose
    /// pixel `k` covers `[k, k + 1)` (so `(k + 0.5, j + 0.5)` is pixel `(k, j)` exactly); a
    /// point outside the image takes the nearest edge pixel. NaN coordinates read pixel
    /// `(0, 0)`. An empty image reads 0.
    pub fn sample_bilinear(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 {
            return 0.0;
        }
        // `max` then `min` also map NaN to 0
        let fx = (x - 0.5).max(0.0).min((w - 1) as f32);
        let fy = (y - 0.5).max(0.0).min((h - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let p = |xx: usize, yy: usize| self.data[yy * w + xx];
        let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * ax;
        let bot = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * ax;
        top + (bot - top) * ay
    }

    /// Bilinear resize to `new_w` x `new_h` (pixel centres aligned; meant for enlarging: a
    /// reduction this way aliases, see the area-averaging reductions of the region module).
    /// Returns an error if a side is 0 or the image is empty.
    ///
    /// ```
    /// use mediamatch::LumaImage;
    /// let img = LumaImage::from_f32(2, 1, vec![0.0, 8.0])?;
    /// let big = img.resize_bilinear(4, 2)?;
    /// assert_eq!(&big.as_slice()[..4], &[0.0, 2.0, 6.0, 8.0]);
    /// # Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn resize_bilinear(&self, new_w: usize, new_h: usize) -> Result<LumaImage> {
        if new_w == 0 || new_h == 0 || self.data.is_empty() {
            return Err(Error::invalid("bilinear resize to or from an empty image"));
        }
        let (kx, ky) = (
            self.width as f32 / new_w as f32,
            self.height as f32 / new_h as f32,
        );
        let mut data = Vec::with_capacity(new_w * new_h);
        for y in 0..new_h {
            let sy = (y as f32 + 0.5) * ky;
            data.extend((0..new_w).map(|x| self.sample_bilinear((x as f32 + 0.5) * kx, sy)));
        }
        Ok(LumaImage {
            width: new_w,
            height: new_h,
            data,
        })
    }

    /// A copy with rows `top..top+height` and columns `left..left+width`.
    ///
    /// Returns an error if the rectangle is not inside the image.
    pub fn crop(&self, left: usize, top: usize, width: usize, height: usize) -> Result<LumaImage> {
        if left.checked_add(width).is_none_or(|r| r > self.width)
            || top.checked_add(height).is_none_or(|b| b > self.height)
        {
            return Err(Error::invalid("crop rectangle outside the image"));
        }
        let mut data = Vec::with_capacity(width * height);
        for y in top..top + height {
            data.extend_from_slice(
                &self.data[y * self.width + left..y * self.width + left + width],
            );
        }
        Ok(LumaImage {
            width,
            height,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bilinear interpolation reproduces a linear function exactly: between pixel centres the
    /// enlarged ramp is the ramp itself; outside them it holds the edge pixel.
    #[test]
    fn bilinear_resize_is_exact_on_a_linear_ramp() {
        let (w, h) = (7usize, 5usize);
        let f = |x: f32, y: f32| 3.0 * x - 2.0 * y + 10.0;
        let px = (0..w * h)
            .map(|k| f((k % w) as f32 + 0.5, (k / w) as f32 + 0.5))
            .collect();
        let img = LumaImage::from_f32(w, h, px).unwrap();
        let (nw, nh) = (19usize, 11usize);
        let big = img.resize_bilinear(nw, nh).unwrap();
        for y in 0..nh {
            for x in 0..nw {
                // the destination pixel centre in source coordinates, clamped to the centres
                let sx = ((x as f32 + 0.5) * w as f32 / nw as f32).clamp(0.5, w as f32 - 0.5);
                let sy = ((y as f32 + 0.5) * h as f32 / nh as f32).clamp(0.5, h as f32 - 0.5);
                assert!((big.get(x, y) - f(sx, sy)).abs() < 1e-3, "({x}, {y})");
            }
        }
        // pixel centres read the pixels
        assert_eq!(img.sample_bilinear(3.5, 2.5), img.get(3, 2));
        assert_eq!(img.sample_bilinear(f32::NAN, -4.0), img.get(0, 0));
        assert!(img.resize_bilinear(0, 3).is_err());
    }

    #[test]
    fn stride_and_bounds() {
        assert!(LumaImage::from_rgb8(&[0; 11], 2, 2, 6).is_err());
        assert!(LumaImage::from_rgb8(&[0; 12], 2, 2, 5).is_err());
        let l = LumaImage::from_rgb8(&[0; 12], 2, 2, 6).unwrap();
        assert_eq!(l.as_slice().len(), 4);
        assert!(LumaImage::from_f32(2, 2, vec![0.0; 3]).is_err());
        assert!(LumaImage::from_gray8(&[1, 2, 3, 4], usize::MAX, 2, usize::MAX).is_err());
    }

    #[test]
    fn nearest_rule() {
        let l = LumaImage::from_f32(4, 1, vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let r = l.resize_nearest(2, 1);
        assert_eq!(r.as_slice(), &[0.0, 2.0]);
        let r = l.resize_nearest(8, 1);
        assert_eq!(r.as_slice(), &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    }
}
