//! Image transformations that re-uploads apply to a picture: re-encoding, rescaling, cropping,
//! bars, flips and rotations, overlays, colour changes, blur and noise.
//!
//! Every transformation is deterministic: the same input and seed always give the same pixels.
//! Only [`Transform::Noise`] and [`Transform::Overlay`] read the seed.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use super::glyph::text_mask;
use super::prng::SplitMix64;
use crate::error::{DecodeError, DecodeErrorKind, Error, Result};

/// What fills the bars that [`Transform::Letterbox`] and [`Transform::Pillarbox`] add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Bars {
    /// Flat black.
    Black,
    /// The picture itself, stretched over the whole frame and heavily blurred (what phone apps
    /// and social video do to fill a frame of another shape).
    Blurred,
}

/// One transformation of an image, with its strength.
///
/// Names (from [`Transform::name`]) are short, stable and used as row labels in benchmark
/// output. The result is always an 8-bit RGB image, except [`Transform::Greyscale`] which gives
/// an 8-bit grey one.
///
/// ```
/// use mediamatch::robustness::{Bars, Transform};
/// use image::{DynamicImage, RgbImage};
/// let img = DynamicImage::ImageRgb8(RgbImage::from_fn(64, 48, |x, y| {
///     image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
/// }));
/// let t = Transform::Letterbox { bars: Bars::Blurred };
/// let out = t.apply(&img, 1)?;
/// assert_eq!((out.width(), out.height()), (64, 64)); // 48 rows of content + 2 bars of 8
/// assert_eq!(t.name(), "letterbox-blur");
/// assert_eq!(Transform::standard_set().len(), 30);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Transform {
    /// No change (a sanity row: recall must be 100 %).
    Identity,
    /// JPEG re-encode at this quality (1..=100) with image-rs's encoder, then decode.
    Jpeg {
        /// JPEG quality, 1..=100.
        quality: u8,
    },
    /// Resize both sides to this percentage (50 = half, 200 = double), triangle filter down,
    /// Catmull-Rom up. Sides never go below 1 pixel.
    Scale {
        /// Target size in percent of the original.
        percent: u16,
    },
    /// Keep the centre: remove `percent` % of the width and of the height, half from each side.
    Crop {
        /// Total percentage removed per axis (0..=90).
        percent: u8,
    },
    /// Bars above and below: the output is 4/3 as tall as the input, the picture centred.
    Letterbox {
        /// What fills the bars.
        bars: Bars,
    },
    /// Bars left and right: the output is 4/3 as wide as the input, the picture centred.
    Pillarbox {
        /// What fills the bars.
        bars: Bars,
    },
    /// Left–right mirror.
    Mirror,
    /// Rotation by 90° clockwise.
    Rotate90,
    /// Rotation by 180°.
    Rotate180,
    /// Small rotation about the centre, same canvas size, corners filled black, bilinear.
    Rotate {
        /// Angle in tenths of a degree; positive is counter-clockwise.
        decidegrees: i16,
    },
    /// A synthetic logo (a framed badge) in one corner and a line of blocky white-on-black
    /// caption text along the bottom; the corner depends on the seed.
    Overlay,
    /// Adds `delta` to every channel (clamped).
    Brightness {
        /// Levels added, −255..=255.
        delta: i16,
    },
    /// Scales every channel's distance from mid-grey 128 by `(100 + percent) / 100`.
    Contrast {
        /// Change in percent (−100..).
        percent: i16,
    },
    /// Gamma curve `out = 255 (in / 255)^(hundredths / 100)`.
    Gamma {
        /// Exponent in hundredths (60 = 0.6, brighter mid-tones; 160 = 1.6, darker).
        hundredths: u16,
    },
    /// Converts to 8-bit grey (image-rs's luma weights).
    Greyscale,
    /// Almost-Gaussian blur with σ given relative to the shorter side.
    Blur {
        /// σ in thousandths of the shorter side (10 = 1 %), at least 0.5 pixels.
        sigma_permille: u16,
    },
    /// Seeded Gaussian noise on every channel.
    Noise {
        /// Standard deviation in levels.
        sigma: u8,
    },
    /// Changes the aspect ratio: the width stays, the height becomes `percent` % of itself.
    Squash {
        /// New height in percent of the old.
        percent: u8,
    },
}

