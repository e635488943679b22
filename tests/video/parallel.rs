//! Skipping and parallel decoding change nothing: the hashes of `hash_file` / `hash_bytes`
//! (GOP tails skipped, IDR segments decoded in parallel) equal those of a sequential decode of
//! every frame, whose frames equal FFmpeg's (committed checksums).

use mediamatch::video::{
    Backend, FrameHash, FrameSource, Mp4H264Source, Sampling, VideoConfig, VideoHasher, VideoLimits,
};
use sha2::{Digest, Sha256};

use super::fixture::data;
use super::support::{vectors, VIDEOS};

const GOPS: &str = "gops-high-320x180.mp4";
const OPEN_GOP: &str = "opengop-high-320x180.mp4";

/// The samplings each comparison runs: every frame, vPDQ's one per second, an interval that
/// is no multiple of the frame period, keyframes only.
const SAMPLINGS: [Sampling; 4] = [
    Sampling::EveryFrame,
    Sampling::Interval { millis: 1000 },
    Sampling::Interval { millis: 280 },
    Sampling::Keyframes,
];

fn builtin(sampling: Sampling, parallel: bool) -> VideoHasher {
    VideoHasher::with_config(
        VideoConfig::default()
            .with_backend(Backend::Builtin)
            .with_sampling(sampling)
            .with_parallel(parallel),
    )
}

