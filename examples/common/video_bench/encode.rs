//! Making the copies as the original is decoded: each transformation's frames encoded with
//! OpenH264 into an in-memory MP4 as they come ([`StreamEncoder`], [`Stage`]), and the frame
//! sources that feed every decoded frame to the transformations ([`Tee`]) and keep the frame
//! last hashed ([`Keep`]).

use std::cell::RefCell;
use std::rc::Rc;

use image::RgbImage;
use mediamatch::robustness::{Placement, VideoTransformer};
use mediamatch::video::{FrameRate, FrameSource, Sampling, VideoFrame, VideoInfo};
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate as EncRate, IntraFramePeriod, QpRange,
    RateControlMode,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use openh264::OpenH264API;

use super::make;

/// Encodes RGB frames with OpenH264 (Constrained Baseline, constant quantiser) into an MP4.
pub(super) struct StreamEncoder {
    enc: Encoder,
    width: usize,
    height: usize,
    sps: Vec<u8>,
    pps: Vec<u8>,
    samples: Vec<(Vec<u8>, bool)>,
}

impl StreamEncoder {
    fn new(width: u32, height: u32, rate: FrameRate, qp: u8) -> Result<StreamEncoder, String> {
        // H.264 4:2:0 wants even sides: an odd last row or column is dropped.
        let (width, height) = ((width & !1) as usize, (height & !1) as usize);
        if width == 0 || height == 0 {
            return Err("frames too small to encode".into());
        }
        let fps = rate.as_f64() as f32;
        let cfg = EncoderConfig::new()
            .bitrate(BitRate::from_bps(2_000_000))
            .max_frame_rate(EncRate::from_hz(fps))
            .rate_control_mode(RateControlMode::Bitrate)
            .qp(QpRange::new(qp, qp))
            .skip_frames(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                (2.0 * fps).round().max(1.0) as u32,
            ));
        let enc = Encoder::with_api_config(OpenH264API::from_source(), cfg)
            .map_err(|e| format!("encoder: {e}"))?;
        Ok(StreamEncoder {
            enc,
            width,
            height,
            sps: Vec::new(),
            pps: Vec::new(),
            samples: Vec::new(),
        })
    }

    fn push(&mut self, frame: RgbImage) -> Result<(), String> {
        let (w, h) = (self.width, self.height);
        let frame = if frame.dimensions() == (w as u32, h as u32) {
            frame
        } else if frame.width() as usize >= w && frame.height() as usize >= h {
            image::imageops::crop_imm(&frame, 0, 0, w as u32, h as u32).to_image()
        } else {
            return Err("frame size changed within a copy".into());
        };
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(frame.as_raw(), (w, h)));
        let bs = self
            .enc
            .encode(&yuv)
            .map_err(|e| format!("encoding: {e}"))?
            .to_vec();
        let mut sample = Vec::new();
        let mut idr = false;
        for nal in make::split_annexb(&bs) {
            match nal[0] & 0x1f {
                7 => self.sps = nal.to_vec(),
                8 => self.pps = nal.to_vec(),
                t => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
            }
        }
        self.samples.push((sample, idr));
        Ok(())
    }

    fn finish(self, rate: FrameRate) -> Vec<u8> {
        make::mux_with(
            self.width,
            self.height,
            rate.num,
            &self.sps,
            &self.pps,
            &self.samples,
            make::MuxOpts {
                timescale: Some(rate.num),
                sample_delta: Some(rate.den),
                ..Default::default()
            },
        )
    }
}

/// One transformation of one original in progress.
pub(super) struct Stage {
    pub(super) tr: VideoTransformer,
    pub(super) qp: u8,
    pub(super) enc: Option<StreamEncoder>,
    pub(super) err: Option<String>,
}

impl Stage {
    fn emit(
        enc: &mut Option<StreamEncoder>,
        err: &mut Option<String>,
        rate: FrameRate,
        qp: u8,
        f: RgbImage,
    ) {
        if err.is_some() {
            return;
        }
        if enc.is_none() {
            match StreamEncoder::new(f.width(), f.height(), rate, qp) {
                Ok(e) => *enc = Some(e),
                Err(e) => {
                    *err = Some(e);
                    return;
                }
            }
        }
        if let Some(e) = enc.as_mut() {
            if let Err(e) = e.push(f) {
                *err = Some(e);
            }
        }
    }

    pub(super) fn push(&mut self, n: u64, frame: &RgbImage) {
        if self.err.is_some() {
            return;
        }
        let rate = self.tr.output_rate();
        let (enc, err, qp) = (&mut self.enc, &mut self.err, self.qp);
        if let Err(e) = self
            .tr
            .push(n, frame, &mut |f| Stage::emit(enc, err, rate, qp, f))
        {
            self.err = Some(e.to_string());
        }
    }

    pub(super) fn finish(mut self) -> Result<(Vec<u8>, Placement, u64), String> {
        let rate = self.tr.output_rate();
        let (enc, err, qp) = (&mut self.enc, &mut self.err, self.qp);
        self.tr
            .finish(&mut |f| Stage::emit(enc, err, rate, qp, f))
            .map_err(|e| e.to_string())?;
        if let Some(e) = self.err {
            return Err(e);
        }
        let enc = self.enc.ok_or("the copy has no frames")?;
        Ok((enc.finish(rate), self.tr.placement(), self.tr.frames_out()))
    }
}

/// Hands every decoded frame of the processed part to a callback before the hasher sees it,
/// and ends the stream at the duration cap.
pub(super) struct Tee<'a, S> {
    pub(super) inner: S,
    pub(super) cap: u64,
    pub(super) on_frame: &'a mut dyn FnMut(&VideoFrame),
}

impl<S: FrameSource> FrameSource for Tee<'_, S> {
    fn info(&self) -> &VideoInfo {
        self.inner.info()
    }
    fn set_sampling(&mut self, _: Sampling) {
        // every frame feeds the transformations; the hasher samples by itself
        self.inner.set_sampling(Sampling::EveryFrame);
    }
    fn next_frame(&mut self) -> mediamatch::Result<Option<VideoFrame>> {
        match self.inner.next_frame()? {
            Some(f) if f.frame_number < self.cap => {
                (self.on_frame)(&f);
                Ok(Some(f))
            }
            _ => Ok(None),
        }
    }
}

/// Keeps the last frame it handed out, so that a second hasher can hash exactly the frames the
/// first one sampled.
pub(super) struct Keep<S> {
    pub(super) inner: S,
    pub(super) last: Rc<RefCell<Option<VideoFrame>>>,
}

impl<S: FrameSource> FrameSource for Keep<S> {
    fn info(&self) -> &VideoInfo {
        self.inner.info()
    }
    fn set_sampling(&mut self, s: Sampling) {
        self.inner.set_sampling(s);
    }
    fn next_frame(&mut self) -> mediamatch::Result<Option<VideoFrame>> {
        let f = self.inner.next_frame()?;
        *self.last.borrow_mut() = f.clone();
        Ok(f)
    }
}
