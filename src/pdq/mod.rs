//! PDQ, bit-exact with Meta's reference (`pdq/cpp` in facebook/ThreatExchange).
//!
//! Data path: [`LumaImage`] → Jarosz tent filter + decimation to 64×64 ([`downscale_64`]) →
//! 16×16 DCT ([`dct_16`]) → median threshold → 256 bits, plus the integer quality of the
//! 64×64 buffer. The eight dihedral hashes come from the one DCT by sign flips and transposes.
//!
//! Two front ends ([`PdqMode`]):
//! * [`PdqMode::Full`] (default): the image at full resolution — what python-threatexchange,
//!   HMA, the Java port and PyPI `pdqhash` compute. Hashes exchanged through consortia are
//!   of this kind.
//! * [`PdqMode::Cli512`]: the C++ `pdq-photo-hasher` tool, which first squashes images larger
//!   than 512 px on a side to exactly 512×512 with nearest-neighbour sampling (aspect not
//!   kept), and reads one-channel images as `Y = v`.

// Numeric kernels index several arrays with the same loop variables, as the reference does.
#![allow(clippy::needless_range_loop)]

mod dct;
mod dct_table;
mod dihedral;
mod downscale;
mod quality;

use std::path::Path;

use image::DynamicImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use dihedral::Dihedral;

use crate::decode::{decode_image, decode_image_file, DecodeLimits};
use crate::error::Result;
use crate::hash::{Hash256, PdqHash};
use crate::luma::LumaImage;

/// Images narrower or shorter than this get the all-zero hash and quality 0 (the reference's
/// `MIN_HASHABLE_DIM`).
pub const MIN_HASHABLE_DIM: usize = 5;

/// Which front end turns an image into the PDQ input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PdqMode {
    /// Full resolution (python-threatexchange / HMA / Java parity). The default.
    #[default]
    Full,
    /// The C++ CLI's nearest-neighbour squash to 512×512 for images over 512 px on a side,
    /// and `Y = v` for one-channel images.
    Cli512,
}

/// Configuration of a [`PdqHasher`]. `Default` is the reference behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PdqConfig {
    /// The front end.
    pub mode: PdqMode,
    /// Decoding limits for files and byte slices.
    pub limits: DecodeLimits,
    /// Rotate/flip according to the EXIF orientation tag before hashing (off by default: the
    /// references ignore it, so hashes made with it on will not match theirs for rotated
    /// phone photos).
    pub apply_exif_orientation: bool,
}

/// Computes PDQ hashes.
///
/// ```
/// use mediamatch::{PdqHasher, PdqMode, LumaImage};
/// let hasher = PdqHasher::new();
/// // a 100x80 test pattern
/// let pixels: Vec<f32> = (0..100 * 80).map(|i| ((i % 100) * (i / 100) % 255) as f32).collect();
/// let luma = LumaImage::from_f32(100, 80, pixels)?;
/// let h = hasher.hash(&luma);
/// assert_eq!(h.hash.to_string().len(), 64);
/// let all8 = hasher.hash_dihedral(&luma);
/// assert_eq!(all8[0].hash, h.hash);
/// let cli = PdqHasher::new().with_mode(PdqMode::Cli512);
/// assert_eq!(cli.hash(&luma), h); // small images hash the same in both modes
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct PdqHasher {
    config: PdqConfig,
}

/// The 16×16 DCT output of PDQ, before thresholding (also called PDQF).
pub type PdqFloat = [f32; 256];

/// Filters and decimates a luma image to the 64×64 buffer the DCT reads, bit-exact with the
/// reference. `shortcut` = the plain-hash path's rule that a 64×64 input is copied unfiltered
/// (the dihedral path has no such shortcut).
///
/// Returns `None` for images under [`MIN_HASHABLE_DIM`] pixels on a side.
pub fn downscale_64(luma: &LumaImage, shortcut: bool) -> Option<Box<[f32; 4096]>> {
    let (w, h) = (luma.width(), luma.height());
    if w < MIN_HASHABLE_DIM || h < MIN_HASHABLE_DIM {
        return None;
    }
    if shortcut && w == 64 && h == 64 {
        let mut b = Box::new([0.0f32; 4096]);
        b.copy_from_slice(luma.as_slice());
        return Some(b);
    }
    Some(Box::new(downscale::filter_and_decimate(
        luma.as_slice(),
        h,
        w,
    )))
}

