//! In-memory input of the FFmpeg backend (a custom I/O context over the bytes): the same
//! frames as the path-based input, typed errors on damaged and hostile bytes, no leak.

use std::sync::Arc;

use mediamatch::video::{
    Backend, FfmpegSource, FrameSource, Sampling, VideoConfig, VideoHasher, VideoLimits,
};
use mediamatch::Error;
use sha2::{Digest, Sha256};

use super::super::fixture::data;
use super::super::support::vectors;

fn ffmpeg() -> VideoHasher {
    VideoHasher::with_config(VideoConfig::default().with_backend(Backend::Ffmpeg))
}

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Three of the shared sample clips (the smallest at every frame, the HD one and a
/// letterboxed SD one at one hash per second), decoded sequentially (one `FfmpegSource`, skip
/// plan) and split across threads: the hashes from the bytes equal those from the file, bit
/// for bit.
#[test]
fn bytes_hash_like_the_file_on_sample_clips() {
    let Some(dir) = vectors() else { return };
    let every = Sampling::EveryFrame;
    let per_second = Sampling::Interval { millis: 1000 };
    for (v, sampling) in [
        ("test-padded-dimensions", every),
        ("test-padded-dimensions", per_second),
        ("doorknob-hd-no-bar", per_second),
        ("pattern-sd-grey-bar", per_second),
    ] {
        let path = dir.join("videos").join(format!("{v}.mp4"));
        let bytes = read(&path);
        for parallel in [false, true] {
            let h = VideoHasher::with_config(
                VideoConfig::default()
                    .with_backend(Backend::Ffmpeg)
                    .with_parallel(parallel),
            )
            .with_sampling(sampling);
            let want = h.hash_file(&path).unwrap();
            assert!(!want.is_empty(), "{v}");
            let got = h.hash_bytes(&bytes).unwrap();
            assert!(got == want, "{v} {sampling:?} parallel={parallel}");
        }
    }
}

/// A VP9 WebM (which the built-in backend does not read) hashed from memory: each frame
/// decoded from the bytes is FFmpeg's own (the SHA-256 checksums of `ffmpeg -f framehash`,
/// committed beside the clip), and `hash_bytes` with the default backend equals `hash_file`.
#[test]
fn webm_from_memory_is_ffmpegs_frames() {
    let path = data("vp9-160x90.webm");
    let bytes: Arc<[u8]> = read(&path).into();
    let checksums: Vec<String> = std::fs::read_to_string(data("vp9-160x90.rgb24.framehash"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(checksums.len(), 30);
    let mut src = FfmpegSource::from_bytes(bytes.clone(), VideoLimits::default()).unwrap();
    assert_eq!((src.info().width, src.info().height), (160, 90));
    assert_eq!(src.info().codec, "vp9");
    let mut n = 0;
    while let Some(f) = src.next_frame().unwrap() {
        assert_eq!(f.frame_number, n as u64);
        let sha: String = Sha256::digest(f.pixels.to_rgb24().unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha, checksums[n], "frame {n}");
        n += 1;
    }
    assert_eq!(n, 30);
    for backend in [Backend::Auto, Backend::Ffmpeg] {
        let h = VideoHasher::with_config(VideoConfig::default().with_backend(backend))
            .with_sampling(Sampling::EveryFrame);
        let want = h.hash_file(&path).unwrap();
        assert_eq!(want.len(), 30);
        assert_eq!(h.hash_bytes(&bytes).unwrap(), want, "{backend:?}");
    }
}

/// With the default backend, MP4 bytes whose codec the built-in backend refuses (HEVC,
/// 10-bit H.264) go to FFmpeg and hash like the file; the built-in backend alone refuses
/// them as unsupported.
#[test]
fn default_backend_hands_other_codecs_in_mp4_to_ffmpeg() {
    for name in ["hevc-64x64.mp4", "h264-high10-64x64.mp4"] {
        let bytes = read(&data(name));
        let auto = VideoHasher::new().with_sampling(Sampling::EveryFrame);
        let got = auto.hash_bytes(&bytes).unwrap();
        assert_eq!(got.len(), 10, "{name}: 10 fps, 1 s");
        assert_eq!(got, auto.hash_file(data(name)).unwrap(), "{name}");
        let builtin =
            VideoHasher::with_config(VideoConfig::default().with_backend(Backend::Builtin));
        match builtin.hash_bytes(&bytes) {
            Err(Error::Video(e)) => assert_eq!(
                e.kind(),
                mediamatch::error::VideoErrorKind::UnsupportedCodec,
                "{name}: {e}"
            ),
            r => panic!("{name}: {r:?}"),
        }
    }
}

/// The outcome of one input as the comparisons below see it: the frame hashes, or the
/// error's kind (errors of in-memory input name `<memory>`).
fn outcome(r: mediamatch::Result<Vec<mediamatch::video::FrameHash>>) -> Result<usize, String> {
    match r {
        Ok(h) => Ok(h.len()),
        Err(Error::Video(e)) => Err(format!("{:?}", e.kind())),
        Err(e) => panic!("not a video error: {e}"),
    }
}

/// Empty, truncated, corrupt and hostile bytes give typed video errors naming `<memory>` (or
/// the frames that decode), never a panic; truncated and corrupt inputs give exactly what the
/// same bytes give when read from a file.
#[test]
fn damaged_and_hostile_bytes_are_typed_errors_like_files() {
    let h = ffmpeg().with_sampling(Sampling::EveryFrame);
    let tmp = std::env::temp_dir().join(format!("mm-ffmpeg-bytes-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut hostile: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("one byte".into(), vec![0]),
        ("text".into(), b"definitely not a video".to_vec()),
        // an MP4 box declaring 4 GB, a Matroska EBML header with an absurd size, random bytes
        (
            "huge box".into(),
            [&[0xff, 0xff, 0xff, 0xf0][..], b"ftypisom"].concat(),
        ),
        (
            "ebml".into(),
            [&[0x1a, 0x45, 0xdf, 0xa3, 0x01][..], &[0xff; 7], &[0x42; 64]].concat(),
        ),
    ];
    let mut x = 0x9e37_79b9_u32;
    hostile.push((
        "random".into(),
        (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect(),
    ));
    for (what, bytes) in &hostile {
        match h.hash_bytes(bytes) {
            Err(Error::Video(e)) => {
                assert_eq!(
                    e.path(),
                    Some(std::path::Path::new("<memory>")),
                    "{what}: {e}"
                )
            }
            r => panic!("{what}: {r:?}"),
        }
    }
    let mut compared = 0;
    for name in ["vp9-160x90.webm", "gops-high-320x180.mp4"] {
        let clip = read(&data(name));
        let full = h.hash_bytes(&clip).unwrap().len();
        let mut cases: Vec<(String, Vec<u8>)> = [1, 7, 2, 3]
            .iter()
            .map(|&k| {
                let cut = clip.len() * k / 8;
                (format!("cut at {cut}"), clip[..cut].to_vec())
            })
            .collect();
        for seed in 0..4u32 {
            let mut bad = clip.clone();
            let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
            for _ in 0..30 {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let i = 64 + s as usize % (bad.len() - 64);
                bad[i] ^= 1 << (s >> 29);
            }
            cases.push((format!("30 flipped bits, seed {seed}"), bad));
        }
        for (what, bytes) in cases {
            let file = tmp.join(name);
            std::fs::write(&file, &bytes).unwrap();
            let from_file = outcome(h.hash_file(&file));
            let from_bytes = outcome(h.hash_bytes(&bytes));
            assert_eq!(from_bytes, from_file, "{name}, {what}");
            if let Ok(n) = from_bytes {
                assert!(n <= full, "{name}, {what}: {n} > {full}");
            }
            compared += 1;
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    assert_eq!(compared, 16);
}

/// Resident memory of this process in bytes (Linux).
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

const LEAK_CHILD: &str = "MEDIAMATCH_FFMPEG_LEAK_CHILD";

/// Opens from memory in a loop (a clip decoded to its second frame, then bytes that fail to
/// probe) in a child process of its own, so that no other test shares its memory: resident
/// memory after 600 more rounds has not grown by more than 4 MB (one context's 32 KiB I/O
/// buffer and the clip's 29 KB copy leaked per round would be over 36 MB).
#[test]
fn opening_from_memory_does_not_leak() {
    if !std::path::Path::new("/proc/self/statm").exists() {
        eprintln!("skipping: no /proc/self/statm");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "video::ffmpeg::bytes::leak_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LEAK_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("leak check:"),
        "the child did not run: {stdout}\n{stderr}"
    );
    eprintln!(
        "{}",
        stderr.lines().find(|l| l.contains("leak check:")).unwrap()
    );
}

/// The child of [`opening_from_memory_does_not_leak`].
#[test]
#[ignore = "run by opening_from_memory_does_not_leak in a process of its own"]
fn leak_child() {
    if std::env::var_os(LEAK_CHILD).is_none() {
        return;
    }
    let clip: Arc<[u8]> = read(&data("vp9-160x90.webm")).into();
    let broken: Arc<[u8]> = b"definitely not a video".repeat(100).into();
    let round = || {
        let mut src =
            FfmpegSource::from_bytes(clip.to_vec().into(), VideoLimits::default()).expect("opens");
        for _ in 0..2 {
            assert!(src.next_frame().unwrap().is_some());
        }
        drop(src);
        assert!(FfmpegSource::from_bytes(broken.clone(), VideoLimits::default()).is_err());
    };
    for _ in 0..200 {
        round();
    }
    let before = rss().unwrap();
    for _ in 0..600 {
        round();
    }
    let after = rss().unwrap();
    let grown = after.saturating_sub(before);
    eprintln!(
        "leak check: resident {:.1} MB after 200 rounds, {:.1} MB after 800 (+{} KB)",
        before as f64 / 1e6,
        after as f64 / 1e6,
        grown / 1024
    );
    assert!(grown < 4 << 20, "grew by {grown} bytes");
}
