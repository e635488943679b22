//! Video transformations of the robustness benchmark: what re-uploads do to a video, applied to
//! a stream of decoded frames.
//!
//! A [`VideoTransformer`] takes an original's frames one at a time (in display order, as RGB)
//! and emits the frames of the transformed copy, so a benchmark can decode an original once,
//! feed every transformation in step and encode each copy as it goes, with memory bounded by a
//! frame per transformation. Encoding is the caller's business (the crate has no encoder); the
//! benchmark (`examples/robustness.rs`) uses OpenH264 and re-encodes every copy, so
//! [`VideoTransform::Reencode`] and [`VideoTransform::LowBitrate`] leave the frames as they are
//! and differ only in [`VideoTransform::low_bitrate`].
//!
//! Each copy knows where the original shows in it ([`Placement`]), so a benchmark can check that
//! temporal alignment locates an excerpt. Everything is deterministic given the seed.
//!
//! ```
//! use image::RgbImage;
//! use mediamatch::robustness::{VideoTransform, VideoTransformer};
//! use mediamatch::video::FrameRate;
//! let rate = FrameRate::new(30, 1).unwrap();
//! // 90 frames of 64×48 at 30 fps, resampled to 15 fps
//! let mut t = VideoTransformer::new(VideoTransform::FrameRate { fps: 15 }, rate, 64, 48, Some(90), 1)?;
//! let mut out = Vec::new();
//! for n in 0..90u64 {
//!     let frame = RgbImage::from_pixel(64, 48, image::Rgb([n as u8, 0, 0]));
//!     t.push(n, &frame, &mut |f| out.push(f))?;
//! }
//! t.finish(&mut |f| out.push(f))?;
//! assert_eq!(out.len(), 45);
//! assert_eq!(t.output_rate(), FrameRate::new(15, 1).unwrap());
//! assert_eq!(out[1].get_pixel(0, 0)[0], 2); // every other frame
//! Ok::<(), mediamatch::Error>(())
//! ```

use image::{DynamicImage, RgbImage};
use serde::{Deserialize, Serialize};

use super::prng::SplitMix64;
use super::transform::{Bars, Transform};
use crate::error::{Error, Result};
use crate::video::FrameRate;

/// One transformation of a video.
///
/// Names ([`VideoTransform::name`]) are short and stable; they label the benchmark's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum VideoTransform {
    /// Frames unchanged; the copy is only re-encoded (the sanity row).
    Reencode,
    /// Frames unchanged; the copy is re-encoded at a much lower bitrate
    /// ([`VideoTransform::low_bitrate`] tells the encoder).
    LowBitrate,
    /// Half width and half height (triangle filter, as [`Transform::Scale`]).
    HalfResolution,
    /// Resampled in time to `fps` frames per second (each output frame is the latest input
    /// frame at its time; frames are dropped or repeated).
    FrameRate {
        /// The new frame rate.
        fps: u32,
    },
    /// Only `seconds` of the original, taken from the middle of the processed part.
    Excerpt {
        /// Length of the excerpt.
        seconds: u32,
    },
    /// The same excerpt as [`VideoTransform::Excerpt`], with `padding_seconds` of other
    /// (generated, [`generated_frame`]) footage before and after it.
    Inserted {
        /// Length of the excerpt.
        seconds: u32,
        /// Length of the other footage before, and again after, the excerpt.
        padding_seconds: u32,
    },
    /// Black bars above and below ([`Transform::Letterbox`]: each bar 1/6 of the height).
    Letterbox,
    /// A logo and caption overlay at a fixed place for the whole video ([`Transform::Overlay`]).
    Logo,
    /// Mirrored left to right.
    Mirror,
}

impl VideoTransform {
    /// The transformations the benchmark runs, in report order.
    pub fn standard_set() -> Vec<VideoTransform> {
        use VideoTransform::*;
        vec![
            Reencode,
            LowBitrate,
            HalfResolution,
            FrameRate { fps: 24 },
            FrameRate { fps: 15 },
            Excerpt { seconds: 10 },
            Inserted {
                seconds: 10,
                padding_seconds: 10,
            },
            Letterbox,
            Logo,
            Mirror,
        ]
    }