/// The 16×16 DCT of a 64×64 buffer (row-major; `[i * 16 + j]` has vertical frequency `i + 1`
/// and horizontal frequency `j + 1`), bit-exact with the reference.
pub fn dct_16(buffer: &[f32; 4096]) -> PdqFloat {
    dct::dct_64_to_16(buffer)
}

/// Thresholds a 16×16 DCT output at its median (the 128th smallest value): bit `16 i + j` is
/// set iff `B[i][j] > median`.
pub fn bits_from_dct(b: &PdqFloat) -> Hash256 {
    let mut sorted = *b;
    let (_, median, _) = sorted.select_nth_unstable_by(127, |x, y| x.total_cmp(y));
    let median = *median;
    let mut words = [0u16; 16];
    for (i, w) in words.iter_mut().enumerate() {
        for j in 0..16 {
            if b[i * 16 + j] > median {
                *w |= 1 << j;
            }
        }
    }
    Hash256::from_words(words)
}

/// The integer quality (0..=100) of a 64×64 buffer.
pub fn quality_64(buffer: &[f32; 4096]) -> u8 {
    quality::quality(buffer)
}

impl PdqHasher {
    /// A hasher with the reference defaults (full resolution).
    pub fn new() -> Self {
        PdqHasher::default()
    }

    /// A hasher with the given configuration.
    pub fn with_config(config: PdqConfig) -> Self {
        PdqHasher { config }
    }

    /// Selects the front end.
    #[must_use]
    pub fn with_mode(mut self, mode: PdqMode) -> Self {
        self.config.mode = mode;
        self
    }

