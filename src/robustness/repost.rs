//! Repost styles that change the geometry of a picture the way social platforms and their users
//! do: caption bars, screenshots of a post, frames, 9:16 stories with a blurred fill, a picture
//! pasted onto another photo, collages, uneven crops and tilts. Each is deterministic given its
//! inputs and seed; the ones that need other pictures (picture-in-picture, collages) take them
//! as `others`.

use image::imageops::{self, FilterType};
use image::{DynamicImage, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use super::glyph::text_mask;
use super::prng::SplitMix64;
use super::screen::screen_photo;
use super::transform::rotate_small;
use crate::error::{Error, Result};
use crate::region::Rect;

/// Where a collage or caption puts things.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// Above (caption) / side by side (collage).
    Top,
    /// Below (caption) / stacked (collage).
    Bottom,
    /// Above and below (caption).
    Both,
}

/// One repost style with its strength.
///
/// ```
/// use mediamatch::robustness::Repost;
/// use image::{DynamicImage, RgbImage};
/// let img = DynamicImage::ImageRgb8(RgbImage::from_fn(80, 60, |x, y| {
///     image::Rgb([(x * 3) as u8, (y * 4) as u8, 90])
/// }));
/// let other = img.fliph();
/// for r in Repost::standard_set() {
///     let out = r.apply(&img, &[&other, &other], 7)?;
///     assert!(out.width() >= 8 && out.height() >= 8, "{}", r.name());
/// }
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Repost {
    /// A bar of a seeded flat colour with a line of text, `percent` of the picture's height,
    /// above, below or both.
    Caption {
        /// Bar height in percent of the picture height.
        percent: u8,
        /// Where.
        side: Side,
    },
    /// A screenshot of a post: status bar, header with avatar and name, the picture at full
    /// width, action icons and caption text below; light or dark theme. With `margin` (percent
    /// of the width per side), a desktop view with the picture centred in a wider page.
    Screenshot {
        /// Dark theme.
        dark: bool,
        /// Side margins in percent of the picture width.
        margin: u8,
    },
    /// A frame of a seeded colour, `percent` of the shorter side wide, with a thin dark inner
    /// line when `double`.
    Frame {
        /// Frame width in percent of the shorter side.
        percent: u8,
        /// Add a thin contrasting line inside the frame.
        double: bool,
    },
    /// A 9:16 story: the picture scaled to the canvas width, over a blurred stretched copy of
    /// itself, its centre at `centre` percent of the canvas height.
    Story {
        /// Vertical position of the picture's centre, percent of the canvas height.
        centre: u8,
    },
    /// The picture scaled to `percent` of the width of another photo (`others[0]`) and pasted on
    /// it at a seeded position.
    PictureInPicture {
        /// Width of the pasted picture in percent of the background's width.
        percent: u8,
    },
    /// A collage of `cells` pictures (ours at a seeded cell, the others from `others`), all
    /// scaled to the same height (side by side) or width (stacked), with a white gutter.
    Collage {
        /// Number of cells, 2 or 3.
        cells: u8,
        /// `Top`: side by side; otherwise stacked.
        side: Side,
    },
    /// Cuts from each side, in percent of the width (left, right) or height (top, bottom).
    CropSides {
        /// Percent cut from the left.
        left: u8,
        /// Percent cut from the top.
        top: u8,
        /// Percent cut from the right.
        right: u8,
        /// Percent cut from the bottom.
        bottom: u8,
    },
    /// A photo of a screen (or a print) showing the picture, taken off-axis: one side (seeded)
    /// `percent` % shorter than the opposite one, with perspective foreshortening, each corner
    /// moved by up to 1.5 % of the side (hand-held), softened and flattened by the camera.
    /// `framed`: the screen's bezel and the room around it are in the photo (here a blurred
    /// copy of `others[0]`, 10 % margin per side); otherwise the photo is cropped to the
    /// screen, the bezel showing in the corners the short side leaves.
    Screen {
        /// Shortening of the far side in percent of its length (at most 60).
        percent: u8,
        /// Bezel and surroundings in the photo.
        framed: bool,
    },
    /// A tilt by `decidegrees` tenths of a degree; `zoom`: scaled up and cropped so that no
    /// corner is uncovered (a phone's "straighten"), else same canvas with black corners.
    Tilt {
        /// Angle in tenths of a degree, counter-clockwise.
        decidegrees: i16,
        /// Crop away the uncovered corners.
        zoom: bool,
    },
}

