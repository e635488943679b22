//! Rectangles bounded by long straight edges: a picture placed on a canvas (caption bars,
//! frames, screenshot chrome), pasted onto another picture, or one cell of a collage.
//!
//! The image is first reduced by area averaging to at most [`RegionConfig::work_side`] pixels
//! on its longer side (a copy smaller than the decoded image). A *step* is a pixel where the
//! difference across a candidate line (of the means of [`RegionConfig::span`] pixels on each
//! side; luma, or colour with [`RegionConfig::chroma`]) is at least
//! [`RegionConfig::step`] levels and the largest of the differences within two pixels: edges
//! of content are sharp and localised, texture is not consistent along a line. A line is a
//! column (or row) whose steps are much denser than those of the columns beside it; a
//! rectangle is accepted when each of its four sides (an image border counts as a perfect side)
//! is covered by steps along most of its length.

use super::letterbox::Rect;
use super::RegionConfig;
use crate::luma::LumaImage;

/// The working copy: area-averaged, at most `side` pixels on the longer side.
pub(crate) fn reduce(img: &LumaImage, side: usize) -> LumaImage {
    let (w, h) = (img.width(), img.height());
    let long = w.max(h);
    if long <= side || side == 0 {
        return img.clone();
    }
    let tw = (w * side / long).max(1);
    let th = (h * side / long).max(1);
    let src = img.as_slice();
    let mut out = Vec::with_capacity(tw * th);
    for ty in 0..th {
        let (y0, y1) = (ty * h / th, ((ty + 1) * h / th).max(ty * h / th + 1));
        for tx in 0..tw {
            let (x0, x1) = (tx * w / tw, ((tx + 1) * w / tw).max(tx * w / tw + 1));
            let mut sum = 0.0f64;
            for y in y0..y1 {
                for &v in &src[y * w + x0..y * w + x1] {
                    sum += f64::from(v);
                }
            }
            out.push((sum / ((y1 - y0) * (x1 - x0)) as f64) as f32);
        }
    }
    LumaImage::from_f32(tw, th, out).unwrap_or_else(|_| img.clone())
}

/// Steps across lines of one orientation, as prefix counts: `count(line, a, b)` is the number
/// of steps on `line` between positions `a..b` along it.
pub(crate) struct Steps {
    /// Number of lines (positions 1..n are boundaries between pixel n-1 and n).
    lines: usize,
    /// Length of each line.
    len: usize,
    /// `prefix[line * (len + 1) + i]`: steps at positions `0..i` of `line`.
    prefix: Vec<u32>,
}

impl Steps {
    /// `diff(line, pos)`: absolute luma difference across boundary `line` at `pos`
    /// (`1 <= line < lines`).
    pub(crate) fn new(
        lines: usize,
        len: usize,
        step: f32,
        diff: impl Fn(usize, usize) -> f32,
    ) -> Steps {
        let mut prefix = vec![0u32; lines * (len + 1)];
        for line in 1..lines {
            let base = line * (len + 1);
            for pos in 0..len {
                let d = diff(line, pos);
                let mut is_step = d >= step;
                if is_step {
                    for o in [
                        line.wrapping_sub(2),
                        line.wrapping_sub(1),
                        line + 1,
                        line + 2,
                    ] {
                        if (1..lines).contains(&o) {
                            let e = diff(o, pos);
                            // ties go to the earlier line
                            if e > d || (e == d && o < line) {
                                is_step = false;
                                break;
                            }
                        }
                    }
                }
                prefix[base + pos + 1] = prefix[base + pos] + u32::from(is_step);
            }
        }
        Steps { lines, len, prefix }
    }

    fn count(&self, line: usize, a: usize, b: usize) -> u32 {
        let base = line * (self.len + 1);
        self.prefix[base + b] - self.prefix[base + a]
    }

    /// Coverage of `line` over `a..b`; the image borders (0 and `lines`) are perfect.
    fn coverage(&self, line: usize, a: usize, b: usize) -> f32 {
        if line == 0 || line >= self.lines || b <= a {
            return 1.0;
        }
        self.count(line, a, b) as f32 / (b - a) as f32
    }

