//! Boundaries between independent motions: a video shown inside another video.
//!
//! A picture-in-picture copy, a reaction video or footage pasted over other footage puts the
//! known video in a window whose border need not be visible in any one frame: both sides may
//! have the same brightness there, and a single frame of busy footage is full of edges. Over
//! time the border gives itself away: two neighbouring pixels of one video change together
//! (the same objects move over both, the same cuts and fades hit both), two neighbouring
//! pixels on either side of the window's border change independently.
//!
//! [`MotionStats`] accumulates, over equally-sized 8-bit frames, each pixel's sum and sum of
//! squares and the products with its right and lower neighbours. The *decorrelation* of two
//! neighbours `p`, `q` is `E[(a − b)²] / (E[a²] + E[b²] + 2σ²)`, with `a`, `b` their
//! deviations from their own temporal means and `σ` a noise level: about 0 for neighbours that
//! change together (or not at all), about 1 for independent ones (or a moving pixel next to a
//! static one: a window over a still background, a static bar next to moving content). The
//! decorrelation across each column and row boundary then takes the place of the luma
//! differences in the straight-line rectangle search of [`super::find_regions`] (a *step* is a
//! boundary pixel whose decorrelation is at least [`MotionConfig::step`] and the largest within
//! two pixels), so a window is a rectangle whose four sides are covered by such steps.
//!
//! ```
//! use mediamatch::region::{MotionConfig, MotionStats};
//! // a 64x48 window at (40, 30) of a 160x120 video, its content and the background
//! // changing independently from frame to frame
//! let (w, h) = (160usize, 120usize);
//! let frames: Vec<Vec<u8>> = (0..24u32)
//!     .map(|t| {
//!         (0..w * h)
//!             .map(|k| {
//!                 let (x, y) = (k % w, k / w);
//!                 let inside = (40..104).contains(&x) && (30..78).contains(&y);
//!                 let phase = if inside { t * 7 % 24 } else { t * 5 % 24 } as f32;
//!                 let v = (x as f32 * 0.05 + y as f32 * 0.04 + phase).sin();
//!                 (128.0 + 90.0 * v) as u8
//!             })
//!             .collect()
//!     })
//!     .collect();
//! let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
//! let stats = MotionStats::from_frames(w, h, &refs)?;
//! let found = stats.regions(&MotionConfig::default());
//! let r = found[0].rect;
//! assert_eq!((r.left, r.top, r.width, r.height), (40, 30, 64, 48));
//! Ok::<(), mediamatch::Error>(())
//! ```

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::edges::{rectangles_in, Steps};
use super::{iou, Region, RegionConfig, RegionKind};
use crate::error::{Error, Result};

/// Settings of [`MotionStats::regions`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MotionConfig {
    /// Fewest frames for a decision (fewer: no regions).
    pub min_frames: u64,
    /// Noise level `σ` of the decorrelation, in luma levels: pixels that vary by less are
    /// treated as static.
    pub noise: f32,
    /// Smallest decorrelation (0..=2) of a step.
    pub step: f32,
    /// Smallest density of steps along a whole line for it to be a candidate line.
    pub min_line: f32,
    /// Smallest density of steps over a window of [`MotionConfig::min_side`] of a line.
    pub segment_density: f32,
    /// Smallest coverage of each side of a rectangle by steps.
    pub min_coverage: f32,
    /// Smallest side of a rectangle, as a fraction of the frame's side.
    pub min_side: f32,
    /// Most regions returned.
    pub max_regions: usize,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig {
            min_frames: 8,
            noise: 3.0,
            step: 0.35,
            min_line: 0.2,
            segment_density: 0.6,
            min_coverage: 0.6,
            min_side: 0.25,
            max_regions: 6,
        }
    }
}

/// Per-pixel temporal statistics of equally-sized 8-bit frames (see the module docs).
#[derive(Clone, Debug)]
pub struct MotionStats {
    width: usize,
    height: usize,
    frames: u64,
    /// Per pixel: Σ v.
    sum: Vec<u64>,
    /// Per pixel: Σ v².
    sq: Vec<u64>,
    /// Per pixel: Σ v·v(right neighbour) (the last column is 0).
    right: Vec<u64>,
    /// Per pixel: Σ v·v(lower neighbour) (the last row is 0).
    down: Vec<u64>,
}

