//! Committed fixtures (tests/data/video, see its README): our decode vs FFmpeg's checksums.

use std::path::PathBuf;

use mediamatch::error::VideoErrorKind;
use mediamatch::video::{
    FramePixels, FrameSource, Mp4H264Source, Sampling, VideoFrame, VideoHasher, VideoLimits,
};
use mediamatch::Error;
use sha2::{Digest, Sha256};

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/video")
        .join(name)
}

/// The SHA-256 column of an FFmpeg `framehash` file.
fn framehash(name: &str) -> Vec<String> {
    std::fs::read_to_string(data(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

pub fn all_frames(name: &str) -> Vec<VideoFrame> {
    let mut src = Mp4H264Source::open(data(name), VideoLimits::default()).unwrap();
    src.set_sampling(Sampling::EveryFrame);
    let mut out = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        out.push(f);
    }
    out
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Every frame of the committed High-profile B-frame clip, decoded by the built-in backend,
/// equals FFmpeg's decode (YUV) and FFmpeg's swscale RGB24 conversion, byte for byte.
#[test]
fn bframe_clip_is_bit_exact_with_ffmpeg() {
    let yuv_want = framehash("bframes-high-320x180.yuv420p.framehash");
    let rgb_want = framehash("bframes-high-320x180.rgb24.framehash");
    let frames = all_frames("bframes-high-320x180.mp4");
    assert_eq!(frames.len(), 75);
    assert_eq!(yuv_want.len(), 75);
    let mut yuv_bad = Vec::new();
    let mut rgb_bad = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.frame_number, i as u64);
        let FramePixels::Yuv420 { y, u, v, .. } = &f.pixels else {
            panic!("built-in backend gives YUV frames")
        };
        let mut h = Sha256::new();
        h.update(y);
        h.update(u);
        h.update(v);
        if hex(h.finalize()) != yuv_want[i] {
            yuv_bad.push(i);
        }
        if hex(Sha256::digest(f.pixels.to_rgb24().unwrap())) != rgb_want[i] {
            rgb_bad.push(i);
        }
    }
    assert!(yuv_bad.is_empty(), "YUV differs at frames {yuv_bad:?}");
    assert!(rgb_bad.is_empty(), "RGB24 differs at frames {rgb_bad:?}");
    // x264 put the second IDR at display index 48 (ffprobe agrees)
    let keys: Vec<u64> = frames
        .iter()
        .filter(|f| f.keyframe)
        .map(|f| f.frame_number)
        .collect();
    assert_eq!(keys, [0, 48]);
}

/// The fragmented-MP4 copy of the stream decodes to the same frames and hashes.
#[test]
fn fragmented_mp4_equals_plain() {
    let a = all_frames("bframes-high-320x180.mp4");
    let b = all_frames("bframes-high-320x180-frag.mp4");
    assert_eq!(a.len(), b.len());
    assert!(a == b, "fragmented copy decodes differently");
    let h = VideoHasher::new();
    let ha = h.hash_file(data("bframes-high-320x180.mp4")).unwrap();
    let hb = h.hash_file(data("bframes-high-320x180-frag.mp4")).unwrap();
    assert_eq!(ha, hb);
    // 25 fps, one per second: frames 0, 25, 50
    assert_eq!(
        ha.iter()
            .map(|f| (f.frame_number, f.timestamp_ms))
            .collect::<Vec<_>>(),
        [(0, 0), (25, 1000), (50, 2000)]
    );
}

/// Sampling skips work but not correctness: the sampled frames equal the same frames of a
/// full decode (non-reference B-frames that are not sampled are never decoded).
#[test]
fn sampled_decode_equals_full_decode() {
    let full = all_frames("bframes-high-320x180.mp4");
    for (sampling, want) in [
        (Sampling::Interval { millis: 1000 }, vec![0u64, 25, 50]),
        (
            Sampling::Interval { millis: 200 },
            (0..75).step_by(5).collect(),
        ),
        (Sampling::Keyframes, vec![0, 48]),
    ] {
        let mut src =
            Mp4H264Source::open(data("bframes-high-320x180.mp4"), VideoLimits::default()).unwrap();
        src.set_sampling(sampling);
        let mut got = Vec::new();
        while let Some(f) = src.next_frame().unwrap() {
            assert_eq!(f, full[f.frame_number as usize], "{sampling:?}");
            got.push(f.frame_number);
        }
        assert_eq!(got, want, "{sampling:?}");
    }
}

fn video_kind(e: &Error) -> Option<VideoErrorKind> {
    match e {
        Error::Video(v) => Some(v.kind()),
        _ => None,
    }
}

/// Other codecs and H.264 variants the built-in backend cannot convert exactly are refused,
/// naming the codec and the `ffmpeg` feature.
#[test]
fn unsupported_streams_are_refused_by_name() {
    let h = VideoHasher::with_config(
        mediamatch::VideoConfig::default().with_backend(mediamatch::video::Backend::Builtin),
    );
    let e = h.hash_file(data("hevc-64x64.mp4")).unwrap_err();
    assert_eq!(video_kind(&e), Some(VideoErrorKind::UnsupportedCodec));
    let msg = e.to_string();
    assert!(
        msg.contains("HEVC") && msg.contains("`ffmpeg` feature"),
        "{msg}"
    );

    let e = h.hash_file(data("h264-high10-64x64.mp4")).unwrap_err();
    assert_eq!(video_kind(&e), Some(VideoErrorKind::UnsupportedCodec));
    let msg = e.to_string();
    assert!(
        msg.contains("10-bit") && msg.contains("`ffmpeg` feature"),
        "{msg}"
    );

    let e = h.hash_file(data("audio-only.m4a")).unwrap_err();
    assert_eq!(video_kind(&e), Some(VideoErrorKind::NoVideoTrack), "{e}");
}
