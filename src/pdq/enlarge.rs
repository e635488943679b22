//! Small pictures enlarged before hashing (query side only).
//!
//! PDQ's tent filter is sized from the input: a box of `ceil(side / 128)` pixels, applied
//! twice, before sampling 64×64. A picture of under 256 pixels gets a box of 1 or 2 pixels and
//! samples every 2–4 pixels: the texture it keeps aliases into the low frequencies the hash is
//! made of, so a picture pasted small into a larger layout (picture-in-picture, a collage
//! cell, a thumbnail in a screenshot) hashes far from its original even when its rectangle
//! is found exactly. Enlarged (bilinear) to a side of a few hundred pixels first, it gets
//! the wider filter the original had. Measured on the dev corpus (168 real photographs
//! pasted at 40 % of the width of another photo, the true rectangle hashed): 161 within 31
//! bits as is, 168 enlarged to 512; a gaussian blur instead (σ 0.6 or 1.0) gave 163. Pictures
//! of 384 pixels or more gained nothing and an enlargement moved them (median 0 → 8 bits):
//! only smaller ones are enlarged. The stored hash is never made this way: it stays the
//! reference PDQ of the original.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::luma::LumaImage;

/// When and how far a picture is enlarged before it is hashed as a query view.
///
/// ```
/// use mediamatch::pdq::Enlarge;
/// use mediamatch::LumaImage;
/// let small = LumaImage::from_f32(192, 144, vec![100.0; 192 * 144])?;
/// let e = Enlarge::default();
/// // enlarged to 512 on the longer side, unless that is more pixels than the cap
/// let big = e.apply(&small, 1_000_000);
/// assert_eq!((big.width(), big.height()), (512, 384));
/// let capped = e.apply(&small, 480 * 360);
/// assert_eq!((capped.width(), capped.height()), (480, 360));
/// // a picture already large enough is hashed as it is
/// let large = LumaImage::from_f32(400, 300, vec![100.0; 400 * 300])?;
/// assert_eq!(e.apply(&large, 1_000_000).width(), 400);
/// # Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Enlarge {
    /// A picture whose longer side is below this many pixels is enlarged.
    pub below: usize,
    /// Longer side it is enlarged to (bilinear, aspect kept), never to more pixels than the
    /// cap given to [`Enlarge::apply`].
    pub to: usize,
}

impl Default for Enlarge {
    /// Below 384 pixels (a filter box of at most 3), to 512 (a box of 4).
    fn default() -> Self {
        Enlarge {
            below: 384,
            to: 512,
        }
    }
}

impl Enlarge {
    /// Enlarging pictures below `below` pixels to `to` pixels on the longer side.
    pub fn new(below: usize, to: usize) -> Self {
        Enlarge { below, to }
    }

    /// `img` enlarged when its longer side is below [`Enlarge::below`], to at most
    /// [`Enlarge::to`] on the longer side and at most `max_pixels` pixels (the caller passes
    /// the decoded image's size: a view never allocates more than the image it comes from);
    /// otherwise `img` itself. Never shrinks.
    pub fn apply<'a>(&self, img: &'a LumaImage, max_pixels: usize) -> Cow<'a, LumaImage> {
        let (w, h) = (img.width(), img.height());
        let (nw, nh) = self.size(w, h, max_pixels);
        if (nw, nh) == (w, h) {
            return Cow::Borrowed(img);
        }
        match img.resize_bilinear(nw, nh) {
            Ok(big) => Cow::Owned(big),
            Err(_) => Cow::Borrowed(img),
        }
    }

    /// The size [`Enlarge::apply`] gives a `w`×`h` picture (`(w, h)` itself when it is not
    /// enlarged), for a caller that resamples on its own (a rectified quadrilateral).
    pub fn size(&self, w: usize, h: usize, max_pixels: usize) -> (usize, usize) {
        let long = w.max(h);
        if long == 0 || long >= self.below || self.to <= long {
            return (w, h);
        }
        let by_side = self.to as f64 / long as f64;
        let by_area = (max_pixels as f64 / (w * h) as f64).sqrt();
        let k = by_side.min(by_area);
        if k.is_nan() || k <= 1.0 {
            return (w, h);
        }
        // floor keeps the product within the cap
        (
            ((w as f64 * k) as usize).max(w),
            ((h as f64 * k) as usize).max(h),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(w: usize, h: usize) -> LumaImage {
        LumaImage::from_f32(w, h, vec![50.0; w * h]).unwrap()
    }

    #[test]
    fn never_exceeds_the_pixel_cap_nor_shrinks() {
        let e = Enlarge::default();
        for &(w, h, cap) in &[
            (100, 7, 10_000),
            (7, 100, 700),
            (383, 383, 10_000_000),
            (200, 150, 200 * 150 + 1),
            (10, 10, 99),
        ] {
            let img = flat(w, h);
            let out = e.apply(&img, cap);
            assert!(out.width() >= w && out.height() >= h);
            assert!(
                out.width() * out.height() <= cap.max(w * h),
                "{w}x{h} cap {cap}"
            );
            assert!(out.width().max(out.height()) <= 512);
        }
    }

    #[test]
    fn keeps_the_aspect_ratio_within_a_pixel() {
        let img = flat(150, 100);
        let out = Enlarge::default().apply(&img, usize::MAX);
        assert_eq!(out.width(), 512);
        assert!((out.height() as i64 - 341).abs() <= 1);
    }

    #[test]
    fn large_pictures_are_borrowed() {
        let img = flat(384, 10);
        assert!(matches!(
            Enlarge::default().apply(&img, usize::MAX),
            Cow::Borrowed(_)
        ));
    }
}