impl Repost {
    /// The styles the benchmark runs, several strengths each.
    pub fn standard_set() -> Vec<Repost> {
        use Repost::*;
        let crop = |left, top, right, bottom| CropSides {
            left,
            top,
            right,
            bottom,
        };
        vec![
            Caption {
                percent: 15,
                side: Side::Top,
            },
            Caption {
                percent: 30,
                side: Side::Bottom,
            },
            Caption {
                percent: 12,
                side: Side::Both,
            },
            Screenshot {
                dark: false,
                margin: 0,
            },
            Screenshot {
                dark: true,
                margin: 0,
            },
            Screenshot {
                dark: false,
                margin: 15,
            },
            Frame {
                percent: 4,
                double: false,
            },
            Frame {
                percent: 10,
                double: true,
            },
            Story { centre: 50 },
            Story { centre: 40 },
            PictureInPicture { percent: 40 },
            PictureInPicture { percent: 60 },
            PictureInPicture { percent: 80 },
            Collage {
                cells: 2,
                side: Side::Top,
            },
            Collage {
                cells: 3,
                side: Side::Top,
            },
            Collage {
                cells: 2,
                side: Side::Bottom,
            },
            crop(5, 5, 5, 5),
            crop(10, 0, 10, 0),
            crop(20, 0, 0, 0),
            crop(0, 0, 0, 20),
            crop(10, 10, 0, 0),
            crop(3, 12, 7, 2),
            crop(2, 7, 11, 1),
            crop(6, 1, 3, 9),
            crop(0, 13, 4, 2),
            crop(8, 3, 1, 6),
            crop(1, 3, 15, 0),
            crop(3, 2, 4, 6),
            Screen {
                percent: 6,
                framed: false,
            },
            Screen {
                percent: 10,
                framed: false,
            },
            Screen {
                percent: 15,
                framed: false,
            },
            Screen {
                percent: 10,
                framed: true,
            },
            Tilt {
                decidegrees: 20,
                zoom: false,
            },
            Tilt {
                decidegrees: -30,
                zoom: false,
            },
            Tilt {
                decidegrees: 50,
                zoom: false,
            },
            Tilt {
                decidegrees: 30,
                zoom: true,
            },
            Tilt {
                decidegrees: -50,
                zoom: true,
            },
            Tilt {
                decidegrees: 10,
                zoom: false,
            },
            Tilt {
                decidegrees: -15,
                zoom: false,
            },
            Tilt {
                decidegrees: 42,
                zoom: false,
            },
            Tilt {
                decidegrees: -44,
                zoom: false,
            },
            Tilt {
                decidegrees: 12,
                zoom: true,
            },
            Tilt {
                decidegrees: -27,
                zoom: true,
            },
            Tilt {
                decidegrees: 45,
                zoom: true,
            },
        ]
    }

    /// How many other pictures [`Repost::apply`] needs.
    pub fn others_needed(&self) -> usize {
        match self {
            Repost::PictureInPicture { .. } => 1,
            Repost::Collage { cells, .. } => usize::from(*cells).saturating_sub(1),
            Repost::Screen { framed: true, .. } => 1,
            _ => 0,
        }
    }

    /// Whether the style puts the picture into a larger axis-aligned layout (canvas/layout
    /// styles; not crops, tilts, or photos of a screen, whose picture is a quadrilateral).
    pub fn is_layout(&self) -> bool {
        !matches!(
            self,
            Repost::CropSides { .. } | Repost::Tilt { .. } | Repost::Screen { .. }
        )
    }

