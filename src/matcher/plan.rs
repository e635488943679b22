//! The query plan: the hashes searched for one image, each tagged with how it was derived.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::cut::Cut;
use super::options::MatchOptions;
use crate::hash::PdqHash;
use crate::luma::LumaImage;
use crate::pdq::{Dihedral, Enlarge, PdqHasher};
use image::DynamicImage;

use crate::region::{
    find_quads, find_regions_with_colour, rectify, reduce, Quad, Rect, RegionKind,
};

/// Which view of the query image a hash was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum View {
    /// The whole image as given.
    Plain,
    /// A candidate content rectangle ([`crate::region::find_regions`]).
    Region {
        /// How the rectangle was found.
        kind: RegionKind,
        /// The rectangle, in pixels of the query image.
        rect: Rect,
    },
    /// The image extended by `pad` of its width and height on every side, edges replicated.
    Uncrop {
        /// Padding per side, as a fraction of the side.
        pad: f32,
    },
    /// A quadrilateral of the query ([`crate::region::find_quads`]: a picture seen at an
    /// angle) rectified to an upright picture.
    Quad {
        /// Its corners in pixels of the query image: top-left, top-right, bottom-right,
        /// bottom-left.
        quad: Quad,
    },
    /// The image cut further on each side ([`super::CropGuesses`]), hashed from a reduced copy.
    CropGuess {
        /// The fractions cut, of the query's sides.
        cut: Cut,
    },
}

/// How one query hash was derived: a view and a dihedral transform of it.
///
/// ```
/// use mediamatch::matcher::{Derivation, View};
/// use mediamatch::Dihedral;
/// let d = Derivation { view: View::Plain, transform: Dihedral::FlipY };
/// assert_eq!(d.to_string(), "plain/flipy");
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// The view hashed.
    pub view: View,
    /// The dihedral transform applied to its hash.
    pub transform: Dihedral,
}

impl std::fmt::Display for Derivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.view {
            View::Plain => write!(f, "plain")?,
            View::Region { kind, rect } => write!(
                f,
                "{}:{}x{}+{}+{}",
                kind.name(),
                rect.width,
                rect.height,
                rect.left,
                rect.top
            )?,
            View::Uncrop { pad } => write!(f, "uncrop:{:.1}%", pad * 100.0)?,
            View::Quad { quad } => {
                write!(f, "quad:")?;
                for (i, (x, y)) in quad.corners.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ";" };
                    write!(f, "{sep}{:.0},{:.0}", x, y)?;
                }
            }
            View::CropGuess { cut } => write!(f, "cropguess:{}", cut.name())?,
        }
        write!(f, "/{}", self.transform.name())
    }
}

/// One hash of a query plan.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedHash {
    /// The hash and its quality.
    pub hash: PdqHash,
    /// How it was derived.
    pub derivation: Derivation,
}

/// The hashes to search for one query image. The first is always the plain hash of the image
/// as given (identity transform).
///
/// ```
/// use mediamatch::matcher::{MatchOptions, QueryPlan};
/// use mediamatch::{LumaImage, PdqHasher};
/// let w = 120;
/// let px: Vec<f32> = (0..w * 90).map(|k| ((k % w) * (k / w) % 251) as f32).collect();
/// let img = LumaImage::from_f32(w, 90, px)?;
/// let hasher = PdqHasher::new();
/// let plan = QueryPlan::image(&hasher, &img, &MatchOptions::plain());
/// assert_eq!(plan.hashes.len(), 1);
/// assert_eq!(plan.hashes[0].hash, hasher.hash(&img));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueryPlan {
    /// The hashes, plain first.
    pub hashes: Vec<PlannedHash>,
}

impl QueryPlan {
    /// Plans the query of one image: the plain image, then every candidate region, then every
    /// uncrop guess, each under the eight dihedral transforms when `opts.dihedral`, then the
    /// crop guesses (identity transform only).
    pub fn image(hasher: &PdqHasher, luma: &LumaImage, opts: &MatchOptions) -> QueryPlan {
        QueryPlan::build(hasher, luma, None, opts)
    }

    /// Plans the query of a decoded image: [`QueryPlan::image`] of its luma, the region
    /// detector also seeing colour steps ([`find_regions_with_colour`]: a picture pasted onto
    /// a photo of about its brightness shows its sides in colour only).
    pub fn from_image(hasher: &PdqHasher, img: &DynamicImage, opts: &MatchOptions) -> QueryPlan {
        QueryPlan::build(hasher, &LumaImage::from_image(img), Some(img), opts)
    }