impl MotionStats {
    /// The statistics of `frames`, each `width × height` bytes in rows (a frame of another
    /// size is an error). Rows are accumulated in parallel on the current rayon pool.
    pub fn from_frames(width: usize, height: usize, frames: &[&[u8]]) -> Result<MotionStats> {
        let n = width
            .checked_mul(height)
            .ok_or_else(|| Error::invalid("motion statistics: frame size overflows"))?;
        if let Some(f) = frames.iter().find(|f| f.len() != n) {
            return Err(Error::invalid(format!(
                "motion statistics: a frame of {} bytes, expected {width}x{height}",
                f.len()
            )));
        }
        let mut s = MotionStats {
            width,
            height,
            frames: frames.len() as u64,
            sum: vec![0; n],
            sq: vec![0; n],
            right: vec![0; n],
            down: vec![0; n],
        };
        if n == 0 {
            return Ok(s);
        }
        let w = width;
        s.sum
            .par_chunks_mut(w)
            .zip(s.sq.par_chunks_mut(w))
            .zip(s.right.par_chunks_mut(w))
            .zip(s.down.par_chunks_mut(w))
            .enumerate()
            .for_each(|(y, (((sum, sq), right), down))| {
                for f in frames {
                    let row = &f[y * w..(y + 1) * w];
                    let below = (y + 1 < height).then(|| &f[(y + 1) * w..(y + 2) * w]);
                    for x in 0..w {
                        let v = u64::from(row[x]);
                        sum[x] += v;
                        sq[x] += v * v;
                        if x + 1 < w {
                            right[x] += v * u64::from(row[x + 1]);
                        }
                        if let Some(b) = below {
                            down[x] += v * u64::from(b[x]);
                        }
                    }
                }
            });
        Ok(s)
    }

    /// Frames accumulated.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Width and height of the frames.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Decorrelation of pixels `p` and `q` (indices), given their cross sum.
    fn decorrelation(&self, p: usize, q: usize, cross: u64, noise: f32) -> f32 {
        let n = self.frames as f64;
        let var = |k: usize| n * self.sq[k] as f64 - (self.sum[k] as f64).powi(2);
        let (vp, vq) = (var(p), var(q));
        let cov = n * cross as f64 - self.sum[p] as f64 * self.sum[q] as f64;
        let eps = 2.0 * f64::from(noise).powi(2) * n * n;
        ((vp + vq - 2.0 * cov).max(0.0) / (vp + vq + eps)) as f32
    }

    /// Decorrelation across the boundary left of column `x` (`1 <= x < width`) at row `y`.
    pub fn across_column(&self, x: usize, y: usize, noise: f32) -> f32 {
        let p = y * self.width + x - 1;
        self.decorrelation(p, p + 1, self.right[p], noise)
    }

    /// Decorrelation across the boundary above row `y` (`1 <= y < height`) at column `x`.
    pub fn across_row(&self, x: usize, y: usize, noise: f32) -> f32 {
        let p = (y - 1) * self.width + x;
        self.decorrelation(p, p + self.width, self.down[p], noise)
    }