impl Transform {
    /// The transformations the robustness benchmark runs, in report order (30 rows, starting
    /// with [`Transform::Identity`]).
    pub fn standard_set() -> Vec<Transform> {
        use Transform::*;
        vec![
            Identity,
            Jpeg { quality: 90 },
            Jpeg { quality: 50 },
            Jpeg { quality: 20 },
            Scale { percent: 50 },
            Scale { percent: 25 },
            Scale { percent: 200 },
            Crop { percent: 5 },
            Crop { percent: 10 },
            Crop { percent: 20 },
            Letterbox { bars: Bars::Black },
            Letterbox {
                bars: Bars::Blurred,
            },
            Pillarbox { bars: Bars::Black },
            Pillarbox {
                bars: Bars::Blurred,
            },
            Mirror,
            Rotate90,
            Rotate180,
            Rotate { decidegrees: 50 },
            Rotate { decidegrees: -50 },
            Overlay,
            Brightness { delta: 40 },
            Brightness { delta: -40 },
            Contrast { percent: 40 },
            Contrast { percent: -40 },
            Gamma { hundredths: 60 },
            Gamma { hundredths: 160 },
            Greyscale,
            Blur { sigma_permille: 10 },
            Noise { sigma: 12 },
            Squash { percent: 75 },
        ]
    }

    /// A short stable name, e.g. `jpeg-q50`, `crop-10%`, `pillarbox-blur`, `rot-5.0`.
    pub fn name(&self) -> String {
        let bars = |b: &Bars| match b {
            Bars::Black => "black",
            Bars::Blurred => "blur",
        };
        match self {
            Transform::Identity => "identity".into(),
            Transform::Jpeg { quality } => format!("jpeg-q{quality}"),
            Transform::Scale { percent } => format!("scale-{percent}%"),
            Transform::Crop { percent } => format!("crop-{percent}%"),
            Transform::Letterbox { bars: b } => format!("letterbox-{}", bars(b)),
            Transform::Pillarbox { bars: b } => format!("pillarbox-{}", bars(b)),
            Transform::Mirror => "mirror".into(),
            Transform::Rotate90 => "rot90".into(),
            Transform::Rotate180 => "rot180".into(),
            Transform::Rotate { decidegrees } => {
                let sign = if *decidegrees < 0 { '-' } else { '+' };
                let a = decidegrees.unsigned_abs();
                format!("rot{sign}{}.{}", a / 10, a % 10)
            }
            Transform::Overlay => "overlay".into(),
            Transform::Brightness { delta } => format!("bright{delta:+}"),
            Transform::Contrast { percent } => format!("contrast{percent:+}%"),
            Transform::Gamma { hundredths } => {
                format!("gamma-{}.{:02}", hundredths / 100, hundredths % 100)
            }
            Transform::Greyscale => "greyscale".into(),
            Transform::Blur { sigma_permille } => {
                format!("blur-{}.{}%", sigma_permille / 10, sigma_permille % 10)
            }
            Transform::Noise { sigma } => format!("noise-s{sigma}"),
            Transform::Squash { percent } => format!("squash-h{percent}%"),
        }
    }

