//! YUV 4:2:0 → RGB24 exactly as the vPDQ reference gets it from FFmpeg's swscale.
//!
//! The reference converts each sampled frame with `sws_scale` to RGB24 at the native size
//! (flag `SWS_AREA`, which does not matter without scaling). For 8-bit 4:2:0 input with an
//! even height, swscale takes its unscaled "yuv2rgb" fast path, which on x86 with SSSE3 (every
//! x86-64 machine in service) computes, per pixel, in 16-bit fixed point:
//!
//! ```text
//! y' = ((8Y − 8·16) · cy) >> 16          (limited range; full range: (8Y · 8192) >> 16 = Y)
//! u' = 8U − 1024,  v' = 8V − 1024
//! R = sat(y' + (v'·vr >> 16))
//! G = sat(y' + (u'·ug >> 16) + (v'·vg >> 16))
//! B = sat(y' + (u'·ub >> 16))
//! ```
//!
//! with BT.601 coefficients (swscale's default whatever the stream's colour tags say, which is
//! what the reference asks for), rounded to 13 fractional bits. The constants below were
//! derived from that description and then **verified against FFmpeg 5.1.9's own output**
//! (`ffmpeg -pix_fmt rgb24 -sws_flags area` on random yuv420p/yuvj420p frames of widths 16 to
//! 1084): every pixel identical. Odd heights make swscale use its generic path instead, which
//! rounds differently by a level here and there; H.264 4:2:0 frames always have even sizes.

/// Fixed-point coefficients of one range.
#[derive(Clone, Copy)]
struct Coeffs {
    y_mul: i32,
    y_off: i32,
    vr: i32,
    ub: i32,
    ug: i32,
    vg: i32,
}

/// BT.601, limited ("TV") range: Y in 16..235.
const LIMITED: Coeffs = Coeffs {
    y_mul: 9539,
    y_off: 128,
    vr: 13075,
    ub: 16525,
    ug: -3209,
    vg: -6660,
};

/// BT.601, full ("PC", `yuvj420p`) range.
const FULL: Coeffs = Coeffs {
    y_mul: 8192,
    y_off: 0,
    vr: 11485,
    ub: 14516,
    ug: -2819,
    vg: -5850,
};

#[inline(always)]
fn mulhi(a: i32, b: i32) -> i32 {
    (a * b) >> 16
}

#[inline(always)]
fn sat(x: i32) -> u8 {
    x.clamp(0, 255) as u8
}

/// Per-row lookup tables: the chroma terms depend only on U and V, the luma term only on Y.
struct Tables {
    y: [i32; 256],
    r_v: [i32; 256],
    g_u: [i32; 256],
    g_v: [i32; 256],
    b_u: [i32; 256],
}

impl Tables {
    fn new(full_range: bool) -> Box<Tables> {
        let c = if full_range { FULL } else { LIMITED };
        let mut t = Box::new(Tables {
            y: [0; 256],
            r_v: [0; 256],
            g_u: [0; 256],
            g_v: [0; 256],
            b_u: [0; 256],
        });
        for i in 0..256i32 {
            t.y[i as usize] = mulhi(i * 8 - c.y_off, c.y_mul);
            let ch = i * 8 - 1024;
            t.r_v[i as usize] = mulhi(ch, c.vr);
            t.g_u[i as usize] = mulhi(ch, c.ug);
            t.g_v[i as usize] = mulhi(ch, c.vg);
            t.b_u[i as usize] = mulhi(ch, c.ub);
        }
        t
    }
}

/// Planes of one 8-bit 4:2:0 picture (chroma planes `ceil(w/2) × ceil(h/2)`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Yuv420<'a> {
    pub width: usize,
    pub height: usize,
    pub y: &'a [u8],
    pub y_stride: usize,
    pub u: &'a [u8],
    pub v: &'a [u8],
    pub c_stride: usize,
    pub full_range: bool,
}

