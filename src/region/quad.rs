//! A picture seen at an angle: the quadrilateral it occupies and the projective map
//! (homography) between that quadrilateral and the upright picture. A photo of a screen or of a
//! print taken a little off-axis shows the picture as a quadrilateral whose far side is shorter
//! (a *keystone*); [`Quad::keystone`] builds one and [`warp_into`] renders a picture into it,
//! which is how [`crate::matcher::BankViews::keystones`] banks such views of an original.

use serde::{Deserialize, Serialize};

use crate::luma::LumaImage;

/// One side of a picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Edge {
    /// The left side.
    Left,
    /// The top side.
    Top,
    /// The right side.
    Right,
    /// The bottom side.
    Bottom,
}

impl Edge {
    /// The four sides, in the order left, top, right, bottom.
    pub const ALL: [Edge; 4] = [Edge::Left, Edge::Top, Edge::Right, Edge::Bottom];

    /// One letter: `l`, `t`, `r`, `b`.
    pub fn letter(self) -> char {
        match self {
            Edge::Left => 'l',
            Edge::Top => 't',
            Edge::Right => 'r',
            Edge::Bottom => 'b',
        }
    }
}

/// A quadrilateral, corners in pixel coordinates of the image that shows it (x right, y down),
/// in the order top-left, top-right, bottom-right, bottom-left of the picture it shows.
///
/// ```
/// use mediamatch::region::{Edge, Quad};
/// // a 100x80 picture whose top side is 20 % shorter, seen from below
/// let q = Quad::keystone(100.0, 80.0, Edge::Top, 0.2);
/// assert_eq!(q.corners[0], (10.0, 0.0));
/// assert_eq!(q.corners[2], (100.0, 80.0));
/// let h = q.homography_from_rect(100.0, 80.0).unwrap();
/// // the picture's corners land on the quad's corners, its centre between them
/// let (x, y) = h.map(100.0, 0.0).unwrap();
/// assert!((x - 90.0).abs() < 1e-3 && y.abs() < 1e-3);
/// let (_, cy) = h.map(50.0, 40.0).unwrap();
/// assert!(cy < 39.0); // foreshortening: the far (top) half is compressed
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quad {
    /// Top-left, top-right, bottom-right, bottom-left.
    pub corners: [(f32, f32); 4],
}

impl Quad {
    /// The `w`×`h` rectangle at the origin.
    pub fn rect(w: f32, h: f32) -> Quad {
        Quad {
            corners: [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)],
        }
    }

    /// The `w`×`h` rectangle with side `edge` shortened by `shrink` of its length, evenly at
    /// both ends (the far side of a picture seen at an angle); the other three sides keep their
    /// ends, so the quad's bounding box is the rectangle.
    pub fn keystone(w: f32, h: f32, edge: Edge, shrink: f32) -> Quad {
        let mut q = Quad::rect(w, h);
        let dx = w * shrink / 2.0;
        let dy = h * shrink / 2.0;
        let c = &mut q.corners;
        match edge {
            Edge::Top => {
                c[0].0 += dx;
                c[1].0 -= dx;
            }
            Edge::Bottom => {
                c[3].0 += dx;
                c[2].0 -= dx;
            }
            Edge::Left => {
                c[0].1 += dy;
                c[3].1 -= dy;
            }
            Edge::Right => {
                c[1].1 += dy;
                c[2].1 -= dy;
            }
        }
        q
    }

    /// The projective map that takes the `w`×`h` rectangle at the origin onto this quad
    /// (`None` when the quad is degenerate: three corners in a line, or not finite).
    pub fn homography_from_rect(&self, w: f32, h: f32) -> Option<Homography> {
        Homography::from_points(&Quad::rect(w, h).corners, &self.corners)
    }

    /// The smallest pixel box holding the quad, clamped to a `w`×`h` image: (left, top,
    /// right, bottom), right and bottom exclusive.
    pub fn bounds(&self, w: usize, h: usize) -> (usize, usize, usize, usize) {
        let xs = self.corners.map(|c| c.0);
        let ys = self.corners.map(|c| c.1);
        let lo = |v: [f32; 4], n: usize| {
            (v.iter()
                .copied()
                .fold(f32::INFINITY, f32::min)
                .floor()
                .max(0.0) as usize)
                .min(n)
        };
        let hi = |v: [f32; 4], n: usize| {
            (v.iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max)
                .ceil()
                .max(0.0) as usize)
                .min(n)
        };
        (lo(xs, w), lo(ys, h), hi(xs, w), hi(ys, h))
    }
}

/// A projective map of the plane, `(x, y) → ((a x + b y + c) / (g x + h y + 1), (d x + e y + f)
/// / (g x + h y + 1))`, in double precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography {
    m: [f64; 8],
}

