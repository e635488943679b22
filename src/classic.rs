//! The classic 64-bit perceptual hashes (aHash, dHash, pHash, blockhash), computed by the
//! `image_hasher` crate behind this crate's own API (none of its types are exposed).

use std::path::Path;

use image::DynamicImage;
use image_hasher::{HashAlg, HasherConfig};
use serde::{Deserialize, Serialize};

use crate::decode::{decode_image, decode_image_file, DecodeLimits};
use crate::error::Result;
use crate::hash::Hash64;

/// Which classic algorithm to compute. All produce a [`Hash64`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClassicAlg {
    /// Average hash: 8×8 grey thumbnail, bit = pixel above the mean.
    AHash,
    /// Difference (gradient) hash: bit = pixel brighter than its right neighbour.
    DHash,
    /// DCT hash: thumbnail → DCT, bit = low-frequency coefficient above the median.
    PHash,
    /// Blockhash (Yang et al.): block means compared with the median.
    Blockhash,
}

impl ClassicAlg {
    /// All four, in a fixed order.
    pub const ALL: [ClassicAlg; 4] = [
        ClassicAlg::AHash,
        ClassicAlg::DHash,
        ClassicAlg::PHash,
        ClassicAlg::Blockhash,
    ];

    /// Short lower-case name (`ahash`, `dhash`, `phash`, `blockhash`).
    pub fn name(self) -> &'static str {
        match self {
            ClassicAlg::AHash => "ahash",
            ClassicAlg::DHash => "dhash",
            ClassicAlg::PHash => "phash",
            ClassicAlg::Blockhash => "blockhash",
        }
    }
}

/// Computes one classic 64-bit hash.
///
/// ```
/// use mediamatch::{ClassicHasher, ClassicAlg};
/// let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
///     image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
/// }));
/// let a = ClassicHasher::new(ClassicAlg::DHash).hash_image(&img);
/// let b = ClassicHasher::new(ClassicAlg::DHash).hash_image(&img.resize_exact(32, 24, image::imageops::FilterType::Triangle));
/// assert!(a.distance(&b) <= 10);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone)]
pub struct ClassicHasher {
    alg: ClassicAlg,
    limits: DecodeLimits,
    hasher: std::sync::Arc<image_hasher::Hasher>,
}

impl std::fmt::Debug for ClassicHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassicHasher")
            .field("alg", &self.alg)
            .field("limits", &self.limits)
            .finish()
    }
}

impl ClassicHasher {
    /// A hasher for `alg` producing 64 bits.
    pub fn new(alg: ClassicAlg) -> Self {
        let cfg = HasherConfig::new().hash_size(8, 8);
        let cfg = match alg {
            ClassicAlg::AHash => cfg.hash_alg(HashAlg::Mean),
            ClassicAlg::DHash => cfg.hash_alg(HashAlg::Gradient),
            ClassicAlg::PHash => cfg.hash_alg(HashAlg::Median).preproc_dct(),
            ClassicAlg::Blockhash => cfg.hash_alg(HashAlg::Blockhash),
        };
        ClassicHasher {
            alg,
            limits: DecodeLimits::default(),
            hasher: std::sync::Arc::new(cfg.to_hasher()),
        }
    }

    /// Sets the decoding limits for the file and byte entry points.
    #[must_use]
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The algorithm.
    pub fn alg(&self) -> ClassicAlg {
        self.alg
    }

    /// Hashes a decoded image.
    pub fn hash_image(&self, img: &DynamicImage) -> Hash64 {
        let h = self.hasher.hash_image(img);
        let bytes = h.as_bytes();
        let mut b = [0u8; 8];
        let n = bytes.len().min(8);
        b[..n].copy_from_slice(&bytes[..n]);
        Hash64::from_bytes(b)
    }

    /// Decodes (under the limits) and hashes an encoded image.
    pub fn hash_bytes(&self, bytes: &[u8]) -> Result<Hash64> {
        Ok(self.hash_image(&decode_image(bytes, self.limits, false)?))
    }

    /// Decodes and hashes an image file.
    pub fn hash_file(&self, path: impl AsRef<Path>) -> Result<Hash64> {
        Ok(self.hash_image(&decode_image_file(path, self.limits, false)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(seed: u32) -> DynamicImage {
        // Large flat rectangles over a gentle gradient: structure every algorithm can see.
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(160, 120, |x, y| {
            let mut v = (x / 2 + y / 3) as u8;
            if (x / 40 + y / 30 + seed).is_multiple_of(3) {
                v = 230;
            } else if (x / 40 * 7 + y / 30 * 3 + seed) % 4 == 1 {
                v = 20;
            }
            image::Rgb([v, v, v])
        }))
    }

    #[test]
    fn every_alg_gives_64_bits_and_separates_images() {
        for alg in ClassicAlg::ALL {
            let h = ClassicHasher::new(alg);
            let a = h.hash_image(&img(7));
            assert_eq!(a, h.hash_image(&img(7)), "{alg:?} deterministic");
            let small = img(7).resize_exact(60, 45, image::imageops::FilterType::Triangle);
            let ds = a.distance(&h.hash_image(&small));
            assert!(ds <= 12, "{alg:?} robust: {ds}");
            let d = a.distance(&h.hash_image(&img(7).rotate180()));
            assert!(
                d > 12,
                "{alg:?} separates: {d} {a} {}",
                h.hash_image(&img(7).rotate180())
            );
        }
    }
}
