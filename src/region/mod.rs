//! Region recovery: where the original picture may sit inside a query image.
//!
//! Reposts put a picture into a larger layout: bars above and below (uniform or a blurred copy
//! of the picture, as 9:16 stories do), a caption bar of any colour, a frame or border, the
//! chrome of a screenshot, another photo it was pasted on, or a 2-up/3-up collage. Any of these
//! moves PDQ far from the original's hash; hashing the right rectangle wins the copy back.
//! [`find_regions`] returns candidate content rectangles, each tagged with how it was found:
//!
//! * [`RegionKind::Bars`]: the content inside letterbox/pillarbox bars ([`letterbox`]);
//! * [`RegionKind::Edges`]: a rectangle bounded by long straight edges (an image border counts
//!   as an edge): a picture on a canvas, in a frame, pasted onto another picture;
//! * [`RegionKind::Cell`]: a rectangle cut by a line running across the whole image (the cells
//!   of a collage; also a caption bar's content).
//!
//! Detection works on an area-averaged copy of at most [`RegionConfig::work_side`] pixels on
//! the longer side, so it never allocates more than the decoded image, and maps the
//! rectangles back to full resolution (the error is at most one working pixel,
//! `1 / work_side` of the longer side). A candidate is a rectangle, not a copy: the caller
//! crops it when hashing. Given the decoded image ([`find_regions_with_colour`]), the edge
//! detector also sees colour steps ([`Chroma`]): a side with little brightness contrast
//! against what surrounds it often differs in colour.
//!
//! ```
//! use mediamatch::region::{find_regions, RegionConfig};
//! use mediamatch::LumaImage;
//! // a 120x90 texture pasted at (40, 30) on a 200x150 flat canvas
//! let (w, h) = (200usize, 150usize);
//! let px = (0..w * h).map(|k| {
//!     let (x, y) = (k % w, k / w);
//!     if (40..160).contains(&x) && (30..120).contains(&y) {
//!         128.0 + 80.0 * ((x as f32) * 0.3).sin() * ((y as f32) * 0.2).cos()
//!     } else {
//!         200.0
//!     }
//! }).collect();
//! let img = LumaImage::from_f32(w, h, px)?;
//! let found = find_regions(&img, &RegionConfig::default());
//! let r = found[0].rect;
//! assert_eq!((r.left, r.top, r.width, r.height), (40, 30, 120, 90));
//! Ok::<(), mediamatch::Error>(())
//! ```

mod chroma;
mod edges;
pub mod letterbox;
mod motion;
mod quad;
mod quads;
mod refine;
mod sharp;

use serde::{Deserialize, Serialize};

pub use chroma::Chroma;
pub(crate) use edges::reduce;
pub use letterbox::{find_content, remove_letterbox, LetterboxConfig, Rect};
pub use motion::{MotionConfig, MotionStats};
pub use quad::{rectify, warp_into, Edge, Homography, Quad};
pub use quads::{find_quads, QuadConfig};

use image::DynamicImage;

use crate::luma::LumaImage;

/// How a candidate region was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RegionKind {
    /// Inside letterbox/pillarbox bars (uniform or blurred).
    Bars,
    /// Bounded by long straight edges (image borders count): canvas, frame, pasted picture.
    Edges,
    /// A cell cut by lines that cross the whole image: collages, caption bars.
    Cell,
    /// A band of sharp rows (columns) between blurred ones: a picture over a blurred copy of
    /// itself (9:16 stories), wherever it sits.
    Sharp,
    /// Bounded by boundaries of independent motion over a video's frames (a window of other
    /// footage: picture-in-picture), see [`MotionStats`].
    Motion,
}

impl RegionKind {
    /// Short stable name (`bars`, `edges`, `cell`, `sharp`, `motion`).
    pub fn name(self) -> &'static str {
        match self {
            RegionKind::Bars => "bars",
            RegionKind::Edges => "edges",
            RegionKind::Cell => "cell",
            RegionKind::Sharp => "sharp",
            RegionKind::Motion => "motion",
        }
    }
}

/// One candidate content rectangle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Region {
    /// The rectangle, in pixels of the image searched.
    pub rect: Rect,
    /// How it was found.
    pub kind: RegionKind,
    /// Confidence 0..=1 (mean step coverage of its sides, image borders counted as 0.9; 1 for
    /// bars).
    pub score: f32,
}