impl Homography {
    /// The map taking each of the four points `from` to the matching point of `to` (`None`
    /// when either set is degenerate or not finite).
    pub fn from_points(from: &[(f32, f32); 4], to: &[(f32, f32); 4]) -> Option<Homography> {
        // two equations per correspondence in the eight unknowns a..h
        let mut a = [[0f64; 9]; 8];
        for (k, (&(x, y), &(u, v))) in from.iter().zip(to).enumerate() {
            let (x, y, u, v) = (f64::from(x), f64::from(y), f64::from(u), f64::from(v));
            a[2 * k] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * k + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        let m = solve8(a)?;
        m.iter().all(|v| v.is_finite()).then_some(Homography { m })
    }

    /// The inverse map (`None` if this map is singular).
    pub fn inverse(&self) -> Option<Homography> {
        let [a, b, c, d, e, f, g, h] = self.m;
        let i = 1.0;
        // adjugate of [[a b c] [d e f] [g h i]]
        let co = [
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ];
        let det = a * co[0] + b * co[3] + c * co[6];
        if det.abs() < 1e-12 || co[8].abs() < 1e-12 {
            return None;
        }
        let n = co[8];
        let m = [
            co[0] / n,
            co[1] / n,
            co[2] / n,
            co[3] / n,
            co[4] / n,
            co[5] / n,
            co[6] / n,
            co[7] / n,
        ];
        m.iter().all(|v| v.is_finite()).then_some(Homography { m })
    }

    /// Where `(x, y)` goes (`None` on the line sent to infinity).
    pub fn map(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let [a, b, c, d, e, f, g, h] = self.m;
        let (x, y) = (f64::from(x), f64::from(y));
        let w = g * x + h * y + 1.0;
        if w.abs() < 1e-12 {
            return None;
        }
        Some((
            ((a * x + b * y + c) / w) as f32,
            ((d * x + e * y + f) / w) as f32,
        ))
    }
}

/// Gaussian elimination with partial pivoting on an 8×9 augmented matrix.
fn solve8(mut a: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let piv = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, piv);
        for row in 0..8 {
            if row != col {
                let k = a[row][col] / a[col][col];
                if k != 0.0 {
                    let pivot = a[col];
                    for (v, p) in a[row][col..].iter_mut().zip(&pivot[col..]) {
                        *v -= k * p;
                    }
                }
            }
        }
    }
    let mut x = [0f64; 8];
    for (i, v) in x.iter_mut().enumerate() {
        *v = a[i][8] / a[i][i];
    }
    Some(x)
}

/// Renders `src` into the quad `into` of a `w`×`h` image whose other pixels are `fill`
/// (bilinear sampling through the inverse map). `None` when the quad is degenerate or the
/// output would be empty. Allocates one `w`×`h` image.
///
/// ```
/// use mediamatch::region::{warp_into, Edge, Quad};
/// use mediamatch::LumaImage;
/// let img = LumaImage::from_f32(40, 30, vec![200.0; 1200])?;
/// let q = Quad::keystone(40.0, 30.0, Edge::Top, 0.5);
/// let out = warp_into(&img, &q, 40, 30, 0.0).unwrap();
/// assert_eq!(out.get(20, 15), 200.0); // inside
/// assert_eq!(out.get(0, 0), 0.0); // a corner cut off by the short top side
/// # Ok::<(), mediamatch::Error>(())
/// ```
pub fn warp_into(src: &LumaImage, into: &Quad, w: usize, h: usize, fill: f32) -> Option<LumaImage> {
    if w == 0 || h == 0 {
        return None;
    }
    let (sw, sh) = (src.width(), src.height());
    let back = into.homography_from_rect(sw as f32, sh as f32)?.inverse()?;
    let mut out = vec![fill; w * h];
    let (l, t, r, b) = into.bounds(w, h);
    for y in t..b {
        for x in l..r {
            // pixel centres: the picture's pixel k covers [k, k + 1)
            let Some((sx, sy)) = back.map(x as f32 + 0.5, y as f32 + 0.5) else {
                continue;
            };
            if !(sx >= 0.0 && sy >= 0.0 && sx <= sw as f32 && sy <= sh as f32) {
                continue;
            }
            out[y * w + x] = src.sample_bilinear(sx, sy);
        }
    }
    LumaImage::from_f32(w, h, out).ok()
}