    fn build(
        hasher: &PdqHasher,
        luma: &LumaImage,
        colour: Option<&DynamicImage>,
        opts: &MatchOptions,
    ) -> QueryPlan {
        let transforms: &[Dihedral] = if opts.dihedral {
            &Dihedral::ALL
        } else {
            &[Dihedral::Original]
        };
        let mut hashes = Vec::new();
        let mut add = |img: &LumaImage, view: View| {
            for (h, &t) in hasher
                .hash_transforms(img, transforms)
                .iter()
                .zip(transforms)
            {
                hashes.push(PlannedHash {
                    hash: *h,
                    derivation: Derivation { view, transform: t },
                });
            }
        };
        add(luma, View::Plain);
        // a view never holds more pixels than the image it comes from
        let cap = luma.width() * luma.height();
        if let Some(cfg) = &opts.regions {
            for r in find_regions_with_colour(luma, colour, cfg) {
                let rect = r.rect;
                if let Ok(c) = luma.crop(rect.left, rect.top, rect.width, rect.height) {
                    let view = View::Region { kind: r.kind, rect };
                    add(&c, view);
                    // a small view is hashed enlarged too: as cut it matches a picture pasted
                    // at its own size (no resampling), enlarged one that was shrunk
                    if let Some(Cow::Owned(big)) = opts.enlarge.map(|e| e.apply(&c, cap)) {
                        add(&big, view);
                    }
                }
            }
        }
        if let Some(cfg) = &opts.quads {
            for quad in find_quads(luma, cfg) {
                if let Some(img) = rectified(luma, &quad, opts.enlarge.as_ref()) {
                    add(&img, View::Quad { quad });
                }
            }
        }
        for &pad in &opts.uncrop {
            add(&pad_replicate(luma, pad), View::Uncrop { pad });
        }
        if let Some(g) = &opts.crop_guesses {
            let work = reduce(luma, g.work_side);
            // on a small image several cuts round to the same window: each is hashed once,
            // and none that is the whole image
            let (ww, wh) = (work.width(), work.height());
            let mut seen = vec![[0, 0, ww as i64, wh as i64]];
            for cut in g.cuts() {
                let Some(win) = cut.window(ww, wh) else {
                    continue;
                };
                if seen.contains(&win) {
                    continue;
                }
                seen.push(win);
                let Some(c) = cut.apply_extended(&work) else {
                    continue;
                };
                hashes.push(PlannedHash {
                    hash: hasher.hash(&c),
                    derivation: Derivation {
                        view: View::CropGuess { cut },
                        transform: Dihedral::Original,
                    },
                });
            }
        }
        QueryPlan { hashes }
    }

    /// The plain hash of the image (the first of the plan).
    pub fn plain(&self) -> Option<PdqHash> {
        self.hashes.first().map(|h| h.hash)
    }
}

/// The quad of `luma` as an upright picture of its mean side lengths, at most
/// [`RECTIFY_SIDE`] pixels on the longer side (PDQ reduces to 64×64 anyway; the query side
/// need not be bit-exact), a small one sampled at the size `enlarge` gives it. Never larger
/// than the image.
fn rectified(luma: &LumaImage, quad: &Quad, enlarge: Option<&Enlarge>) -> Option<LumaImage> {
    let c = &quad.corners;
    let len = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let w = (len(c[0], c[1]) + len(c[3], c[2])) / 2.0;
    let h = (len(c[0], c[3]) + len(c[1], c[2])) / 2.0;
    let k = (RECTIFY_SIDE as f32 / w.max(h)).min(1.0);
    let (w, h) = ((w * k).round() as usize, (h * k).round() as usize);
    let cap = luma.width() * luma.height();
    if w < 8 || h < 8 || w * h > cap {
        return None;
    }
    let (w, h) = enlarge.map_or((w, h), |e| e.size(w, h, cap));
    rectify(luma, quad, w, h)
}

/// Longest side of a rectified quad ([`View::Quad`]), pixels.
pub const RECTIFY_SIDE: usize = 512;

/// The image extended by `frac` of its width (left and right) and height (top and bottom),
/// each new pixel a copy of the nearest edge pixel.
///
/// ```
/// use mediamatch::matcher::pad_replicate;
/// use mediamatch::LumaImage;
/// let img = LumaImage::from_f32(2, 1, vec![1.0, 2.0])?;
/// let p = pad_replicate(&img, 0.5);
/// assert_eq!((p.width(), p.height()), (4, 3));
/// assert_eq!(&p.as_slice()[..4], &[1.0, 1.0, 2.0, 2.0]);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn pad_replicate(luma: &LumaImage, frac: f32) -> LumaImage {
    let (w, h) = (luma.width(), luma.height());
    let frac = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let px = (w as f32 * frac).round() as usize;
    let py = (h as f32 * frac).round() as usize;
    let (nw, nh) = (w + 2 * px, h + 2 * py);
    let src = luma.as_slice();
    let mut out = Vec::with_capacity(nw * nh);
    for y in 0..nh {
        let sy = y.saturating_sub(py).min(h.saturating_sub(1));
        for x in 0..nw {
            let sx = x.saturating_sub(px).min(w.saturating_sub(1));
            out.push(src[sy * w + sx]);
        }
    }
    LumaImage::from_f32(nw, nh, out).unwrap_or_else(|_| luma.clone())
}
