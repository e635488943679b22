//! The TMK Fourier features: per-period cosine/sine sums of the normalised frame features,
//! weighted by the reference's coefficients, and the pure average.

use super::format::TmkFeatures;
use super::pdqf::{Pdqf, PDQF_DIM};

/// Frames per second TMK hashes at.
pub const TMK_FPS: i32 = 15;

/// The fewest 15 fps frames (one second) for which this crate banks a video's TMK (our choice,
/// not the reference's: it hashes any length, but a clip of a few frames has near-zero
/// Fourier features and its level-2 scores mean little).
pub const MIN_TMK_FRAMES: i32 = TMK_FPS;

/// The reference's periods, in 15 fps frames.
pub const PERIODS: [i32; 4] = [2731, 4391, 9767, 14653];

/// The reference's 32 Fourier weights a_0..a_31 (Poullot's Bessel weights, beta 32), as the
/// exact float32 values every reference `.tmk` carries at offset 48.
pub const COEFF_BITS: [u32; 32] = [
    0x3d9101c9, 0x3e0eb914, 0x3e081638, 0x3dfb6c9a, 0x3de10813, 0x3dc32a95, 0x3da40ac5, 0x3d85a68b,
    0x3d5323d0, 0x3d21bb2f, 0x3cf0550a, 0x3cad4138, 0x3c727068, 0x3c24ae22, 0x3bd945d9, 0x3b8b3f26,
    0x3b2d754a, 0x3ad21203, 0x3a776ee4, 0x3a0dc745, 0x399e2485, 0x392bc1c5, 0x38b5b56f, 0x383b5422,
    0x37bc43db, 0x373884f8, 0x36b06fe5, 0x3624a839, 0x359607d3, 0x35058583, 0x3468369b, 0x33c55f58,
];

/// The Fourier weights as floats.
pub fn coeffs() -> [f32; 32] {
    COEFF_BITS.map(f32::from_bits)
}

/// L2-normalises in place the reference's way: `sqrtf` of a float32 sum of squares in index
/// order, each element divided by it; a zero norm leaves the vector unchanged.
pub(crate) fn normalise(v: &mut [f32]) {
    let mut s = 0.0f32;
    for x in v.iter() {
        s += x * x;
    }
    let n = s.sqrt();
    if n != 0.0 {
        for x in v.iter_mut() {
            *x /= n;
        }
    }
}

/// Accumulates PDQF frames (at 15 fps, in order) into a [`TmkFeatures`].
///
/// ```
/// use mediamatch::tmk::{level1, level2, TmkBuilder};
/// let mut a = TmkBuilder::new();
/// for t in 0..40 {
///     let mut f = [0.0f32; 256];
///     f[t % 7] = 100.0 + t as f32;
///     a.push(&f);
/// }
/// let tmk = a.finish();
/// assert_eq!(tmk.frame_count, 40);
/// assert!(level1(&tmk, &tmk) > 0.9999);
/// assert!(level2(&tmk, &tmk) > 0.9999);
/// ```
#[derive(Debug, Clone)]
pub struct TmkBuilder {
    coeffs: [f32; 32],
    sum: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    frames: u64,
    trig: Vec<(f64, f64)>,
}

impl Default for TmkBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TmkBuilder {
    /// A builder with the reference's periods and weights.
    pub fn new() -> Self {
        let len = PERIODS.len() * 32 * PDQF_DIM;
        TmkBuilder {
            coeffs: coeffs(),
            sum: vec![0.0; PDQF_DIM],
            cos: vec![0.0; len],
            sin: vec![0.0; len],
            frames: 0,
            trig: vec![(0.0, 0.0); 32],
        }
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Adds the next frame's PDQF.
    pub fn push(&mut self, pdqf: &Pdqf) {
        let d = PDQF_DIM;
        let m = self.coeffs.len();
        for (s, x) in self.sum.iter_mut().zip(pdqf) {
            *s += *x;
        }
        let mut nf = *pdqf;
        normalise(&mut nf);
        let t = self.frames as f64;
        for (p, &period) in PERIODS.iter().enumerate() {
            let base = p * m * d;
            for (c, x) in self.cos[base..base + d].iter_mut().zip(&nf) {
                *c += *x;
            }
            for j in 1..m {
                let arg = 2.0 * std::f64::consts::PI * j as f64 * t / period as f64;
                self.trig[j] = (arg.cos(), arg.sin());
            }
            for j in 1..m {
                let (c, s) = self.trig[j];
                let o = base + j * d;
                for ((cv, sv), x) in self.cos[o..o + d]
                    .iter_mut()
                    .zip(&mut self.sin[o..o + d])
                    .zip(&nf)
                {
                    let x = *x as f64;
                    *cv = (*cv as f64 + x * c) as f32;
                    *sv = (*sv as f64 + x * s) as f32;
                }
            }
        }
        self.frames += 1;
    }

    /// The finished feature vector.
    pub fn finish(self) -> TmkFeatures {
        let d = PDQF_DIM;
        let m = self.coeffs.len();
        let mut avg = self.sum;
        let mut cos = self.cos;
        let mut sin = self.sin;
        if self.frames > 0 {
            let n = self.frames as f32;
            for a in avg.iter_mut() {
                *a /= n;
            }
            for (i, (cv, sv)) in cos
                .chunks_exact_mut(d)
                .zip(sin.chunks_exact_mut(d))
                .enumerate()
            {
                let w = self.coeffs[i % m].sqrt();
                normalise(cv);
                normalise(sv);
                for x in cv.iter_mut().chain(sv.iter_mut()) {
                    *x *= w;
                }
            }
        }
        TmkFeatures {
            fps: TMK_FPS,
            frame_count: i32::try_from(self.frames).unwrap_or(i32::MAX),
            periods: PERIODS.to_vec(),
            coeffs: self.coeffs.to_vec(),
            pure_average: avg,
            cos,
            sin,
        }
    }
}
