//! Full-resolution refinement of a candidate rectangle found on the working copy.
//!
//! A rectangle found on the area-averaged working copy is off by up to one working pixel
//! (`1 / work_side` of the longer side: 7 pixels of a 2 300-pixel collage, 1 % of a cell),
//! and PDQ already loses a match at 1–2 % of a side. Two steps recover the exact rectangle:
//!
//! 1. [`refine`]: each side that is not an image border moves, within a few full-resolution
//!    pixels, to the boundary with the largest summed luma difference across it along the
//!    side (the pasted picture's edge is a step on every row; texture is not);
//! 2. [`trim_uniform`]: lines of (nearly) one value at the rectangle's edges are cut off: a
//!    collage's gutter, the thin line inside a frame, the rest of a flat bar.
//!
//! Neither allocates: both read the image in place.

use super::letterbox::Rect;
use crate::luma::LumaImage;

/// Moves each inner side of `r` to the strongest boundary within `radius` pixels (see the
/// module docs). Sides on the image border stay.
pub(crate) fn refine(img: &LumaImage, r: Rect, radius: usize) -> Rect {
    let (w, h) = (img.width(), img.height());
    let px = img.as_slice();
    if r.width < 4 || r.height < 4 || radius == 0 {
        return r;
    }
    let (mut x0, mut x1) = (r.left, r.left + r.width);
    let (mut y0, mut y1) = (r.top, r.top + r.height);
    // rows (columns) of the side, away from the corners, which may themselves be off
    let inner = |a: usize, b: usize| {
        let m = radius.min((b - a) / 4);
        (a + m, b - m)
    };
    // summed |difference| across boundary p (between p-1 and p), along a..b
    let col_energy = |p: usize, a: usize, b: usize| -> f32 {
        (a..b)
            .map(|y| (px[y * w + p] - px[y * w + p - 1]).abs())
            .sum()
    };
    let row_energy = |p: usize, a: usize, b: usize| -> f32 {
        (a..b)
            .map(|x| (px[p * w + x] - px[(p - 1) * w + x]).abs())
            .sum()
    };
    // the best boundary within radius of p, inside lo..=hi
    let best = |p: usize, lo: usize, hi: usize, energy: &dyn Fn(usize) -> f32| -> usize {
        let (lo, hi) = (p.saturating_sub(radius).max(lo), (p + radius).min(hi));
        let mut out = p;
        let mut top = f32::NEG_INFINITY;
        for q in lo..=hi {
            let e = energy(q);
            // ties go to the one nearer p
            if e > top || (e == top && q.abs_diff(p) < out.abs_diff(p)) {
                top = e;
                out = q;
            }
        }
        out
    };
    let (ya, yb) = inner(y0, y1);
    if x0 > 0 {
        x0 = best(x0, 1, x1 - 2, &|q| col_energy(q, ya, yb));
    }
    if x1 < w {
        x1 = best(x1, x0 + 2, w - 1, &|q| col_energy(q, ya, yb));
    }
    let (xa, xb) = inner(x0, x1);
    if y0 > 0 {
        y0 = best(y0, 1, y1 - 2, &|q| row_energy(q, xa, xb));
    }
    if y1 < h {
        y1 = best(y1, y0 + 2, h - 1, &|q| row_energy(q, xa, xb));
    }
    Rect {
        left: x0,
        top: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// Cuts lines whose values span at most `tolerance` levels off each edge of `r`, never more
/// than a quarter of a side per edge.
pub(crate) fn trim_uniform(img: &LumaImage, r: Rect, tolerance: f32) -> Rect {
    let w = img.width();
    let px = img.as_slice();
    let flat = |it: &mut dyn Iterator<Item = f32>| {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for v in it {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        hi - lo <= tolerance
    };
    let (mut x0, mut x1) = (r.left, r.left + r.width);
    let (mut y0, mut y1) = (r.top, r.top + r.height);
    let (mx, my) = (r.width / 4, r.height / 4);
    while x0 < r.left + mx && flat(&mut (y0..y1).map(|y| px[y * w + x0])) {
        x0 += 1;
    }
    while x1 > r.left + r.width - mx && flat(&mut (y0..y1).map(|y| px[y * w + x1 - 1])) {
        x1 -= 1;
    }
    while y0 < r.top + my && flat(&mut px[y0 * w + x0..y0 * w + x1].iter().copied()) {
        y0 += 1;
    }
    while y1 > r.top + r.height - my
        && flat(&mut px[(y1 - 1) * w + x0..(y1 - 1) * w + x1].iter().copied())
    {
        y1 -= 1;
    }
    Rect {
        left: x0,
        top: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(x: usize, y: usize) -> f32 {
        let mut z = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((y as u64) << 32);
        z = (z ^ (z >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((z ^ (z >> 32)) % 60) as f32 + 100.0
    }

    /// A noise picture at (l, t, cw, ch) inside a white gutter of `g` pixels, on a darker
    /// gradient canvas.
    fn layout(w: usize, h: usize, l: usize, t: usize, cw: usize, ch: usize, g: usize) -> LumaImage {
        let px = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if (l..l + cw).contains(&x) && (t..t + ch).contains(&y) {
                    noise(x, y)
                } else if (l - g..l + cw + g).contains(&x) && (t - g..t + ch + g).contains(&y) {
                    255.0
                } else {
                    30.0 + 0.1 * x as f32
                }
            })
            .collect();
        LumaImage::from_f32(w, h, px).unwrap()
    }

    #[test]
    fn a_rough_rectangle_moves_onto_the_edges_and_loses_its_gutter() {
        let img = layout(300, 200, 60, 40, 150, 100, 5);
        let truth = Rect {
            left: 60,
            top: 40,
            width: 150,
            height: 100,
        };
        // off by up to 4 pixels on each side, in both directions
        for (dl, dt, dr, db) in [(-4, 3, 2, -3), (3, -4, -2, 4), (0, 0, 4, 4)] {
            let rough = Rect {
                left: (60 + dl) as usize,
                top: (40 + dt) as usize,
                width: (150 - dl + dr) as usize,
                height: (100 - dt + db) as usize,
            };
            let r = trim_uniform(&img, refine(&img, rough, 5), 12.0);
            assert_eq!(r, truth, "from {rough:?}");
        }
    }

    #[test]
    fn trimming_stops_at_a_quarter_and_keeps_textured_edges() {
        let img = layout(300, 200, 60, 40, 150, 100, 5);
        let truth = Rect {
            left: 60,
            top: 40,
            width: 150,
            height: 100,
        };
        assert_eq!(trim_uniform(&img, truth, 12.0), truth);
        // a flat canvas is trimmed by at most a quarter of each side
        let flat = LumaImage::from_f32(40, 40, vec![7.0; 1600]).unwrap();
        let all = Rect {
            left: 0,
            top: 0,
            width: 40,
            height: 40,
        };
        let r = trim_uniform(&flat, all, 12.0);
        assert_eq!((r.width, r.height), (20, 20));
    }
}
