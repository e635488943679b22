//! Cuts from the four sides of a picture, as fractions of its width and height: the geometry
//! shared by the banked crop lattice ([`super::BankViews::crop_lattice`]) and the query-side
//! crop guesses ([`super::CropGuesses`]).

use serde::{Deserialize, Serialize};

use crate::luma::LumaImage;
use crate::region::Rect;

/// Fractions cut from the left, top, right and bottom (left and right of the width, top and
/// bottom of the height).
///
/// ```
/// use mediamatch::matcher::Cut;
/// let c = Cut { left: 0.1, top: 0.0, right: 0.05, bottom: 0.2 };
/// let r = c.rect(200, 100).unwrap();
/// assert_eq!((r.left, r.top, r.width, r.height), (20, 0, 170, 80));
/// assert_eq!(c.name(), "l10-r5-b20");
/// assert!((c.area_removed() - (1.0 - 0.85 * 0.8)).abs() < 1e-6);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// Fraction of the width cut from the left.
    pub left: f32,
    /// Fraction of the height cut from the top.
    pub top: f32,
    /// Fraction of the width cut from the right.
    pub right: f32,
    /// Fraction of the height cut from the bottom.
    pub bottom: f32,
}

impl Cut {
    /// No cut.
    pub const NONE: Cut = Cut {
        left: 0.0,
        top: 0.0,
        right: 0.0,
        bottom: 0.0,
    };

    /// The kept rectangle of a `width × height` picture; `None` when the fractions are not
    /// finite, negative, or leave less than 8 pixels on a side.
    pub fn rect(&self, width: usize, height: usize) -> Option<Rect> {
        let f = [self.left, self.top, self.right, self.bottom];
        if f.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return None;
        }
        let at = |frac: f32, side: usize| ((side as f32 * frac).round() as usize).min(side);
        let (x0, y0) = (at(self.left, width), at(self.top, height));
        let x1 = width.saturating_sub(at(self.right, width));
        let y1 = height.saturating_sub(at(self.bottom, height));
        if x1 < x0 + 8 || y1 < y0 + 8 {
            return None;
        }
        Some(Rect {
            left: x0,
            top: y0,
            width: x1 - x0,
            height: y1 - y0,
        })
    }

    /// The kept part of `luma` (see [`Cut::rect`]); allocates at most the image.
    pub fn apply(&self, luma: &LumaImage) -> Option<LumaImage> {
        let r = self.rect(luma.width(), luma.height())?;
        luma.crop(r.left, r.top, r.width, r.height).ok()
    }

    /// Like [`Cut::apply`], but a negative fraction extends that side by as much, each new
    /// pixel a copy of the nearest edge pixel; `None` when a fraction is not finite or
    /// below −0.5, or less than 8 pixels would be left on a side. Allocates at most
    /// (1 + 2 × 0.5)² times the image.
    pub fn apply_extended(&self, luma: &LumaImage) -> Option<LumaImage> {
        let [x0, y0, x1, y1] = self.window(luma.width(), luma.height())?;
        let (w, h) = (luma.width() as i64, luma.height() as i64);
        if x0 >= 0 && y0 >= 0 && x1 <= w && y1 <= h {
            // an extension that rounds to no pixel is no extension
            return luma
                .crop(
                    x0 as usize,
                    y0 as usize,
                    (x1 - x0) as usize,
                    (y1 - y0) as usize,
                )
                .ok();
        }
        let src = luma.as_slice();
        let mut out = Vec::with_capacity(((x1 - x0) * (y1 - y0)) as usize);
        for y in y0..y1 {
            let row = y.clamp(0, h - 1) * w;
            for x in x0..x1 {
                out.push(src[(row + x.clamp(0, w - 1)) as usize]);
            }
        }
        LumaImage::from_f32((x1 - x0) as usize, (y1 - y0) as usize, out).ok()
    }

    /// The window [`Cut::apply_extended`] takes from a `width × height` picture, as
    /// `[left, top, right, bottom)` pixel bounds (negative or beyond the picture where a side
    /// is extended); `None` in the cases where it gives `None`.
    pub fn window(&self, width: usize, height: usize) -> Option<[i64; 4]> {
        let f = [self.left, self.top, self.right, self.bottom];
        if f.iter().any(|v| !v.is_finite() || *v < -0.5) {
            return None;
        }
        let (w, h) = (width as i64, height as i64);
        let at = |frac: f32, side: i64| (side as f32 * frac).round() as i64;
        let (x0, y0) = (at(self.left, w), at(self.top, h));
        let (x1, y1) = (w - at(self.right, w), h - at(self.bottom, h));
        (x1 >= x0 + 8 && y1 >= y0 + 8).then_some([x0, y0, x1, y1])
    }

    /// Share of the area removed.
    pub fn area_removed(&self) -> f32 {
        1.0 - (1.0 - self.left - self.right) * (1.0 - self.top - self.bottom)
    }

    /// The sides cut, in percent, e.g. `l10-r5-b20` (`none` for no cut).
    pub fn name(&self) -> String {
        let parts: Vec<String> = [
            ('l', self.left),
            ('t', self.top),
            ('r', self.right),
            ('b', self.bottom),
        ]
        .iter()
        .filter(|(_, v)| *v != 0.0)
        .map(|(c, v)| {
            let p = v * 100.0;
            if (p - p.round()).abs() < 1e-3 {
                format!("{c}{}", p.round())
            } else {
                format!("{c}{p:.1}")
            }
        })
        .collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join("-")
        }
    }

    /// Every cut on a lattice of `step` per side (each side 0, step, 2 step, …) that removes at
    /// most `max_area` of the area, the empty cut left out; lattice order (left, right, top,
    /// bottom counting up). Empty when `step` is not in (0, 1) or `max_area` not in (0, 1).
    ///
    /// ```
    /// use mediamatch::matcher::Cut;
    /// let l = Cut::lattice(0.05, 0.2);
    /// assert_eq!(l.len(), 69);
    /// assert!(l.iter().all(|c| c.area_removed() <= 0.2 + 1e-4));
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn lattice(step: f32, max_area: f32) -> Vec<Cut> {
        if !(step > 0.0 && step < 1.0 && max_area > 0.0 && max_area < 1.0) {
            return Vec::new();
        }
        let n = (max_area / step + 1e-3).floor() as u32;
        let s = |k: u32| k as f32 * step;
        let mut out = Vec::new();
        for l in 0..=n {
            for r in 0..=n - l {
                for t in 0..=n {
                    for b in 0..=n - t {
                        let c = Cut {
                            left: s(l),
                            top: s(t),
                            right: s(r),
                            bottom: s(b),
                        };
                        if (l, r, t, b) != (0, 0, 0, 0) && c.area_removed() <= max_area + 1e-4 {
                            out.push(c);
                        }
                    }
                }
            }
        }
        out
    }
}