    /// Sets the decoding limits used by the file and byte-slice entry points.
    #[must_use]
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Applies EXIF orientation before hashing files and byte slices (off by default).
    #[must_use]
    pub fn with_exif_orientation(mut self, on: bool) -> Self {
        self.config.apply_exif_orientation = on;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &PdqConfig {
        &self.config
    }

    fn front_end<'a>(&self, luma: &'a LumaImage) -> std::borrow::Cow<'a, LumaImage> {
        match self.config.mode {
            PdqMode::Cli512 if luma.width() > 512 || luma.height() > 512 => {
                std::borrow::Cow::Owned(luma.resize_nearest(512, 512))
            }
            _ => std::borrow::Cow::Borrowed(luma),
        }
    }

    fn luma_of(&self, img: &DynamicImage) -> LumaImage {
        match self.config.mode {
            PdqMode::Full => LumaImage::from_image(img),
            PdqMode::Cli512 => LumaImage::from_image_grey_direct(img),
        }
    }

    /// Hashes a luma image (the reference's `pdqHash256FromFloatLuma`).
    pub fn hash(&self, luma: &LumaImage) -> PdqHash {
        let luma = self.front_end(luma);
        match downscale_64(&luma, true) {
            None => PdqHash {
                hash: Hash256::ZERO,
                quality: 0,
            },
            Some(buf) => PdqHash {
                hash: bits_from_dct(&dct_16(&buf)),
                quality: quality_64(&buf),
            },
        }
    }

    /// The eight dihedral hashes in [`Dihedral::ALL`] order, from one DCT (the reference's
    /// `pdqDihedralHash256esFromFloatLuma`; each variant gets its own median).
    pub fn hash_dihedral(&self, luma: &LumaImage) -> [PdqHash; 8] {
        let luma = self.front_end(luma);
        match downscale_64(&luma, false) {
            None => {
                [PdqHash {
                    hash: Hash256::ZERO,
                    quality: 0,
                }; 8]
            }
            Some(buf) => {
                let b = dct_16(&buf);
                let quality = quality_64(&buf);
                Dihedral::ALL.map(|d| PdqHash {
                    hash: bits_from_dct(&d.apply_to_dct(&b)),
                    quality,
                })
            }
        }
    }

    /// The hashes of `luma` under the given transforms, from one filter pass and one DCT
    /// (each variant gets its own median). Unlike [`PdqHasher::hash_dihedral`], the 64×64 input
    /// shortcut of the plain path is kept, so [`Dihedral::Original`] is exactly
    /// [`PdqHasher::hash`].
    pub(crate) fn hash_transforms(
        &self,
        luma: &LumaImage,
        transforms: &[Dihedral],
    ) -> Vec<PdqHash> {
        let luma = self.front_end(luma);
        match downscale_64(&luma, true) {
            None => vec![
                PdqHash {
                    hash: Hash256::ZERO,
                    quality: 0,
                };
                transforms.len()
            ],
            Some(buf) => {
                let b = dct_16(&buf);
                let quality = quality_64(&buf);
                transforms
                    .iter()
                    .map(|&d| PdqHash {
                        hash: if d == Dihedral::Original {
                            bits_from_dct(&b)
                        } else {
                            bits_from_dct(&d.apply_to_dct(&b))
                        },
                        quality,
                    })
                    .collect()
            }
        }
    }

    /// Hashes a decoded image (see [`LumaImage::from_image`] for how each pixel format is read).
    pub fn hash_image(&self, img: &DynamicImage) -> PdqHash {
        if let DynamicImage::ImageRgb8(b) = img {
            let (w, h) = (b.width() as usize, b.height() as usize);
            if let Ok(hash) = self.hash_rgb8(b.as_raw(), w, h, w * 3) {
                return hash;
            }
        }
        self.hash(&self.luma_of(img))
    }

    /// The eight dihedral hashes of a decoded image.
    pub fn hash_image_dihedral(&self, img: &DynamicImage) -> [PdqHash; 8] {
        self.hash_dihedral(&self.luma_of(img))
    }

    /// Hashes a packed RGB8 buffer (`stride` bytes per row), without copying it into an image.
    pub fn hash_rgb8(
        &self,
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<PdqHash> {
        crate::luma::check_buffer(data.len(), width, height, stride, 3)?;
        let small = width <= 512 && height <= 512;
        let fused = (self.config.mode == PdqMode::Full || small)
            && width >= MIN_HASHABLE_DIM
            && height >= MIN_HASHABLE_DIM
            && !(width == 64 && height == 64);
        if !fused {
            return Ok(self.hash(&LumaImage::from_rgb8(data, width, height, stride)?));
        }
        // Luma is computed while the first filter pass reads the rows: the same float
        // operations as LumaImage::from_rgb8 + hash, without the full-size luma plane.
        let buf = downscale::filter_and_decimate_from(
            &downscale::RgbSource {
                data,
                rows: height,
                cols: width,
                stride,
            },
            height,
            width,
        );
        Ok(PdqHash {
            hash: bits_from_dct(&dct_16(&buf)),
            quality: quality_64(&buf),
        })
    }

    /// Hashes an 8-bit grey buffer (`stride` bytes per row). In [`PdqMode::Full`] grey is read
    /// as R=G=B (python-threatexchange); in [`PdqMode::Cli512`] as `Y = v` (C++ tool).
    pub fn hash_luma8(
        &self,
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<PdqHash> {
        let luma = match self.config.mode {
            PdqMode::Full => LumaImage::from_gray8_as_rgb(data, width, height, stride)?,
            PdqMode::Cli512 => LumaImage::from_gray8(data, width, height, stride)?,
        };
        Ok(self.hash(&luma))
    }

    /// Decodes (under the configured limits) and hashes an encoded image.
    pub fn hash_bytes(&self, bytes: &[u8]) -> Result<PdqHash> {
        let img = decode_image(
            bytes,
            self.config.limits,
            self.config.apply_exif_orientation,
        )?;
        Ok(self.hash_image(&img))
    }

    /// Decodes and returns the eight dihedral hashes of an encoded image.
    pub fn hash_bytes_dihedral(&self, bytes: &[u8]) -> Result<[PdqHash; 8]> {
        let img = decode_image(
            bytes,
            self.config.limits,
            self.config.apply_exif_orientation,
        )?;
        Ok(self.hash_image_dihedral(&img))
    }

    /// Decodes (under the configured limits) and hashes an image file.
    pub fn hash_file(&self, path: impl AsRef<Path>) -> Result<PdqHash> {
        let img = decode_image_file(path, self.config.limits, self.config.apply_exif_orientation)?;
        Ok(self.hash_image(&img))
    }

    /// Decodes an image file and returns its eight dihedral hashes.
    pub fn hash_file_dihedral(&self, path: impl AsRef<Path>) -> Result<[PdqHash; 8]> {
        let img = decode_image_file(path, self.config.limits, self.config.apply_exif_orientation)?;
        Ok(self.hash_image_dihedral(&img))
    }

    /// Hashes many files in parallel on the current rayon pool (use `pool.install(..)` to pick
    /// a pool). Results are in input order; each file fails or succeeds on its own.
    pub fn hash_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<PdqHash>> {
        paths.par_iter().map(|p| self.hash_file(p)).collect()
    }

    /// Hashes many luma images in parallel on the current rayon pool, in input order.
    pub fn hash_many(&self, images: &[LumaImage]) -> Vec<PdqHash> {
        images.par_iter().map(|l| self.hash(l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(w: usize, h: usize) -> LumaImage {
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = ((k % w) as f32, (k / w) as f32);
                (128.0 + 60.0 * (x * 0.05).sin() * (y * 0.031).cos() + (x * y * 0.001).sin() * 40.0)
                    .floor()
            })
            .collect();
        LumaImage::from_f32(w, h, data).unwrap()
    }

    #[test]
    fn tiny_images_give_zero_hash() {
        let h = PdqHasher::new();
        for (w, hh) in [(4, 100), (100, 4), (0, 0), (3, 3)] {
            let l = LumaImage::from_f32(w, hh, vec![1.0; w * hh]).unwrap();
            assert_eq!(
                h.hash(&l),
                PdqHash {
                    hash: Hash256::ZERO,
                    quality: 0
                }
            );
            assert!(h.hash_dihedral(&l).iter().all(|x| x.hash == Hash256::ZERO));
        }
    }

    #[test]
    fn dihedral_of_transformed_image_is_close() {
        // Mirroring the picture and hashing it must land near the FlipY variant of the original.
        let (w, h) = (200, 150);
        let img = pattern(w, h);
        let mut mirrored = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                mirrored[y * w + (w - 1 - x)] = img.get(x, y);
            }
        }
        let m = LumaImage::from_f32(w, h, mirrored).unwrap();
        let hasher = PdqHasher::new();
        let d = hasher.hash_dihedral(&img);
        let hm = hasher.hash(&m).hash;
        assert!(d[Dihedral::FlipY as usize].hash.distance(&hm) <= 16);
        assert!(d[0].hash.distance(&hm) > 40);
    }

    #[test]
    fn fused_rgb_path_equals_luma_path() {
        let hasher = PdqHasher::new();
        for (w, h) in [(5, 5), (64, 64), (65, 9), (130, 257), (700, 300), (9, 1100)] {
            let mut s = (w * 31 + h) as u32;
            let rgb: Vec<u8> = (0..w * h * 3)
                .map(|k| {
                    s = s.wrapping_mul(1664525).wrapping_add(1013904223);
                    ((k % (w * 3)) as u32 / 3 + (s >> 28)) as u8
                })
                .collect();
            let a = hasher.hash_rgb8(&rgb, w, h, w * 3).unwrap();
            let b = hasher.hash(&LumaImage::from_rgb8(&rgb, w, h, w * 3).unwrap());
            assert_eq!(a, b, "{w}x{h}");
            let cli = PdqHasher::new().with_mode(PdqMode::Cli512);
            let a = cli.hash_rgb8(&rgb, w, h, w * 3).unwrap();
            let b = cli.hash(&LumaImage::from_rgb8(&rgb, w, h, w * 3).unwrap());
            assert_eq!(a, b, "cli512 {w}x{h}");
        }
    }

    #[test]
    fn balanced_bits() {
        let h = PdqHasher::new().hash(&pattern(300, 200));
        assert_eq!(h.hash.count_ones(), 128);
    }
}