    /// Candidate lines: local maxima of the step count over a window of `window` positions
    /// along the line (the best-placed window per line; `len` for full-length lines) that
    /// stand out from the lines around them over the same window, strongest first, at most
    /// `max`; a line's density over its window must be at least `min_density`.
    fn candidates(&self, window: usize, min_density: f32, max: usize) -> Vec<usize> {
        self.candidate_windows(window, min_density, max)
            .into_iter()
            .map(|(l, _)| l)
            .collect()
    }

    /// The ends of the run of steps on `line` that contains positions `a..b`: extended on
    /// each side over gaps of at most `gap` positions without a step. The ends of a pasted
    /// picture's side are its corners, where the perpendicular sides lie.
    fn run_ends(&self, line: usize, a: usize, b: usize, gap: usize) -> (usize, usize) {
        let step_at = |p: usize| self.count(line, p, p + 1) > 0;
        let (mut s, mut e) = (a, b.min(self.len));
        // the run's first and last step inside the window
        while s < e && !step_at(s) {
            s += 1;
        }
        while e > s && !step_at(e - 1) {
            e -= 1;
        }
        while let Some(k) = (1..=gap + 1).find(|&k| s >= k && step_at(s - k)) {
            s -= k;
        }
        while let Some(k) = (0..=gap).find(|&k| e + k < self.len && step_at(e + k)) {
            e += k + 1;
        }
        (s, e)
    }

    /// [`Steps::candidates`] with the start of each line's best window.
    fn candidate_windows(
        &self,
        window: usize,
        min_density: f32,
        max: usize,
    ) -> Vec<(usize, usize)> {
        let window = window.clamp(1, self.len.max(1));
        // per line: the best window's start and count
        let best: Vec<(usize, u32)> = (0..self.lines)
            .map(|l| {
                if l == 0 {
                    return (0, 0);
                }
                (0..=self.len - window)
                    .map(|a| (a, self.count(l, a, a + window)))
                    .fold((0, 0), |b, c| if c.1 > b.1 { c } else { b })
            })
            .collect();
        let mut out: Vec<(u32, usize, usize)> = Vec::new();
        // the first and last lines have too few neighbours to be judged (and are the
        // border for matching purposes)
        for (l, &(a, c)) in best
            .iter()
            .enumerate()
            .take(self.lines.saturating_sub(2))
            .skip(2)
        {
            if (c as f32) < min_density * window as f32 {
                continue;
            }
            let near = |o: isize| -> u32 {
                let k = l as isize + o;
                if k < 1 || k as usize >= self.lines {
                    0
                } else {
                    self.count(k as usize, a, a + window)
                }
            };
            if near(-1) > c || near(1) > c || (near(-1) == c && l > 1) {
                continue;
            }
            // the quieter side: two parallel lines close together (a gutter) each have the
            // other on one side
            let background = near(-4).max(near(-3)).min(near(3).max(near(4)));
            if c >= 2 * background + 2 {
                out.push((c, l, a));
            }
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        out.truncate(max);
        out.into_iter().map(|(_, l, a)| (l, a)).collect()
    }
}

/// A rectangle in working coordinates with its score (the mean coverage of its sides).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scored {
    pub rect: Rect,
    pub score: f32,
    /// How many of its sides are image borders.
    pub borders: u8,
}

/// Rectangles bounded by edges in the working image `img`, best first (see the module docs).
/// With `chroma` (planes of the same size, [`super::Chroma`]) and a
/// [`RegionConfig::chroma`] weight above 0, a step is the colour difference
/// `sqrt(dY² + weight² (dCb² + dCr²))` instead of the luma difference alone.
pub(crate) fn rectangles(
    img: &LumaImage,
    chroma: Option<&super::Chroma>,
    cfg: &RegionConfig,
) -> Vec<Scored> {
    let (w, h) = (img.width(), img.height());
    if w < 16 || h < 16 {
        return Vec::new();
    }
    let px = img.as_slice();
    let span = cfg.span.max(1);
    // mean of `span` pixels after boundary p minus the mean of `span` before it, along one
    // line of `plane` (`at(i)`: the index of pixel i of the line, `n` its length)
    let across = |plane: &[f32], p: usize, n: usize, at: &dyn Fn(usize) -> usize| -> f32 {
        if span == 1 {
            return plane[at(p)] - plane[at(p - 1)];
        }
        let after: f32 = (0..span).map(|k| plane[at((p + k).min(n - 1))]).sum();
        let before: f32 = (0..span).map(|k| plane[at(p.saturating_sub(k + 1))]).sum();
        (after - before) / span as f32
    };
    let colour = chroma
        .filter(|c| cfg.chroma > 0.0 && c.width() == w && c.height() == h)
        .map(|c| c.planes());
    let step = |p: usize, n: usize, at: &dyn Fn(usize) -> usize| -> f32 {
        let dy = across(px, p, n, at);
        match colour {
            None => dy.abs(),
            Some((cb, cr)) => {
                let (db, dr) = (across(cb, p, n, at), across(cr, p, n, at));
                (dy * dy + cfg.chroma * cfg.chroma * (db * db + dr * dr)).sqrt()
            }
        }
    };
    let vert = Steps::new(w, h, cfg.step, |x, y| step(x, w, &|i| y * w + i));
    let horiz = Steps::new(h, w, cfg.step, |y, x| step(y, h, &|i| i * w + x));
    rectangles_in(&vert, &horiz, cfg)
}

