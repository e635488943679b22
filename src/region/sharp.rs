//! The sharp foreground over a blurred copy of itself (9:16 stories, vertical video of a
//! landscape picture): a band of rows (or columns) whose gradient energy is far above that of
//! the blurred fill around it, wherever the band sits.
//!
//! Each row's sharpness is the mean absolute difference between horizontal neighbours (the
//! difference along the row: a blur flattens it, the picture keeps it). The band is the run of
//! rows that maximises the summed excess of sharpness over a threshold halfway (geometric mean)
//! between the blurred and the sharp levels (10th and 90th percentiles); it is accepted when
//! the sharp level is several times the blurred one and the rows outside the band are mostly
//! blurred. Columns are treated the same way for a picture between blurred side bars.

use super::letterbox::Rect;
use crate::luma::LumaImage;

/// Sharp level must be at least this many times the blurred level.
const CONTRAST: f32 = 3.0;

/// Per-line sharpness along one axis: `rows` true gives one value per row.
fn profile(img: &LumaImage, rows: bool) -> Vec<f32> {
    let (w, h) = (img.width(), img.height());
    let px = img.as_slice();
    if rows {
        (0..h)
            .map(|y| {
                let r = &px[y * w..(y + 1) * w];
                r.windows(2).map(|p| (p[1] - p[0]).abs()).sum::<f32>() / (w - 1).max(1) as f32
            })
            .collect()
    } else {
        let mut acc = vec![0.0f32; w];
        for y in 1..h {
            for (x, a) in acc.iter_mut().enumerate() {
                *a += (px[y * w + x] - px[(y - 1) * w + x]).abs();
            }
        }
        acc.iter().map(|v| v / (h - 1).max(1) as f32).collect()
    }
}

/// The band `a..b` of sharp lines in `s`, if there is one that is not the whole axis, and the
/// same band grown over lines still sharper than the blur: `(a, b, grown_a, grown_b)`.
fn band(s: &[f32], min_len: usize) -> Option<(usize, usize, usize, usize)> {
    let n = s.len();
    if n < 8 {
        return None;
    }
    let mut sorted = s.to_vec();
    sorted.sort_by(f32::total_cmp);
    let lo = sorted[n / 10];
    let hi = sorted[n * 9 / 10];
    if hi < CONTRAST * lo + 1.0 {
        return None;
    }
    let tau = (hi * lo.max(0.25)).sqrt();
    // maximum-sum run of s - tau (Kadane)
    let (mut best, mut best_a, mut best_b) = (0.0f32, 0usize, 0usize);
    let (mut run, mut a) = (0.0f32, 0usize);
    for (i, &v) in s.iter().enumerate() {
        if run <= 0.0 {
            run = 0.0;
            a = i;
        }
        run += v - tau;
        if run > best {
            (best, best_a, best_b) = (run, a, i + 1);
        }
    }
    if best_b - best_a < min_len || (best_a == 0 && best_b == n) {
        return None;
    }
    // outside the band the lines are blurred: at most a tenth of them sharp
    let outside = s[..best_a]
        .iter()
        .chain(&s[best_b..])
        .filter(|&&v| v > tau)
        .count();
    if outside * 10 > n - (best_b - best_a) {
        return None;
    }
    // the picture may have smooth parts (a sky) at its ends: grow the band while the lines
    // stay above the blurred level
    let floor = 2.0 * lo + 0.25;
    let (mut a, mut b) = (best_a, best_b);
    while a > 0 && s[a - 1] > floor {
        a -= 1;
    }
    while b < n && s[b] > floor {
        b += 1;
    }
    Some((best_a, best_b, a, b))
}

/// Mean absolute difference across each boundary between lines (`d[k]`: between lines k-1
/// and k; `d[0]` is 0).
fn steps(img: &LumaImage, rows: bool) -> Vec<f32> {
    let (w, h) = (img.width(), img.height());
    let px = img.as_slice();
    if rows {
        let mut d = vec![0.0f32; h];
        for (y, v) in d.iter_mut().enumerate().skip(1) {
            *v = (0..w)
                .map(|x| (px[y * w + x] - px[(y - 1) * w + x]).abs())
                .sum::<f32>()
                / w as f32;
        }
        d
    } else {
        let mut d = vec![0.0f32; w];
        for y in 0..h {
            for (x, v) in d.iter_mut().enumerate().skip(1) {
                *v += (px[y * w + x] - px[y * w + x - 1]).abs() / h as f32;
            }
        }
        d
    }
}

/// The strongest boundary in `lo..=hi` of `d` if it is a clear edge (at least `STEP` levels
/// on average), else `None`.
fn edge_in(d: &[f32], lo: usize, hi: usize) -> Option<usize> {
    const STEP: f32 = 4.0;
    (lo.max(1)..=hi.min(d.len().saturating_sub(1)))
        .max_by(|&i, &j| d[i].total_cmp(&d[j]))
        .filter(|&i| d[i] >= STEP)
}

/// Sharp bands of the working image: full-width bands of rows, full-height bands of columns,
/// in working coordinates. Per axis: the band with its ends snapped to the strongest edge
/// within 5 % of the axis, the band grown over lines sharper than the blur, and the band with
/// either or both ends moved to the strongest edge beyond it (within a third of the axis; a
/// smooth part of the picture, a sky, can hide the picture's true end from the sharpness
/// profile but not from the luma step to the fill).
pub(crate) fn sharp_bands(img: &LumaImage, min_side: f32) -> Vec<Rect> {
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::new();
    if w < 16 || h < 16 {
        return out;
    }
    for rows in [true, false] {
        let n = if rows { h } else { w };
        let Some((a, b, ga, gb)) = band(&profile(img, rows), (min_side * n as f32).ceil() as usize)
        else {
            continue;
        };
        let d = steps(img, rows);
        let third = n / 3;
        // beyond the band's ends (an edge at the end itself is the (a, b) candidate, and a
        // horizon inside the picture must not win)
        let ea = if a >= 2 {
            edge_in(&d, a.saturating_sub(third), a - 2).unwrap_or(a)
        } else {
            a
        };
        let eb = edge_in(&d, b + 2, (b + third).min(n)).unwrap_or(b);
        // the band's own ends, snapped to the strongest edge within 5 % (the sharpness
        // profile blurs an end by a few lines)
        let near = n / 20;
        let sa = edge_in(&d, a.saturating_sub(near), a + near).unwrap_or(a);
        let sb = edge_in(&d, b.saturating_sub(near), (b + near).min(n)).unwrap_or(b);
        for (a, b) in [(sa, sb), (ga, gb), (ea, eb), (ea, sb), (sa, eb)] {
            let r = if rows {
                Rect {
                    left: 0,
                    top: a,
                    width: w,
                    height: b - a,
                }
            } else {
                Rect {
                    left: a,
                    top: 0,
                    width: b - a,
                    height: h,
                }
            };
            if !out.contains(&r) && (r.width < w || r.height < h) && b > a {
                out.push(r);
            }
        }
    }
    out
}
