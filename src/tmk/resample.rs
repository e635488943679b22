//! Frame-rate conversion to TMK's 15 fps, the way the FFmpeg CLI's `-r 15` (CFR) output does
//! it: each decoded frame is kept, dropped or repeated by its timestamp against the output
//! clock.

/// Decides, frame by frame, how many times each decoded frame appears in the 15 fps output.
///
/// This is the constant-frame-rate rule of the FFmpeg 5.1 command line for a video output
/// with `-r`: with the input frame's time `x` and duration `dur` in output frames, the next
/// output slot `n`, `d0 = x − n` and `d = d0 + dur`: the frame is dropped when `d < −1.1`,
/// written `round(d)` times when `d > 1.1` (with the previous frame repeated
/// `round(d0 − 0.6)` times first when `d0 > 1.1`), and once otherwise.
///
/// ```
/// use mediamatch::tmk::resample::CfrSelector;
/// // 30 fps in: frames 0, 1, 2, 3 are kept, then every second frame.
/// let mut sel = CfrSelector::new(15.0);
/// let kept: Vec<usize> = (0..12)
///     .filter(|&i| sel.push(i as f64 / 30.0, 1.0 / 30.0).current > 0)
///     .collect();
/// assert_eq!(kept, [0, 1, 2, 3, 5, 7, 9, 11]);
/// ```
#[derive(Debug, Clone)]
pub struct CfrSelector {
    rate: f64,
    next: i64,
}

/// What to emit for one input frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emit {
    /// Times to repeat the previous frame first.
    pub previous: u32,
    /// Times to write this frame.
    pub current: u32,
}

impl CfrSelector {
    /// A selector for `rate` output frames per second (15 for TMK).
    pub fn new(rate: f64) -> Self {
        CfrSelector { rate, next: 0 }
    }

    /// Output frames written so far.
    pub fn written(&self) -> i64 {
        self.next
    }

    /// The decision for a frame at `time` seconds (from the stream start) lasting `duration`
    /// seconds. At most 10 000 copies are emitted for one frame (a bound against hostile
    /// timestamps).
    pub fn push(&mut self, time: f64, duration: f64) -> Emit {
        let x = time * self.rate;
        let mut dur = (duration * self.rate).min(1.0);
        if !x.is_finite() || !dur.is_finite() {
            return Emit {
                previous: 0,
                current: 0,
            };
        }
        if dur < 0.0 {
            dur = 0.0;
        }
        let mut d0 = x - self.next as f64;
        let d = d0 + dur;
        if d0 < 0.0 && d > 0.0 {
            d0 = 0.0;
        }
        let (mut previous, mut current) = (0i64, 1i64);
        if d < -1.1 {
            current = 0;
        } else if d > 1.1 {
            current = (d as f32).round_ties_even() as i64;
            if d0 > 1.1 {
                previous = (d0 - 0.6).round_ties_even() as i64;
            }
        }
        let previous = previous.clamp(0, 10_000).min(current);
        let current = current.clamp(0, 10_000);
        self.next += current;
        Emit {
            previous: previous as u32,
            current: (current - previous) as u32,
        }
    }
}