/// Rectangles bounded by the steps `vert` (across columns: `vert.lines` is the width) and
/// `horiz` (across rows), best first: the part of [`rectangles`] after the steps are found,
/// for steps of any kind (luma differences, or the temporal decorrelation of
/// [`super::motion`]).
pub(crate) fn rectangles_in(vert: &Steps, horiz: &Steps, cfg: &RegionConfig) -> Vec<Scored> {
    let (w, h) = (vert.lines, horiz.lines);
    if w < 16 || h < 16 || vert.len != h || horiz.len != w {
        return Vec::new();
    }
    let mut xs = vert.candidates(h, cfg.min_line, cfg.max_lines);
    let mut ys = horiz.candidates(w, cfg.min_line, cfg.max_lines);
    if cfg.segment_lines > 0 {
        // lines that are strong over a part only: the sides of a picture pasted on another
        let (sh, sw) = (
            (cfg.min_side * h as f32).ceil() as usize,
            (cfg.min_side * w as f32).ceil() as usize,
        );
        let vs = vert.candidate_windows(sh, cfg.segment_density, cfg.segment_lines);
        let hs = horiz.candidate_windows(sw, cfg.segment_density, cfg.segment_lines);
        xs.extend(vs.iter().map(|&(l, _)| l));
        ys.extend(hs.iter().map(|&(l, _)| l));
        if cfg.run_ends > 0 {
            // where such a side's run of steps ends, the perpendicular side may be too weak
            // to stand out as a line of its own: its ends are candidates across
            for &(l, a) in &vs {
                let (s, e) = vert.run_ends(l, a, a + sh, cfg.run_ends);
                ys.extend([s, e]);
            }
            for &(l, a) in &hs {
                let (s, e) = horiz.run_ends(l, a, a + sw, cfg.run_ends);
                xs.extend([s, e]);
            }
        }
    }
    xs.extend([0, w]);
    ys.extend([0, h]);
    xs.sort_unstable();
    ys.sort_unstable();
    xs.dedup();
    ys.dedup();
    let min_w = (cfg.min_side * w as f32).ceil() as usize;
    let min_h = (cfg.min_side * h as f32).ceil() as usize;
    let mut out = Vec::new();
    for (i, &xl) in xs.iter().enumerate() {
        for &xr in &xs[i + 1..] {
            if xr - xl < min_w {
                continue;
            }
            for (j, &yt) in ys.iter().enumerate() {
                for &yb in &ys[j + 1..] {
                    if yb - yt < min_h || (xl == 0 && yt == 0 && xr == w && yb == h) {
                        continue;
                    }
                    let sides = [
                        vert.coverage(xl, yt, yb),
                        vert.coverage(xr, yt, yb),
                        horiz.coverage(yt, xl, xr),
                        horiz.coverage(yb, xl, xr),
                    ];
                    let min = sides.iter().copied().fold(f32::INFINITY, f32::min);
                    if min < cfg.min_coverage {
                        continue;
                    }
                    out.push(score_rect(
                        vert,
                        horiz,
                        Rect {
                            left: xl,
                            top: yt,
                            width: xr - xl,
                            height: yb - yt,
                        },
                    ));
                }
            }
        }
    }
    let by_score = |a: &Scored, b: &Scored| {
        b.score
            .total_cmp(&a.score)
            .then((b.rect.width * b.rect.height).cmp(&(a.rect.width * a.rect.height)))
    };
    out.sort_by(by_score);
    if cfg.fit_sides > 0 {
        let seeds: Vec<Scored> = out.iter().take(cfg.fit_sides).copied().collect();
        for seed in seeds {
            let r = fit_sides(vert, horiz, seed.rect, (min_w, min_h));
            let fitted = score_rect(vert, horiz, r);
            // a fit that scores no better than its seed is not a better rectangle
            if fitted.score > seed.score && !out.iter().any(|s| s.rect == r) {
                out.push(fitted);
            }
        }
        out.sort_by(by_score);
    }
    out
}

