//! The colour of the region detector's working copy: two chroma planes (Cb, Cr) averaged over
//! the same blocks as the luma working copy ([`super::edges::reduce`]).
//!
//! A picture pasted onto another photo, or a caption bar of a colour close to the picture's
//! edge in brightness, often has a weak *luma* step along a side (grey floor against a purple
//! carpet, sand against dry leaves) but a strong *colour* step. The planes are small (at most
//! [`super::RegionConfig::work_side`] pixels on the longer side) and are read from the decoded
//! image in place: no full-resolution copy is made.

use image::{DynamicImage, GenericImageView};

/// Two chroma planes of an image, area-averaged to the working size; see the module docs.
///
/// ```
/// use image::{DynamicImage, Rgb, RgbImage};
/// use mediamatch::region::Chroma;
/// // left half red, right half blue
/// let img = RgbImage::from_fn(64, 32, |x, _| if x < 32 { Rgb([200, 0, 0]) } else { Rgb([0, 0, 200]) });
/// let c = Chroma::from_image(&DynamicImage::ImageRgb8(img), 16).unwrap();
/// assert_eq!((c.width(), c.height()), (16, 8));
/// assert!(c.cr(0, 0) > 50.0 && c.cb(15, 7) > 50.0);
/// // a grey image has no colour
/// assert!(Chroma::from_image(&DynamicImage::new_luma8(8, 8), 16).is_none());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Chroma {
    width: usize,
    height: usize,
    cb: Vec<f32>,
    cr: Vec<f32>,
}

/// The working size [`super::edges::reduce`] gives an image of `w`×`h` at `side`.
pub(crate) fn work_size(w: usize, h: usize, side: usize) -> (usize, usize) {
    let long = w.max(h);
    if long <= side || side == 0 {
        (w, h)
    } else {
        ((w * side / long).max(1), (h * side / long).max(1))
    }
}

/// `bins[i]`: the block of source position `i` when `n` positions are averaged into `t`
/// blocks, block `k` covering `k * n / t .. (k + 1) * n / t` as [`super::edges::reduce`] does.
fn bins(n: usize, t: usize) -> Vec<usize> {
    let mut out = vec![0usize; n];
    for k in 0..t {
        let (a, b) = (k * n / t, ((k + 1) * n / t).max(k * n / t + 1).min(n));
        for v in out.iter_mut().take(b).skip(a) {
            *v = k;
        }
    }
    out
}

impl Chroma {
    /// The chroma of `img` averaged to at most `side` pixels on the longer side (the luma
    /// working copy's blocks). `None` for one-channel images (no colour to see) and empty ones.
    pub fn from_image(img: &DynamicImage, side: usize) -> Option<Chroma> {
        if matches!(
            img,
            DynamicImage::ImageLuma8(_)
                | DynamicImage::ImageLumaA8(_)
                | DynamicImage::ImageLuma16(_)
                | DynamicImage::ImageLumaA16(_)
        ) {
            return None;
        }
        let (w, h) = (img.width() as usize, img.height() as usize);
        if w == 0 || h == 0 {
            return None;
        }
        let (tw, th) = work_size(w, h, side);
        let (xb, yb) = (bins(w, tw), bins(h, th));
        let mut cb = vec![0f64; tw * th];
        let mut cr = vec![0f64; tw * th];
        let mut count = vec![0u32; tw * th];
        let mut add = |x: usize, y: usize, r: u8, g: u8, b: u8| {
            let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
            let k = yb[y] * tw + xb[x];
            // BT.601 colour differences
            cb[k] += -0.168_736 * r - 0.331_264 * g + 0.5 * b;
            cr[k] += 0.5 * r - 0.418_688 * g - 0.081_312 * b;
            count[k] += 1;
        };
        match img {
            DynamicImage::ImageRgb8(buf) => {
                for (k, p) in buf.as_raw().chunks_exact(3).enumerate() {
                    add(k % w, k / w, p[0], p[1], p[2]);
                }
            }
            DynamicImage::ImageRgba8(buf) => {
                for (k, p) in buf.as_raw().chunks_exact(4).enumerate() {
                    add(k % w, k / w, p[0], p[1], p[2]);
                }
            }
            other => {
                for (x, y, p) in other.pixels() {
                    add(x as usize, y as usize, p[0], p[1], p[2]);
                }
            }
        }
        let mean = |s: Vec<f64>| -> Vec<f32> {
            s.iter()
                .zip(&count)
                .map(|(&v, &n)| (v / f64::from(n.max(1))) as f32)
                .collect()
        };
        Some(Chroma {
            width: tw,
            height: th,
            cb: mean(cb),
            cr: mean(cr),
        })
    }

    /// Width of the planes.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the planes.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Blue-difference chroma at (x, y), about −128..128.
    pub fn cb(&self, x: usize, y: usize) -> f32 {
        self.cb[y * self.width + x]
    }

    /// Red-difference chroma at (x, y), about −128..128.
    pub fn cr(&self, x: usize, y: usize) -> f32 {
        self.cr[y * self.width + x]
    }

    pub(crate) fn planes(&self) -> (&[f32], &[f32]) {
        (&self.cb, &self.cr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luma::LumaImage;
    use image::{Rgb, RgbImage};

    /// The planes average the same blocks as the luma working copy: a colour image whose
    /// chroma equals its luma pattern reduces to the same values.
    #[test]
    fn blocks_match_the_luma_working_copy() {
        for (w, h, side) in [(103usize, 61usize, 32usize), (50, 77, 20), (10, 10, 64)] {
            // blue-only pixels: Cb = 0.5 b - 0.0 ... = b * (0.5 - 0.114 * 0) up to the luma
            // part; compare against reduce() of a plane holding exactly Cb
            let img = RgbImage::from_fn(w as u32, h as u32, |x, y| {
                Rgb([0, 0, ((x * 7 + y * 13) % 256) as u8])
            });
            let c = Chroma::from_image(&DynamicImage::ImageRgb8(img.clone()), side).unwrap();
            let plane: Vec<f32> = img
                .pixels()
                .map(|p| (0.5 * f64::from(p[2])) as f32)
                .collect();
            let reduced =
                super::super::edges::reduce(&LumaImage::from_f32(w, h, plane).unwrap(), side);
            assert_eq!((c.width(), c.height()), (reduced.width(), reduced.height()));
            for (a, b) in c.planes().0.iter().zip(reduced.as_slice()) {
                assert!((a - b).abs() < 1e-3, "{a} vs {b}");
            }
        }
    }
}
