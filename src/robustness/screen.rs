//! A photo of a screen showing the picture, taken a little off-axis: the picture becomes a
//! quadrilateral whose far side is shorter (perspective), the hand that holds the phone moves
//! each corner a little, the screen's dark bezel shows around it, and the camera softens and
//! flattens the picture. Used by [`super::Repost::Screen`].

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

use super::prng::SplitMix64;
use crate::region::{Edge, Quad, Rect};

/// Renders the photo. `shrink`: the far side's shortening (0.1 = 10 % shorter); `background`:
/// `Some` for a framed photo (the screen with its bezel inside a room, here a blurred copy of
/// another picture, 10 % of margin per side), `None` for a photo cropped to the screen (the
/// quad's bounding box, bezel in the corners). Returns the photo and the picture quad's
/// bounding box in it; `None` if the quad is degenerate (a shortening near 1).
pub(super) fn screen_photo(
    pic: &RgbImage,
    shrink: f32,
    background: Option<&RgbImage>,
    rng: &mut SplitMix64,
) -> Option<(RgbImage, Rect)> {
    let (w, h) = pic.dimensions();
    let (wf, hf) = (w as f32, h as f32);
    let edge = Edge::ALL[rng.below(4) as usize];
    let mut quad = Quad::keystone(wf, hf, edge, shrink);
    // hand-held: every corner moves inwards by up to 1.5 % of the side
    let (cx, cy) = (wf / 2.0, hf / 2.0);
    for c in quad.corners.iter_mut() {
        let jx = rng.next_f32() * 0.015 * wf;
        let jy = rng.next_f32() * 0.015 * hf;
        c.0 += if c.0 < cx { jx } else { -jx };
        c.1 += if c.1 < cy { jy } else { -jy };
    }
    let bezel = (w.min(h) as f32 * 0.04).max(2.0);
    let dark = {
        let v = 8 + rng.below(28) as u8;
        Rgb([v, v, v.saturating_add(rng.below(8) as u8)])
    };
    let (margin_x, margin_y, cw, ch) = match background {
        Some(_) => {
            let (mx, my) = ((wf * 0.1 + bezel) as u32, (hf * 0.1 + bezel) as u32);
            (mx, my, w + 2 * mx, h + 2 * my)
        }
        None => (0, 0, w, h),
    };
    for c in quad.corners.iter_mut() {
        c.0 += margin_x as f32;
        c.1 += margin_y as f32;
    }
    let mut out = match background {
        Some(bg) => imageops::fast_blur(
            &imageops::resize(bg, cw, ch, FilterType::Triangle),
            (cw.max(ch) as f32 / 80.0).max(1.0),
        ),
        None => RgbImage::from_pixel(cw, ch, dark),
    };
    let back = quad.homography_from_rect(wf, hf)?.inverse()?;
    for y in 0..ch {
        for x in 0..cw {
            let Some((sx, sy)) = back.map(x as f32 + 0.5, y as f32 + 0.5) else {
                continue;
            };
            let inside = sx >= 0.0 && sy >= 0.0 && sx <= wf && sy <= hf;
            if inside {
                let v = bilinear(pic, sx - 0.5, sy - 0.5);
                out.put_pixel(x, y, v);
            } else if background.is_some()
                && sx >= -bezel
                && sy >= -bezel
                && sx <= wf + bezel
                && sy <= hf + bezel
            {
                out.put_pixel(x, y, dark);
            }
        }
    }
    // the camera: a little softer, the screen's black lifted and its white dimmed
    let mut out = imageops::blur(&out, 0.6);
    for p in out.pixels_mut() {
        for v in p.0.iter_mut() {
            *v = (10.0 + f32::from(*v) * 0.9).round().min(255.0) as u8;
        }
    }
    let (l, t, r, b) = quad.bounds(cw as usize, ch as usize);
    let rect = Rect {
        left: l,
        top: t,
        width: r - l,
        height: b - t,
    };
    Some((out, rect))
}

fn bilinear(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = img.dimensions();
    let (fx, fy) = (x.clamp(0.0, (w - 1) as f32), y.clamp(0.0, (h - 1) as f32));
    let (x0, y0) = (fx as u32, fy as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
    let mut out = [0u8; 3];
    for (ch, o) in out.iter_mut().enumerate() {
        let p = |xx: u32, yy: u32| f32::from(img.get_pixel(xx, yy).0[ch]);
        let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * ax;
        let bot = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * ax;
        *o = (top + (bot - top) * ay).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}
