//! Test videos made by the tests themselves: synthetic textured moving content, encoded with
//! OpenH264 (dev-dependency) and wrapped in a minimal MP4 written here.

use mediamatch::video::{FramePixels, FrameSource, Mp4H264Source, Sampling, VideoLimits};
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, QpRange, RateControlMode,
};
use openh264::formats::YUVBuffer;
use openh264::OpenH264API;

/// A raw I420 clip.
#[derive(Clone)]
pub struct Clip {
    pub width: usize,
    pub height: usize,
    pub fps: u32,
    /// I420 frames (Y, then U, then V).
    pub frames: Vec<Vec<u8>>,
}

/// Tiny deterministic PRNG (xorshift64*), so test content never depends on a crate's stream.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A large wrapped "landscape" of value noise in three octaves plus blobs.
struct Landscape {
    w: usize,
    h: usize,
    y: Vec<u8>,
    c: Vec<u8>,
}

impl Landscape {
    fn new(seed: u64) -> Landscape {
        let (w, h) = (1024usize, 1024usize);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut acc = vec![0f32; w * h];
        for (cell, amp) in [(128usize, 0.5f32), (32, 0.3), (8, 0.2)] {
            let gw = w / cell;
            let gh = h / cell;
            let grid: Vec<f32> = (0..gw * gh).map(|_| rng.unit()).collect();
            for y in 0..h {
                let fy = y as f32 / cell as f32;
                let (y0, ty) = (fy as usize % gh, fy.fract());
                let y1 = (y0 + 1) % gh;
                for x in 0..w {
                    let fx = x as f32 / cell as f32;
                    let (x0, tx) = (fx as usize % gw, fx.fract());
                    let x1 = (x0 + 1) % gw;
                    let a = grid[y0 * gw + x0] * (1.0 - tx) + grid[y0 * gw + x1] * tx;
                    let b = grid[y1 * gw + x0] * (1.0 - tx) + grid[y1 * gw + x1] * tx;
                    acc[y * w + x] += amp * (a * (1.0 - ty) + b * ty);
                }
            }
        }
        let y: Vec<u8> = acc.iter().map(|v| (16.0 + v * 219.0) as u8).collect();
        let c: Vec<u8> = acc
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (128.0 + 60.0 * (v - 0.5) * if (i / w / 97) % 2 == 0 { 1.0 } else { -1.0 }) as u8
            })
            .collect();
        Landscape { w, h, y, c }
    }
}

/// `seconds` of textured content panning and zooming over a landscape from `seed`, at `fps`.
pub fn synth(seed: u64, width: usize, height: usize, fps: u32, seconds: f32) -> Clip {
    let n = (seconds * fps as f32).round() as usize;
    let times: Vec<f32> = (0..n).map(|k| k as f32 / fps as f32).collect();
    synth_at(seed, width, height, fps, &times)
}

/// The frames of [`synth`]'s content at the given content times (s), played at `fps`: a
/// re-timed copy (excerpt from any time, another speed, another frame rate).
pub fn synth_at(seed: u64, width: usize, height: usize, fps: u32, times: &[f32]) -> Clip {
    let land = Landscape::new(seed);
    let mut frames = Vec::with_capacity(times.len());
    let (cw, ch) = (width / 2, height / 2);
    for &t in times {
        let cx = 300.0 + 45.0 * t + 20.0 * (0.9 * t).sin();
        let cy = 400.0 + 25.0 * (0.37 * t).sin() * 4.0;
        let s = (1.0 + 0.25 * (0.5 * t).sin()) * 640.0 / width as f32;
        let mut f = vec![0u8; width * height + 2 * cw * ch];
        let at = |x: f32, y: f32| {
            let lx = (x.rem_euclid(land.w as f32)) as usize % land.w;
            let ly = (y.rem_euclid(land.h as f32)) as usize % land.h;
            ly * land.w + lx
        };
        for y in 0..height {
            for x in 0..width {
                let lx = cx + (x as f32 - width as f32 / 2.0) * s;
                let ly = cy + (y as f32 - height as f32 / 2.0) * s;
                f[y * width + x] = land.y[at(lx, ly)];
            }
        }
        for y in 0..ch {
            for x in 0..cw {
                let lx = cx + (2.0 * x as f32 - width as f32 / 2.0) * s;
                let ly = cy + (2.0 * y as f32 - height as f32 / 2.0) * s;
                let i = at(lx, ly);
                f[width * height + y * cw + x] = land.c[i];
                f[width * height + cw * ch + y * cw + x] = 255 - land.c[i];
            }
        }
        frames.push(f);
    }
    Clip {
        width,
        height,
        fps,
        frames,
    }
}