/// Settings of [`find_regions`]. `Default` is what the matcher's robust default uses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RegionConfig {
    /// Letterbox/pillarbox detection (`None`: off).
    pub letterbox: Option<LetterboxConfig>,
    /// Look for edge-bounded rectangles.
    pub edges: bool,
    /// Longer side of the working copy, in pixels.
    pub work_side: usize,
    /// Smallest difference (levels) across an edge pixel: luma, or colour with
    /// [`RegionConfig::chroma`].
    pub step: f32,
    /// Smallest density of edge pixels along a whole line for it to be a candidate line.
    pub min_line: f32,
    /// Most candidate lines per axis.
    pub max_lines: usize,
    /// Smallest coverage of each side of a rectangle by edge pixels.
    pub min_coverage: f32,
    /// Smallest side of a rectangle, as a fraction of the image's side.
    pub min_side: f32,
    /// Most regions returned (bars first, then sharp bands, then the best-scored rectangles).
    pub max_regions: usize,
    /// Look for a sharp band between blurred ones ([`RegionKind::Sharp`]).
    pub sharp: bool,
    /// Most extra candidate lines per axis that are dense over a part of their length only
    /// (a window of [`RegionConfig::min_side`]): the sides of a pasted picture (0: none).
    pub segment_lines: usize,
    /// Smallest density of edge pixels over that window for such a line.
    pub segment_density: f32,
    /// Refine each candidate at full resolution (sides moved onto the strongest edge nearby,
    /// flat gutters and frame lines cut off).
    pub refine: bool,
    /// Pixels averaged on each side of a candidate line when measuring its luma step on the
    /// working copy: 1 compares the two pixels next to the line; 2 compares the means of two
    /// pixels on each side, so that a boundary falling inside a working pixel (which then
    /// mixes both sides and halves each one-pixel step) still gives most of its contrast.
    /// (A serialized config without the field means 1, as do [`RegionConfig::chroma`] 0 and
    /// [`RegionConfig::run_ends`] 0: the behaviour before they existed.)
    #[serde(default = "one_pixel_span")]
    pub span: usize,
    /// Weight of the colour difference in a step when the image's colour is given
    /// ([`find_regions_with_colour`]): a step is `sqrt(dY² + chroma² (dCb² + dCr²))`
    /// levels (0: luma only).
    #[serde(default)]
    pub chroma: f32,
    /// The ends of each partial line's run of steps (runs joined over gaps of at most this
    /// many working pixels without a step) are candidate lines across it: the corners of a pasted picture
    /// whose fourth side is too weak to stand out (0: off).
    #[serde(default)]
    pub run_ends: usize,
    /// The best this many rectangles are also tried with each side moved onto the line best
    /// covered by steps over exactly its span (the side of a pasted picture that is no
    /// candidate line of its own; 0: off).
    #[serde(default)]
    pub fit_sides: usize,
}

/// A serialized config from before the field existed: one-pixel steps.
fn one_pixel_span() -> usize {
    1
}

impl Default for RegionConfig {
    fn default() -> Self {
        RegionConfig {
            letterbox: Some(LetterboxConfig::default()),
            edges: true,
            work_side: 320,
            step: 6.0,
            min_line: 0.12,
            max_lines: 10,
            min_coverage: 0.3,
            min_side: 0.25,
            max_regions: 20,
            sharp: true,
            segment_lines: 10,
            segment_density: 0.35,
            refine: true,
            span: 2,
            chroma: 1.0,
            run_ends: 4,
            fit_sides: 24,
        }
    }
}

impl RegionConfig {
    /// The settings the video paths use (per-frame layouts, layout probes, motion
    /// rectangles): [`RegionConfig::default`] with the one-pixel luma steps of 8 levels and
    /// no run ends of before (video frames carry no colour here). Measured on the video
    /// benchmark (`robustness_video`, 10 real clips): the image settings lost one of ten
    /// picture-in-picture copies at 40 % width and gained none.
    pub fn video_frames() -> Self {
        RegionConfig {
            step: 8.0,
            span: 1,
            chroma: 0.0,
            run_ends: 0,
            fit_sides: 0,
            ..RegionConfig::default()
        }
    }

    /// Letterbox/pillarbox removal only (the behaviour before region recovery).
    pub fn bars_only() -> Self {
        RegionConfig {
            edges: false,
            sharp: false,
            ..RegionConfig::default()
        }
    }
}

pub(crate) fn iou(a: &Rect, b: &Rect) -> f32 {
    let l = a.left.max(b.left);
    let t = a.top.max(b.top);
    let r = (a.left + a.width).min(b.left + b.width);
    let bo = (a.top + a.height).min(b.top + b.height);
    if r <= l || bo <= t {
        return 0.0;
    }
    let inter = ((r - l) * (bo - t)) as f32;
    inter / ((a.width * a.height + b.width * b.height) as f32 - inter)
}

/// Candidate content rectangles of `img` (never the whole image), best first; see the module
/// docs. Near-duplicates (overlap above 97 %) are merged into the tighter one.
pub fn find_regions(img: &LumaImage, cfg: &RegionConfig) -> Vec<Region> {
    find_regions_inner(img, None, None, cfg)
}