/// Smallest coverage of the line a side is moved onto by [`fit_sides`].
const FIT_COVERAGE: f32 = 0.7;

/// `seed` with each side in turn (two rounds) moved onto the inner line best covered by steps
/// over exactly the span between the two perpendicular sides, when that line is covered at
/// least [`FIT_COVERAGE`] and better than the side where it is (an image border counts as
/// 0.9: measured on the dev corpus's layouts, counting it as [`FIT_COVERAGE`] lost two
/// collage copies and gained one caption copy). A pasted picture's side is a line over its own length only: where the picture's
/// side is not one of the candidate lines (texture around it has stronger ones), three sides
/// found (or a side on a neighbouring line of the background) give the fourth.
fn fit_sides(vert: &Steps, horiz: &Steps, seed: Rect, (min_w, min_h): (usize, usize)) -> Rect {
    let (w, h) = (vert.lines, horiz.lines);
    let (mut xl, mut xr) = (seed.left, seed.left + seed.width);
    let (mut yt, mut yb) = (seed.top, seed.top + seed.height);
    // the best inner line in `range` over `a..b`, if it beats `current`
    let best =
        |steps: &Steps, range: std::ops::Range<usize>, a: usize, b: usize, current: usize| {
            let here = if current == 0 || current >= steps.lines {
                0.9
            } else {
                steps.coverage(current, a, b)
            };
            range
                .filter(|&p| p > 0 && p < steps.lines && p != current)
                .map(|p| (p, steps.coverage(p, a, b)))
                .filter(|&(_, c)| c >= FIT_COVERAGE && c > here)
                .fold(None, |acc: Option<(usize, f32)>, x| match acc {
                    Some(a) if a.1 >= x.1 => Some(a),
                    _ => Some(x),
                })
                .map(|(p, _)| p)
        };
    for _ in 0..2 {
        if let Some(p) = best(vert, 0..xr.saturating_sub(min_w) + 1, yt, yb, xl) {
            xl = p;
        }
        if let Some(p) = best(vert, xl + min_w..w + 1, yt, yb, xr) {
            xr = p;
        }
        if let Some(p) = best(horiz, 0..yb.saturating_sub(min_h) + 1, xl, xr, yt) {
            yt = p;
        }
        if let Some(p) = best(horiz, yt + min_h..h + 1, xl, xr, yb) {
            yb = p;
        }
    }
    Rect {
        left: xl,
        top: yt,
        width: xr - xl,
        height: yb - yt,
    }
}