    /// Applies the transformation. `seed` drives the random parts (noise, overlay corner).
    ///
    /// Errors with [`Error::InvalidInput`] for an empty image or an out-of-range parameter
    /// (JPEG quality 0, crop over 90 %, scale or squash of 0 %), and with [`Error::Decode`] if
    /// the JPEG round trip fails. Never panics.
    pub fn apply(&self, img: &DynamicImage, seed: u64) -> Result<DynamicImage> {
        let (w, h) = (img.width(), img.height());
        if w == 0 || h == 0 {
            return Err(Error::invalid("cannot transform an empty image"));
        }
        let rgb = || img.to_rgb8();
        Ok(match *self {
            Transform::Identity => img.clone(),
            Transform::Jpeg { quality } => {
                if quality == 0 || quality > 100 {
                    return Err(Error::invalid("JPEG quality must be 1..=100"));
                }
                jpeg_round_trip(&rgb(), quality)?
            }
            Transform::Scale { percent } => {
                if percent == 0 {
                    return Err(Error::invalid("scale percentage must be positive"));
                }
                let nw = scaled(w, percent.into());
                let nh = scaled(h, percent.into());
                let filter = if percent < 100 {
                    FilterType::Triangle
                } else {
                    FilterType::CatmullRom
                };
                DynamicImage::ImageRgb8(imageops::resize(&rgb(), nw, nh, filter))
            }
            Transform::Crop { percent } => {
                if percent > 90 {
                    return Err(Error::invalid("crop percentage must be at most 90"));
                }
                let cut_w = w as u64 * u64::from(percent) / 200;
                let cut_h = h as u64 * u64::from(percent) / 200;
                let (cw, ch) = (w - 2 * cut_w as u32, h - 2 * cut_h as u32);
                DynamicImage::ImageRgb8(
                    imageops::crop_imm(&rgb(), cut_w as u32, cut_h as u32, cw, ch).to_image(),
                )
            }
            Transform::Letterbox { bars } => {
                let bar = h / 6;
                DynamicImage::ImageRgb8(add_bars(&rgb(), 0, bar, bars))
            }
            Transform::Pillarbox { bars } => {
                let bar = w / 6;
                DynamicImage::ImageRgb8(add_bars(&rgb(), bar, 0, bars))
            }
            Transform::Mirror => DynamicImage::ImageRgb8(imageops::flip_horizontal(&rgb())),
            Transform::Rotate90 => DynamicImage::ImageRgb8(imageops::rotate90(&rgb())),
            Transform::Rotate180 => DynamicImage::ImageRgb8(imageops::rotate180(&rgb())),
            Transform::Rotate { decidegrees } => {
                DynamicImage::ImageRgb8(rotate_small(&rgb(), f32::from(decidegrees) / 10.0))
            }
            Transform::Overlay => DynamicImage::ImageRgb8(overlay(rgb(), seed)),
            Transform::Brightness { delta } => {
                let d = f32::from(delta);
                map_channels(rgb(), |v| v + d)
            }
            Transform::Contrast { percent } => {
                let k = (100.0 + f32::from(percent)) / 100.0;
                map_channels(rgb(), |v| 128.0 + (v - 128.0) * k)
            }
            Transform::Gamma { hundredths } => {
                if hundredths == 0 {
                    return Err(Error::invalid("gamma must be positive"));
                }
                let g = f32::from(hundredths) / 100.0;
                map_channels(rgb(), |v| 255.0 * (v / 255.0).powf(g))
            }
            Transform::Greyscale => DynamicImage::ImageLuma8(img.to_luma8()),
            Transform::Blur { sigma_permille } => {
                let sigma = (w.min(h) as f32 * f32::from(sigma_permille) / 1000.0).max(0.5);
                DynamicImage::ImageRgb8(imageops::fast_blur(&rgb(), sigma))
            }
            Transform::Noise { sigma } => {
                let mut rng = SplitMix64::new(seed ^ 0x6E6F_6973_6521);
                let s = f32::from(sigma);
                let mut out = rgb();
                for v in out.iter_mut() {
                    *v = clamp_u8(f32::from(*v) + s * rng.next_gaussian());
                }
                DynamicImage::ImageRgb8(out)
            }
            Transform::Squash { percent } => {
                if percent == 0 {
                    return Err(Error::invalid("squash percentage must be positive"));
                }
                let nh = scaled(h, percent.into());
                DynamicImage::ImageRgb8(imageops::resize(&rgb(), w, nh, FilterType::Triangle))
            }
        })
    }
}

impl std::fmt::Display for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

fn scaled(side: u32, percent: u64) -> u32 {
    ((side as u64 * percent + 50) / 100).clamp(1, u32::MAX as u64) as u32
}

fn clamp_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

fn map_channels(mut img: RgbImage, f: impl Fn(f32) -> f32) -> DynamicImage {
    let lut: Vec<u8> = (0..=255u16).map(|v| clamp_u8(f(f32::from(v)))).collect();
    for v in img.iter_mut() {
        *v = lut[usize::from(*v)];
    }
    DynamicImage::ImageRgb8(img)
}

fn jpeg_round_trip(img: &RgbImage, quality: u8) -> Result<DynamicImage> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .map_err(|_| Error::invalid("JPEG encoding failed (image too large for JPEG?)"))?;
    let mut reader = image::ImageReader::new(Cursor::new(bytes));
    reader.set_format(image::ImageFormat::Jpeg);
    reader
        .decode()
        .map_err(|e| Error::Decode(DecodeError::new(DecodeErrorKind::Malformed, Some(e.into()))))
}

/// Centres `img` on a canvas `2 * bar_x` wider and `2 * bar_y` taller.
fn add_bars(img: &RgbImage, bar_x: u32, bar_y: u32, bars: Bars) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cw, ch) = (w + 2 * bar_x, h + 2 * bar_y);
    let mut canvas = match bars {
        Bars::Black => RgbImage::new(cw, ch),
        Bars::Blurred => {
            let stretched = imageops::resize(img, cw, ch, FilterType::Triangle);
            let sigma = (cw.max(ch) as f32 / 40.0).max(2.0);
            imageops::fast_blur(&stretched, sigma)
        }
    };
    imageops::replace(&mut canvas, img, i64::from(bar_x), i64::from(bar_y));
    canvas
}

