//! Letterbox and pillarbox removal: find the content rectangle inside uniform bars.
//!
//! Re-uploads often add bars (black, grey or any flat colour) above/below or left/right of the
//! content, which moves PDQ far away from the original's hash. Cropping them before hashing wins
//! those copies back. This is a pre-processing step: it is **off by default for images**, so
//! that the stored hash of an image stays the plain reference PDQ that other platforms compute.

use serde::{Deserialize, Serialize};

use crate::luma::LumaImage;

/// Settings of [`find_content`]. `Default` suits typical video letterboxing.
///
/// ```
/// use mediamatch::letterbox::{find_content, LetterboxConfig};
/// use mediamatch::LumaImage;
/// // 40x30 content of a gradient inside 10-pixel black bars on top and bottom
/// let (w, h) = (40, 50);
/// let data = (0..w * h).map(|k| {
///     let (x, y) = (k % w, k / w);
///     if y < 10 || y >= 40 { 0.0 } else { (x * 5 + y) as f32 }
/// }).collect();
/// let img = LumaImage::from_f32(w, h, data)?;
/// let r = find_content(&img, &LetterboxConfig::default());
/// assert_eq!((r.left, r.top, r.width, r.height), (0, 10, 40, 30));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LetterboxConfig {
    /// A line (row or column) is part of a bar if its samples span at most this many luma
    /// levels (max − min) and its mean is within this distance of the outermost line's mean.
    pub tolerance: f32,
    /// Never crop more than this fraction of a side in total (bars over half the picture are
    /// more likely dark content).
    pub max_fraction: f32,
    /// Bars thinner than this many pixels are ignored (encoder edge noise).
    pub min_bar: usize,
}

impl Default for LetterboxConfig {
    fn default() -> Self {
        LetterboxConfig {
            tolerance: 12.0,
            max_fraction: 0.6,
            min_bar: 2,
        }
    }
}

/// A rectangle inside an image, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// First column.
    pub left: usize,
    /// First row.
    pub top: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

fn line_stats(it: impl Iterator<Item = f32>) -> (f32, f32, f32) {
    let (mut lo, mut hi, mut sum, mut n) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f64, 0usize);
    for v in it {
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v as f64;
        n += 1;
    }
    (lo, hi, (sum / n.max(1) as f64) as f32)
}

/// Counts how many uniform lines there are from one edge inward.
fn bar_len(
    n: usize,
    limit: usize,
    cfg: &LetterboxConfig,
    line: impl Fn(usize) -> (f32, f32, f32),
) -> usize {
    let (lo0, hi0, m0) = line(0);
    if hi0 - lo0 > cfg.tolerance {
        return 0;
    }
    let mut k = 1;
    while k < n.min(limit) {
        let (lo, hi, m) = line(k);
        if hi - lo > cfg.tolerance || (m - m0).abs() > cfg.tolerance {
            break;
        }
        k += 1;
    }
    if k < cfg.min_bar {
        0
    } else {
        k
    }
}

/// Finds the content rectangle of `img` inside uniform bars on any of its four sides.
/// Returns the whole image when there are no bars or when the bars would eat too much.
pub fn find_content(img: &LumaImage, cfg: &LetterboxConfig) -> Rect {
    let (w, h) = (img.width(), img.height());
    let whole = Rect {
        left: 0,
        top: 0,
        width: w,
        height: h,
    };
    if w < 8 || h < 8 {
        return whole;
    }
    let px = img.as_slice();
    let max_v = ((h as f32) * cfg.max_fraction) as usize;
    let max_h = ((w as f32) * cfg.max_fraction) as usize;
    // Rows over columns x0..x1, columns over rows y0..y1: bars on one axis do not spoil the
    // uniformity of the other axis' bars (a pillarboxed letterbox has black corners).
    let rows = |x0: usize, x1: usize| {
        let top = bar_len(h, max_v, cfg, |y| {
            line_stats(px[y * w + x0..y * w + x1].iter().copied())
        });
        let bottom = bar_len(h, max_v, cfg, |k| {
            let y = h - 1 - k;
            line_stats(px[y * w + x0..y * w + x1].iter().copied())
        });
        (top, bottom)
    };
    let cols = |y0: usize, y1: usize| {
        let left = bar_len(w, max_h, cfg, |x| {
            line_stats((y0..y1).map(|y| px[y * w + x]))
        });
        let right = bar_len(w, max_h, cfg, |k| {
            line_stats((y0..y1).map(|y| px[y * w + w - 1 - k]))
        });
        (left, right)
    };
    let (mut top, mut bottom) = rows(0, w);
    if top + bottom + 5 > h {
        return whole;
    }
    let (left, right) = cols(top, h - bottom);
    if left + right + 5 > w {
        return whole;
    }
    if left + right > 0 {
        (top, bottom) = rows(left, w - right);
    }
    if top + bottom > max_v || left + right > max_h || top + bottom + 5 > h || left + right + 5 > w
    {
        return whole;
    }
    Rect {
        left,
        top,
        width: w - left - right,
        height: h - top - bottom,
    }
}

/// Crops `img` to its content rectangle (see [`find_content`]).
pub fn remove_letterbox(img: &LumaImage, cfg: &LetterboxConfig) -> LumaImage {
    let r = find_content(img, cfg);
    if r.width == img.width() && r.height == img.height() {
        return img.clone();
    }
    // The rectangle comes from find_content, so it lies inside the image.
    img.crop(r.left, r.top, r.width, r.height)
        .unwrap_or_else(|_| img.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(w: usize, h: usize) -> Vec<f32> {
        (0..w * h)
            .map(|k| {
                let (x, y) = ((k % w) as f32, (k / w) as f32);
                128.0 + 90.0 * (x * 0.21).sin() * (y * 0.13).cos()
            })
            .collect()
    }

    #[test]
    fn pillarbox_and_letterbox_found() {
        let (cw, ch) = (60, 40);
        let c = content(cw, ch);
        // 7 px grey bars left and right, 5 px black bars top and bottom
        let (w, h) = (cw + 14, ch + 10);
        let mut d = vec![0.0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                d[y * w + x] = if y < 5 || y >= 5 + ch {
                    0.0
                } else if x < 7 || x >= 7 + cw {
                    100.0
                } else {
                    c[(y - 5) * cw + (x - 7)]
                };
            }
        }
        let img = LumaImage::from_f32(w, h, d).unwrap();
        let r = find_content(&img, &LetterboxConfig::default());
        assert_eq!(
            r,
            Rect {
                left: 7,
                top: 5,
                width: cw,
                height: ch
            }
        );
        let cropped = remove_letterbox(&img, &LetterboxConfig::default());
        assert_eq!(cropped.as_slice(), &c[..]);
    }

    #[test]
    fn no_bars_no_crop_and_flat_image_untouched() {
        let img = LumaImage::from_f32(50, 40, content(50, 40)).unwrap();
        assert_eq!(find_content(&img, &LetterboxConfig::default()).width, 50);
        let flat = LumaImage::from_f32(50, 40, vec![0.0; 2000]).unwrap();
        let r = find_content(&flat, &LetterboxConfig::default());
        assert_eq!((r.width, r.height), (50, 40));
    }
}
