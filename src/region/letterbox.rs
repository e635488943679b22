//! Letterbox and pillarbox removal: find the content rectangle inside bars.
//!
//! Re-uploads often add bars above/below or left/right of the content, which moves PDQ far away
//! from the original's hash. Two kinds are found:
//! * **uniform** bars (black, grey or any flat colour), on any side;
//! * **blurred** bars (the picture itself stretched and blurred behind it, as phone apps and
//!   social video do), found as smooth bands of equal size on two opposite sides that end at a
//!   sharp edge ([`LetterboxConfig::blurred`]).
//!
//! Bars on opposite sides must have about the same size ([`LetterboxConfig::max_asymmetry`]):
//! real letterboxing centres the picture, while a flat sky or floor at one edge of a photo is not
//! a bar. Cropping bars before hashing wins those copies back. This is a pre-processing step on
//! the *query* side ([`crate::matcher::MatchOptions`]): the stored hash of an image stays the
//! plain reference PDQ that other platforms compute.

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
    /// Bars on opposite sides are accepted only if their sizes differ by at most
    /// `2 + max_asymmetry * larger` pixels; otherwise that axis is left uncropped. `1.0` accepts
    /// one-sided bars.
    pub max_asymmetry: f32,
    /// Also look for blurred bars on an axis where no uniform bars were found.
    pub blurred: bool,
    /// Blurred bars: the largest mean absolute difference (luma levels) between neighbouring
    /// pixels, along and across lines, for a line to count as part of a smooth bar.
    pub blur_smoothness: f32,
    /// Blurred bars: the smallest mean absolute difference between the last bar line and the
    /// first content line (the sharp edge where the picture starts).
    pub blur_edge: f32,
}