    /// Short stable name, e.g. `caption-top-15`, `pip-40`, `crop-l20`, `tilt+3.0-zoom`.
    pub fn name(&self) -> String {
        let side = |s: &Side| match s {
            Side::Top => "top",
            Side::Bottom => "bottom",
            Side::Both => "both",
        };
        match self {
            Repost::Caption { percent, side: s } => format!("caption-{}-{percent}", side(s)),
            Repost::Screenshot { dark, margin } => format!(
                "screenshot-{}{}",
                if *dark { "dark" } else { "light" },
                if *margin > 0 {
                    format!("-m{margin}")
                } else {
                    String::new()
                }
            ),
            Repost::Frame { percent, double } => {
                format!("frame-{percent}{}", if *double { "-double" } else { "" })
            }
            Repost::Story { centre } => format!("story-blur-c{centre}"),
            Repost::PictureInPicture { percent } => format!("pip-{percent}"),
            Repost::Collage { cells, side: s } => {
                format!("collage-{cells}{}", if *s == Side::Top { "h" } else { "v" })
            }
            Repost::CropSides {
                left,
                top,
                right,
                bottom,
            } => {
                let mut s = String::from("crop");
                for (c, v) in [('l', left), ('t', top), ('r', right), ('b', bottom)] {
                    if *v > 0 {
                        s.push_str(&format!("-{c}{v}"));
                    }
                }
                s
            }
            Repost::Screen { percent, framed } => {
                format!("screen-k{percent}{}", if *framed { "-framed" } else { "" })
            }
            Repost::Tilt { decidegrees, zoom } => format!(
                "tilt{:+.1}{}",
                f32::from(*decidegrees) / 10.0,
                if *zoom { "-zoom" } else { "" }
            ),
        }
    }

    /// Share of the picture's area that a crop style removes (0 for the others).
    pub fn area_removed(&self) -> f32 {
        match self {
            Repost::CropSides {
                left,
                top,
                right,
                bottom,
            } => {
                let kw = 1.0 - f32::from(*left + *right) / 100.0;
                let kh = 1.0 - f32::from(*top + *bottom) / 100.0;
                1.0 - kw * kh
            }
            _ => 0.0,
        }
    }

    /// Applies the style; `others` must hold [`Repost::others_needed`] pictures.
    pub fn apply(
        &self,
        img: &DynamicImage,
        others: &[&DynamicImage],
        seed: u64,
    ) -> Result<DynamicImage> {
        self.apply_located(img, others, seed).map(|p| p.image)
    }