/// Encodes with OpenH264 (Constrained Baseline) at a constant quantiser `qp` (0 best – 51
/// worst; the rate controller is pinned to it and frame skipping is off) and wraps in an MP4.
pub fn encode_mp4(clip: &Clip, qp: u8) -> Vec<u8> {
    let (sps, pps, samples) = encode_samples(clip, qp);
    mux(clip.width, clip.height, clip.fps, &sps, &pps, &samples)
}

/// The SPS, PPS and samples (length-prefixed NAL units, IDR flag) of [`encode_mp4`].
#[allow(clippy::type_complexity)]
pub fn encode_samples(clip: &Clip, qp: u8) -> (Vec<u8>, Vec<u8>, Vec<(Vec<u8>, bool)>) {
    let cfg = EncoderConfig::new()
        .bitrate(BitRate::from_bps(2_000_000))
        .max_frame_rate(FrameRate::from_hz(clip.fps as f32))
        .rate_control_mode(RateControlMode::Bitrate)
        .qp(QpRange::new(qp, qp))
        .skip_frames(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(2 * clip.fps));
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), cfg).unwrap();
    let mut sps = Vec::new();
    let mut pps = Vec::new();
    let mut samples: Vec<(Vec<u8>, bool)> = Vec::new();
    for f in &clip.frames {
        let yuv = YUVBuffer::from_vec(f.clone(), clip.width, clip.height);
        let bs = enc.encode(&yuv).unwrap();
        let annexb = bs.to_vec();
        let mut sample = Vec::new();
        let mut idr = false;
        for nal in split_annexb(&annexb) {
            match nal[0] & 0x1f {
                7 => sps = nal.to_vec(),
                8 => pps = nal.to_vec(),
                t => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
            }
        }
        samples.push((sample, idr));
    }
    (sps, pps, samples)
}

/// The NAL units of an Annex-B byte stream (start codes removed).
pub fn split_annexb(b: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut e = starts.get(k + 1).map_or(b.len(), |&n| n - 3);
        while e > s && b[e - 1] == 0 {
            e -= 1;
        }
        if e > s {
            out.push(&b[s..e]);
        }
    }
    out
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 8);
    v.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn full(kind: &[u8; 4], version_flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = version_flags.to_be_bytes().to_vec();
    b.extend_from_slice(body);
    bx(kind, &b)
}

fn be32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// Options for [`mux_with`], to make broken files on purpose.
#[derive(Clone, Copy, Default)]
pub struct MuxOpts {
    /// Duration per sample in the `stts` (default: timescale / fps).
    pub sample_delta: Option<u32>,
    /// Duration written in `mvhd`/`mdhd`/`tkhd` (default: the true one).
    pub claimed_duration: Option<u32>,
    /// Time units per second (default: fps × 1000); with `sample_delta`, any rational rate.
    pub timescale: Option<u32>,
    /// An edit list (`edts`/`elst`) of (segment duration, media time) entries, both in the
    /// timescale (media time −1: an empty edit); empty: none.
    pub edits: &'static [(u32, i32)],
}

pub fn mux(
    w: usize,
    h: usize,
    fps: u32,
    sps: &[u8],
    pps: &[u8],
    samples: &[(Vec<u8>, bool)],
) -> Vec<u8> {
    mux_with(w, h, fps, sps, pps, samples, MuxOpts::default())
}