/// The inverse of [`warp_into`]: samples the quad `from` of `src` into an upright `w`×`h`
/// picture (bilinear; points outside `src` take the nearest edge pixel). `None` when the quad
/// is degenerate or the output would be empty. Allocates one `w`×`h` image.
///
/// ```
/// use mediamatch::region::{rectify, warp_into, Edge, Quad};
/// use mediamatch::LumaImage;
/// let px: Vec<f32> = (0..64 * 48).map(|k| ((k % 64) * 3 + (k / 64) * 2) as f32).collect();
/// let img = LumaImage::from_f32(64, 48, px)?;
/// let q = Quad::keystone(64.0, 48.0, Edge::Left, 0.25);
/// let shot = warp_into(&img, &q, 64, 48, 0.0).unwrap();
/// let back = rectify(&shot, &q, 64, 48).unwrap();
/// // away from the cut corners the round trip gives the picture back (bilinear twice)
/// assert!((back.get(32, 24) - img.get(32, 24)).abs() < 3.0);
/// # Ok::<(), mediamatch::Error>(())
/// ```
pub fn rectify(src: &LumaImage, from: &Quad, w: usize, h: usize) -> Option<LumaImage> {
    if w == 0 || h == 0 {
        return None;
    }
    let fwd = from.homography_from_rect(w as f32, h as f32)?;
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = fwd
                .map(x as f32 + 0.5, y as f32 + 0.5)
                .unwrap_or((0.0, 0.0));
            out.push(src.sample_bilinear(sx, sy));
        }
    }
    LumaImage::from_f32(w, h, out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_the_four_points_and_inverts() {
        let from = [(0.0, 0.0), (100.0, 0.0), (100.0, 60.0), (0.0, 60.0)];
        let to = [(7.0, 3.0), (91.0, 11.0), (97.0, 55.0), (2.0, 58.0)];
        let h = Homography::from_points(&from, &to).unwrap();
        for (p, q) in from.iter().zip(&to) {
            let (u, v) = h.map(p.0, p.1).unwrap();
            assert!((u - q.0).abs() < 1e-3 && (v - q.1).abs() < 1e-3);
        }
        let inv = h.inverse().unwrap();
        for &(x, y) in &[(13.0f32, 17.0f32), (50.0, 30.0), (88.0, 4.0)] {
            let (u, v) = h.map(x, y).unwrap();
            let (bx, by) = inv.map(u, v).unwrap();
            assert!((bx - x).abs() < 1e-2 && (by - y).abs() < 1e-2, "{x},{y}");
        }
        // a projective map keeps lines straight: the midpoint of a side stays on that side
        let (mx, my) = h.map(50.0, 0.0).unwrap();
        let t = (mx - 7.0) / (91.0 - 7.0);
        assert!((my - (3.0 + t * 8.0)).abs() < 1e-3);
    }

    #[test]
    fn degenerate_quads_are_refused() {
        let from = Quad::rect(10.0, 10.0).corners;
        let line = [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0), (20.0, 0.0)];
        assert!(Homography::from_points(&from, &line).is_none());
        let nan = [(f32::NAN, 0.0), (5.0, 0.0), (10.0, 3.0), (2.0, 9.0)];
        assert!(Homography::from_points(&from, &nan).is_none());
        let img = LumaImage::from_f32(4, 4, vec![1.0; 16]).unwrap();
        assert!(warp_into(&img, &Quad { corners: line }, 8, 8, 0.0).is_none());
        assert!(warp_into(&img, &Quad::rect(8.0, 8.0), 0, 8, 0.0).is_none());
    }

    #[test]
    fn the_identity_warp_reproduces_the_picture() {
        let (w, h) = (37usize, 23usize);
        let px: Vec<f32> = (0..w * h).map(|k| ((k * 7919) % 256) as f32).collect();
        let img = LumaImage::from_f32(w, h, px.clone()).unwrap();
        let out = warp_into(&img, &Quad::rect(w as f32, h as f32), w, h, -1.0).unwrap();
        for (a, b) in out.as_slice().iter().zip(&px) {
            assert!((a - b).abs() < 1e-2);
        }
    }

    #[test]
    fn a_keystone_keeps_the_long_side_and_cuts_the_corners_of_the_short_one() {
        let img = LumaImage::from_f32(60, 40, vec![100.0; 2400]).unwrap();
        for edge in Edge::ALL {
            let q = Quad::keystone(60.0, 40.0, edge, 0.3);
            assert_eq!(q.bounds(60, 40), (0, 0, 60, 40));
            let out = warp_into(&img, &q, 60, 40, 0.0).unwrap();
            let (near, far) = match edge {
                Edge::Top => ((0, 39), (0, 0)),
                Edge::Bottom => ((0, 0), (0, 39)),
                Edge::Left => ((59, 0), (0, 0)),
                Edge::Right => ((0, 0), (59, 0)),
            };
            assert_eq!(out.get(near.0, near.1), 100.0, "{edge:?}");
            assert_eq!(out.get(far.0, far.1), 0.0, "{edge:?}");
            assert_eq!(out.get(30, 20), 100.0);
        }
    }
}