impl Yuv420<'_> {
    /// Checks that the planes hold the picture.
    pub(crate) fn check(&self) -> bool {
        let cw = self.width.div_ceil(2);
        let ch = self.height.div_ceil(2);
        let fits = |len: usize, stride: usize, w: usize, h: usize| {
            h == 0
                || (stride >= w
                    && stride
                        .checked_mul(h - 1)
                        .and_then(|x| x.checked_add(w))
                        .is_some_and(|need| need <= len))
        };
        fits(self.y.len(), self.y_stride, self.width, self.height)
            && fits(self.u.len(), self.c_stride, cw, ch)
            && fits(self.v.len(), self.c_stride, cw, ch)
    }

    /// Calls `put(x, r, g, b)` for every pixel of row `row`.
    #[inline(always)]
    fn row(&self, t: &Tables, row: usize, mut put: impl FnMut(usize, u8, u8, u8)) {
        let yr = &self.y[row * self.y_stride..row * self.y_stride + self.width];
        let cr = (row / 2) * self.c_stride;
        let cw = self.width.div_ceil(2);
        let ur = &self.u[cr..cr + cw];
        let vr = &self.v[cr..cr + cw];
        for (x, &yv) in yr.iter().enumerate() {
            let (u, v) = (ur[x / 2] as usize, vr[x / 2] as usize);
            let yy = t.y[yv as usize];
            put(
                x,
                sat(yy + t.r_v[v]),
                sat(yy + t.g_u[u] + t.g_v[v]),
                sat(yy + t.b_u[u]),
            );
        }
    }

    /// Packed RGB24, `3 * width` bytes per row.
    pub(crate) fn to_rgb24(self) -> Vec<u8> {
        let t = Tables::new(self.full_range);
        let mut out = vec![0u8; self.width * self.height * 3];
        for row in 0..self.height {
            let o = &mut out[row * self.width * 3..(row + 1) * self.width * 3];
            self.row(&t, row, |x, r, g, b| {
                o[3 * x] = r;
                o[3 * x + 1] = g;
                o[3 * x + 2] = b;
            });
        }
        out
    }

    /// The PDQ luma plane of the RGB24 picture (same values as [`Yuv420::to_rgb24`] followed by
    /// the reference's float luma), without materialising the RGB buffer.
    pub(crate) fn to_luma_f32(self) -> Vec<f32> {
        let t = Tables::new(self.full_range);
        let mut out = vec![0f32; self.width * self.height];
        for row in 0..self.height {
            let o = &mut out[row * self.width..(row + 1) * self.width];
            self.row(&t, row, |x, r, g, b| {
                o[x] = crate::luma::luma_f32(r, g, b);
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels spot-checked against `ffmpeg -f rawvideo -pix_fmt yuv420p ... -pix_fmt rgb24`.
    #[test]
    fn known_pixels() {
        let t = Tables::new(false);
        let px = |y: usize, u: usize, v: usize| {
            let yy = t.y[y];
            (
                sat(yy + t.r_v[v]),
                sat(yy + t.g_u[u] + t.g_v[v]),
                sat(yy + t.b_u[u]),
            )
        };
        // from the FFmpeg 5.1.9 measurement: R(Y=128, V) for V = 64, 128, 160, 192
        assert_eq!(px(128, 128, 64).0, 27);
        assert_eq!(px(128, 128, 128).0, 130);
        assert_eq!(px(128, 128, 192).0, 232);
        assert_eq!(px(16, 128, 128), (0, 0, 0));
        assert_eq!(px(235, 128, 128), (255, 255, 255));
    }

    #[test]
    fn luma_matches_rgb_path() {
        let (w, h) = (6, 4);
        let y: Vec<u8> = (0..w * h).map(|i| (i * 37 % 256) as u8).collect();
        let u: Vec<u8> = (0..(w / 2) * (h / 2))
            .map(|i| (i * 91 % 256) as u8)
            .collect();
        let v: Vec<u8> = (0..(w / 2) * (h / 2))
            .map(|i| (i * 53 % 256) as u8)
            .collect();
        let p = Yuv420 {
            width: w,
            height: h,
            y: &y,
            y_stride: w,
            u: &u,
            v: &v,
            c_stride: w / 2,
            full_range: false,
        };
        assert!(p.check());
        let rgb = p.to_rgb24();
        let l = p.to_luma_f32();
        for i in 0..w * h {
            assert_eq!(
                l[i],
                crate::luma::luma_f32(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2])
            );
        }
    }
}
