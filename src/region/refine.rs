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

use image::{DynamicImage, GenericImageView};

use super::letterbox::Rect;
use crate::luma::LumaImage;

/// Moves each inner side of `r` to the strongest boundary within `radius` pixels (see the
/// module docs). Sides on the image border stay.
/// With `colour` (the decoded image of `img`, same size, and the weight of its chroma), a
/// boundary's difference is the colour difference `sqrt(dY² + weight² (dCb² + dCr²))`: a side
/// that only shows in colour is placed by its colour.
pub(crate) fn refine(
    img: &LumaImage,
    r: Rect,
    radius: usize,
    colour: Option<(&DynamicImage, f32)>,
) -> Rect {
    let (w, h) = (img.width(), img.height());
    let px = img.as_slice();
    if r.width < 4 || r.height < 4 || radius == 0 {
        return r;
    }
    let colour =
        colour.filter(|(c, k)| *k > 0.0 && c.width() as usize == w && c.height() as usize == h);
    // the difference across two pixels (at indices a and b of `px`)
    let diff = |a: usize, b: usize| -> f32 {
        let dy = px[a] - px[b];
        match colour {
            None => dy.abs(),
            Some((c, k)) => {
                let (ca, cb) = (chroma_at(c, a % w, a / w), chroma_at(c, b % w, b / w));
                let (d0, d1) = (ca.0 - cb.0, ca.1 - cb.1);
                (dy * dy + k * k * (d0 * d0 + d1 * d1)).sqrt()
            }
        }
    };
    let (mut x0, mut x1) = (r.left, r.left + r.width);
    let (mut y0, mut y1) = (r.top, r.top + r.height);
    // rows (columns) of the side, away from the corners, which may themselves be off
    let inner = |a: usize, b: usize| {
        let m = radius.min((b - a) / 4);
        (a + m, b - m)
    };
    // summed |difference| across boundary p (between p-1 and p), along a..b
    let col_energy = |p: usize, a: usize, b: usize| -> f32 {
        (a..b).map(|y| diff(y * w + p, y * w + p - 1)).sum()
    };
    let row_energy = |p: usize, a: usize, b: usize| -> f32 {
        (a..b).map(|x| diff(p * w + x, (p - 1) * w + x)).sum()
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

/// (Cb, Cr) of pixel (x, y) of `img` (BT.601, as [`super::Chroma`]); read in place.
fn chroma_at(img: &DynamicImage, x: usize, y: usize) -> (f32, f32) {
    let w = img.width() as usize;
    let (r, g, b) = match img {
        DynamicImage::ImageRgb8(buf) => {
            let p = &buf.as_raw()[(y * w + x) * 3..];
            (p[0], p[1], p[2])
        }
        DynamicImage::ImageRgba8(buf) => {
            let p = &buf.as_raw()[(y * w + x) * 4..];
            (p[0], p[1], p[2])
        }
        other => {
            let p = other.get_pixel(x as u32, y as u32);
            (p[0], p[1], p[2])
        }
    };
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    (
        -0.168_736 * r - 0.331_264 * g + 0.5 * b,
        0.5 * r - 0.418_688 * g - 0.081_312 * b,
    )
}

/// Cuts lines whose values span at most `tolerance` levels off each edge of `r`: at most 3 %
/// of a side per edge, and only where the run of flat lines ends at a step of at least `edge`
/// levels (mean absolute difference to the next line): a gutter or a frame line ends at the
/// picture's edge, a flat sky fades into the photo.
pub(crate) fn trim_uniform(img: &LumaImage, r: Rect, tolerance: f32, edge: f32) -> Rect {
    let w = img.width();
    let px = img.as_slice();
    let (x0, x1) = (r.left, r.left + r.width);
    let (y0, y1) = (r.top, r.top + r.height);
    // a line as (start, stride, count) in `px`
    let col = |x: usize| (y0 * w + x, w, y1 - y0);
    let row = |y: usize| (y * w + x0, 1, x1 - x0);
    let vals = |(s, d, n): (usize, usize, usize)| (0..n).map(move |i| px[s + i * d]);
    let flat = |l: (usize, usize, usize)| {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for v in vals(l) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        hi - lo <= tolerance
    };
    let step = |a: (usize, usize, usize), b: (usize, usize, usize)| {
        let sum: f32 = vals(a).zip(vals(b)).map(|(u, v)| (u - v).abs()).sum();
        sum / a.2.max(1) as f32 >= edge
    };
    // how many flat lines to cut from one edge; `line(k)`: the k-th line from that edge
    let cut = |len: usize, line: &dyn Fn(usize) -> (usize, usize, usize)| {
        let max = len * 3 / 100;
        let mut k = 0;
        while k < max && flat(line(k)) {
            k += 1;
        }
        // the run must end within the limit (line k exists: max < len)
        if k > 0 && !flat(line(k)) && step(line(k - 1), line(k)) {
            k
        } else {
            0
        }
    };
    let l = cut(r.width, &|k| col(x0 + k));
    let rr = cut(r.width, &|k| col(x1 - 1 - k));
    let t = cut(r.height, &|k| row(y0 + k));
    let b = cut(r.height, &|k| row(y1 - 1 - k));
    Rect {
        left: x0 + l,
        top: y0 + t,
        width: r.width - l - rr,
        height: r.height - t - b,
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

    /// The picture of 150×100 at (60, 40) with a gutter of 3 in a 300×200 canvas, and its
    /// rectangle.
    fn pasted() -> (LumaImage, Rect) {
        let truth = Rect {
            left: 60,
            top: 40,
            width: 150,
            height: 100,
        };
        (layout(300, 200, 60, 40, 150, 100, 3), truth)
    }

    #[test]
    fn a_rough_rectangle_moves_onto_the_edges_and_loses_its_gutter() {
        let (img, truth) = pasted();
        // off by up to 4 pixels on each side, in both directions
        for (dl, dt, dr, db) in [(-4, 3, 2, -3), (3, -4, -2, 4), (0, 0, 4, 4)] {
            let rough = Rect {
                left: (60 + dl) as usize,
                top: (40 + dt) as usize,
                width: (150 - dl + dr) as usize,
                height: (100 - dt + db) as usize,
            };
            let r = trim_uniform(&img, refine(&img, rough, 5, None), 12.0, 8.0);
            assert_eq!(r, truth, "from {rough:?}");
        }
    }

    #[test]
    fn trimming_needs_an_edge_and_stops_at_three_percent() {
        let (img, truth) = pasted();
        assert_eq!(trim_uniform(&img, truth, 12.0, 8.0), truth);
        // the gutter is cut
        let outer = Rect {
            left: 57,
            top: 37,
            width: 156,
            height: 106,
        };
        assert_eq!(trim_uniform(&img, outer, 12.0, 8.0), truth);
        // a flat band fading into texture (a sky) is kept
        let (w, h) = (200, 200);
        let sky = LumaImage::from_f32(
            w,
            h,
            (0..w * h)
                .map(|k| {
                    let (x, y) = (k % w, k / w);
                    let a = (y as f32 / 40.0).min(1.0);
                    130.0 * (1.0 - a) + a * noise(x, y)
                })
                .collect(),
        )
        .unwrap();
        let all = Rect {
            left: 0,
            top: 0,
            width: w,
            height: h,
        };
        assert_eq!(trim_uniform(&sky, all, 12.0, 8.0), all);
    }
}
