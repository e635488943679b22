//! Animated GIFs (and animated WebP and PNG, APNG) as videos: the frames (composited by
//! `image`) on a constant-rate timeline built from their delays, so a GIF copy of a clip gets
//! frame numbers and timestamps in the clip's content time and matches it like any other copy.
//!
//! The timeline ticks every [`GifSource::TICK_MS`] ms (50 fps); tick `n` shows the GIF frame
//! displayed at `n × TICK_MS` ms. Delays under 20 ms are read as 100 ms, as browsers do.
//! [`Sampling::Distinct`] gives each image once, at the first tick it is shown (what a dense
//! query hashes: every picture the animation has, none twice).

#[cfg(any(feature = "gif", feature = "webp", feature = "png"))]
use std::io::Cursor;

#[cfg(feature = "gif")]
use image::codecs::gif::GifDecoder;
#[cfg(any(feature = "gif", feature = "webp", feature = "png"))]
use image::{AnimationDecoder, ImageDecoder};

use super::sample::{Sampler, Sampling};
use super::{FramePixels, FrameRate, FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Result, VideoError, VideoErrorKind};

/// The [`VideoInfo::codec`] names of the animations [`GifSource`] reads.
const GIF: &str = "gif";
const WEBP: &str = "webp";
const APNG: &str = "apng";

/// Whether a source's [`VideoInfo::codec`] is one of [`GifSource`]'s animations.
pub(crate) fn is_animation_codec(codec: &str) -> bool {
    [GIF, WEBP, APNG].contains(&codec)
}

/// Whether `bytes` start like a GIF file.
pub(crate) fn is_gif(bytes: &[u8]) -> bool {
    bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")
}

/// Whether `bytes` start like an animated WebP file: `RIFF....WEBP` and a `VP8X` chunk whose
/// animation flag is set.
pub(crate) fn is_animated_webp(bytes: &[u8]) -> bool {
    bytes.len() >= 21
        && &bytes[0..4] == b"RIFF"
        && &bytes[8..12] == b"WEBP"
        && &bytes[12..16] == b"VP8X"
        && bytes[20] & 0x02 != 0
}

/// Whether `bytes` start like an animated PNG: the PNG signature and an `acTL` chunk before
/// the first `IDAT` (among the chunks within `bytes`).
pub(crate) fn is_apng(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return false;
    }
    let mut p = 8usize;
    while let Some(h) = bytes.get(p..p + 8) {
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        match &h[4..8] {
            b"acTL" => return true,
            b"IDAT" => return false,
            _ => {}
        }
        let Some(next) = len.checked_add(12).and_then(|l| p.checked_add(l)) else {
            return false;
        };
        p = next;
    }
    false
}

/// Whether `bytes` start like an animation [`GifSource`] reads (GIF, animated WebP or PNG).
pub(crate) fn is_animation(bytes: &[u8]) -> bool {
    is_gif(bytes) || is_animated_webp(bytes) || is_apng(bytes)
}

/// Frames of an animated (or still) GIF on a 50 fps timeline.
///
/// ```
/// use mediamatch::video::{FrameSource, GifSource, VideoLimits};
/// // a one-frame 1x1 GIF
/// let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x0a\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
/// let mut src = GifSource::from_bytes(gif.to_vec(), VideoLimits::default())?;
/// assert_eq!((src.info().width, src.info().height), (1, 1));
/// // 100 ms at 50 fps: five ticks of the one frame
/// let mut n = 0;
/// while src.next_frame()?.is_some() { n += 1; }
/// assert_eq!(n, 5);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub struct GifSource {
    frames: image::Frames<'static>,
    info: VideoInfo,
    limits: VideoLimits,
    /// The frame being shown and the tick at which it stops being shown.
    current: Option<(std::sync::Arc<Vec<u8>>, u64)>,
    next_tick: u64,
    /// The first tick of the frame being shown.
    shown_from: u64,
    /// Ms of the timeline covered by the frames read so far.
    end_ms: u64,
    frames_read: u64,
    done: bool,
    /// [`Sampling::Distinct`]: only the first tick of each frame.
    distinct: bool,
    sampler: Sampler,
}

impl std::fmt::Debug for GifSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GifSource")
            .field("info", &self.info)
            .field("next_tick", &self.next_tick)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(
    not(any(feature = "gif", feature = "webp", feature = "png")),
    allow(dead_code)
)]
fn corrupt(e: image::ImageError) -> crate::Error {
    VideoError::new(VideoErrorKind::Corrupt, "bad animation data")
        .with_source(Box::new(e))
        .into()
}

#[cfg_attr(
    all(feature = "gif", feature = "webp", feature = "png"),
    allow(dead_code)
)]
fn refused(format: &str, feature: &str) -> crate::Error {
    VideoError::new(
        VideoErrorKind::UnsupportedCodec,
        format!("{format}: build mediamatch with the `{feature}` feature"),
    )
    .into()
}

