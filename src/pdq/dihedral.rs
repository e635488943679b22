//! The eight dihedral variants (rotations and reflections) of a PDQ hash, derived from one DCT.

use serde::{Deserialize, Serialize};

/// One of the eight symmetries of the square, in the reference's output order
/// (`pdq-photo-hasher --pdqdih`).
///
/// ```
/// use mediamatch::Dihedral;
/// assert_eq!(Dihedral::ALL[5], Dihedral::FlipY);
/// assert_eq!(Dihedral::FlipY.name(), "flipy");
/// Ok::<(), mediamatch::Error>(())
/// ```
///
/// Serialised as its snake_case name (`"original"`, `"rot90"`, `"flip_y"`…); the CamelCase
/// names of earlier versions are still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dihedral {
    /// The image as is.
    #[serde(alias = "Original")]
    Original,
    /// Rotated 90° counter-clockwise.
    #[serde(alias = "Rot90")]
    Rot90,
    /// Rotated 180°.
    #[serde(alias = "Rot180")]
    Rot180,
    /// Rotated 90° clockwise.
    #[serde(alias = "Rot270")]
    Rot270,
    /// Upside down (top and bottom swapped).
    #[serde(alias = "FlipX")]
    FlipX,
    /// Mirrored (left and right swapped).
    #[serde(alias = "FlipY")]
    FlipY,
    /// Transposed (main diagonal fixed).
    #[serde(alias = "FlipPlus1")]
    FlipPlus1,
    /// Anti-transposed (anti-diagonal fixed).
    #[serde(alias = "FlipMinus1")]
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference order: orig, rot90, rot180, rot270, flipx, flipy, flipplus1,
    /// flipminus1.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rot90,
        Dihedral::Rot180,
        Dihedral::Rot270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The reference's name for this variant.
    pub fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "orig",
            Dihedral::Rot90 => "rot90",
            Dihedral::Rot180 => "rot180",
            Dihedral::Rot270 => "rot270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// Applies this symmetry to a 16×16 DCT output `b` (row-major), returning the DCT of the
    /// transformed picture: a transpose and/or sign flips of the odd frequencies (even
    /// 0-based indices), whose basis functions change sign under reflection.
    pub(crate) fn apply_to_dct(self, b: &[f32; 256]) -> [f32; 256] {
        let mut out = [0.0f32; 256];
        for r in 0..16 {
            for c in 0..16 {
                let (src, neg) = match self {
                    Dihedral::Original => (b[r * 16 + c], false),
                    Dihedral::Rot90 => (b[c * 16 + r], r % 2 == 0),
                    Dihedral::Rot180 => (b[r * 16 + c], (r + c) % 2 == 1),
                    Dihedral::Rot270 => (b[c * 16 + r], c % 2 == 0),
                    Dihedral::FlipX => (b[r * 16 + c], r % 2 == 0),
                    Dihedral::FlipY => (b[r * 16 + c], c % 2 == 0),
                    Dihedral::FlipPlus1 => (b[c * 16 + r], false),
                    Dihedral::FlipMinus1 => (b[c * 16 + r], (r + c) % 2 == 1),
                };
                out[r * 16 + c] = if neg { -src } else { src };
            }
        }
        out
    }
}

impl std::fmt::Display for Dihedral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