    /// [`Repost::apply`], also giving where the picture sits in the result (layout styles):
    /// the truth against which a region detector's localisation error is measured.
    ///
    /// ```
    /// use mediamatch::robustness::Repost;
    /// use image::{DynamicImage, RgbImage};
    /// let img = DynamicImage::ImageRgb8(RgbImage::from_fn(80, 60, |x, y| {
    ///     image::Rgb([(x * 3) as u8, (y * 4) as u8, 90])
    /// }));
    /// let r = Repost::Frame { percent: 10, double: false };
    /// let p = r.apply_located(&img, &[], 1)?;
    /// let rect = p.rect.unwrap();
    /// assert_eq!((rect.left, rect.top, rect.width, rect.height), (6, 6, 80, 60));
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn apply_located(
        &self,
        img: &DynamicImage,
        others: &[&DynamicImage],
        seed: u64,
    ) -> Result<Located> {
        if img.width() < 8 || img.height() < 8 {
            return Err(Error::invalid("repost: picture smaller than 8 pixels"));
        }
        if others.len() < self.others_needed() {
            return Err(Error::invalid("repost: not enough other pictures"));
        }
        let mut rng = SplitMix64::new(seed ^ 0x7265_706f);
        let rgb = img.to_rgb8();
        let (w, h) = rgb.dimensions();
        let mut rect = None;
        let mut at = |l: u32, t: u32, cw: u32, ch: u32| {
            rect = Some(Rect {
                left: l as usize,
                top: t as usize,
                width: cw as usize,
                height: ch as usize,
            });
        };
        let out = match *self {
            Repost::Caption { percent, side } => {
                let bar = (h * u32::from(percent) / 100).max(4);
                let colour = random_colour(&mut rng);
                let (top, bottom) = match side {
                    Side::Top => (bar, 0),
                    Side::Bottom => (0, bar),
                    Side::Both => (bar, bar),
                };
                let mut c = RgbImage::from_pixel(w, h + top + bottom, colour);
                imageops::replace(&mut c, &rgb, 0, i64::from(top));
                at(0, top, w, h);
                let ink = contrast(colour);
                if top > 0 {
                    text(&mut c, "WHEN YOU SEE IT", 0, 0, w, top, ink);
                }
                if bottom > 0 {
                    text(&mut c, "SHARE IF YOU AGREE", 0, top + h, w, bottom, ink);
                }
                c
            }
            Repost::Screenshot { dark, margin } => {
                let (c, l, t) = screenshot(&rgb, dark, u32::from(margin), &mut rng);
                at(l, t, w, h);
                c
            }
            Repost::Frame { percent, double } => {
                let f = (w.min(h) * u32::from(percent) / 100).max(2);
                let colour = random_colour(&mut rng);
                let mut c = RgbImage::from_pixel(w + 2 * f, h + 2 * f, colour);
                if double {
                    let line = (f / 6).max(1);
                    let ink = contrast(colour);
                    fill(&mut c, f - line, f - line, w + 2 * line, h + 2 * line, ink);
                }
                imageops::replace(&mut c, &rgb, i64::from(f), i64::from(f));
                at(f, f, w, h);
                c
            }
            Repost::Story { centre } => {
                let cw = w;
                let ch = (w * 16 / 9).max(h + 2);
                let mut c = imageops::fast_blur(
                    &imageops::resize(&rgb, cw, ch, FilterType::Triangle),
                    (ch as f32 / 40.0).max(2.0),
                );
                let y = (i64::from(ch) * i64::from(centre) / 100 - i64::from(h) / 2)
                    .clamp(0, i64::from(ch - h));
                imageops::replace(&mut c, &rgb, 0, y);
                at(0, y as u32, w, h);
                c
            }
            Repost::PictureInPicture { percent } => {
                let bg = others[0].to_rgb8();
                let (bw, bh) = bg.dimensions();
                let pw = (bw * u32::from(percent) / 100).max(8);
                let ph = ((u64::from(h) * u64::from(pw) / u64::from(w)) as u32).clamp(8, bh.max(8));
                let pw = ((u64::from(w) * u64::from(ph) / u64::from(h)) as u32)
                    .min(bw)
                    .max(8);
                let small = imageops::resize(&rgb, pw, ph, FilterType::Triangle);
                let mut c = bg;
                let x = rng.below(u64::from(bw.saturating_sub(pw)) + 1) as i64;
                let y = rng.below(u64::from(bh.saturating_sub(ph)) + 1) as i64;
                imageops::replace(&mut c, &small, x, y);
                at(x as u32, y as u32, pw, ph);
                c
            }
            Repost::Collage { cells, side } => {
                let n = usize::from(cells.clamp(2, 3));
                let ours = rng.below(n as u64) as usize;
                let mut pics: Vec<RgbImage> = others[..n - 1].iter().map(|o| o.to_rgb8()).collect();
                pics.insert(ours, rgb);
                let (c, cells) = collage(&pics, side == Side::Top);
                rect = Some(cells[ours]);
                c
            }
            Repost::CropSides {
                left,
                top,
                right,
                bottom,
            } => {
                let l = w * u32::from(left) / 100;
                let r = w * u32::from(right) / 100;
                let t = h * u32::from(top) / 100;
                let b = h * u32::from(bottom) / 100;
                if l + r + 8 > w || t + b + 8 > h {
                    return Err(Error::invalid("repost: crop leaves nothing"));
                }
                imageops::crop_imm(&rgb, l, t, w - l - r, h - t - b).to_image()
            }
            Repost::Screen { percent, framed } => {
                if percent > 60 {
                    return Err(Error::invalid("repost: screen shortening over 60 %"));
                }
                let bg = if framed {
                    Some(others[0].to_rgb8())
                } else {
                    None
                };
                let shrink = f32::from(percent) / 100.0;
                // a quadrilateral, not a rectangle: no layout truth (`rect` stays `None`)
                screen_photo(&rgb, shrink, bg.as_ref(), &mut rng)
                    .ok_or_else(|| Error::invalid("repost: degenerate screen quad"))?
                    .0
            }
            Repost::Tilt { decidegrees, zoom } => {
                let deg = f32::from(decidegrees) / 10.0;
                let r = rotate_small(&rgb, deg);
                if zoom {
                    // the largest centred rectangle of the same aspect inside the rotated one
                    let (s, c) = deg.abs().to_radians().sin_cos();
                    let (wf, hf) = (w as f32, h as f32);
                    let k =
                        (wf * hf / (wf * c + hf * s) / hf).min(wf * hf / (hf * c + wf * s) / wf);
                    let (cw, ch) = ((wf * k) as u32, (hf * k) as u32);
                    let cropped = imageops::crop_imm(&r, (w - cw) / 2, (h - ch) / 2, cw, ch);
                    imageops::resize(&cropped.to_image(), w, h, FilterType::CatmullRom)
                } else {
                    r
                }
            }
        };
        Ok(Located {
            image: DynamicImage::ImageRgb8(out),
            rect,
        })
    }
}

