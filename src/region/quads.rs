//! Finding a picture seen at an angle: the quadrilateral bounded by four long straight edges,
//! each within a few degrees of the image axes (a photo of a screen or a print taken a little
//! off-axis: its sides slant, so the axis-aligned detector of [`super::find_regions`] does not
//! see them).
//!
//! On an area-averaged working copy (at most [`QuadConfig::work_side`] pixels on the longer
//! side), every line from the top border to the bottom border whose ends differ by at most
//! [`QuadConfig::max_slant`] of the height is scored by the longest run of rows where the
//! horizontal step across it keeps one sign and is at least [`QuadConfig::step`] levels (and
//! likewise for rows). The strongest lines of each side of the image (the image border counts
//! as a line) are combined into quadrilaterals whose four sides are each covered by their
//! line's run along most of their length; the best-supported ones are returned, mapped back to
//! full resolution. A quad that is an axis-aligned rectangle is left to the rectangle
//! detector.

use serde::{Deserialize, Serialize};

use super::edges::reduce;
use super::quad::Quad;
use crate::luma::LumaImage;

/// Settings of [`find_quads`].
///
/// ```
/// use mediamatch::region::QuadConfig;
/// let c = QuadConfig::default();
/// assert_eq!(c.max_quads, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuadConfig {
    /// Longer side of the working copy, pixels.
    pub work_side: usize,
    /// Largest slant of a side: the ends of a near-vertical line differ by at most this
    /// fraction of the image height in x (0.2: about 11°).
    pub max_slant: f32,
    /// Least step across a line, luma levels, for a row (column) to support it.
    pub step: f32,
    /// Candidate lines kept per side of the image.
    pub lines_per_side: usize,
    /// Least share of each side of a quad covered by its line's run.
    pub min_cover: f32,
    /// Least area of a quad, as a share of the image.
    pub min_area: f32,
    /// Most quads returned.
    pub max_quads: usize,
}

impl Default for QuadConfig {
    fn default() -> Self {
        QuadConfig {
            work_side: 192,
            max_slant: 0.2,
            step: 10.0,
            lines_per_side: 6,
            min_cover: 0.75,
            min_area: 0.2,
            max_quads: 2,
        }
    }
}

/// A near-vertical line `x = a + (b − a) · y / (n − 1)` on the working copy (for rows the roles
/// of x and y swap), with its supporting run of rows `run.0..run.1`.
#[derive(Clone, Copy, Debug)]
struct Line {
    a: f32,
    b: f32,
    run: (usize, usize),
    score: f32,
}

impl Line {
    fn at(&self, t: f32, n: usize) -> f32 {
        self.a + (self.b - self.a) * t / (n.max(2) - 1) as f32
    }
}