/// A plain (non-fragmented) MP4: ftyp, mdat, moov with one avc1 track.
pub fn mux_with(
    w: usize,
    h: usize,
    fps: u32,
    sps: &[u8],
    pps: &[u8],
    samples: &[(Vec<u8>, bool)],
    opts: MuxOpts,
) -> Vec<u8> {
    let timescale = opts.timescale.unwrap_or(fps * 1000);
    let delta = opts.sample_delta.unwrap_or(1000);
    let duration = opts
        .claimed_duration
        .unwrap_or(delta.saturating_mul(samples.len() as u32));
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let mdat_body: Vec<u8> = samples.iter().flat_map(|s| s.0.iter().copied()).collect();
    let mdat_start = ftyp.len() as u32 + 8;
    let mdat = bx(b"mdat", &mdat_body);

    let mut mvhd = Vec::new();
    be32(&mut mvhd, 0);
    be32(&mut mvhd, 0);
    be32(&mut mvhd, timescale);
    be32(&mut mvhd, duration);
    be32(&mut mvhd, 0x0001_0000);
    mvhd.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        be32(&mut mvhd, m);
    }
    mvhd.extend_from_slice(&[0; 24]);
    be32(&mut mvhd, 2);
    let mvhd = full(b"mvhd", 0, &mvhd);

    let mut tkhd = Vec::new();
    be32(&mut tkhd, 0);
    be32(&mut tkhd, 0);
    be32(&mut tkhd, 1);
    be32(&mut tkhd, 0);
    be32(&mut tkhd, duration);
    tkhd.extend_from_slice(&[0; 16]);
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        be32(&mut tkhd, m);
    }
    be32(&mut tkhd, (w as u32) << 16);
    be32(&mut tkhd, (h as u32) << 16);
    let tkhd = full(b"tkhd", 3, &tkhd);

    let mut mdhd = Vec::new();
    be32(&mut mdhd, 0);
    be32(&mut mdhd, 0);
    be32(&mut mdhd, timescale);
    be32(&mut mdhd, duration);
    mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]);
    let mdhd = full(b"mdhd", 0, &mdhd);
    let hdlr = full(
        b"hdlr",
        0,
        b"\0\0\0\0vide\0\0\0\0\0\0\0\0\0\0\0\0VideoHandler\0",
    );

    let mut avcc = vec![
        1,
        sps.get(1).copied().unwrap_or(66),
        sps.get(2).copied().unwrap_or(0),
        sps.get(3).copied().unwrap_or(30),
        0xff,
        0xe1,
    ];
    avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(sps);
    avcc.push(1);
    avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(pps);
    let mut avc1 = vec![0u8; 6];
    avc1.extend_from_slice(&[0, 1]);
    avc1.extend_from_slice(&[0; 16]);
    avc1.extend_from_slice(&(w as u16).to_be_bytes());
    avc1.extend_from_slice(&(h as u16).to_be_bytes());
    be32(&mut avc1, 0x0048_0000);
    be32(&mut avc1, 0x0048_0000);
    be32(&mut avc1, 0);
    avc1.extend_from_slice(&[0, 1]);
    avc1.extend_from_slice(&[0; 32]);
    avc1.extend_from_slice(&[0, 0x18, 0xff, 0xff]);
    avc1.extend_from_slice(&bx(b"avcC", &avcc));
    let mut stsd = Vec::new();
    be32(&mut stsd, 1);
    stsd.extend_from_slice(&bx(b"avc1", &avc1));
    let stsd = full(b"stsd", 0, &stsd);

    let n = samples.len() as u32;
    let mut stts = Vec::new();
    be32(&mut stts, 1);
    be32(&mut stts, n);
    be32(&mut stts, delta);
    let stts = full(b"stts", 0, &stts);
    let keys: Vec<u32> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.1)
        .map(|(i, _)| i as u32 + 1)
        .collect();
    let mut stss = Vec::new();
    be32(&mut stss, keys.len() as u32);
    for k in keys {
        be32(&mut stss, k);
    }
    let stss = full(b"stss", 0, &stss);
    let mut stsc = Vec::new();
    be32(&mut stsc, 1);
    be32(&mut stsc, 1);
    be32(&mut stsc, n.max(1));
    be32(&mut stsc, 1);
    let stsc = full(b"stsc", 0, &stsc);
    let mut stsz = Vec::new();
    be32(&mut stsz, 0);
    be32(&mut stsz, n);
    for s in samples {
        be32(&mut stsz, s.0.len() as u32);
    }
    let stsz = full(b"stsz", 0, &stsz);
    let mut stco = Vec::new();
    be32(&mut stco, 1);
    be32(&mut stco, mdat_start);
    let stco = full(b"stco", 0, &stco);

    let stbl = bx(b"stbl", &[stsd, stts, stss, stsc, stsz, stco].concat());
    let vmhd = full(b"vmhd", 1, &[0; 8]);
    let dref = full(
        b"dref",
        0,
        &[&1u32.to_be_bytes()[..], &full(b"url ", 1, &[])].concat(),
    );
    let dinf = bx(b"dinf", &dref);
    let minf = bx(b"minf", &[vmhd, dinf, stbl].concat());
    let mdia = bx(b"mdia", &[mdhd, hdlr, minf].concat());
    let edts = if opts.edits.is_empty() {
        Vec::new()
    } else {
        let mut elst = Vec::new();
        be32(&mut elst, opts.edits.len() as u32);
        for &(dur, media_time) in opts.edits {
            be32(&mut elst, dur);
            be32(&mut elst, media_time as u32);
            be32(&mut elst, 0x0001_0000);
        }
        bx(b"edts", &full(b"elst", 0, &elst))
    };
    let trak = bx(b"trak", &[tkhd, edts, mdia].concat());
    let moov = bx(b"moov", &[mvhd, trak].concat());
    [ftyp, mdat, moov].concat()
}

