//! Query-side features that raise recall while the stored hash stays the plain reference PDQ.
//!
//! A platform stores (and shares) the plain PDQ hash of each known image, exactly as every other
//! implementation computes it. At lookup time the *query* image may be turned into several
//! hashes: its eight dihedral variants (finds rotated and mirrored copies) and the hashes of its
//! content without letterbox/pillarbox bars. The query matches a stored hash when any of its
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
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            dihedral: true,
            letterbox: true,
            letterbox_config: LetterboxConfig::default(),
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
        }
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
/// were found.
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
    out
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
