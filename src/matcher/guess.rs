//! Query-side crop guesses: the query cut further, or extended (edges replicated), on each
//! side by a few small steps, so that one guess meets a banked lattice cut
//! ([`super::BankViews::crop_lattice`]) of the original to within about a step's half per
//! side, whatever uneven crop the repost made.

use serde::{Deserialize, Serialize};

use super::cut::Cut;

/// Settings of the crop guesses. [`CropGuesses::default`] is the measured set of the robust
/// default: −2.5, 0 and +2.5 % per side (81 cuts, the empty one included; a negative cut
/// extends the side with its edge replicated), each hashed from a copy of the query at most
/// 256 pixels on a side, identity transform only. Against the default banked lattice of 5 %
/// per side, the guess nearest to the nearest lattice point is off by at most 1.25 % per side.
///
/// ```
/// use mediamatch::matcher::CropGuesses;
/// let g = CropGuesses::default();
/// assert_eq!(g.cuts().len(), 80); // the empty cut is the plain query
/// assert!(g.cuts().iter().all(|c| c.left.abs() <= 0.025 + 1e-6));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CropGuesses {
    /// Step per side, as a fraction of the query's side.
    pub step: f32,
    /// Offsets per side, centred on 0 (3: −step, 0, +step; 2: 0, +step).
    pub steps: u8,
    /// Longer side of the copy the guesses are cut from (0: full resolution).
    pub work_side: usize,
}

impl Default for CropGuesses {
    fn default() -> Self {
        CropGuesses {
            step: 0.025,
            steps: 3,
            work_side: 256,
        }
    }
}

impl CropGuesses {
    /// The cuts, the empty one left out (`steps`⁴ − 1 of them; at most 4 steps per side are
    /// used, so a plan holds at most 255 guesses). Negative fractions extend that side.
    pub fn cuts(&self) -> Vec<Cut> {
        let n = u32::from(self.steps.min(4));
        if !(self.step > 0.0 && self.step < 0.25) || n == 0 {
            return Vec::new();
        }
        let first = (n as f32 - 1.0) / 2.0;
        let s = |k: u32| (k as f32 - first.floor()) * self.step;
        let mut out = Vec::with_capacity((n.pow(4) - 1) as usize);
        for k in 0..n.pow(4) {
            let c = Cut {
                left: s(k % n),
                top: s(k / n % n),
                right: s(k / (n * n) % n),
                bottom: s(k / (n * n * n)),
            };
            if c != Cut::NONE {
                out.push(c);
            }
        }
        out
    }
}
