//! Bad input gives a typed error or a correct result: never a panic, never an allocation the
//! file does not justify.

use mediamatch::error::VideoErrorKind;
use mediamatch::video::{Backend, Sampling, VideoConfig, VideoHasher, VideoLimits};
use mediamatch::Error;

use super::fixture::data;
use super::make::{encode_mp4, mux_with, synth, MuxOpts};

fn kind(e: &Error) -> Option<VideoErrorKind> {
    match e {
        Error::Video(v) => Some(v.kind()),
        _ => None,
    }
}

fn every_frame() -> VideoHasher {
    VideoHasher::new().with_sampling(Sampling::EveryFrame)
}

/// A small clip made here: 10 frames, 64x48, 5 fps; returns the MP4 and its sample parts.
/// SPS, PPS and (AVCC sample, is-keyframe) list.
type Parts = (Vec<u8>, Vec<u8>, Vec<(Vec<u8>, bool)>);

fn small_parts() -> Parts {
    let mp4 = encode_mp4(&synth(7, 64, 48, 5, 2.0), 26);
    // take the stream back out of our own muxer's layout: avcC SPS/PPS and the samples
    let h = VideoHasher::new();
    assert_eq!(h.hash_bytes(&mp4).unwrap().len(), 2);
    let find = |pat: &[u8]| mp4.windows(pat.len()).position(|w| w == pat).unwrap();
    let avcc = find(b"avcC") + 4;
    let sps_len = u16::from_be_bytes([mp4[avcc + 6], mp4[avcc + 7]]) as usize;
    let sps = mp4[avcc + 8..avcc + 8 + sps_len].to_vec();
    let p = avcc + 8 + sps_len + 1;
    let pps_len = u16::from_be_bytes([mp4[p], mp4[p + 1]]) as usize;
    let pps = mp4[p + 2..p + 2 + pps_len].to_vec();
    let stsz = find(b"stsz") + 4;
    let n = u32::from_be_bytes(mp4[stsz + 8..stsz + 12].try_into().unwrap()) as usize;
    let sizes: Vec<usize> = (0..n)
        .map(|i| {
            u32::from_be_bytes(
                mp4[stsz + 12 + 4 * i..stsz + 16 + 4 * i]
                    .try_into()
                    .unwrap(),
            ) as usize
        })
        .collect();
    let mut off = find(b"mdat") + 4;
    let stss = find(b"stss") + 4;
    let nk = u32::from_be_bytes(mp4[stss + 4..stss + 8].try_into().unwrap()) as usize;
    let keys: Vec<usize> = (0..nk)
        .map(|i| {
            u32::from_be_bytes(mp4[stss + 8 + 4 * i..stss + 12 + 4 * i].try_into().unwrap())
                as usize
        })
        .collect();
    let mut samples = Vec::new();
    for (i, s) in sizes.iter().enumerate() {
        samples.push((mp4[off..off + s].to_vec(), keys.contains(&(i + 1))));
        off += s;
    }
    (sps, pps, samples)
}

#[test]
fn truncated_files_give_errors_not_panics() {
    for name in ["bframes-high-320x180.mp4", "bframes-high-320x180-frag.mp4"] {
        let full = std::fs::read(data(name)).unwrap();
        let mut cuts: Vec<usize> = (0..full.len()).step_by(701).collect();
        cuts.extend([
            0,
            1,
            7,
            8,
            9,
            16,
            31,
            32,
            33,
            full.len() - 1,
            full.len() - 8,
        ]);
        for cut in cuts {
            match every_frame().hash_bytes(&full[..cut]) {
                Ok(h) => assert!(h.len() <= 75),
                Err(e) => assert!(kind(&e).is_some(), "{name} cut at {cut}: {e}"),
            }
        }
        // a cut in the middle of the sample data with the index intact is a Container error
    }
    // moov at the end (our muxer): cutting the end removes the index
    let mp4 = encode_mp4(&synth(7, 64, 48, 5, 2.0), 26);
    let e = VideoHasher::new()
        .hash_bytes(&mp4[..mp4.len() - 20])
        .unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::Container), "{e}");
}

#[test]
fn random_bytes_are_refused() {
    let mut x = 0x1234_5678_9abc_def1u64;
    for len in [0usize, 1, 8, 100, 4096, 100_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let e = VideoHasher::new().hash_bytes(&bytes).unwrap_err();
        assert_eq!(kind(&e), Some(VideoErrorKind::Container), "{len}: {e}");
    }
}

