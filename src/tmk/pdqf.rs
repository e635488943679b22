//! PDQF: the per-frame feature of TMK+PDQF, PDQ's 16×16 float DCT of a 64×64 frame.
//!
//! The frame is already 64×64, so its luma goes straight into the DCT, with no tent filter and
//! no decimation; no median, no bits. Bit-exact with the reference's float32 arithmetic.

use crate::pdq::dct_16;

/// Side of the frames TMK hashes.
pub const FRAME_SIDE: usize = 64;
/// Bytes of one 64×64 RGB24 frame (rows top first, R, G, B interleaved).
pub const FRAME_BYTES: usize = FRAME_SIDE * FRAME_SIDE * 3;
/// Dimension of a PDQF vector.
pub const PDQF_DIM: usize = 256;

/// One frame's PDQF: `k = 16 * i + j`, `i` the vertical and `j` the horizontal frequency.
pub type Pdqf = [f32; PDQF_DIM];

/// The PDQF of a 64×64 RGB24 frame.
///
/// Luma is `(0.299·R + 0.587·G) + 0.114·B` in float32, then `B = D·A·Dᵀ` as in PDQ.
///
/// ```
/// use mediamatch::tmk::{pdqf_from_rgb64, FRAME_BYTES};
/// let grey = vec![128u8; FRAME_BYTES];
/// let f = pdqf_from_rgb64(grey[..].try_into().unwrap());
/// assert!(f.iter().all(|v| v.abs() < 1e-3)); // a flat frame has no AC energy
/// ```
pub fn pdqf_from_rgb64(rgb: &[u8; FRAME_BYTES]) -> Pdqf {
    let mut buf = Box::new([0.0f32; FRAME_SIDE * FRAME_SIDE]);
    for (o, px) in buf.iter_mut().zip(rgb.chunks_exact(3)) {
        let (r, g, b) = (px[0] as f32, px[1] as f32, px[2] as f32);
        *o = (0.299f32 * r + 0.587f32 * g) + 0.114f32 * b;
    }
    dct_16(&buf)
}
