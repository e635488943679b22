//! Which frames get hashed.

use serde::{Deserialize, Serialize};

/// Which frames of a video are hashed.
///
/// ```
/// use mediamatch::video::Sampling;
/// // the vPDQ rule at 29.97 fps and one hash per second: every 29th frame
/// assert_eq!(Sampling::Interval { millis: 1000 }.frame_mod(30000.0 / 1001.0), Some(29));
/// assert_eq!(Sampling::EveryFrame.frame_mod(25.0), Some(1));
/// assert_eq!(Sampling::Keyframes.frame_mod(25.0), None);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Sampling {
    /// vPDQ: one hash per `millis` ms of nominal time. Frame `n` is hashed iff
    /// `n % max(1, trunc(millis / 1000 × fps)) == 0` (the reference's `secondsPerHash`).
    Interval {
        /// Milliseconds per hash (1000 = the reference's default of one per second).
        millis: u32,
    },
    /// Every frame (the reference CLI's `-r 0`, used for its committed sample hashes).
    EveryFrame,
    /// Only keyframes (random access points): decoding skips everything else, so this is
    /// one to two orders of magnitude faster, but not what the reference hashes.
    Keyframes,
    /// [`Sampling::Interval`]'s frames and the `frames` frames before and after each of them:
    /// what a bank stores as temporal neighbours of its one-per-second frames, so that a copy
    /// that dropped the sampled frame (a GIF at a third of the rate, a frame-rate change) meets
    /// one next to it.
    Around {
        /// Milliseconds per sampled frame, as in [`Sampling::Interval`].
        millis: u32,
        /// Neighbours on each side of every sampled frame.
        frames: u32,
    },
    /// Every frame that shows a new picture: each image of an animation (GIF, animated WebP
    /// or PNG) once, at the first tick it is shown (see [`super::GifSource`]); every frame
    /// of a video.
    Distinct,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::Interval { millis: 1000 }
    }
}

impl Sampling {
    /// The vPDQ modulus for a frame rate, `None` for [`Sampling::Keyframes`].
    pub fn frame_mod(&self, fps: f64) -> Option<u64> {
        match *self {
            Sampling::EveryFrame | Sampling::Distinct => Some(1),
            Sampling::Keyframes => None,
            Sampling::Interval { millis } | Sampling::Around { millis, .. } => {
                // the reference: int(secondsPerHash * frameRate), both doubles; 0 becomes 1
                let m = (millis as f64 / 1000.0) * fps;
                let m = if m.is_finite() && m >= 1.0 {
                    m.min(u32::MAX as f64) as u64
                } else {
                    1
                };
                Some(m.max(1))
            }
        }
    }
}

/// The per-frame decision.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sampler {
    /// `None` = keyframes only.
    modulus: Option<u64>,
    /// Neighbours wanted on each side of a sampled frame ([`Sampling::Around`]).
    radius: u64,
}

impl Sampler {
    /// Without a frame rate, interval sampling hashes every frame (nothing else is defensible).
    pub(crate) fn new(sampling: Sampling, fps: Option<f64>) -> Sampler {
        let modulus = match (sampling, fps) {
            (Sampling::Keyframes, _) => None,
            (s, Some(f)) => s.frame_mod(f),
            (_, None) => Some(1),
        };
        let radius = match sampling {
            Sampling::Around { frames, .. } => frames as u64,
            _ => 0,
        };
        Sampler { modulus, radius }
    }

    pub(crate) fn wants(&self, frame_number: u64, keyframe: bool) -> bool {
        match self.modulus {
            None => keyframe,
            Some(m) => {
                let p = frame_number % m;
                p <= self.radius || m - p <= self.radius
            }
        }
    }

    /// Whether `frame_number` is a sampled frame itself, not one of its neighbours.
    pub(crate) fn is_sampled(&self, frame_number: u64, keyframe: bool) -> bool {
        match self.modulus {
            None => keyframe,
            Some(m) => frame_number.is_multiple_of(m),
        }
    }

    pub(crate) fn keyframes_only(&self) -> bool {
        self.modulus.is_none()
    }
}

/// The samplings the decoders' unit tests compare: every frame, vPDQ's one per second,
/// intervals that are no multiple of the frame period, keyframes only.
#[cfg(test)]
pub(crate) const TEST_SAMPLINGS: [Sampling; 5] = [
    Sampling::EveryFrame,
    Sampling::Interval { millis: 1000 },
    Sampling::Interval { millis: 280 },
    Sampling::Interval { millis: 120 },
    Sampling::Keyframes,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpdq_modulus() {
        let s = Sampling::Interval { millis: 1000 };
        assert_eq!(s.frame_mod(30.0), Some(30));
        assert_eq!(s.frame_mod(0.5), Some(1));
        assert_eq!(Sampling::Interval { millis: 500 }.frame_mod(30.0), Some(15));
        assert_eq!(Sampling::Interval { millis: 0 }.frame_mod(30.0), Some(1));
        let sm = Sampler::new(s, Some(25.0));
        assert!(sm.wants(0, false) && sm.wants(50, false) && !sm.wants(49, true));
        assert!(Sampler::new(Sampling::Keyframes, Some(25.0)).wants(7, true));
    }

    #[test]
    fn around_wants_the_neighbours_of_the_sampled_frames() {
        let around = Sampler::new(
            Sampling::Around {
                millis: 1000,
                frames: 1,
            },
            Some(30.0),
        );
        let interval = Sampler::new(Sampling::Interval { millis: 1000 }, Some(30.0));
        let wanted: Vec<u64> = (0..100).filter(|&n| around.wants(n, false)).collect();
        assert_eq!(wanted, [0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 91]);
        for n in 0..100 {
            assert_eq!(around.is_sampled(n, false), interval.wants(n, false), "{n}");
        }
        // neighbours that cover everything
        let dense = Sampler::new(
            Sampling::Around {
                millis: 100,
                frames: 2,
            },
            Some(30.0),
        );
        assert!((0..20).all(|n| dense.wants(n, false)));
        assert_eq!(Sampling::Distinct.frame_mod(25.0), Some(1));
    }
}