#[test]
fn no_video_track_and_unknown_codec() {
    let mp4 = encode_mp4(&synth(7, 64, 48, 5, 2.0), 26);
    let patch = |from: &[u8; 4], to: &[u8; 4]| {
        let mut m = mp4.clone();
        let p = m.windows(4).rposition(|w| w == from).unwrap();
        m[p..p + 4].copy_from_slice(to);
        m
    };
    let e = VideoHasher::new()
        .hash_bytes(&patch(b"vide", b"soun"))
        .unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::NoVideoTrack), "{e}");
    // the built-in backend's verdict (with the `ffmpeg` feature the default backend hands
    // other codecs to FFmpeg, which finds no VP9 in these H.264 bytes: `Corrupt`)
    let builtin = VideoHasher::with_config(VideoConfig::default().with_backend(Backend::Builtin));
    let e = builtin.hash_bytes(&patch(b"avc1", b"vp09")).unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::UnsupportedCodec), "{e}");
    assert!(
        e.to_string().contains("VP9") && e.to_string().contains("ffmpeg"),
        "{e}"
    );
    let e = builtin.hash_bytes(&patch(b"avc1", b"xyz1")).unwrap_err();
    assert!(e.to_string().contains("xyz1"), "{e}");
}

/// "10 hours" over a few frames: in the headers' durations, or in the per-sample durations.
/// Either way the result is correct and nothing is allocated by duration.
#[test]
fn header_claiming_ten_hours() {
    let (sps, pps, samples) = small_parts();
    let normal = every_frame()
        .hash_bytes(&mux_with(
            64,
            48,
            5,
            &sps,
            &pps,
            &samples,
            MuxOpts::default(),
        ))
        .unwrap();
    assert_eq!(normal.len(), 10);
    // container durations say 10 h (timescale 5000): result unchanged
    let ten_h = 10 * 3600 * 5000;
    let m = mux_with(
        64,
        48,
        5,
        &sps,
        &pps,
        &samples,
        MuxOpts {
            claimed_duration: Some(ten_h),
            ..Default::default()
        },
    );
    assert_eq!(every_frame().hash_bytes(&m).unwrap(), normal);
    assert_eq!(VideoHasher::new().hash_bytes(&m).unwrap().len(), 2);
    // each of the 10 samples lasts an hour: 10 frames over 10 h, fps 1/3600; the reference's
    // rule then hashes every frame (trunc(1 s × fps) = 0 → 1), one hour apart
    let m = mux_with(
        64,
        48,
        5,
        &sps,
        &pps,
        &samples,
        MuxOpts {
            sample_delta: Some(3600 * 5000),
            ..Default::default()
        },
    );
    let h = VideoHasher::new().hash_bytes(&m).unwrap();
    assert_eq!(h.len(), 10);
    assert_eq!(h[9].timestamp_ms, 9 * 3600 * 1000);
    for (a, b) in h.iter().zip(&normal) {
        assert_eq!(a.hash, b.hash);
    }
}

/// Tables that claim more samples than the file can hold are refused before allocating.
#[test]
fn sample_count_claims_are_bounded() {
    let mp4 = encode_mp4(&synth(7, 64, 48, 5, 2.0), 26);
    let p = mp4.windows(4).position(|w| w == b"stsz").unwrap() + 4;
    // constant sample size 1, count 2^31: would be 64 GiB of sample records
    let mut m = mp4.clone();
    m[p + 4..p + 8].copy_from_slice(&1u32.to_be_bytes());
    m[p + 8..p + 12].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    let e = VideoHasher::new().hash_bytes(&m).unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::Container), "{e}");
    // per-sample sizes: count larger than the box
    let mut m = mp4.clone();
    m[p + 8..p + 12].copy_from_slice(&0x4000_0000u32.to_be_bytes());
    let e = VideoHasher::new().hash_bytes(&m).unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::Container), "{e}");
    // the frame-count limit
    let limits = VideoLimits::default().with_max_frames(5);
    let e = VideoHasher::with_config(VideoConfig::default().with_limits(limits))
        .hash_bytes(&mp4)
        .unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::LimitsExceeded), "{e}");
}

/// The SPS is checked against the frame-size limits before the decoder allocates anything.
#[test]
fn frame_size_limits() {
    let limits = VideoLimits::default().with_max_size(256, 8192);
    let e = VideoHasher::with_config(VideoConfig::default().with_limits(limits))
        .hash_file(data("bframes-high-320x180.mp4"))
        .unwrap_err();
    assert_eq!(kind(&e), Some(VideoErrorKind::LimitsExceeded), "{e}");
}

/// Corrupted bytes anywhere: an error or frames, never a panic.
#[test]
fn bit_flips_never_panic() {
    let full = std::fs::read(data("bframes-high-320x180.mp4")).unwrap();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut ok, mut err) = (0, 0);
    for _ in 0..60 {
        let mut m = full.clone();
        for _ in 0..(1 + rnd() % 40) {
            let i = (rnd() % m.len() as u64) as usize;
            m[i] ^= 1 << (rnd() % 8);
        }
        match VideoHasher::new().hash_bytes(&m) {
            Ok(h) => {
                assert!(h.len() <= 75);
                ok += 1;
            }
            Err(e) => {
                assert!(kind(&e).is_some(), "{e}");
                err += 1;
            }
        }
    }
    eprintln!("bit flips: {ok} decoded, {err} typed errors");
}