/// A reposted copy and where the picture sits in it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Located {
    /// The copy.
    pub image: DynamicImage,
    /// The picture's rectangle in the copy (layout styles; `None` for crops, tilts and photos of a screen).
    pub rect: Option<Rect>,
}

fn random_colour(rng: &mut SplitMix64) -> Rgb<u8> {
    Rgb([
        rng.below(256) as u8,
        rng.below(256) as u8,
        rng.below(256) as u8,
    ])
}

fn contrast(c: Rgb<u8>) -> Rgb<u8> {
    let l = 0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2]);
    if l > 128.0 {
        Rgb([20, 20, 20])
    } else {
        Rgb([240, 240, 240])
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>) {
    let (iw, ih) = img.dimensions();
    for yy in y..(y + h).min(ih) {
        for xx in x..(x + w).min(iw) {
            img.put_pixel(xx, yy, c);
        }
    }
}

/// Draws `s` centred in the box, as large as fits (up to 60 % of its height).
fn text(img: &mut RgbImage, s: &str, x: u32, y: u32, w: u32, h: u32, ink: Rgb<u8>) {
    let n = s.chars().count().max(1) as u32;
    let scale = ((h * 6 / 10) / 7).min(w * 9 / 10 / (6 * n)).max(1) as usize;
    let (tw, th, mask) = text_mask(s, scale);
    let (tw, th) = (tw as u32, th as u32);
    let x0 = x + w.saturating_sub(tw) / 2;
    let y0 = y + h.saturating_sub(th) / 2;
    let (iw, ih) = img.dimensions();
    for ty in 0..th {
        for tx in 0..tw {
            if mask[(ty * tw + tx) as usize] && x0 + tx < iw && y0 + ty < ih {
                img.put_pixel(x0 + tx, y0 + ty, ink);
            }
        }
    }
}

