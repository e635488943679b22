//! The `ffmpeg` feature's backend: same results as the reference and the built-in backend.

use mediamatch::video::{vpdq, Backend, Sampling, VideoConfig, VideoHasher};

use super::fixture::data;

#[path = "ffmpeg_bytes.rs"]
mod bytes;
use super::support::{vectors, VIDEOS};

fn ffmpeg() -> VideoHasher {
    VideoHasher::with_config(VideoConfig::default().with_backend(Backend::Ffmpeg))
}

fn builtin() -> VideoHasher {
    VideoHasher::with_config(VideoConfig::default().with_backend(Backend::Builtin))
}

/// One hash per second of the 9 shared videos equals FFmpeg 5.1's `vpdq-hash-video -r 1`
/// (frame numbers, timestamps; hashes within 8 bits at quality >= 50), and counts identical ones.
#[test]
fn ffmpeg_backend_matches_regenerated_one_per_second() {
    let Some(dir) = vectors() else { return };
    let (mut total, mut identical) = (0, 0);
    for v in VIDEOS {
        let ours = ffmpeg()
            .hash_file(dir.join("videos").join(format!("{v}.mp4")))
            .unwrap();
        let theirs = vpdq::read_file(
            dir.join("regenerated-ffmpeg5.1/one-per-second")
                .join(format!("{v}.txt")),
        )
        .unwrap();
        assert_eq!(ours.len(), theirs.len(), "{v}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                (a.frame_number, a.timestamp_ms),
                (b.frame_number, b.timestamp_ms)
            );
            let d = a.hash.hash.distance(&b.hash.hash);
            total += 1;
            identical += (d == 0) as usize;
            if a.hash.quality >= 50 && b.hash.quality >= 50 {
                assert!(d <= 8, "{v} frame {}: {d}", a.frame_number);
            }
        }
    }
    eprintln!(
        "ffmpeg backend: {identical}/{total} hashes identical to the FFmpeg 5.1 regeneration"
    );
}

/// Both backends give identical hashes on the committed B-frame clip, at every frame.
#[test]
fn backends_agree_on_fixture() {
    for name in ["bframes-high-320x180.mp4", "bframes-high-320x180-frag.mp4"] {
        let a = ffmpeg()
            .with_sampling(Sampling::EveryFrame)
            .hash_file(data(name))
            .unwrap();
        let b = builtin()
            .with_sampling(Sampling::EveryFrame)
            .hash_file(data(name))
            .unwrap();
        assert_eq!(a.len(), 75);
        assert_eq!(a, b, "{name}");
    }
}

/// What the built-in backend refuses, FFmpeg decodes.
#[test]
fn ffmpeg_decodes_other_codecs() {
    for name in ["hevc-64x64.mp4", "h264-high10-64x64.mp4"] {
        let h = ffmpeg().hash_file(data(name)).unwrap();
        assert_eq!(h.len(), 1, "{name}: 10 fps, 1 s");
    }
    let e = ffmpeg().hash_file(data("audio-only.m4a")).unwrap_err();
    assert!(e.to_string().contains("no video"), "{e}");
}