impl Default for LetterboxConfig {
    fn default() -> Self {
        LetterboxConfig {
            tolerance: 12.0,
            max_fraction: 0.6,
            min_bar: 2,
            max_asymmetry: 0.1,
            blurred: true,
            blur_smoothness: 2.5,
            blur_edge: 6.0,
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

impl Rect {
    /// The largest error of a side of `self` against `truth`, as a fraction of the truth's
    /// width (left, right) or height (top, bottom): the localisation error of a detector (PDQ
    /// loses a match beyond about 1–2 %).
    ///
    /// ```
    /// use mediamatch::region::Rect;
    /// let truth = Rect { left: 10, top: 10, width: 100, height: 50 };
    /// let found = Rect { left: 12, top: 10, width: 98, height: 51 };
    /// assert!((found.side_error(&truth) - 0.02).abs() < 1e-6);
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn side_error(&self, truth: &Rect) -> f32 {
        let ex = |a: usize, b: usize| (a as f32 - b as f32).abs() / truth.width.max(1) as f32;
        let ey = |a: usize, b: usize| (a as f32 - b as f32).abs() / truth.height.max(1) as f32;
        ex(self.left, truth.left)
            .max(ex(self.left + self.width, truth.left + truth.width))
            .max(ey(self.top, truth.top))
            .max(ey(self.top + self.height, truth.top + truth.height))
    }

    /// `self`, a rectangle of a `from`-sized image, mapped onto a `to`-sized copy of it
    /// (corners scaled down to whole pixels, clamped to the copy).
    pub(crate) fn scaled(&self, from: (usize, usize), to: (usize, usize)) -> Rect {
        let x = |v: usize| v * to.0 / from.0.max(1);
        let y = |v: usize| v * to.1 / from.1.max(1);
        let (l, t) = (x(self.left).min(to.0), y(self.top).min(to.1));
        Rect {
            left: l,
            top: t,
            width: x(self.left + self.width).min(to.0) - l,
            height: y(self.top + self.height).min(to.1) - t,
        }
    }
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

/// Sizes of smooth (blurred) bars at both ends of an axis of `n` lines, or `(0, 0)`.
///
/// `detail(k)` is the mean absolute difference between neighbouring pixels along line `k`;
/// `step(k)` the mean absolute difference between lines `k - 1` and `k` (`1 <= k < n`).
fn blurred_bars(
    n: usize,
    limit: usize,
    cfg: &LetterboxConfig,
    detail: impl Fn(usize) -> f32,
    step: impl Fn(usize) -> f32,
) -> (usize, usize) {
    let min_bar = cfg.min_bar.max(n / 50).max(2);
    // Walk inward from one end: `line(i)` maps the i-th line from that end to its index.
    let run = |line: &dyn Fn(usize) -> usize, between: &dyn Fn(usize) -> f32| -> usize {
        let mut k = 0;
        let mut worst = 0.0f32;
        while k < limit.min(n) {
            let d = detail(line(k));
            let s = if k == 0 { 0.0 } else { between(k) };
            if d > cfg.blur_smoothness || s > cfg.blur_smoothness {
                break;
            }
            worst = worst.max(d).max(s);
            k += 1;
        }
        if k < min_bar || k >= n {
            return 0;
        }
        let edge = between(k);
        if edge >= cfg.blur_edge && edge >= 3.0 * worst {
            k
        } else {
            0
        }
    };
    // Steps between the (k-1)-th and k-th line counted from each end.
    let first = run(&|k| k, &|k| step(k));
    let last = run(&|k| n - 1 - k, &|k| step(n - k));
    if first == 0 || last == 0 {
        return (0, 0);
    }
    (first, last)
}

fn symmetric(a: usize, b: usize, cfg: &LetterboxConfig) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    (hi - lo) as f32 <= 2.0 + cfg.max_asymmetry * hi as f32
}

fn mean_abs_diff(pairs: impl Iterator<Item = (f32, f32)>) -> f32 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for (a, b) in pairs {
        sum += f64::from((a - b).abs());
        n += 1;
    }
    (sum / n.max(1) as f64) as f32
}

/// Finds the content rectangle of `img` inside uniform or blurred bars (see the module docs).
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
    let sym = |(a, b): (usize, usize)| {
        if symmetric(a, b, cfg) {
            (a, b)
        } else {
            (0, 0)
        }
    };
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
        sym((top, bottom))
    };
    let cols = |y0: usize, y1: usize| {
        let left = bar_len(w, max_h, cfg, |x| {
            line_stats((y0..y1).map(|y| px[y * w + x]))
        });
        let right = bar_len(w, max_h, cfg, |k| {
            line_stats((y0..y1).map(|y| px[y * w + w - 1 - k]))
        });
        sym((left, right))
    };
    let blurred_rows = |x0: usize, x1: usize| {
        sym(blurred_bars(
            h,
            max_v / 2,
            cfg,
            |y| {
                let r = &px[y * w + x0..y * w + x1];
                mean_abs_diff(r.windows(2).map(|p| (p[0], p[1])))
            },
            |y| mean_abs_diff((x0..x1).map(|x| (px[y * w + x], px[(y - 1) * w + x]))),
        ))
    };
    let blurred_cols = |y0: usize, y1: usize| {
        sym(blurred_bars(
            w,
            max_h / 2,
            cfg,
            |x| mean_abs_diff((y0 + 1..y1).map(|y| (px[y * w + x], px[(y - 1) * w + x]))),
            |x| mean_abs_diff((y0..y1).map(|y| (px[y * w + x], px[y * w + x - 1]))),
        ))
    };
    let (mut top, mut bottom) = rows(0, w);
    if top + bottom + 5 > h {
        return whole;
    }
    let (mut left, mut right) = cols(top, h - bottom);
    if left + right + 5 > w {
        return whole;
    }
    if left + right > 0 {
        (top, bottom) = rows(left, w - right);
    }
    if cfg.blurred {
        if top + bottom == 0 {
            (top, bottom) = blurred_rows(left, w - right);
        }
        if left + right == 0 && top + bottom + 5 <= h {
            (left, right) = blurred_cols(top, h - bottom);
        }
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

    fn with_bars(c: &[f32], cw: usize, ch: usize, top: usize, bottom: usize, bar: f32) -> Vec<f32> {
        let mut d = vec![bar; cw * top];
        d.extend_from_slice(c);
        d.extend(std::iter::repeat_n(bar, cw * bottom));
        d.truncate(cw * (ch + top + bottom));
        d
    }

    #[test]
    fn blurred_bars_found_and_one_sided_flat_band_ignored() {
        let (cw, ch) = (80, 50);
        let c = content(cw, ch);
        // Smooth bars: a slow gradient (what a heavy blur of the picture looks like).
        let (t, b) = (12, 12);
        let h = ch + t + b;
        let mut d = vec![0.0f32; cw * h];
        for y in 0..h {
            for x in 0..cw {
                d[y * cw + x] = if y < t || y >= t + ch {
                    60.0 + 0.5 * x as f32 + 0.3 * y as f32
                } else {
                    c[(y - t) * cw + x]
                };
            }
        }
        let img = LumaImage::from_f32(cw, h, d).unwrap();
        let cfg = LetterboxConfig::default();
        assert_eq!(
            find_content(&img, &cfg),
            Rect {
                left: 0,
                top: t,
                width: cw,
                height: ch
            }
        );
        let off = LetterboxConfig {
            blurred: false,
            ..cfg
        };
        assert_eq!(find_content(&img, &off).height, h);
        // A flat band at the top only (a sky): not a letterbox.
        let sky = with_bars(&c, cw, ch, 15, 0, 200.0);
        let img = LumaImage::from_f32(cw, ch + 15, sky).unwrap();
        assert_eq!(find_content(&img, &cfg).height, ch + 15);
        let one_sided = LetterboxConfig {
            max_asymmetry: 1.0,
            ..cfg
        };
        assert_eq!(find_content(&img, &one_sided).top, 15);
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