    /// A short stable name, e.g. `fps-15`, `excerpt-10s`, `inserted-10s`.
    pub fn name(&self) -> String {
        match self {
            VideoTransform::Reencode => "reencode".into(),
            VideoTransform::LowBitrate => "low-bitrate".into(),
            VideoTransform::HalfResolution => "half-res".into(),
            VideoTransform::FrameRate { fps } => format!("fps-{fps}"),
            VideoTransform::Excerpt { seconds } => format!("excerpt-{seconds}s"),
            VideoTransform::Inserted { seconds, .. } => format!("inserted-{seconds}s"),
            VideoTransform::Letterbox => "letterbox".into(),
            VideoTransform::Logo => "logo".into(),
            VideoTransform::Mirror => "mirror".into(),
        }
    }

    /// Whether the copy should be encoded at a much lower bitrate than the others.
    pub fn low_bitrate(&self) -> bool {
        matches!(self, VideoTransform::LowBitrate)
    }

    /// Whether the copy holds only an excerpt of the original (the benchmark then checks that
    /// alignment locates it).
    pub fn is_excerpt(&self) -> bool {
        matches!(
            self,
            VideoTransform::Excerpt { .. } | VideoTransform::Inserted { .. }
        )
    }
}

impl std::fmt::Display for VideoTransform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where the original shows in a copy: the copy's time `copy_start_ms + x` shows the original's
/// time `original_start_ms + x`, for `0 ≤ x < duration_ms` (times are nominal: frame number /
/// frame rate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Start of the original's part in the copy, ms.
    pub copy_start_ms: u64,
    /// Start of that part in the original, ms.
    pub original_start_ms: u64,
    /// Length of that part, ms.
    pub duration_ms: u64,
}

/// Applies one [`VideoTransform`] to a stream of frames. See the [module docs](self).
#[derive(Debug)]
pub struct VideoTransformer {
    transform: VideoTransform,
    rate: FrameRate,
    width: u32,
    height: u32,
    seed: u64,
    /// Frames `[excerpt.0, excerpt.1)` of the input are kept (excerpt transformations).
    excerpt: (u64, u64),
    /// Generated frames emitted so far (inserted).
    generated: u64,
    /// Padding frames before and after (inserted).
    padding: u64,
    /// Next output frame index (frame-rate change).
    next_out: u64,
    /// Frames pushed.
    pushed: u64,
    /// Output frames emitted.
    emitted: u64,
}

impl VideoTransformer {
    /// A transformer for an original of `width × height` at `rate`, of which `total_frames`
    /// frames (when known) will be pushed; an excerpt is taken from the middle of those (from
    /// the start when unknown). `seed` drives the generated footage and the logo's corner.
    ///
    /// Errors with [`Error::InvalidInput`] on an empty frame size, a frame rate of 0 fps or an
    /// excerpt of 0 seconds.
    pub fn new(
        transform: VideoTransform,
        rate: FrameRate,
        width: u32,
        height: u32,
        total_frames: Option<u64>,
        seed: u64,
    ) -> Result<VideoTransformer> {
        if width == 0 || height == 0 {
            return Err(Error::invalid("cannot transform a video of empty frames"));
        }
        let frames_of = |seconds: u32| {
            (u128::from(seconds) * u128::from(rate.num) / u128::from(rate.den.max(1))).max(1) as u64
        };
        let (mut excerpt, mut padding) = ((0, u64::MAX), 0);
        match transform {
            VideoTransform::FrameRate { fps: 0 } => {
                return Err(Error::invalid("the new frame rate must be positive"));
            }
            VideoTransform::Excerpt { seconds: 0 }
            | VideoTransform::Inserted { seconds: 0, .. } => {
                return Err(Error::invalid("an excerpt must last at least a second"));
            }
            VideoTransform::Excerpt { seconds } | VideoTransform::Inserted { seconds, .. } => {
                let len = frames_of(seconds);
                let start = total_frames.map_or(0, |t| t.saturating_sub(len) / 2);
                excerpt = (start, start.saturating_add(len));
                if let VideoTransform::Inserted {
                    padding_seconds, ..
                } = transform
                {
                    padding = if padding_seconds == 0 {
                        0
                    } else {
                        frames_of(padding_seconds)
                    };
                }
            }
            _ => {}
        }
        Ok(VideoTransformer {
            transform,
            rate,
            width,
            height,
            seed,
            excerpt,
            generated: 0,
            padding,
            next_out: 0,
            pushed: 0,
            emitted: 0,
        })
    }