/// Rotates about the centre by `degrees` (counter-clockwise), bilinear, black outside.
pub(super) fn rotate_small(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let sample = |x: f32, y: f32, ch: usize| -> f32 {
        let (xi, yi) = (x.floor(), y.floor());
        let (fx, fy) = (x - xi, y - yi);
        let at = |xx: f32, yy: f32| -> f32 {
            if xx < 0.0 || yy < 0.0 || xx > (w - 1) as f32 || yy > (h - 1) as f32 {
                0.0
            } else {
                f32::from(img.get_pixel(xx as u32, yy as u32)[ch])
            }
        };
        let top = at(xi, yi) * (1.0 - fx) + at(xi + 1.0, yi) * fx;
        let bottom = at(xi, yi + 1.0) * (1.0 - fx) + at(xi + 1.0, yi + 1.0) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    ImageBuffer::from_fn(w, h, |x, y| {
        // Inverse mapping: where in the source does this output pixel come from? With y down,
        // a counter-clockwise turn on screen maps source to output by (c, s; -s, c).
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cx + c * dx - s * dy;
        let sy = cy + s * dx + c * dy;
        if sx < -0.5 || sy < -0.5 || sx > w as f32 - 0.5 || sy > h as f32 - 0.5 {
            return Rgb([0, 0, 0]);
        }
        Rgb([0, 1, 2].map(|ch| clamp_u8(sample(sx, sy, ch))))
    })
}

/// Draws a badge logo in a seed-chosen corner and a caption bar along the bottom.
fn overlay(mut img: RgbImage, seed: u64) -> RgbImage {
    let (w, h) = img.dimensions();
    let mut rng = SplitMix64::new(seed ^ 0x6C6F_676F);
    // Logo: a square badge of 18 % of the shorter side, white frame, orange fill, dark disc.
    let side = (w.min(h) as f32 * 0.18).round().max(3.0) as u32;
    let margin = (w.min(h) / 30).max(1);
    let corner = rng.below(4);
    let lx = if corner.is_multiple_of(2) {
        margin
    } else {
        w.saturating_sub(side + margin)
    };
    let ly = if corner < 2 {
        margin
    } else {
        // Above the caption bar.
        h.saturating_sub(side + margin + h / 10)
    };
    let frame = (side / 10).max(1);
    let r = side as f32 * 0.28;
    for y in 0..side {
        for x in 0..side {
            let (px, py) = (lx + x, ly + y);
            if px >= w || py >= h {
                continue;
            }
            let on_frame = x < frame || y < frame || x >= side - frame || y >= side - frame;
            let (dx, dy) = (x as f32 - side as f32 / 2.0, y as f32 - side as f32 / 2.0);
            let colour = if on_frame {
                [255, 255, 255]
            } else if dx * dx + dy * dy <= r * r {
                [40, 20, 60]
            } else {
                [240, 120, 20]
            };
            img.put_pixel(px, py, Rgb(colour));
        }
    }
    // Caption: black band of 8 % of the height with white blocky text, 70 % opaque band.
    let band = (h as f32 * 0.08).round().max(1.0) as u32;
    let top = h - band.min(h);
    for y in top..h {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            for v in p.0.iter_mut() {
                *v = (f32::from(*v) * 0.3).round() as u8;
            }
        }
    }
    let scale = ((band as usize * 7) / 10 / 7).max(1);
    let (tw, th, mask) = text_mask("@REPOST 2024 SHARE NOW", scale);
    let tx = (w as usize / 30).max(1);
    let ty = top as usize + (band as usize).saturating_sub(th) / 2;
    for y in 0..th {
        for x in 0..tw {
            let (px, py) = (tx + x, ty + y);
            if mask[y * tw + x] && px < w as usize && py < h as usize {
                img.put_pixel(px as u32, py as u32, Rgb([255, 255, 255]));
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32) -> DynamicImage {
        let mut rng = SplitMix64::new(99);
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            let n = rng.below(20) as u32;
            Rgb([
                ((x * 3 + n) % 256) as u8,
                ((y * 2 + x / 3) % 256) as u8,
                (((x ^ y) + n) % 256) as u8,
            ])
        }))
    }

    fn expected_dims(t: &Transform, w: u32, h: u32) -> (u32, u32) {
        match *t {
            Transform::Scale { percent } => (scaled(w, percent.into()), scaled(h, percent.into())),
            Transform::Crop { percent } => {
                let (cw, ch) = (w * percent as u32 / 200, h * percent as u32 / 200);
                (w - 2 * cw, h - 2 * ch)
            }
            Transform::Letterbox { .. } => (w, h + 2 * (h / 6)),
            Transform::Pillarbox { .. } => (w + 2 * (w / 6), h),
            Transform::Rotate90 => (h, w),
            Transform::Squash { percent } => (w, scaled(h, percent.into())),
            _ => (w, h),
        }
    }

    #[test]
    fn every_standard_transform_has_expected_dimensions_and_is_deterministic() {
        let img = picture(90, 60);
        let names: std::collections::HashSet<String> =
            Transform::standard_set().iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), Transform::standard_set().len(), "names unique");
        for t in Transform::standard_set() {
            let a = t.apply(&img, 5).unwrap();
            let b = t.apply(&img, 5).unwrap();
            assert_eq!(
                (a.width(), a.height()),
                expected_dims(&t, 90, 60),
                "{}",
                t.name()
            );
            assert_eq!(a.as_bytes(), b.as_bytes(), "{} is deterministic", t.name());
            if t != Transform::Identity {
                let same_shape = a.width() == 90 && a.height() == 60;
                let same_pixels = same_shape && a.to_rgb8().as_raw() == img.to_rgb8().as_raw();
                assert!(!same_pixels, "{} changes the picture", t.name());
            }
        }
    }

    #[test]
    fn seed_matters_only_where_documented() {
        let img = picture(80, 80);
        let n = Transform::Noise { sigma: 12 };
        assert_ne!(
            n.apply(&img, 1).unwrap().as_bytes(),
            n.apply(&img, 2).unwrap().as_bytes()
        );
        let j = Transform::Jpeg { quality: 50 };
        assert_eq!(
            j.apply(&img, 1).unwrap().as_bytes(),
            j.apply(&img, 2).unwrap().as_bytes()
        );
        // The overlay corner follows the seed: some pair of seeds must differ.
        let o = Transform::Overlay;
        let outs: Vec<Vec<u8>> = (0..8)
            .map(|s| o.apply(&img, s).unwrap().as_bytes().to_vec())
            .collect();
        assert!(outs.iter().any(|x| x != &outs[0]));
    }

    #[test]
    fn exact_pixel_semantics() {
        let img = picture(12, 9);
        let rgb = img.to_rgb8();
        let m = Transform::Mirror.apply(&img, 0).unwrap().to_rgb8();
        assert_eq!(m.get_pixel(0, 3), rgb.get_pixel(11, 3));
        let r = Transform::Rotate90.apply(&img, 0).unwrap().to_rgb8();
        // Clockwise: the top-left source pixel ends up top-right.
        assert_eq!(r.get_pixel(8, 0), rgb.get_pixel(0, 0));
        let lb = Transform::Letterbox { bars: Bars::Black }
            .apply(&img, 0)
            .unwrap()
            .to_rgb8();
        assert_eq!(lb.get_pixel(5, 0), &Rgb([0, 0, 0]));
        assert_eq!(lb.get_pixel(5, 1 + 4), rgb.get_pixel(5, 4));
        let c = Transform::Crop { percent: 20 }
            .apply(&img, 0)
            .unwrap()
            .to_rgb8();
        assert_eq!(c.get_pixel(0, 0), rgb.get_pixel(1, 0));
        let b = Transform::Brightness { delta: 300 }
            .apply(&img, 0)
            .unwrap()
            .to_rgb8();
        assert!(b.iter().all(|&v| v == 255));
        let r0 = rotate_small(&rgb, 0.0);
        assert_eq!(r0.as_raw(), rgb.as_raw());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let empty = DynamicImage::ImageRgb8(RgbImage::new(0, 5));
        for t in Transform::standard_set() {
            assert!(t.apply(&empty, 0).is_err());
        }
        let img = picture(3, 2);
        for t in [
            Transform::Jpeg { quality: 0 },
            Transform::Crop { percent: 95 },
            Transform::Scale { percent: 0 },
            Transform::Squash { percent: 0 },
            Transform::Gamma { hundredths: 0 },
        ] {
            assert!(t.apply(&img, 0).is_err(), "{}", t.name());
        }
        // Tiny images work for every standard transform.
        let one = picture(1, 1);
        for t in Transform::standard_set() {
            let out = t.apply(&one, 0).unwrap();
            assert!(out.width() >= 1 && out.height() >= 1, "{}", t.name());
        }
    }
}