/// Decodes an MP4 (built-in backend) back to raw I420 frames.
pub fn decode(mp4: &[u8]) -> Clip {
    let mut src = Mp4H264Source::from_reader(
        std::io::Cursor::new(mp4.to_vec()),
        mp4.len() as u64,
        VideoLimits::default(),
    )
    .unwrap();
    src.set_sampling(Sampling::EveryFrame);
    let fps = src.info().frame_rate.unwrap();
    let mut frames = Vec::new();
    let (mut width, mut height) = (0, 0);
    while let Some(f) = src.next_frame().unwrap() {
        let FramePixels::Yuv420 {
            width: w,
            height: h,
            y,
            u,
            v,
            ..
        } = f.pixels
        else {
            panic!("YUV expected")
        };
        (width, height) = (w, h);
        frames.push([y, u, v].concat());
    }
    Clip {
        width,
        height,
        fps: fps.num / fps.den,
        frames,
    }
}

impl Clip {
    /// Half resolution (2×2 box filter on every plane).
    pub fn half(&self) -> Clip {
        let (w, h) = (self.width / 2, self.height / 2);
        let frames = self
            .frames
            .iter()
            .map(|f| {
                let mut out = Vec::with_capacity(w * h * 3 / 2);
                let planes = [
                    (0, self.width, self.height),
                    (self.width * self.height, self.width / 2, self.height / 2),
                    (
                        self.width * self.height * 5 / 4,
                        self.width / 2,
                        self.height / 2,
                    ),
                ];
                for (off, pw, ph) in planes {
                    for y in 0..ph / 2 {
                        for x in 0..pw / 2 {
                            let p = |dx: usize, dy: usize| {
                                f[off + (2 * y + dy) * pw + 2 * x + dx] as u32
                            };
                            out.push(((p(0, 0) + p(1, 0) + p(0, 1) + p(1, 1) + 2) / 4) as u8);
                        }
                    }
                }
                out
            })
            .collect();
        Clip {
            width: w,
            height: h,
            fps: self.fps,
            frames,
        }
    }