    /// The transformation.
    pub fn transform(&self) -> VideoTransform {
        self.transform
    }

    /// The frame rate of the copy.
    pub fn output_rate(&self) -> FrameRate {
        match self.transform {
            VideoTransform::FrameRate { fps } => FrameRate::new(fps, 1).unwrap_or(self.rate),
            _ => self.rate,
        }
    }

    /// Output frames emitted so far.
    pub fn frames_out(&self) -> u64 {
        self.emitted
    }

    /// Where the original shows in the copy, given the frames pushed so far (call after
    /// [`VideoTransformer::finish`] for the final answer).
    pub fn placement(&self) -> Placement {
        let ms = |frames: u64, r: FrameRate| {
            (u128::from(frames) * 1000 * u128::from(r.den) / u128::from(r.num.max(1))) as u64
        };
        let kept = |a: u64, b: u64| self.pushed.min(b).saturating_sub(a);
        match self.transform {
            VideoTransform::Excerpt { .. } => Placement {
                copy_start_ms: 0,
                original_start_ms: ms(self.excerpt.0, self.rate),
                duration_ms: ms(kept(self.excerpt.0, self.excerpt.1), self.rate),
            },
            VideoTransform::Inserted { .. } => Placement {
                copy_start_ms: ms(self.padding, self.rate),
                original_start_ms: ms(self.excerpt.0, self.rate),
                duration_ms: ms(kept(self.excerpt.0, self.excerpt.1), self.rate),
            },
            _ => Placement {
                copy_start_ms: 0,
                original_start_ms: 0,
                duration_ms: ms(self.pushed, self.rate),
            },
        }
    }

    fn generate(&mut self, out: &mut dyn FnMut(RgbImage)) {
        let t_ms = (u128::from(self.generated) * 1000 * u128::from(self.rate.den)
            / u128::from(self.rate.num.max(1))) as u64;
        out(generated_frame(self.seed, self.width, self.height, t_ms));
        self.generated += 1;
        self.emitted += 1;
    }

