//! TMK+PDQF with the `ffmpeg` feature: the reference's pre-processing
//! (`ffmpeg -i VIDEO -s 64:64 -an -f rawvideo -c:v rawvideo -pix_fmt rgb24 -r 15 pipe:1`)
//! done in-process with libavformat/libavcodec/libswscale.
//!
//! Each decoded frame is placed by its best-effort timestamp (relative to the stream's start),
//! selected for 15 fps by [`CfrSelector`] (the CLI's CFR rule), and the frames written are
//! converted in one libswscale step from the decoder's format at native size to 64×64 RGB24
//! with `SWS_BICUBIC`, the CLI's default scaler flags, and default (BT.601, range from the
//! pixel format) colour details — what the CLI's single auto-inserted scale filter does for
//! untagged input. Not handled like the CLI: colour-tagged input (the CLI passes the tags to
//! swscale) and the CLI's end-of-stream frame duplication for variable-rate input.

use std::path::Path;

use ffmpeg_next as ff;

use super::features::{TmkBuilder, TMK_FPS};
use super::format::TmkFeatures;
use super::pdqf::{pdqf_from_rgb64, Pdqf, FRAME_BYTES, FRAME_SIDE};
use super::resample::CfrSelector;
use crate::error::{Error, Result, VideoError, VideoErrorKind};
use crate::video::VideoLimits;

fn ff_err(kind: VideoErrorKind, what: &'static str, e: ff::Error) -> Error {
    VideoError::new(kind, what).with_source(Box::new(e)).into()
}

/// The 15 fps 64×64 RGB24 frames the reference's FFmpeg step produces, in order (each
/// [`FRAME_BYTES`] long), passed to `sink` one at a time (memory stays one frame).
pub fn rgb64_frames_ffmpeg(
    path: impl AsRef<Path>,
    limits: VideoLimits,
    mut sink: impl FnMut(&[u8; FRAME_BYTES]),
) -> Result<u64> {
    let path = path.as_ref();
    ff::init().map_err(|e| ff_err(VideoErrorKind::Decoder, "initialising FFmpeg", e))?;
    ff::util::log::set_level(ff::util::log::Level::Fatal);
    let mut input = ff::format::input(&path).map_err(|e| {
        ff_err(
            VideoErrorKind::Container,
            "cannot open or probe the file",
            e,
        )
    })?;
    let stream = input
        .streams()
        .best(ff::media::Type::Video)
        .ok_or_else(|| {
            Error::from(VideoError::new(
                VideoErrorKind::NoVideoTrack,
                "no video stream",
            ))
        })?;
    let index = stream.index();
    let tb = stream.time_base();
    let tb = tb.numerator() as f64 / tb.denominator().max(1) as f64;
    let start = stream.start_time();
    let start = if start == ff::ffi::AV_NOPTS_VALUE {
        0
    } else {
        start
    };
    let mut rate = stream.avg_frame_rate();
    if rate.numerator() <= 0 || rate.denominator() <= 0 {
        rate = stream.rate();
    }
    let fps = if rate.numerator() > 0 && rate.denominator() > 0 {
        rate.numerator() as f64 / rate.denominator() as f64
    } else {
        30.0
    };
    let ctx = ff::codec::context::Context::from_parameters(stream.parameters())
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "codec parameters", e))?;
    let mut decoder = ctx.decoder().video().map_err(|e| {
        ff_err(
            VideoErrorKind::UnsupportedCodec,
            "no decoder for the codec",
            e,
        )
    })?;
    limits.check_size(decoder.width(), decoder.height())?;

    let mut sel = CfrSelector::new(TMK_FPS as f64);
    let mut scaler: Option<(ff::format::Pixel, u32, u32, ff::software::scaling::Context)> = None;
    let mut decoded = ff::frame::Video::empty();
    let mut rgb = ff::frame::Video::empty();
    let mut last = Box::new([0u8; FRAME_BYTES]);
    let mut have_last = false;
    let mut frames_in: u64 = 0;
    let mut written: u64 = 0;

    let mut handle =
        |decoded: &ff::frame::Video,
         scaler: &mut Option<(ff::format::Pixel, u32, u32, ff::software::scaling::Context)>,
         last: &mut [u8; FRAME_BYTES],
         have_last: &mut bool|
         -> Result<()> {
            frames_in += 1;
            if frames_in > limits.max_frames {
                return Err(
                    VideoError::new(VideoErrorKind::LimitsExceeded, "too many frames").into(),
                );
            }
            let ts = decoded.timestamp().or(decoded.pts());
            let time = match ts {
                Some(t) => (t - start) as f64 * tb,
                None => (frames_in - 1) as f64 / fps,
            };
            let e = sel.push(time, 1.0 / fps);
            if *have_last {
                for _ in 0..e.previous {
                    sink(last);
                    written += 1;
                }
            }
            if e.current == 0 {
                return Ok(());
            }
            let (fmt, w, h) = (decoded.format(), decoded.width(), decoded.height());
            limits.check_size(w, h)?;
            if scaler
                .as_ref()
                .is_none_or(|(f, sw, sh, _)| (*f, *sw, *sh) != (fmt, w, h))
            {
                let s = ff::software::scaling::Context::get(
                    fmt,
                    w,
                    h,
                    ff::format::Pixel::RGB24,
                    FRAME_SIDE as u32,
                    FRAME_SIDE as u32,
                    ff::software::scaling::Flags::BICUBIC,
                )
                .map_err(|e| ff_err(VideoErrorKind::Decoder, "creating the 64x64 scaler", e))?;
                *scaler = Some((fmt, w, h, s));
            }
            let (_, _, _, s) = scaler.as_mut().expect("scaler just set");
            s.run(decoded, &mut rgb)
                .map_err(|e| ff_err(VideoErrorKind::Decoder, "scaling to 64x64", e))?;
            let stride = rgb.stride(0);
            let data = rgb.data(0);
            for y in 0..FRAME_SIDE {
                last[y * FRAME_SIDE * 3..(y + 1) * FRAME_SIDE * 3]
                    .copy_from_slice(&data[y * stride..y * stride + FRAME_SIDE * 3]);
            }
            *have_last = true;
            for _ in 0..e.current {
                sink(last);
                written += 1;
            }
            Ok(())
        };

    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        decoder
            .send_packet(&packet)
            .map_err(|e| ff_err(VideoErrorKind::Decoder, "decoding", e))?;
        while decoder.receive_frame(&mut decoded).is_ok() {
            handle(&decoded, &mut scaler, &mut last, &mut have_last)?;
        }
    }
    decoder
        .send_eof()
        .map_err(|e| ff_err(VideoErrorKind::Decoder, "flushing the decoder", e))?;
    while decoder.receive_frame(&mut decoded).is_ok() {
        handle(&decoded, &mut scaler, &mut last, &mut have_last)?;
    }
    Ok(written)
}

/// TMK+PDQF of a video file through FFmpeg, following the reference tool's pre-processing
/// (see the module docs). On the reference's sample clips it gives their `.tmk` files.
pub fn hash_video_ffmpeg(path: impl AsRef<Path>, limits: VideoLimits) -> Result<TmkFeatures> {
    let mut b = TmkBuilder::new();
    rgb64_frames_ffmpeg(path, limits, |f| {
        let p: Pdqf = pdqf_from_rgb64(f);
        b.push(&p);
    })?;
    Ok(b.finish())
}