/// Candidate quadrilaterals (full-resolution corners), best first; empty when none passes.
///
/// ```
/// use mediamatch::region::{find_quads, warp_into, Edge, Quad, QuadConfig};
/// use mediamatch::LumaImage;
/// // a textured picture shown as a keystone (top side 20 % shorter) inside a grey canvas
/// let (w, h) = (160usize, 120usize);
/// let pic: Vec<f32> = (0..w * h)
///     .map(|k| 140.0 + 60.0 * (((k % w) as f32) * 0.21).sin() * (((k / w) as f32) * 0.17).cos())
///     .collect();
/// let pic = LumaImage::from_f32(w, h, pic)?;
/// let mut q = Quad::keystone(120.0, 90.0, Edge::Top, 0.2);
/// for c in q.corners.iter_mut() { c.0 += 20.0; c.1 += 15.0; }
/// let shot = warp_into(&pic, &q, w, h, 20.0).unwrap();
/// let found = find_quads(&shot, &QuadConfig::default());
/// let best = found.first().expect("a quad");
/// for (a, b) in best.corners.iter().zip(&q.corners) {
///     assert!((a.0 - b.0).abs() < 3.0 && (a.1 - b.1).abs() < 3.0, "{a:?} vs {b:?}");
/// }
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn find_quads(img: &LumaImage, cfg: &QuadConfig) -> Vec<Quad> {
    let (w, h) = (img.width(), img.height());
    if w < 16 || h < 16 {
        return Vec::new();
    }
    let work = reduce(img, cfg.work_side.max(16));
    let (ww, wh) = (work.width(), work.height());
    let px = work.as_slice();
    // near-vertical lines: step across x; near-horizontal: the transposed problem
    let vert = lines(ww, wh, cfg, |x, y| px[y * ww + x]);
    let horiz = lines(wh, ww, cfg, |y, x| px[y * ww + x]);
    let half = |ls: &[Line], n_across: usize, n_along: usize, low: bool| -> Vec<Line> {
        let mid = |l: &Line| l.at((n_along - 1) as f32 / 2.0, n_along);
        let mut side: Vec<Line> = ls
            .iter()
            .filter(|l| (mid(l) < n_across as f32 / 2.0) == low)
            .copied()
            .collect();
        // the image border is a line supported all along
        let border = if low { 0.0 } else { (n_across - 1) as f32 };
        side.push(Line {
            a: border,
            b: border,
            run: (0, n_along),
            score: 0.0,
        });
        side
    };
    let lefts = half(&vert, ww, wh, true);
    let rights = half(&vert, ww, wh, false);
    let tops = half(&horiz, wh, ww, true);
    let bottoms = half(&horiz, wh, ww, false);
    // a uniform band inside a side (a screen's bezel, a frame) is not part of the picture:
    // each line stands for the inner line of such a band
    let peeled = |ls: &[Line], low: bool, n_across: usize, n_along: usize, tr: bool| {
        let mut out: Vec<Line> = ls
            .iter()
            .map(|l| peel(l, ls, low, n_across, n_along, &work, tr))
            .collect();
        out.dedup_by(|p, q| p.a == q.a && p.b == q.b);
        out
    };
    let lefts = peeled(&lefts, true, ww, wh, false);
    let rights = peeled(&rights, false, ww, wh, false);
    let tops = peeled(&tops, true, wh, ww, true);
    let bottoms = peeled(&bottoms, false, wh, ww, true);
    let mut found: Vec<(f32, Quad)> = Vec::new();
    for l in &lefts {
        for r in &rights {
            for t in &tops {
                for b in &bottoms {
                    if let Some(q) = assemble(l, r, t, b, ww, wh, cfg) {
                        found.push(q);
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (sx, sy) = (w as f32 / ww as f32, h as f32 / wh as f32);
    let mut out: Vec<Quad> = Vec::new();
    for (_, q) in found {
        if out.len() >= cfg.max_quads {
            break;
        }
        let full = Quad {
            corners: q.corners.map(|(x, y)| (x * sx, y * sy)),
        };
        let near = |a: &Quad| {
            a.corners
                .iter()
                .zip(&full.corners)
                .all(|(p, c)| (p.0 - c.0).abs() <= 2.0 * sx && (p.1 - c.1).abs() <= 2.0 * sy)
        };
        if !out.iter().any(near) {
            out.push(full);
        }
    }
    out
}

/// The strongest near-vertical lines of an `n_x`×`n_y` image given by `at(x, y)`, at most
/// `cfg.lines_per_side` per half, each not within two pixels (at both ends) of a stronger one.
fn lines(n_x: usize, n_y: usize, cfg: &QuadConfig, at: impl Fn(usize, usize) -> f32) -> Vec<Line> {
    let d = ((n_y as f32 * cfg.max_slant).round() as i64).max(0);
    let min_run = (n_y as f32 * 0.3) as usize;
    let mut all: Vec<Line> = Vec::new();
    let mut signs = vec![0i8; n_y];
    let mut mags = vec![0f32; n_y];
    // the step across x at every pixel (two pixels on each side), computed once: every
    // candidate line reads it where it crosses each row
    let mut grad = vec![0f32; n_x * n_y];
    for y in 0..n_y {
        for xi in 2..n_x.saturating_sub(2) {
            let lo = (at(xi - 2, y) + at(xi - 1, y)) / 2.0;
            let hi = (at(xi + 1, y) + at(xi + 2, y)) / 2.0;
            grad[y * n_x + xi] = hi - lo;
        }
    }
    // where a line of slope `s` (its ends `s` pixels apart) crosses row y, relative to its
    // top end: `s · y / (n_y − 1)` rounded half up (the line's x is positive, so this is the
    // nearest pixel, halves away from zero), in exact integers
    let den = (n_y.max(2) - 1) as i64;
    let offsets: Vec<Vec<i64>> = (-d..=d)
        .map(|s| {
            (0..n_y as i64)
                .map(|y| (2 * s * y + den).div_euclid(2 * den))
                .collect()
        })
        .collect();
    for a in 2..n_x as i64 - 2 {
        for b in (a - d).max(2)..=(a + d).min(n_x as i64 - 3) {
            if a == b && (a <= 3 || a >= n_x as i64 - 4) {
                continue;
            }
            let mut ons = [0usize; 2];
            let off = &offsets[(b - a + d) as usize];
            for y in 0..n_y {
                let g = grad[y * n_x + (a + off[y]) as usize];
                mags[y] = g.abs();
                signs[y] = if g >= cfg.step {
                    ons[0] += 1;
                    1
                } else if g <= -cfg.step {
                    ons[1] += 1;
                    -1
                } else {
                    0
                };
            }
            // the longest run of one sign, gaps of up to two rows bridged: at least a third of
            // a run's rows are on, so a sign with fewer rows on has no run of `min_run`
            let (mut best, mut best_run) = (0f32, (0, 0));
            for (sign, on_rows) in [(1i8, ons[0]), (-1, ons[1])] {
                if 3 * on_rows < min_run {
                    continue;
                }
                let (mut start, mut sum, mut gap, mut last) = (None, 0f32, 0usize, 0usize);
                for y in 0..=n_y {
                    let on = y < n_y && signs[y] == sign;
                    if on {
                        if start.is_none() {
                            start = Some(y);
                            sum = 0.0;
                        }
                        sum += mags[y];
                        gap = 0;
                        last = y + 1;
                    } else if let Some(s) = start {
                        gap += 1;
                        if gap > 2 || y == n_y {
                            if last - s >= min_run && sum > best {
                                best = sum;
                                best_run = (s, last);
                            }
                            start = None;
                        }
                    }
                }
            }
            if best > 0.0 {
                all.push(Line {
                    a: a as f32,
                    b: b as f32,
                    run: best_run,
                    score: best,
                });
            }
        }
    }
    all.sort_by(|p, q| q.score.total_cmp(&p.score));
    let mut kept: Vec<Line> = Vec::new();
    let (mut low, mut high) = (0, 0);
    let mid = (n_y - 1) as f32 / 2.0;
    for l in all {
        let is_low = l.at(mid, n_y) < n_x as f32 / 2.0;
        if (is_low && low >= cfg.lines_per_side) || (!is_low && high >= cfg.lines_per_side) {
            continue;
        }
        if kept
            .iter()
            .any(|k| (k.a - l.a).abs() <= 2.0 && (k.b - l.b).abs() <= 2.0)
        {
            continue;
        }
        if is_low {
            low += 1;
        } else {
            high += 1;
        }
        kept.push(l);
    }
    kept
}

/// The line of `side` (same family as `line`) just inside it — within 10 % of the image's
/// extent across, nearly parallel — when the band between the two is uniform (a bezel or a
/// frame); else `line` itself. `low`: the side is the left (top) one, so inside is towards
/// larger coordinates. `transposed`: the lines are rows (x and y swap).
fn peel(
    line: &Line,
    side: &[Line],
    low: bool,
    n_across: usize,
    n_along: usize,
    work: &LumaImage,
    transposed: bool,
) -> Line {
    let px = work.as_slice();
    let ww = work.width();
    let get = |across: usize, along: usize| {
        if transposed {
            px[across * ww + along]
        } else {
            px[along * ww + across]
        }
    };
    let max_in = n_across as f32 * 0.1;
    let dir = if low { 1.0 } else { -1.0 };
    let mut best: Option<Line> = None;
    for c in side {
        let (da, db) = ((c.a - line.a) * dir, (c.b - line.b) * dir);
        if !(da >= 2.0 && db >= 2.0 && da <= max_in && db <= max_in && (da - db).abs() <= 3.0) {
            continue;
        }
        // the band between the lines, away from both edges, along the middle 80 % of the
        // inner line's run (the band need not go on past the picture)
        let (mut n, mut sum, mut sq) = (0f64, 0f64, 0f64);
        let run = c.run.1.saturating_sub(c.run.0);
        let (s0, s1) = (c.run.0 + run / 10, c.run.1 - run / 10);
        for t in s0..s1 {
            let (o, i) = (line.at(t as f32, n_along), c.at(t as f32, n_along));
            let (lo, hi) = (o.min(i) + 1.5, o.max(i) - 1.5);
            let mut x = lo.ceil();
            while x <= hi {
                let xi = x as usize;
                if xi < n_across {
                    let v = f64::from(get(xi, t));
                    n += 1.0;
                    sum += v;
                    sq += v * v;
                }
                x += 1.0;
            }
        }
        if n < (s1 - s0) as f64 * 0.5 {
            continue;
        }
        let mean = sum / n;
        let sd = (sq / n - mean * mean).max(0.0).sqrt();
        let inner_most = best.is_none_or(|b| (c.a - b.a) * dir > 0.0);
        if sd <= 8.0 && inner_most {
            best = Some(*c);
        }
    }
    best.unwrap_or(*line)
}

/// The quad bounded by near-vertical lines `l`, `r` and near-horizontal `t`, `b` (on a
/// `w`×`h` working copy), with its score, if every side is covered by its line's run.
fn assemble(
    l: &Line,
    r: &Line,
    t: &Line,
    b: &Line,
    w: usize,
    h: usize,
    cfg: &QuadConfig,
) -> Option<(f32, Quad)> {
    let axis = |x: &Line| x.a == x.b;
    if axis(l) && axis(r) && axis(t) && axis(b) {
        return None;
    }
    // intersection of x = v(y) (vertical family) and y = u(x) (horizontal family), by iteration
    let meet = |v: &Line, u: &Line| -> (f32, f32) {
        let mut y = u.at(v.a, w);
        let mut x = v.at(y, h);
        for _ in 0..4 {
            y = u.at(x, w);
            x = v.at(y, h);
        }
        (x, y)
    };
    let corners = [meet(l, t), meet(r, t), meet(r, b), meet(l, b)];
    let inside = |&(x, y): &(f32, f32)| {
        x >= -1.0 && y >= -1.0 && x <= w as f32 && y <= h as f32 && x.is_finite() && y.is_finite()
    };
    if !corners.iter().all(inside) {
        return None;
    }
    // convex and of a sensible size
    let area = {
        let mut s = 0.0;
        for i in 0..4 {
            let (p, q) = (corners[i], corners[(i + 1) % 4]);
            s += p.0 * q.1 - q.0 * p.1;
        }
        s / 2.0
    };
    if area < cfg.min_area * (w * h) as f32 {
        return None;
    }
    for i in 0..4 {
        let (p, q, r2) = (corners[i], corners[(i + 1) % 4], corners[(i + 2) % 4]);
        let cross = (q.0 - p.0) * (r2.1 - q.1) - (q.1 - p.1) * (r2.0 - q.0);
        if cross <= 0.0 {
            return None;
        }
    }
    // each side covered by its line's run: the run's share of the side's span
    let cover = |line: &Line, s0: f32, s1: f32| -> f32 {
        let (lo, hi) = (s0.min(s1), s0.max(s1));
        let overlap = (line.run.1 as f32).min(hi) - (line.run.0 as f32).max(lo);
        (overlap / (hi - lo).max(1.0)).max(0.0)
    };
    let covers = [
        cover(l, corners[0].1, corners[3].1),
        cover(r, corners[1].1, corners[2].1),
        cover(t, corners[0].0, corners[1].0),
        cover(b, corners[3].0, corners[2].0),
    ];
    if covers.iter().any(|&c| c < cfg.min_cover) {
        return None;
    }
    let score = l.score + r.score + t.score + b.score;
    Some((score, Quad { corners }))
}