    /// Rectangles bounded by boundaries of independent motion (the [`RegionKind::Motion`]
    /// regions; never the whole frame), ordered by the number of their sides on the frame's
    /// border (none, one, two or more), best first within each: a window of other footage has
    /// four inner sides (and a window inside it, the shown video's own bars, is as likely to
    /// be the one that matches), the strips of background around it lean on the border.
    /// Empty with fewer than [`MotionConfig::min_frames`] frames.
    pub fn regions(&self, cfg: &MotionConfig) -> Vec<Region> {
        let (w, h) = (self.width, self.height);
        if self.frames < cfg.min_frames.max(2) || w < 16 || h < 16 {
            return Vec::new();
        }
        // decorrelation maps, scaled so that a step of 1.0 is 100
        let mut vmap = vec![0f32; w * h];
        let mut hmap = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                if x >= 1 {
                    vmap[y * w + x] = 100.0 * self.across_column(x, y, cfg.noise);
                }
                if y >= 1 {
                    hmap[y * w + x] = 100.0 * self.across_row(x, y, cfg.noise);
                }
            }
        }
        let step = 100.0 * cfg.step;
        let vert = Steps::new(w, h, step, |x, y| vmap[y * w + x]);
        let horiz = Steps::new(h, w, step, |y, x| hmap[y * w + x]);
        let lines = RegionConfig {
            step,
            min_line: cfg.min_line,
            min_coverage: cfg.min_coverage,
            min_side: cfg.min_side,
            segment_density: cfg.segment_density,
            ..RegionConfig::video_frames()
        };
        let mut out: Vec<(u8, Region)> = Vec::new();
        for s in rectangles_in(&vert, &horiz, &lines) {
            if out.len() >= cfg.max_regions {
                break;
            }
            if out.iter().any(|o| iou(&o.1.rect, &s.rect) > 0.9) {
                continue;
            }
            let region = Region {
                rect: s.rect,
                kind: RegionKind::Motion,
                score: s.score,
            };
            out.push((s.borders.min(2), region));
        }
        // a stable sort keeps the score order within a group
        out.sort_by_key(|o| o.0);
        out.into_iter().map(|o| o.1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded pseudo-random phase per (frame, source).
    fn phase(t: usize, src: u64) -> f32 {
        let mut z = (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ src.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % 6283) as f32 / 1000.0
    }

    /// Smooth moving texture; inside the window another source drives the phase.
    fn video(
        w: usize,
        h: usize,
        n: usize,
        window: Option<(usize, usize, usize, usize)>,
    ) -> Vec<Vec<u8>> {
        (0..n)
            .map(|t| {
                (0..w * h)
                    .map(|k| {
                        let (x, y) = (k % w, k / w);
                        let inside = window.is_some_and(|(l, tp, ww, wh)| {
                            (l..l + ww).contains(&x) && (tp..tp + wh).contains(&y)
                        });
                        let p = phase(t, u64::from(inside) + 1);
                        let v = (x as f32 * 0.07 + p).sin() * (y as f32 * 0.05 - p).cos();
                        (128.0 + 100.0 * v) as u8
                    })
                    .collect()
            })
            .collect()
    }

    fn regions(w: usize, h: usize, frames: &[Vec<u8>]) -> Vec<Region> {
        let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        MotionStats::from_frames(w, h, &refs)
            .unwrap()
            .regions(&MotionConfig::default())
    }

    #[test]
    fn a_window_of_independent_footage_is_found_within_one_pixel() {
        // block edges of the noise fall on multiples of 3; the window's sides do not
        let (l, t, ww, wh) = (31, 20, 70, 44);
        let r = regions(160, 90, &video(160, 90, 30, Some((l, t, ww, wh))));
        let best = r.first().expect("a region").rect;
        for (got, want) in [
            (best.left, l),
            (best.top, t),
            (best.left + best.width, l + ww),
            (best.top + best.height, t + wh),
        ] {
            assert!(got.abs_diff(want) <= 1, "{best:?}");
        }
    }

    #[test]
    fn one_video_without_a_window_gives_no_region() {
        assert!(regions(160, 90, &video(160, 90, 30, None)).is_empty());
    }

    #[test]
    fn a_still_video_gives_no_region() {
        let frames = vec![video(160, 90, 1, Some((31, 20, 70, 44)))[0].clone(); 30];
        assert!(regions(160, 90, &frames).is_empty());
    }

    #[test]
    fn too_few_frames_give_no_region_and_a_wrong_size_is_an_error() {
        let v = video(64, 48, 4, Some((10, 10, 30, 20)));
        assert!(regions(64, 48, &v).is_empty());
        let short = vec![0u8; 10];
        assert!(MotionStats::from_frames(64, 48, &[&short]).is_err());
    }
}