    /// Resampled in time to `fps` (nearest earlier frame).
    pub fn with_fps(&self, fps: u32) -> Clip {
        let n = self.frames.len() * fps as usize / self.fps as usize;
        let frames = (0..n)
            .map(|k| {
                self.frames[(k * self.fps as usize / fps as usize).min(self.frames.len() - 1)]
                    .clone()
            })
            .collect();
        Clip {
            width: self.width,
            height: self.height,
            fps,
            frames,
        }
    }

    /// Black bars of `bar` rows above and below.
    pub fn letterboxed(&self, bar: usize) -> Clip {
        let (w, h) = (self.width, self.height + 2 * bar);
        let frames = self
            .frames
            .iter()
            .map(|f| {
                let (cw, ch0, ch) = (w / 2, self.height / 2, h / 2);
                let mut out = vec![16u8; w * bar];
                out.extend_from_slice(&f[..w * self.height]);
                out.extend(std::iter::repeat_n(16u8, w * bar));
                for p in 0..2 {
                    let plane =
                        &f[w * self.height + p * cw * ch0..w * self.height + (p + 1) * cw * ch0];
                    out.extend(std::iter::repeat_n(128u8, cw * (bar / 2)));
                    out.extend_from_slice(plane);
                    out.extend(std::iter::repeat_n(128u8, cw * (ch - ch0 - bar / 2)));
                }
                out
            })
            .collect();
        Clip {
            width: w,
            height: h,
            fps: self.fps,
            frames,
        }
    }

    /// Frames `[from, to)` seconds.
    pub fn cut(&self, from: f32, to: f32) -> Clip {
        let a = (from * self.fps as f32).round() as usize;
        let b = ((to * self.fps as f32).round() as usize).min(self.frames.len());
        Clip {
            width: self.width,
            height: self.height,
            fps: self.fps,
            frames: self.frames[a..b].to_vec(),
        }
    }

    /// This clip followed by `other` (same size and rate).
    pub fn then(&self, other: &Clip) -> Clip {
        assert_eq!(
            (self.width, self.height, self.fps),
            (other.width, other.height, other.fps)
        );
        let mut frames = self.frames.clone();
        frames.extend(other.frames.iter().cloned());
        Clip {
            width: self.width,
            height: self.height,
            fps: self.fps,
            frames,
        }
    }
}

/// The same MP4 with its `moov` before its `mdat` ("faststart", as uploads usually are): our
/// muxer writes ftyp, mdat, moov with one chunk, so the one `stco` entry moves by the size of
/// the `moov`.
pub fn faststart(mp4: &[u8]) -> Vec<u8> {
    let size = |at: usize| u32::from_be_bytes(mp4[at..at + 4].try_into().unwrap()) as usize;
    let ftyp_len = size(0);
    let mdat = ftyp_len..ftyp_len + size(ftyp_len);
    assert_eq!(&mp4[mdat.start + 4..mdat.start + 8], b"mdat");
    let mut moov = mp4[mdat.end..mdat.end + size(mdat.end)].to_vec();
    assert_eq!(&moov[4..8], b"moov");
    let stco = moov.windows(4).position(|w| w == b"stco").unwrap() + 12;
    let off = u32::from_be_bytes(moov[stco..stco + 4].try_into().unwrap()) + moov.len() as u32;
    moov[stco..stco + 4].copy_from_slice(&off.to_be_bytes());
    [&mp4[..ftyp_len], &moov[..], &mp4[mdat]].concat()
}

/// The SPS and PPS of our muxer's `avcC` box.
pub fn parameter_sets(mp4: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let avcc = mp4.windows(4).position(|w| w == b"avcC").unwrap() + 4;
    let sps_len = u16::from_be_bytes([mp4[avcc + 6], mp4[avcc + 7]]) as usize;
    let sps = mp4[avcc + 8..avcc + 8 + sps_len].to_vec();
    let p = avcc + 8 + sps_len + 1;
    let pps_len = u16::from_be_bytes([mp4[p], mp4[p + 1]]) as usize;
    (sps, mp4[p + 2..p + 2 + pps_len].to_vec())
}