/// The oracle: one decoder, every sample decoded, nothing skipped.
fn decode_all(path: &std::path::Path, sampling: Sampling) -> Vec<FrameHash> {
    let mut src = Mp4H264Source::open(path, VideoLimits::default()).unwrap();
    src.set_skip_non_reference(false);
    src.set_skip_gop_tails(false);
    builtin(sampling, false)
        .frames(src)
        .collect::<Result<_, _>>()
        .unwrap()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Every frame of `clip`, decoded by the built-in backend without skipping, converts to the
/// RGB24 FFmpeg's swscale makes (SHA-256 per frame, committed in `checksums`).
fn assert_full_decode_is_ffmpegs(clip: &str, checksums: &str, frames: usize) {
    let want: Vec<String> = std::fs::read_to_string(data(checksums))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(want.len(), frames);
    let mut src = Mp4H264Source::open(data(clip), VideoLimits::default()).unwrap();
    src.set_skip_non_reference(false);
    src.set_skip_gop_tails(false);
    src.set_sampling(Sampling::EveryFrame);
    let mut n = 0;
    while let Some(f) = src.next_frame().unwrap() {
        let got: String = Sha256::digest(f.pixels.to_rgb24().unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want[n], "{clip}: frame {n}");
        assert_eq!(f.frame_number, n as u64);
        n += 1;
    }
    assert_eq!(n, frames);
}

/// The oracle's frames are FFmpeg's: all 150 frames of the 9-GOP fixture, decoded without
/// skipping, convert to the RGB24 FFmpeg's swscale makes (SHA-256 per frame).
#[test]
fn gop_fixture_full_decode_is_ffmpegs() {
    assert_full_decode_is_ffmpegs(GOPS, "gops-high-320x180.rgb24.framehash", 150);
}

/// The open-GOP fixture (one IDR, then I-frame recovery points, two of them with leading
/// B-frames): the oracle's frames are FFmpeg's, and `hash_file` with either backend, one
/// thread or more, hashes exactly the oracle's frames (the FFmpeg backend splits the decode at
/// the recovery points; the built-in backend decodes such streams sequentially).
#[test]
fn open_gop_fixture_equals_full_sequential_decode() {
    assert_full_decode_is_ffmpegs(OPEN_GOP, "opengop-high-320x180.rgb24.framehash", 150);
    let mut backends = vec![Backend::Builtin];
    if cfg!(feature = "ffmpeg") {
        backends.push(Backend::Ffmpeg);
    }
    for sampling in SAMPLINGS {
        let want = decode_all(&data(OPEN_GOP), sampling);
        assert!(!want.is_empty());
        for &backend in &backends {
            for threads in [1, 2, 4] {
                let h = VideoHasher::with_config(
                    VideoConfig::default()
                        .with_backend(backend)
                        .with_sampling(sampling),
                );
                let got = pool(threads).install(|| h.hash_file(data(OPEN_GOP)).unwrap());
                assert_eq!(got, want, "{sampling:?}, {backend:?}, {threads} threads");
            }
        }
    }
}

/// On the 9-GOP fixture, for several samplings and pool sizes (1 thread: sequential), file
/// and in-memory paths give exactly the oracle's hashes.
#[test]
fn parallel_and_skipping_equal_full_sequential_decode() {
    let bytes = std::fs::read(data(GOPS)).unwrap();
    for sampling in SAMPLINGS {
        let want = decode_all(&data(GOPS), sampling);
        assert!(!want.is_empty());
        for threads in [1, 2, 4] {
            for parallel in [true, false] {
                let h = builtin(sampling, parallel);
                let (a, b) = pool(threads).install(|| {
                    (
                        h.hash_file(data(GOPS)).unwrap(),
                        h.hash_bytes(&bytes).unwrap(),
                    )
                });
                assert_eq!(
                    a, want,
                    "{sampling:?}, {threads} threads, parallel {parallel}"
                );
                assert_eq!(b, want, "{sampling:?}, {threads} threads, bytes");
            }
        }
    }
}

/// The FFmpeg backend too: IDR segments decoded in parallel by libav decoders of their own
/// (fed the built-in demuxer's samples), on one thread and more, file by file, hash exactly
/// the built-in oracle's frames.
#[cfg(feature = "ffmpeg")]
#[test]
fn ffmpeg_parallel_and_skipping_equal_full_sequential_decode() {
    for sampling in SAMPLINGS {
        let want = decode_all(&data(GOPS), sampling);
        assert!(!want.is_empty());
        for threads in [1, 2, 4] {
            for parallel in [true, false] {
                let h = VideoHasher::with_config(
                    VideoConfig::default()
                        .with_backend(Backend::Ffmpeg)
                        .with_sampling(sampling)
                        .with_parallel(parallel),
                );
                let got = pool(threads).install(|| h.hash_file(data(GOPS)).unwrap());
                assert_eq!(
                    got, want,
                    "{sampling:?}, {threads} threads, parallel {parallel}"
                );
            }
        }
    }
}

/// Same on the shared vPDQ sample videos at one hash per second (the bench's setting).
#[test]
fn parallel_equals_full_sequential_decode_on_shared_videos() {
    let Some(dir) = vectors() else { return };
    let sampling = Sampling::Interval { millis: 1000 };
    for v in VIDEOS {
        let path = dir.join("videos").join(format!("{v}.mp4"));
        let want = decode_all(&path, sampling);
        let got = pool(4).install(|| builtin(sampling, true).hash_file(&path).unwrap());
        assert_eq!(got, want, "{v}");
        #[cfg(feature = "ffmpeg")]
        {
            let h = VideoHasher::with_config(
                VideoConfig::default()
                    .with_backend(Backend::Ffmpeg)
                    .with_sampling(sampling),
            );
            let got = pool(4).install(|| h.hash_file(&path).unwrap());
            assert_eq!(got, want, "{v}, ffmpeg");
        }
    }
}

/// FFmpeg, with packets of GOP tails and unsampled non-reference frames withheld, on one
/// thread and with frame threading, hashes the same frames as the built-in oracle.
#[cfg(feature = "ffmpeg")]
#[test]
fn ffmpeg_frame_threads_equal_single_thread() {
    for sampling in SAMPLINGS {
        let want = decode_all(&data(GOPS), sampling);
        for parallel in [false, true] {
            let h = VideoHasher::with_config(
                VideoConfig::default()
                    .with_backend(Backend::Ffmpeg)
                    .with_sampling(sampling)
                    .with_parallel(parallel),
            );
            let got = pool(4).install(|| h.hash_file(data(GOPS)).unwrap());
            assert_eq!(got, want, "{sampling:?}, parallel {parallel}");
        }
    }
}
