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
mod enlarge;
mod quality;

use std::path::Path;

use image::DynamicImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use dihedral::Dihedral;
pub use enlarge::Enlarge;

use image::ColorType;

use crate::decode::{decode_bytes_with, decode_file_with, CancelToken, DecodeLimits, Interrupt};
use crate::error::Result;
use crate::hash::{Hash256, PdqHash};
use crate::input::{ImageInput, PixelFormat, RawFrame};
use crate::luma::LumaImage;
use downscale::{Layout, PixelSource};

/// Images narrower or shorter than this get the all-zero hash and quality 0 (the reference's
/// `MIN_HASHABLE_DIM`).
pub const MIN_HASHABLE_DIM: usize = 5;

/// Which front end turns an image into the PDQ input. Serialised as `"full"` / `"cli512"`
/// (the CamelCase names of earlier versions are still read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PdqMode {
    /// Full resolution (python-threatexchange / HMA / Java parity). The default.
    #[default]
    #[serde(alias = "Full")]
    Full,
    /// The C++ CLI's nearest-neighbour squash to 512×512 for images over 512 px on a side,
    /// and `Y = v` for one-channel images.
    #[serde(alias = "Cli512")]
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
    /// phone photos). Rotating makes a second buffer of the decoded image's size, so the peak
    /// memory of a rotated photo doubles with it on.
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
    cancel: Option<CancelToken>,
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
        PdqHasher {
            config,
            cancel: None,
        }
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

    /// Stops this hasher's calls that return a `Result` when `token` is cancelled (they fail
    /// with [`DecodeErrorKind::Cancelled`](crate::error::DecodeErrorKind::Cancelled)).
    #[must_use]
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    fn interrupt(&self) -> Interrupt {
        Interrupt::new(&self.config.limits, self.cancel.as_ref())
    }

    /// The 64×64 buffer of `px` after the front end; `None` for images too small to hash.
    fn buffer(
        &self,
        px: &Pixels<'_>,
        shortcut: bool,
        interrupt: &Interrupt,
    ) -> Result<Option<Box<[f32; 4096]>>> {
        let (w, h) = px.dims();
        if self.config.mode == PdqMode::Cli512 && (w > 512 || h > 512) {
            // The C++ tool's nearest-neighbour squash (CImg's rule, as in
            // `LumaImage::resize_nearest`), sampled straight from the pixels.
            let mut data = Vec::with_capacity(512 * 512);
            for y in 0..512 {
                let sy = y * h / 512;
                data.extend((0..512).map(|x| px.at(sy, x * w / 512)));
            }
            let small = LumaImage::from_f32(512, 512, data)?;
            return filter(&Pixels::Luma(&small), shortcut, interrupt);
        }
        filter(px, shortcut, interrupt)
    }

    fn hash_px(&self, px: &Pixels<'_>, interrupt: &Interrupt) -> Result<PdqHash> {
        Ok(match self.buffer(px, true, interrupt)? {
            None => PdqHash::ZERO_QUALITY,
            Some(buf) => PdqHash {
                hash: bits_from_dct(&dct_16(&buf)),
                quality: quality_64(&buf),
            },
        })
    }

    fn hash_px_dihedral(&self, px: &Pixels<'_>, interrupt: &Interrupt) -> Result<[PdqHash; 8]> {
        Ok(match self.buffer(px, false, interrupt)? {
            None => [PdqHash::ZERO_QUALITY; 8],
            Some(buf) => {
                let b = dct_16(&buf);
                let quality = quality_64(&buf);
                Dihedral::ALL.map(|d| PdqHash {
                    hash: bits_from_dct(&d.apply_to_dct(&b)),
                    quality,
                })
            }
        })
    }

    /// How a grey sample becomes luma in this hasher's mode.
    fn grey(&self, bpp: usize) -> Layout {
        match self.config.mode {
            PdqMode::Full => Layout::GreyAsRgb { bpp },
            PdqMode::Cli512 => Layout::Grey { bpp },
        }
    }

    /// Runs `f` on the pixels of a decoded image (see [`LumaImage::from_image`] for how each
    /// pixel format is read). 8-bit images are read in place; others are converted to 8 bits
    /// first (one 8-bit copy), never to a float plane.
    fn with_pixels<R>(&self, img: &DynamicImage, f: impl FnOnce(&Pixels<'_>) -> R) -> R {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let packed = |data: &[u8], layout: Layout| -> R {
            f(&Pixels::Packed(PixelSource {
                data,
                rows: h,
                cols: w,
                stride: w * layout.bpp(),
                layout,
            }))
        };
        match img {
            DynamicImage::ImageRgb8(b) => packed(b.as_raw(), Layout::Rgb { bpp: 3 }),
            DynamicImage::ImageRgba8(b) => packed(b.as_raw(), Layout::Rgb { bpp: 4 }),
            DynamicImage::ImageLuma8(b) => packed(b.as_raw(), self.grey(1)),
            DynamicImage::ImageLumaA8(b) => packed(b.as_raw(), self.grey(2)),
            DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_)
                if self.config.mode == PdqMode::Cli512 =>
            {
                packed(img.to_luma8().as_raw(), Layout::Grey { bpp: 1 })
            }
            other => packed(other.to_rgb8().as_raw(), Layout::Rgb { bpp: 3 }),
        }
    }

    /// The allocations this hasher makes for a `w` x `h` image of colour type `color`, beyond
    /// the decoded buffer, checked against [`DecodeLimits::max_alloc`] from the header.
    fn check_header(&self, w: u32, h: u32, color: ColorType) -> Result<()> {
        let limits = &self.config.limits;
        let (w, h) = (w as u64, h as u64);
        let direct = matches!(
            color,
            ColorType::Rgb8 | ColorType::Rgba8 | ColorType::L8 | ColorType::La8
        );
        if !direct {
            limits.check_alloc(w * h * 3, "8-bit conversion")?;
        }
        let (fw, fh) = if self.config.mode == PdqMode::Cli512 && (w > 512 || h > 512) {
            limits.check_alloc(512 * 512 * 4, "512x512 luma")?;
            (512, 512)
        } else {
            (w, h)
        };
        limits.check_alloc(
            downscale::scratch_bytes(fh as usize, fw as usize),
            "filter scratch",
        )
    }

    fn decode(&self, input: &ImageInput<'_>, interrupt: &Interrupt) -> Result<DynamicImage> {
        let check = |w, h, c| self.check_header(w, h, c);
        let (limits, orient) = (self.config.limits, self.config.apply_exif_orientation);
        match input {
            ImageInput::Path(p) => decode_file_with(p, limits, orient, interrupt, &check),
            ImageInput::Bytes(b) => decode_bytes_with(b, limits, orient, interrupt, &check),
            _ => Err(crate::error::Error::invalid("not an encoded input")),
        }
    }

    fn frame_pixels<'a>(&self, f: &RawFrame<'a>) -> PixelSource<'a> {
        PixelSource {
            data: f.data,
            rows: f.height,
            cols: f.width,
            stride: f.stride,
            layout: match f.format {
                PixelFormat::Rgb8 => Layout::Rgb { bpp: 3 },
                PixelFormat::Rgba8 => Layout::Rgb { bpp: 4 },
                PixelFormat::Gray8 => self.grey(1),
            },
        }
    }

    /// Hashes any [`ImageInput`]: a file path, encoded bytes, a decoded image, a luma plane
    /// or a raw frame. **The preferred entry point**; the `hash_file`, `hash_bytes`,
    /// `hash_image`, `hash_rgb8`… methods are the same computation for one input kind each.
    ///
    /// Encoded inputs are decoded under [`PdqConfig::limits`] (pixel count, every allocation
    /// checked from the header, optional time limit); the call also stops when the
    /// [`CancelToken`] given to [`PdqHasher::with_cancel`] is cancelled. Peak memory is the
    /// decoded image plus about `(window + 28) × width` floats of filter scratch (under 1 MB
    /// for a 12 MP photo; window = ⌈height / 128⌉).
    ///
    /// CPU-bound: from async code, call it inside `tokio::task::spawn_blocking` (or on a rayon
    /// pool through `pool.spawn` / `pool.install`), not on the async executor's threads.
    ///
    /// ```
    /// use mediamatch::{PdqHasher, RawFrame, PixelFormat};
    /// let img = image::RgbImage::from_fn(120, 90, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 251) as u8]));
    /// let mut png = Vec::new();
    /// img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    ///
    /// let hasher = PdqHasher::new();
    /// let from_bytes = hasher.hash_input(&png[..])?;
    /// let frame = RawFrame::new(img.as_raw(), 120, 90, 360, PixelFormat::Rgb8)?;
    /// assert_eq!(hasher.hash_input(frame)?, from_bytes);
    /// assert_eq!(hasher.hash_input(&image::DynamicImage::ImageRgb8(img))?, from_bytes);
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn hash_input<'a>(&self, input: impl Into<ImageInput<'a>>) -> Result<PdqHash> {
        let input = input.into();
        let interrupt = self.interrupt();
        interrupt.check()?;
        match &input {
            ImageInput::Luma(l) => self.hash_px(&Pixels::Luma(l), &interrupt),
            ImageInput::Frame(f) => self.hash_px(&Pixels::Packed(self.frame_pixels(f)), &interrupt),
            ImageInput::Image(img) => self.with_pixels(img, |px| self.hash_px(px, &interrupt)),
            _ => {
                let img = self.decode(&input, &interrupt)?;
                self.with_pixels(&img, |px| self.hash_px(px, &interrupt))
            }
        }
    }

    /// The eight dihedral hashes (in [`Dihedral::ALL`] order) of any [`ImageInput`], under the
    /// same limits as [`PdqHasher::hash_input`].
    pub fn hash_input_dihedral<'a>(
        &self,
        input: impl Into<ImageInput<'a>>,
    ) -> Result<[PdqHash; 8]> {
        let input = input.into();
        let interrupt = self.interrupt();
        interrupt.check()?;
        match &input {
            ImageInput::Luma(l) => self.hash_px_dihedral(&Pixels::Luma(l), &interrupt),
            ImageInput::Frame(f) => {
                self.hash_px_dihedral(&Pixels::Packed(self.frame_pixels(f)), &interrupt)
            }
            ImageInput::Image(img) => {
                self.with_pixels(img, |px| self.hash_px_dihedral(px, &interrupt))
            }
            _ => {
                let img = self.decode(&input, &interrupt)?;
                self.with_pixels(&img, |px| self.hash_px_dihedral(px, &interrupt))
            }
        }
    }

    /// Hashes a luma image (the reference's `pdqHash256FromFloatLuma`).
    pub fn hash(&self, luma: &LumaImage) -> PdqHash {
        self.hash_px(&Pixels::Luma(luma), &Interrupt::default())
            .unwrap_or(PdqHash::ZERO_QUALITY)
    }

    /// The eight dihedral hashes in [`Dihedral::ALL`] order, from one DCT (the reference's
    /// `pdqDihedralHash256esFromFloatLuma`; each variant gets its own median).
    pub fn hash_dihedral(&self, luma: &LumaImage) -> [PdqHash; 8] {
        self.hash_px_dihedral(&Pixels::Luma(luma), &Interrupt::default())
            .unwrap_or([PdqHash::ZERO_QUALITY; 8])
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
        match self.buffer(&Pixels::Luma(luma), true, &Interrupt::default()) {
            Ok(Some(buf)) => {
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
            _ => vec![PdqHash::ZERO_QUALITY; transforms.len()],
        }
    }

    /// Hashes a decoded image (see [`LumaImage::from_image`] for how each pixel format is read).
    pub fn hash_image(&self, img: &DynamicImage) -> PdqHash {
        self.with_pixels(img, |px| self.hash_px(px, &Interrupt::default()))
            .unwrap_or(PdqHash::ZERO_QUALITY)
    }

    /// The eight dihedral hashes of a decoded image.
    pub fn hash_image_dihedral(&self, img: &DynamicImage) -> [PdqHash; 8] {
        self.with_pixels(img, |px| self.hash_px_dihedral(px, &Interrupt::default()))
            .unwrap_or([PdqHash::ZERO_QUALITY; 8])
    }

    /// Hashes a packed RGB8 buffer (`stride` bytes per row), without copying it into an image.
    pub fn hash_rgb8(
        &self,
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<PdqHash> {
        self.hash_raw(data, width, height, stride, PixelFormat::Rgb8)
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
        self.hash_raw(data, width, height, stride, PixelFormat::Gray8)
    }

    fn hash_raw(
        &self,
        data: &[u8],
        width: usize,
        height: usize,
        stride: usize,
        format: PixelFormat,
    ) -> Result<PdqHash> {
        self.hash_input(RawFrame::new(data, width, height, stride, format)?)
    }

    /// Decodes (under the configured limits) and hashes an encoded image.
    pub fn hash_bytes(&self, bytes: &[u8]) -> Result<PdqHash> {
        self.hash_input(ImageInput::Bytes(bytes))
    }

    /// Decodes and returns the eight dihedral hashes of an encoded image.
    pub fn hash_bytes_dihedral(&self, bytes: &[u8]) -> Result<[PdqHash; 8]> {
        self.hash_input_dihedral(ImageInput::Bytes(bytes))
    }

    /// Decodes (under the configured limits) and hashes an image file.
    pub fn hash_file(&self, path: impl AsRef<Path>) -> Result<PdqHash> {
        self.hash_input(ImageInput::Path(path.as_ref()))
    }

    /// Decodes an image file and returns its eight dihedral hashes.
    pub fn hash_file_dihedral(&self, path: impl AsRef<Path>) -> Result<[PdqHash; 8]> {
        self.hash_input_dihedral(ImageInput::Path(path.as_ref()))
    }

    /// Hashes many files in parallel on the current rayon pool (by default rayon's global
    /// pool; call it inside `pool.install(|| ..)` to use your own `rayon::ThreadPool`).
    /// Results are in input order; each file fails or succeeds on its own.
    pub fn hash_files<P: AsRef<Path> + Sync>(&self, paths: &[P]) -> Vec<Result<PdqHash>> {
        paths.par_iter().map(|p| self.hash_file(p)).collect()
    }

    /// Hashes many inputs of any kind in parallel on the current rayon pool (see
    /// [`PdqHasher::hash_files`] for the choice of pool), in input order.
    pub fn hash_inputs(&self, inputs: &[ImageInput<'_>]) -> Vec<Result<PdqHash>> {
        inputs.par_iter().map(|&i| self.hash_input(i)).collect()
    }

    /// Hashes many luma images in parallel on the current rayon pool, in input order.
    pub fn hash_many(&self, images: &[LumaImage]) -> Vec<PdqHash> {
        images.par_iter().map(|l| self.hash(l)).collect()
    }
}

/// Where the hasher reads full-resolution luma from.
enum Pixels<'a> {
    Luma(&'a LumaImage),
    Packed(PixelSource<'a>),
}

impl Pixels<'_> {
    /// (width, height).
    fn dims(&self) -> (usize, usize) {
        match self {
            Pixels::Luma(l) => (l.width(), l.height()),
            Pixels::Packed(p) => (p.cols, p.rows),
        }
    }
    /// The luma at row `r`, column `c`.
    fn at(&self, r: usize, c: usize) -> f32 {
        match self {
            Pixels::Luma(l) => l.as_slice()[r * l.width() + c],
            Pixels::Packed(p) => p.luma_at(r, c),
        }
    }
}

/// Filter + decimation of `px` to 64×64 (`shortcut`: a 64×64 input is used as is, the plain
/// hash path's rule); `None` under [`MIN_HASHABLE_DIM`].
fn filter(
    px: &Pixels<'_>,
    shortcut: bool,
    interrupt: &Interrupt,
) -> Result<Option<Box<[f32; 4096]>>> {
    let (w, h) = px.dims();
    if w < MIN_HASHABLE_DIM || h < MIN_HASHABLE_DIM {
        return Ok(None);
    }
    if shortcut && w == 64 && h == 64 {
        let mut b = Box::new([0.0f32; 4096]);
        for (k, v) in b.iter_mut().enumerate() {
            *v = px.at(k / 64, k % 64);
        }
        return Ok(Some(b));
    }
    let stop = || interrupt.is_stopped();
    let buf = match px {
        Pixels::Luma(l) => downscale::filter_and_decimate_from(
            &downscale::LumaSource {
                data: l.as_slice(),
                rows: h,
                cols: w,
            },
            h,
            w,
            &stop,
        ),
        Pixels::Packed(p) => downscale::filter_and_decimate_from(p, h, w, &stop),
    };
    match buf {
        Some(b) => Ok(Some(Box::new(b))),
        None => Err(interrupt
            .check()
            .err()
            .unwrap_or_else(|| crate::error::Error::invalid("interrupted"))),
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
