//! Query-side features that raise recall while the stored hash stays the plain reference PDQ.
//!
//! A platform stores (and shares) the plain PDQ hash of each known image, exactly as every other
//! implementation computes it. At lookup time the *query* image may be turned into several
//! hashes: its eight dihedral variants (finds rotated and mirrored copies) and the hashes of its
//! content without letterbox/pillarbox bars, and (opt-in) "uncropped" guesses: the image with
//! its edges replicated outwards, for copies whose borders were cut off. The query matches a stored hash when any of its
//! usable hashes is within the threshold.

use serde::{Deserialize, Serialize};

use super::metrics::TruePair;
use crate::hash::{Hash256, PdqHash};
use crate::letterbox::{find_content, LetterboxConfig};
use crate::luma::LumaImage;
use crate::pdq::PdqHasher;

/// Which extra hashes a query image produces.
///
/// `Default` is what the robustness benchmark supports as the default for matching: dihedral
/// querying on, and letterbox removal on (the plain hash is always queried too, so removing bars
/// can only add matches).
///
/// ```
/// use mediamatch::robustness::{query_distance, query_hashes, QueryOptions};
/// use mediamatch::{LumaImage, PdqHasher};
/// let w = 120;
/// let px: Vec<f32> = (0..w * 90).map(|k| ((k % w) * (k / w) % 251) as f32).collect();
/// let img = LumaImage::from_f32(w, 90, px)?;
/// let hasher = PdqHasher::new();
/// let stored = hasher.hash(&img).hash; // what the database holds: plain PDQ
/// let q = query_hashes(&hasher, &img, &QueryOptions::default());
/// assert_eq!(q.len(), 8); // no bars found: the 8 dihedral variants of the plain image
/// assert_eq!(query_distance(&q, &stored).distance, 0);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueryOptions {
    /// Query all eight dihedral variants instead of the plain hash only.
    pub dihedral: bool,
    /// Also query the content found inside letterbox/pillarbox bars.
    pub letterbox: bool,
    /// Settings of the bar detector.
    pub letterbox_config: LetterboxConfig,
    /// Also query the image extended by [`UNCROP_PADS`] of its width and height on every side,
    /// edges replicated: guesses for copies with their borders cut off evenly. Off by default:
    /// it helps only centred crops (see the README's robustness section for the numbers).
    pub uncrop: bool,
}

/// Per-side padding fractions of the uncrop guesses ([`QueryOptions::uncrop`]): 2.5 %, 5 % and
/// 10 %, which undo centred crops of 5, 10 and 20 % of the width and height.
pub const UNCROP_PADS: [f32; 3] = [0.025, 0.05, 0.10];

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            dihedral: true,
            letterbox: true,
            letterbox_config: LetterboxConfig::default(),
            uncrop: false,
        }
    }
}

impl QueryOptions {
    /// Plain PDQ only: one hash per query, the reference behaviour.
    pub fn plain() -> Self {
        QueryOptions {
            dihedral: false,
            letterbox: false,
            letterbox_config: LetterboxConfig::default(),
            uncrop: false,
        }
    }

    /// Turns the uncrop guesses on or off.
    #[must_use]
    pub fn with_uncrop(mut self, on: bool) -> Self {
        self.uncrop = on;
        self
    }

    /// Turns dihedral querying on or off.
    #[must_use]
    pub fn with_dihedral(mut self, on: bool) -> Self {
        self.dihedral = on;
        self
    }

    /// Turns letterbox removal on or off.
    #[must_use]
    pub fn with_letterbox(mut self, on: bool) -> Self {
        self.letterbox = on;
        self
    }

    /// Sets the bar detector's settings.
    #[must_use]
    pub fn with_letterbox_config(mut self, cfg: LetterboxConfig) -> Self {
        self.letterbox_config = cfg;
        self
    }
}

/// The hashes to look up for a query image: the plain hash (or its eight dihedral variants) of
/// the image, followed by the same for its content inside bars when `letterbox` is on and bars
/// were found, then for each uncrop guess of the image when `uncrop` is on.
pub fn query_hashes(hasher: &PdqHasher, luma: &LumaImage, opts: &QueryOptions) -> Vec<PdqHash> {
    let mut out = Vec::with_capacity(16);
    let mut add = |img: &LumaImage| {
        if opts.dihedral {
            out.extend_from_slice(&hasher.hash_dihedral(img));
        } else {
            out.push(hasher.hash(img));
        }
    };
    add(luma);
    if opts.letterbox {
        if let Some(content) = content_inside_bars(luma, &opts.letterbox_config) {
            add(&content);
        }
    }
    if opts.uncrop {
        for f in UNCROP_PADS {
            add(&pad_replicate(luma, f));
        }
    }
    out
}

/// The image extended by `frac` of its width (left and right) and height (top and bottom),
/// each new pixel a copy of the nearest edge pixel.
///
/// ```
/// use mediamatch::robustness::pad_replicate;
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

/// The picture inside letterbox/pillarbox bars, or `None` when no bars were found.
pub fn content_inside_bars(luma: &LumaImage, cfg: &LetterboxConfig) -> Option<LumaImage> {
    let r = find_content(luma, cfg);
    if r.width == luma.width() && r.height == luma.height() {
        return None;
    }
    luma.crop(r.left, r.top, r.width, r.height).ok()
}

/// The best (smallest) distance from any usable query hash to `stored`.
///
/// Query hashes below [`PdqHash::QUALITY_THRESHOLD`] do not count; if none is usable the result
/// is the smallest distance over all of them with `usable: false` (a miss under the quality
/// rule). An empty query gives distance 256, unusable.
pub fn query_distance(queries: &[PdqHash], stored: &Hash256) -> TruePair {
    let best = |usable_only: bool| {
        queries
            .iter()
            .filter(|q| !usable_only || q.is_usable())
            .map(|q| q.hash.distance(stored))
            .min()
    };
    match best(true) {
        Some(d) => TruePair {
            distance: d,
            usable: true,
        },
        None => TruePair {
            distance: best(false).unwrap_or(256),
            usable: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_rule_and_empty_query() {
        let a = PdqHash {
            hash: Hash256::ZERO,
            quality: 10,
        };
        let mut far = Hash256::ZERO;
        for k in 0..40 {
            far.set_bit(k, true);
        }
        let b = PdqHash {
            hash: far,
            quality: 90,
        };
        assert_eq!(
            query_distance(&[a, b], &Hash256::ZERO),
            TruePair {
                distance: 40,
                usable: true
            }
        );
        assert_eq!(
            query_distance(&[a], &Hash256::ZERO),
            TruePair {
                distance: 0,
                usable: false
            }
        );
        assert_eq!(query_distance(&[], &Hash256::ZERO).distance, 256);
    }

    #[test]
    fn plain_options_give_one_hash() {
        let img = LumaImage::from_f32(40, 30, (0..1200).map(|k| ((k * 7) % 255) as f32).collect())
            .unwrap();
        let h = PdqHasher::new();
        let q = query_hashes(&h, &img, &QueryOptions::plain());
        assert_eq!(q, vec![h.hash(&img)]);
        let q8 = query_hashes(&h, &img, &QueryOptions::plain().with_dihedral(true));
        assert_eq!(q8.len(), 8);
    }
}