/// The screenshot and the picture's top-left corner in it.
fn screenshot(
    pic: &RgbImage,
    dark: bool,
    margin: u32,
    rng: &mut SplitMix64,
) -> (RgbImage, u32, u32) {
    let (w, h) = pic.dimensions();
    let (bg, ink, grey) = if dark {
        (Rgb([18, 18, 18]), Rgb([235, 235, 235]), Rgb([90, 90, 90]))
    } else {
        (
            Rgb([255, 255, 255]),
            Rgb([20, 20, 20]),
            Rgb([200, 200, 200]),
        )
    };
    let m = w * margin / 100;
    let unit = (w / 20).max(4);
    let status = unit;
    let header = 2 * unit;
    let footer = 4 * unit;
    let cw = w + 2 * m;
    let ch = status + header + h + footer;
    let mut c = RgbImage::from_pixel(cw, ch, bg);
    text(&mut c, "12:34", unit / 2, 0, 3 * unit, status, ink);
    fill(&mut c, cw - 3 * unit, status / 3, 2 * unit, status / 3, ink);
    // avatar and name
    let av = header * 7 / 10;
    let (ax, ay) = (m + unit / 2, status + (header - av) / 2);
    let avatar = Rgb([rng.below(256) as u8, 120, 200]);
    for y in 0..av {
        for x in 0..av {
            let (dx, dy) = (x as i64 - av as i64 / 2, y as i64 - av as i64 / 2);
            if dx * dx + dy * dy <= (av as i64 / 2).pow(2) {
                c.put_pixel(ax + x, ay + y, avatar);
            }
        }
    }
    text(
        &mut c,
        "SOMEONE",
        ax + av + unit / 2,
        status,
        6 * unit,
        header,
        ink,
    );
    imageops::replace(&mut c, pic, i64::from(m), i64::from(status + header));
    let fy = status + header + h;
    for k in 0..4 {
        fill(
            &mut c,
            m + unit / 2 + k * 2 * unit,
            fy + unit / 3,
            unit,
            unit,
            grey,
        );
    }
    text(
        &mut c,
        "1,234 LIKES",
        m + unit / 2,
        fy + 3 * unit / 2,
        8 * unit,
        unit,
        ink,
    );
    text(
        &mut c,
        "NICE VIEW #TRAVEL",
        m + unit / 2,
        fy + 5 * unit / 2,
        12 * unit,
        unit,
        ink,
    );
    (c, m, status + header)
}

/// The collage and each picture's cell in it.
fn collage(pics: &[RgbImage], side_by_side: bool) -> (RgbImage, Vec<Rect>) {
    let gutter = 6u32;
    let white = Rgb([255, 255, 255]);
    let mut cells = Vec::with_capacity(pics.len());
    let mut cell = |l: u32, t: u32, p: &RgbImage| {
        cells.push(Rect {
            left: l as usize,
            top: t as usize,
            width: p.width() as usize,
            height: p.height() as usize,
        })
    };
    if side_by_side {
        let hh = pics.iter().map(|p| p.height()).min().unwrap_or(8).max(8);
        let scaled: Vec<RgbImage> = pics
            .iter()
            .map(|p| {
                let nw =
                    ((u64::from(p.width()) * u64::from(hh) / u64::from(p.height())) as u32).max(8);
                imageops::resize(p, nw, hh, FilterType::Triangle)
            })
            .collect();
        let total: u32 =
            scaled.iter().map(|p| p.width()).sum::<u32>() + gutter * (scaled.len() as u32 + 1);
        let mut c = RgbImage::from_pixel(total, hh + 2 * gutter, white);
        let mut x = gutter;
        for p in &scaled {
            imageops::replace(&mut c, p, i64::from(x), i64::from(gutter));
            cell(x, gutter, p);
            x += p.width() + gutter;
        }
        (c, cells)
    } else {
        let ww = pics.iter().map(|p| p.width()).min().unwrap_or(8).max(8);
        let scaled: Vec<RgbImage> = pics
            .iter()
            .map(|p| {
                let nh =
                    ((u64::from(p.height()) * u64::from(ww) / u64::from(p.width())) as u32).max(8);
                imageops::resize(p, ww, nh, FilterType::Triangle)
            })
            .collect();
        let total: u32 =
            scaled.iter().map(|p| p.height()).sum::<u32>() + gutter * (scaled.len() as u32 + 1);
        let mut c = RgbImage::from_pixel(ww + 2 * gutter, total, white);
        let mut y = gutter;
        for p in &scaled {
            imageops::replace(&mut c, p, i64::from(gutter), i64::from(y));
            cell(gutter, y, p);
            y += p.height() + gutter;
        }
        (c, cells)
    }
}