    /// Feeds input frame `n` (display order from 0, each number once, increasing) and emits
    /// the copy's frames that it gives (none, one, or more for a frame-rate increase).
    ///
    /// Errors with [`Error::InvalidInput`] if the frame is not `width × height` or `n` does not
    /// increase.
    pub fn push(&mut self, n: u64, frame: &RgbImage, out: &mut dyn FnMut(RgbImage)) -> Result<()> {
        if frame.dimensions() != (self.width, self.height) {
            return Err(Error::invalid("frame size differs from the video's"));
        }
        if n < self.pushed {
            return Err(Error::invalid("frame numbers must increase"));
        }
        self.pushed = n + 1;
        let image = |t: Transform, seed: u64| -> Result<RgbImage> {
            Ok(t.apply(&DynamicImage::ImageRgb8(frame.clone()), seed)?
                .into_rgb8())
        };
        match self.transform {
            VideoTransform::Reencode | VideoTransform::LowBitrate => {
                out(frame.clone());
                self.emitted += 1;
            }
            VideoTransform::HalfResolution => {
                out(image(Transform::Scale { percent: 50 }, 0)?);
                self.emitted += 1;
            }
            VideoTransform::Letterbox => {
                out(image(Transform::Letterbox { bars: Bars::Black }, 0)?);
                self.emitted += 1;
            }
            VideoTransform::Logo => {
                out(image(Transform::Overlay, self.seed)?);
                self.emitted += 1;
            }
            VideoTransform::Mirror => {
                out(image(Transform::Mirror, 0)?);
                self.emitted += 1;
            }
            VideoTransform::FrameRate { fps } => {
                // Output frame k shows at k / fps s; it is input frame floor(k / fps × rate).
                let src = |k: u64| {
                    (u128::from(k) * u128::from(self.rate.num)
                        / (u128::from(fps) * u128::from(self.rate.den))) as u64
                };
                while src(self.next_out) <= n {
                    out(frame.clone());
                    self.next_out += 1;
                    self.emitted += 1;
                }
            }
            VideoTransform::Excerpt { .. } | VideoTransform::Inserted { .. } => {
                if n >= self.excerpt.0 && n < self.excerpt.1 {
                    while self.generated < self.padding {
                        self.generate(out);
                    }
                    out(frame.clone());
                    self.emitted += 1;
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: emits what comes after the last input frame (the trailing footage of
    /// [`VideoTransform::Inserted`]).
    pub fn finish(&mut self, out: &mut dyn FnMut(RgbImage)) -> Result<()> {
        if let VideoTransform::Inserted { .. } = self.transform {
            while self.generated < 2 * self.padding {
                self.generate(out);
            }
        }
        Ok(())
    }
}

/// Generated footage: smooth coloured value noise panning and zooming over time, distinct for
/// each seed, with enough texture for PDQ quality 100. Deterministic.
///
/// ```
/// use mediamatch::robustness::generated_frame;
/// let a = generated_frame(1, 64, 48, 0);
/// assert_eq!(a, generated_frame(1, 64, 48, 0));
/// assert_ne!(a, generated_frame(1, 64, 48, 1000));
/// assert_ne!(a, generated_frame(2, 64, 48, 0));
/// ```
pub fn generated_frame(seed: u64, width: u32, height: u32, t_ms: u64) -> RgbImage {
    const G: usize = 32;
    let mut rng = SplitMix64::new(seed ^ 0x0066_6F6F_7461_6765);
    let grids: Vec<Vec<f32>> = (0..3)
        .map(|_| (0..G * G).map(|_| rng.next_f32()).collect())
        .collect();
    let t = t_ms as f32 / 1000.0;
    let (ox, oy) = (1.3 * t + 3.0, 0.6 * t + 5.0 * (0.2 * t).sin());
    let zoom = 6.0 * (1.0 + 0.2 * (0.3 * t).sin()) / width.max(height) as f32;
    // Bilinear lookups on a separable grid: cell index and fraction per column and per row, at
    // scale 1 and 3.
    let axis = |o: f32, n: u32, scale: f32| -> Vec<(usize, usize, f32)> {
        (0..n)
            .map(|i| {
                let f = (scale * (o + i as f32 * zoom)).rem_euclid(G as f32);
                let i0 = f as usize % G;
                (i0, (i0 + 1) % G, f.fract())
            })
            .collect()
    };
    let (cols1, cols3) = (axis(ox, width, 1.0), axis(ox, width, 3.0));
    let (rows1, rows3) = (axis(oy, height, 1.0), axis(oy, height, 3.0));
    let sample =
        |g: &[f32], (x0, x1, tx): (usize, usize, f32), (y0, y1, ty): (usize, usize, f32)| {
            let a = g[y0 * G + x0] * (1.0 - tx) + g[y0 * G + x1] * tx;
            let b = g[y1 * G + x0] * (1.0 - tx) + g[y1 * G + x1] * tx;
            a * (1.0 - ty) + b * ty
        };
    let px = |k: f32| (255.0 * k).clamp(0.0, 255.0) as u8;
    let mut img = RgbImage::new(width, height);
    for (y, row) in img.rows_mut().enumerate() {
        let (r1, r3) = (rows1[y], rows3[y]);
        for (x, p) in row.enumerate() {
            let (c1, c3) = (cols1[x], cols3[x]);
            let base = 0.6 * sample(&grids[0], c1, r1) + 0.4 * sample(&grids[0], c3, r3);
            let k1 = sample(&grids[1], c1, r1);
            let k2 = sample(&grids[2], c1, r1);
            *p = image::Rgb([
                px(base * 0.8 + 0.2 * k1),
                px(base),
                px(base * 0.8 + 0.2 * k2),
            ]);
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 48;
    const H: u32 = 36;

    /// Frame `n` carries its number in pixel (0,0)'s red channel and a gradient elsewhere.
    fn frame(n: u64) -> RgbImage {
        let mut f = RgbImage::from_fn(W, H, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, 9]));
        f.put_pixel(0, 0, image::Rgb([n as u8, 0, 0]));
        f
    }

    fn run(t: VideoTransform, rate: FrameRate, n: u64, seed: u64) -> (Vec<RgbImage>, Placement) {
        let mut tr = VideoTransformer::new(t, rate, W, H, Some(n), seed).unwrap();
        let mut out = Vec::new();
        for k in 0..n {
            tr.push(k, &frame(k), &mut |f| out.push(f)).unwrap();
        }
        tr.finish(&mut |f| out.push(f)).unwrap();
        assert_eq!(tr.frames_out(), out.len() as u64);
        (out, tr.placement())
    }

    fn r(num: u32, den: u32) -> FrameRate {
        FrameRate::new(num, den).unwrap()
    }

    #[test]
    fn every_transformation_is_deterministic() {
        for t in VideoTransform::standard_set() {
            let a = run(t, r(10, 1), 300, 5);
            let b = run(t, r(10, 1), 300, 5);
            assert_eq!(a, b, "{t}");
        }
        // the seed moves the generated footage
        let t = VideoTransform::Inserted {
            seconds: 10,
            padding_seconds: 2,
        };
        assert_ne!(run(t, r(10, 1), 300, 5).0, run(t, r(10, 1), 300, 6).0);
    }

    #[test]
    fn frame_preserving_transformations() {
        for (t, size) in [
            (VideoTransform::Reencode, (W, H)),
            (VideoTransform::LowBitrate, (W, H)),
            (VideoTransform::HalfResolution, (W / 2, H / 2)),
            (VideoTransform::Letterbox, (W, H + 2 * (H / 6))),
            (VideoTransform::Logo, (W, H)),
            (VideoTransform::Mirror, (W, H)),
        ] {
            let (out, p) = run(t, r(30, 1), 45, 1);
            assert_eq!(out.len(), 45, "{t}");
            assert!(out.iter().all(|f| f.dimensions() == size), "{t}");
            assert_eq!(
                p,
                Placement {
                    copy_start_ms: 0,
                    original_start_ms: 0,
                    duration_ms: 1500
                },
                "{t}"
            );
        }
        assert!(
            VideoTransform::LowBitrate.low_bitrate() && !VideoTransform::Reencode.low_bitrate()
        );
        // content: unchanged, mirrored, barred
        let (same, _) = run(VideoTransform::Reencode, r(30, 1), 3, 1);
        assert_eq!(same[2], frame(2));
        let (m, _) = run(VideoTransform::Mirror, r(30, 1), 3, 1);
        assert_eq!(m[2].get_pixel(W - 1, 0)[0], 2);
        let (lb, _) = run(VideoTransform::Letterbox, r(30, 1), 3, 1);
        assert_eq!(lb[1].get_pixel(5, 0).0, [0, 0, 0]);
        assert_eq!(lb[1].get_pixel(0, H / 6)[0], 1);
        // the logo stays in place: frames differ from the original at the same pixels
        let (logo, _) = run(VideoTransform::Logo, r(30, 1), 20, 3);
        let changed = |k: usize| -> Vec<bool> {
            let f = frame(k as u64);
            logo[k]
                .pixels()
                .zip(f.pixels())
                .skip(1)
                .map(|(a, b)| a != b)
                .collect()
        };
        assert!(changed(4).iter().any(|&c| c));
        assert_eq!(changed(4), changed(17));
    }

    #[test]
    fn frame_rate_change() {
        // 30 → 15 fps: every other frame; 30 → 24: 4 of 5; 10 s each
        let (out, _) = run(VideoTransform::FrameRate { fps: 15 }, r(30, 1), 300, 1);
        assert_eq!(out.len(), 150);
        let ids: Vec<u8> = out.iter().map(|f| f.get_pixel(0, 0)[0]).collect();
        assert_eq!(&ids[..4], &[0, 2, 4, 6]);
        let (out, p) = run(VideoTransform::FrameRate { fps: 24 }, r(30, 1), 300, 1);
        assert_eq!(out.len(), 240);
        assert_eq!(p.duration_ms, 10_000);
        let ids: Vec<u8> = out.iter().map(|f| f.get_pixel(0, 0)[0]).collect();
        assert_eq!(&ids[..6], &[0, 1, 2, 3, 5, 6]); // floor(k × 30/24)
                                                    // 29.97 → 15 fps over 1001 input frames: output k exists while k × 30000 / 15015 < 1001,
                                                    // i.e. k < 501.0005: 502 frames
        let (out, _) = run(
            VideoTransform::FrameRate { fps: 15 },
            r(30000, 1001),
            1001,
            1,
        );
        assert_eq!(out.len(), 502);
        // up: 10 → 24 fps repeats frames
        let (out, _) = run(VideoTransform::FrameRate { fps: 24 }, r(10, 1), 50, 1);
        assert_eq!(out.len(), 120);
        let mut tr = VideoTransformer::new(
            VideoTransform::FrameRate { fps: 24 },
            r(30, 1),
            W,
            H,
            None,
            0,
        )
        .unwrap();
        assert_eq!(tr.output_rate(), r(24, 1));
        assert!(tr.push(0, &RgbImage::new(W + 1, H), &mut |_| {}).is_err());
        tr.push(3, &frame(3), &mut |_| {}).unwrap();
        assert!(tr.push(2, &frame(2), &mut |_| {}).is_err());
    }

    #[test]
    fn excerpt_and_insertion() {
        // 30 s at 10 fps; the 10 s excerpt is seconds 10..20
        let (out, p) = run(VideoTransform::Excerpt { seconds: 10 }, r(10, 1), 300, 1);
        assert_eq!(out.len(), 100);
        assert_eq!(out[0], frame(100));
        assert_eq!(out[99], frame(199));
        assert_eq!(
            p,
            Placement {
                copy_start_ms: 0,
                original_start_ms: 10_000,
                duration_ms: 10_000
            }
        );
        let t = VideoTransform::Inserted {
            seconds: 10,
            padding_seconds: 5,
        };
        let (out, p) = run(t, r(10, 1), 300, 1);
        assert_eq!(out.len(), 200);
        assert_eq!(out[50], frame(100));
        assert_eq!(out[149], frame(199));
        assert!(out[..50]
            .iter()
            .chain(&out[150..])
            .all(|f| f.dimensions() == (W, H)));
        assert_ne!(out[49], out[48]); // generated footage moves
        assert_eq!(
            p,
            Placement {
                copy_start_ms: 5_000,
                original_start_ms: 10_000,
                duration_ms: 10_000
            }
        );
        // shorter than the excerpt: all of it
        let (out, p) = run(VideoTransform::Excerpt { seconds: 10 }, r(10, 1), 40, 1);
        assert_eq!(out.len(), 40);
        assert_eq!((p.original_start_ms, p.duration_ms), (0, 4_000));
        assert!(VideoTransformer::new(
            VideoTransform::Excerpt { seconds: 0 },
            r(10, 1),
            W,
            H,
            None,
            0
        )
        .is_err());
        assert!(VideoTransformer::new(VideoTransform::Mirror, r(10, 1), 0, H, None, 0).is_err());
    }

    #[test]
    fn generated_footage_hashes_well_and_differs_from_other_seeds() {
        let pdq = crate::PdqHasher::new();
        let h = |seed: u64, t: u64| {
            pdq.hash_image(&DynamicImage::ImageRgb8(generated_frame(seed, 160, 120, t)))
        };
        let (a, b, c) = (h(1, 0), h(1, 2000), h(2, 0));
        assert!(a.quality >= 50 && b.quality >= 50 && c.quality >= 50);
        assert!(a.hash.distance(&b.hash) > 31, "moves over time");
        assert!(a.hash.distance(&c.hash) > 31, "seeds differ");
    }
}