/// The score of a rectangle: the mean of its sides' coverage, an image border counting as 0.9
/// (a rectangle bounded by four strong lines beats one that leans on the borders).
fn score_rect(vert: &Steps, horiz: &Steps, r: Rect) -> Scored {
    let (w, h) = (vert.lines, horiz.lines);
    let (xl, xr, yt, yb) = (r.left, r.left + r.width, r.top, r.top + r.height);
    let sides = [
        (xl == 0, vert.coverage(xl, yt, yb)),
        (xr == w, vert.coverage(xr, yt, yb)),
        (yt == 0, horiz.coverage(yt, xl, xr)),
        (yb == h, horiz.coverage(yb, xl, xr)),
    ];
    let borders = sides.iter().filter(|s| s.0).count() as u8;
    let inner: f32 = sides.iter().filter(|s| !s.0).map(|s| s.1).sum();
    Scored {
        rect: r,
        score: (inner + 0.9 * f32::from(borders)) / 4.0,
        borders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded noise around mid-grey: texture without straight lines.
    fn texture(x: usize, y: usize) -> f32 {
        let mut z = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((y as u64) << 32);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % 80) as f32 + 90.0
    }

    /// A seed with its right side on a background line and its bottom on the image border
    /// is fitted onto the picture's own sides: the lines best covered over exactly its span.
    #[test]
    fn fit_sides_moves_sides_onto_the_picture() {
        let (w, h) = (200, 150);
        let (l, t, cw, ch) = (40, 30, 100, 70);
        // the picture on a dark background, and a background edge at x = 148 over the full
        // height, dashed (covered 3/4: better than the picture's side over the seed's span,
        // worse over the picture's)
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if (l..l + cw).contains(&x) && (t..t + ch).contains(&y) {
                    texture(x, y)
                } else if x >= 148 && (y / 4) % 4 != 0 {
                    200.0
                } else {
                    0.0
                }
            })
            .collect();
        let img = LumaImage::from_f32(w, h, data).unwrap();
        let steps = |x: usize, y: usize| -> f32 {
            let p = img.as_slice();
            (p[y * w + x] - p[y * w + x - 1]).abs()
        };
        let vert = Steps::new(w, h, 6.0, steps);
        let horiz = Steps::new(h, w, 6.0, |y, x| {
            let p = img.as_slice();
            (p[y * w + x] - p[(y - 1) * w + x]).abs()
        });
        let seed = Rect {
            left: l,
            top: t,
            width: 148 - l,
            height: h - t,
        };
        let fitted = fit_sides(&vert, &horiz, seed, (50, 37));
        assert_eq!(
            fitted,
            Rect {
                left: l,
                top: t,
                width: cw,
                height: ch
            }
        );
        // a seed already on the picture stays
        assert_eq!(fit_sides(&vert, &horiz, fitted, (50, 37)), fitted);
    }

    #[test]
    fn pasted_picture_is_found_exactly() {
        let (w, h) = (200, 150);
        let (l, t, cw, ch) = (50, 30, 110, 80);
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if (l..l + cw).contains(&x) && (t..t + ch).contains(&y) {
                    texture(x, y)
                } else {
                    40.0 + 0.2 * x as f32
                }
            })
            .collect();
        let img = LumaImage::from_f32(w, h, data).unwrap();
        let r = rectangles(&img, None, &RegionConfig::default());
        assert_eq!(
            r[0].rect,
            Rect {
                left: l,
                top: t,
                width: cw,
                height: ch
            }
        );
        assert_eq!(r[0].borders, 0);
    }

    #[test]
    fn plain_texture_gives_no_inner_rectangle() {
        let (w, h) = (160, 120);
        let img =
            LumaImage::from_f32(w, h, (0..w * h).map(|k| texture(k % w, k / w)).collect()).unwrap();
        let found = rectangles(&img, None, &RegionConfig::default());
        assert!(found.is_empty(), "{:?}", found.first());
    }

    /// A run of steps with gaps: joined over gaps of up to `gap` positions without a step,
    /// ended at the last step before a longer gap (the corner of a pasted picture), found from
    /// any window inside it.
    #[test]
    fn run_ends_join_short_gaps_and_stop_at_long_ones() {
        // one line (line 1) of length 40: steps at 5..9, 11..20 (a gap of 2 at 9..11), 23
        // (a gap of 3) and 30 (a gap of 6)
        let on = |p: usize| (5..9).contains(&p) || (11..20).contains(&p) || p == 23 || p == 30;
        let s = Steps::new(
            3,
            40,
            1.0,
            |line, pos| {
                if line == 1 && on(pos) {
                    10.0
                } else {
                    0.0
                }
            },
        );
        assert_eq!(s.run_ends(1, 12, 16, 1), (11, 20));
        assert_eq!(s.run_ends(1, 12, 16, 2), (5, 20));
        assert_eq!(s.run_ends(1, 12, 16, 3), (5, 24));
        assert_eq!(s.run_ends(1, 12, 16, 5), (5, 24));
        assert_eq!(s.run_ends(1, 12, 16, 6), (5, 31));
        // a window that starts on a gap is trimmed to its steps first
        assert_eq!(s.run_ends(1, 9, 12, 1), (11, 20));
    }

    #[test]
    fn reduce_averages_blocks() {
        let img = LumaImage::from_f32(4, 2, vec![0.0, 2.0, 4.0, 6.0, 2.0, 4.0, 6.0, 8.0]).unwrap();
        let r = reduce(&img, 2);
        assert_eq!((r.width(), r.height()), (2, 1));
        assert_eq!(r.as_slice(), &[2.0, 6.0]);
    }
}
