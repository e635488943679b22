//! The classic 64-bit perceptual hashes (aHash, dHash, pHash, blockhash), computed by the
//! `image_hasher` crate behind this crate's own API (none of its types are exposed).

use std::path::Path;

use image::DynamicImage;
use image_hasher::{HashAlg, HasherConfig};
use serde::{Deserialize, Serialize};

use crate::decode::{decode_image, decode_image_file, DecodeLimits};
use crate::error::{Error, Result};
use crate::hash::Hash64;
use crate::input::{ImageInput, PixelFormat, RawFrame};

/// Which classic algorithm to compute. All produce a [`Hash64`]. Serialised as its
/// [`ClassicAlg::name`] (`"ahash"`…; the CamelCase names of earlier versions are still read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClassicAlg {
    /// Average hash: 8×8 grey thumbnail, bit = pixel above the mean.
    #[serde(rename = "ahash", alias = "AHash")]
    AHash,
    /// Difference (gradient) hash: bit = pixel brighter than its right neighbour.
    #[serde(rename = "dhash", alias = "DHash")]
    DHash,
    /// DCT hash: thumbnail → DCT, bit = low-frequency coefficient above the median.
    #[serde(rename = "phash", alias = "PHash")]
    PHash,
    /// Blockhash (Yang et al.): block means compared with the median.
    #[serde(rename = "blockhash", alias = "Blockhash")]
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

    /// Hashes any [`ImageInput`] except a float luma plane (the classic hashes read pixels):
    /// the preferred entry point, like [`crate::PdqHasher::hash_input`]. Encoded inputs are
    /// decoded under the hasher's [`DecodeLimits`]; a raw frame is copied into an image once
    /// (its size checked against [`DecodeLimits::max_alloc`] first). CPU-bound (see the crate
    /// docs on async callers).
    ///
    /// ```
    /// use mediamatch::{ClassicAlg, ClassicHasher, PixelFormat, RawFrame};
    /// let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 9]));
    /// let h = ClassicHasher::new(ClassicAlg::PHash);
    /// let frame = RawFrame::new(img.as_raw(), 64, 48, 64 * 3, PixelFormat::Rgb8)?;
    /// assert_eq!(h.hash_input(frame)?, h.hash_input(&image::DynamicImage::ImageRgb8(img))?);
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn hash_input<'a>(&self, input: impl Into<ImageInput<'a>>) -> Result<Hash64> {
        match input.into() {
            ImageInput::Path(p) => self.hash_file(p),
            ImageInput::Bytes(b) => self.hash_bytes(b),
            ImageInput::Image(img) => Ok(self.hash_image(img)),
            ImageInput::Frame(f) => Ok(self.hash_image(&self.frame_image(&f)?)),
            ImageInput::Luma(_) => Err(Error::invalid(
                "the classic hashes read pixels, not a float luma plane",
            )),
        }
    }

    fn frame_image(&self, f: &RawFrame<'_>) -> Result<DynamicImage> {
        let (w, h, bpp) = (f.width(), f.height(), f.format().bytes_per_pixel());
        self.limits
            .check_alloc((w * h * bpp) as u64, "frame copy")?;
        let mut packed = Vec::with_capacity(w * h * bpp);
        for y in 0..h {
            packed.extend_from_slice(&f.data()[y * f.stride()..][..w * bpp]);
        }
        let (w32, h32) = (w as u32, h as u32);
        let bad = || Error::invalid("frame too large for an image buffer");
        Ok(match f.format() {
            PixelFormat::Rgb8 => DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(w32, h32, packed).ok_or_else(bad)?,
            ),
            PixelFormat::Rgba8 => DynamicImage::ImageRgba8(
                image::RgbaImage::from_raw(w32, h32, packed).ok_or_else(bad)?,
            ),
            PixelFormat::Gray8 => DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(w32, h32, packed).ok_or_else(bad)?,
            ),
        })
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