/// [`find_regions`] that also sees colour steps, weighted by [`RegionConfig::chroma`]:
/// `colour` is the decoded image `img` was made from ([`LumaImage::from_image`]; ignored when
/// its size differs). Its chroma is averaged to the working size ([`Chroma`]) and read in
/// place by the refinement: nothing of full resolution is allocated.
pub fn find_regions_with_colour(
    img: &LumaImage,
    colour: Option<&DynamicImage>,
    cfg: &RegionConfig,
) -> Vec<Region> {
    let colour = colour.filter(|c| {
        cfg.chroma > 0.0 && c.width() as usize == img.width() && c.height() as usize == img.height()
    });
    let chroma = colour.and_then(|c| Chroma::from_image(c, cfg.work_side));
    // a grey image has no colour to refine by either
    let colour = colour.filter(|_| chroma.is_some()).map(|c| (c, cfg.chroma));
    find_regions_inner(img, chroma.as_ref(), colour, cfg)
}

fn find_regions_inner(
    img: &LumaImage,
    chroma: Option<&Chroma>,
    colour: Option<(&DynamicImage, f32)>,
    cfg: &RegionConfig,
) -> Vec<Region> {
    let (w, h) = (img.width(), img.height());
    let mut out: Vec<Region> = Vec::new();
    let whole = |r: &Rect| r.width == w && r.height == h;
    if let Some(lb) = &cfg.letterbox {
        let r = find_content(img, lb);
        if !whole(&r) {
            let r = if cfg.refine {
                refine::trim_uniform(img, r, lb.tolerance, cfg.step)
            } else {
                r
            };
            out.push(Region {
                rect: r,
                kind: RegionKind::Bars,
                score: 1.0,
            });
        }
    }
    if (cfg.edges || cfg.sharp) && w >= 16 && h >= 16 {
        let work = edges::reduce(img, cfg.work_side);
        let (ww, wh) = (work.width(), work.height());
        // one working pixel in full-resolution pixels, and one more
        let radius = w.div_ceil(ww).max(h.div_ceil(wh)) + 1;
        let tolerance = cfg.letterbox.map_or(12.0, |lb| lb.tolerance);
        let polish = |rect: Rect| {
            if cfg.refine {
                refine::trim_uniform(
                    img,
                    refine::refine(img, rect, radius, colour),
                    tolerance,
                    cfg.step,
                )
            } else {
                rect
            }
        };
        let map = |r: &Rect| r.scaled((ww, wh), (w, h));
        if cfg.sharp {
            for b in sharp::sharp_bands(&work, cfg.min_side) {
                let rect = map(&b);
                if rect.width < 8 || rect.height < 8 {
                    continue;
                }
                let rect = polish(rect);
                if !whole(&rect) && !out.iter().any(|o| iou(&o.rect, &rect) > 0.97) {
                    out.push(Region {
                        rect,
                        kind: RegionKind::Sharp,
                        score: 1.0,
                    });
                }
            }
        }
        let rects = if cfg.edges {
            edges::rectangles(&work, chroma, cfg)
        } else {
            Vec::new()
        };
        // Rectangles leaning on image borders (cells, canvases) score higher than four inner
        // sides (a pasted picture) and come in many combinations; take them in turn from
        // three groups by the number of image borders (0, 1, 2 or more), best first in each.
        let mut groups: [std::collections::VecDeque<edges::Scored>; 3] = Default::default();
        for s in rects {
            groups[usize::from(s.borders.min(2))].push_back(s);
        }
        let mut turn = 0usize;
        let mut tried = 0usize;
        let order = std::iter::from_fn(|| {
            for _ in 0..3 {
                let g = turn % 3;
                turn += 1;
                if let Some(s) = groups[g].pop_front() {
                    return Some(s);
                }
            }
            None
        });
        for s in order {
            if out.len() >= cfg.max_regions || tried >= 8 * cfg.max_regions {
                break;
            }
            tried += 1;
            let rect = map(&s.rect);
            if rect.width < 8 || rect.height < 8 {
                continue;
            }
            let rect = polish(rect);
            if rect.width < 8 || rect.height < 8 || whole(&rect) {
                continue;
            }
            if let Some(k) = out.iter().position(|o| iou(&o.rect, &rect) > 0.97) {
                // of two near-duplicates keep the tighter one: the picture inside a gutter or
                // a thin frame line
                let o = out[k].rect;
                let inside = rect.left >= o.left
                    && rect.top >= o.top
                    && rect.left + rect.width <= o.left + o.width
                    && rect.top + rect.height <= o.top + o.height;
                if inside && out[k].kind != RegionKind::Bars {
                    out[k].rect = rect;
                }
                continue;
            }
            // a rectangle touching both ends of an axis is cut by full-length lines
            let kind = if s.borders >= 2
                && ((s.rect.left == 0 && s.rect.width == ww)
                    || (s.rect.top == 0 && s.rect.height == wh))
            {
                RegionKind::Cell
            } else {
                RegionKind::Edges
            };
            out.push(Region {
                rect,
                kind,
                score: s.score,
            });
        }
    }
    out.truncate(cfg.max_regions);
    out
}