/// The codec name, size and (lazily decoded) frames of a GIF, animated WebP or APNG.
fn animation_frames(bytes: Vec<u8>) -> Result<(&'static str, u32, u32, image::Frames<'static>)> {
    if is_gif(&bytes) {
        #[cfg(feature = "gif")]
        {
            let dec = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            let (w, h) = dec.dimensions();
            return Ok((GIF, w, h, dec.into_frames()));
        }
        #[cfg(not(feature = "gif"))]
        return Err(refused("GIF", "gif"));
    }
    if is_animated_webp(&bytes) {
        #[cfg(feature = "webp")]
        {
            let dec = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            let (w, h) = dec.dimensions();
            return Ok((WEBP, w, h, dec.into_frames()));
        }
        #[cfg(not(feature = "webp"))]
        return Err(refused("animated WebP", "webp"));
    }
    if is_apng(&bytes) {
        #[cfg(feature = "png")]
        {
            let dec = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            let (w, h) = dec.dimensions();
            return Ok((APNG, w, h, dec.apng().map_err(corrupt)?.into_frames()));
        }
        #[cfg(not(feature = "png"))]
        return Err(refused("animated PNG", "png"));
    }
    Err(VideoError::new(
        VideoErrorKind::Container,
        "not a GIF, animated WebP or animated PNG file",
    )
    .into())
}

impl GifSource {
    /// Milliseconds between two ticks of the timeline.
    pub const TICK_MS: u64 = 20;

    /// Reads a GIF, animated WebP or animated PNG held in memory (its codec in
    /// [`VideoInfo::codec`]: `gif`, `webp` or `apng`).
    pub fn from_bytes(bytes: Vec<u8>, limits: VideoLimits) -> Result<GifSource> {
        let (codec, w, h, frames) = animation_frames(bytes)?;
        limits.check_size(w, h)?;
        Ok(GifSource {
            frames,
            info: VideoInfo {
                width: w,
                height: h,
                frame_rate: FrameRate::new(1000, Self::TICK_MS as u32),
                frame_count: None,
                codec: codec.into(),
            },
            limits,
            current: None,
            next_tick: 0,
            shown_from: 0,
            end_ms: 0,
            frames_read: 0,
            done: false,
            distinct: false,
            sampler: Sampler::new(Sampling::EveryFrame, None),
        })
    }

    /// Reads a GIF, animated WebP or animated PNG file.
    pub fn open(path: impl AsRef<std::path::Path>, limits: VideoLimits) -> Result<GifSource> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| crate::Error::io(Some(path.to_path_buf()), e))?;
        Self::from_bytes(bytes, limits)
    }
}

impl FrameSource for GifSource {
    fn info(&self) -> &VideoInfo {
        &self.info
    }

    fn set_sampling(&mut self, sampling: Sampling) {
        self.distinct = sampling == Sampling::Distinct;
        self.sampler = Sampler::new(sampling, self.info.frame_rate.map(|r| r.as_f64()));
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        loop {
            if let Some((rgba, until)) = &self.current {
                if self.next_tick < *until {
                    let n = self.next_tick;
                    self.next_tick += 1;
                    if !self.sampler.wants(n, n == 0) || (self.distinct && n != self.shown_from) {
                        continue;
                    }
                    let (w, h) = (self.info.width as usize, self.info.height as usize);
                    let rgb: Vec<u8> = rgba
                        .chunks_exact(4)
                        .flat_map(|p| [p[0], p[1], p[2]])
                        .collect();
                    return Ok(Some(VideoFrame {
                        frame_number: n,
                        keyframe: n == 0,
                        pixels: FramePixels::Rgb8 {
                            width: w,
                            height: h,
                            stride: w * 3,
                            data: rgb,
                        },
                    }));
                }
            }
            if self.done {
                return Ok(None);
            }
            match self.frames.next() {
                None => {
                    self.done = true;
                    if self.current.as_ref().is_none_or(|c| self.next_tick >= c.1) {
                        return Ok(None);
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Err(corrupt(e));
                }
                Some(Ok(frame)) => {
                    self.frames_read += 1;
                    if self.frames_read > self.limits.max_frames {
                        self.done = true;
                        return Err(VideoError::new(
                            VideoErrorKind::LimitsExceeded,
                            "the GIF has more frames than the limit",
                        )
                        .into());
                    }
                    let (num, den) = frame.delay().numer_denom_ms();
                    let mut delay = (num as u64).checked_div(den.max(1) as u64).unwrap_or(0);
                    if delay < 20 {
                        delay = 100;
                    }
                    self.end_ms += delay;
                    let until = self.end_ms.div_ceil(Self::TICK_MS);
                    let buf = frame.into_buffer();
                    if buf.width() != self.info.width || buf.height() != self.info.height {
                        return Err(VideoError::new(
                            VideoErrorKind::Corrupt,
                            "a GIF frame of another size",
                        )
                        .into());
                    }
                    self.shown_from = self.next_tick;
                    self.current = Some((std::sync::Arc::new(buf.into_raw()), until));
                }
            }
        }
    }
}
