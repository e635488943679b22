//! Honest video errors: damaged data is `Corrupt` (not "unsupported codec"), concealed and
//! dropped frames are counted, a truncated file gives the frames before the cut with a flag,
//! every error names its input, and decoding time per input is bounded.

use std::sync::OnceLock;

use mediamatch::error::VideoErrorKind;
use mediamatch::video::{FrameHash, Sampling, VideoConfig, VideoHasher, VideoHashes, VideoLimits};
use mediamatch::Error;

use super::make::{encode_mp4, faststart, synth};

fn video_err(e: &Error) -> &mediamatch::error::VideoError {
    match e {
        Error::Video(v) => v,
        e => panic!("not a video error: {e}"),
    }
}

fn every_frame() -> VideoHasher {
    VideoHasher::new().with_sampling(Sampling::EveryFrame)
}

/// A 4 s, 15 fps faststart clip and its hashes (every frame).
fn clip() -> &'static (Vec<u8>, Vec<FrameHash>) {
    static C: OnceLock<(Vec<u8>, Vec<FrameHash>)> = OnceLock::new();
    C.get_or_init(|| {
        let mp4 = faststart(&encode_mp4(&synth(41, 160, 120, 15, 4.0), 26));
        let all = every_frame().hash_bytes(&mp4).unwrap();
        assert_eq!(all.len(), 60);
        (mp4, all)
    })
}

/// The faststart copy is the same video (the oracle for the tests below is sound).
#[test]
fn faststart_copy_is_the_same_video() {
    let (mp4, all) = clip();
    let plain = encode_mp4(&synth(41, 160, 120, 15, 4.0), 26);
    assert_eq!(&every_frame().hash_bytes(&plain).unwrap(), all);
    assert!(every_frame()
        .hash_bytes_report(mp4)
        .unwrap()
        .report
        .is_clean());
}

/// A faststart file missing its end: the frames before the cut, exactly those of the whole
/// file, and the `truncated` flag; with parallel decoding too.
#[test]
fn truncated_file_returns_frames_so_far() {
    let (mp4, all) = clip();
    for keep in [0.95, 0.8, 0.5] {
        let cut = (mp4.len() as f64 * keep) as usize;
        for parallel in [false, true] {
            let h = VideoHasher::with_config(
                VideoConfig::default()
                    .with_sampling(Sampling::EveryFrame)
                    .with_parallel(parallel),
            );
            let VideoHashes { frames, report, .. } = h.hash_bytes_report(&mp4[..cut]).unwrap();
            assert!(report.truncated, "cut at {keep}: {report:?}");
            assert_eq!(report.dropped, 0, "{report:?}");
            assert!(
                !frames.is_empty() && frames.len() < all.len(),
                "{}",
                frames.len()
            );
            // decode order = display order (Constrained Baseline): a prefix of the full result
            assert_eq!(&all[..frames.len()], &frames[..], "cut at {keep}");
        }
    }
}

/// Damaged slice data: never reported as an unsupported codec; damage shows up as a
/// `Corrupt` error or in the report's counts.
#[test]
fn damaged_data_is_corrupt_not_unsupported() {
    let (mp4, _) = clip();
    let mdat = mp4.windows(4).position(|w| w == b"mdat").unwrap() + 4;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut reported, mut clean) = (0, 0);
    for _ in 0..24 {
        let mut m = mp4.clone();
        for _ in 0..30 {
            let i = mdat + (rnd() % (m.len() - mdat) as u64) as usize;
            m[i] ^= 1 << (rnd() % 8);
        }
        match every_frame().hash_bytes_report(&m) {
            Ok(r) if r.report.is_clean() => clean += 1,
            Ok(r) => {
                assert!(r.report.concealed + r.report.dropped > 0);
                reported += 1
            }
            Err(e) => {
                let v = video_err(&e);
                assert_ne!(v.kind(), VideoErrorKind::UnsupportedCodec, "{e}");
                assert!(!v.detail().contains("ffmpeg"), "{e}");
                reported += 1;
            }
        }
    }
    eprintln!("30 flipped bytes in the sample data: {reported} of 24 reported, {clean} clean");
    assert!(reported >= 12, "{reported} reported, {clean} clean");
}

/// A codec the built-in backend does not decode is still `UnsupportedCodec`, naming the
/// feature; every error names its input (a file's path, `<memory>` for bytes).
#[test]
fn unsupported_codec_and_errors_name_their_input() {
    let (mp4, _) = clip();
    let mut hevc = mp4.clone();
    // the sample entry's fourcc (the first "avc1" is a compatible brand in the ftyp)
    let stsd = hevc.windows(4).position(|w| w == b"stsd").unwrap();
    let at = stsd + hevc[stsd..].windows(4).position(|w| w == b"avc1").unwrap();
    hevc[at..at + 4].copy_from_slice(b"hvc1");
    let h = VideoHasher::with_config(
        VideoConfig::default().with_backend(mediamatch::video::Backend::Builtin),
    );
    let e = h.hash_bytes(&hevc).unwrap_err();
    let v = video_err(&e);
    assert_eq!(v.kind(), VideoErrorKind::UnsupportedCodec, "{e}");
    assert!(v.detail().contains("`ffmpeg` feature"), "{e}");
    assert_eq!(v.path().unwrap().to_str(), Some("<memory>"));

    let dir = std::env::temp_dir().join(format!("mm-video-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("not-a-video.mp4");
    std::fs::write(&path, b"this is not an mp4 file at all, just text").unwrap();
    let e = h.hash_file(&path).unwrap_err();
    assert_eq!(video_err(&e).path(), Some(path.as_path()), "{e}");
    assert!(e.to_string().contains("not-a-video.mp4"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The decode deadline: at 0 ms every input fails with `LimitsExceeded`, naming it; the
/// default lets the clip through.
#[test]
fn decode_time_is_bounded() {
    let (mp4, all) = clip();
    let h = VideoHasher::with_config(
        VideoConfig::default()
            .with_sampling(Sampling::EveryFrame)
            .with_limits(VideoLimits::default().with_max_decode_ms(Some(0))),
    );
    let e = h.hash_bytes(mp4).unwrap_err();
    assert_eq!(video_err(&e).kind(), VideoErrorKind::LimitsExceeded, "{e}");
    assert!(e.to_string().contains("<memory>"), "{e}");
    assert!(VideoLimits::default().max_decode_ms.is_some());
    assert_eq!(&every_frame().hash_bytes(mp4).unwrap(), all);
}

/// Counts the reads that reach the underlying reader.
struct Counting {
    inner: std::io::Cursor<Vec<u8>>,
    reads: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.read(buf)
    }
}

impl std::io::Seek for Counting {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Decodes `mp4` from a counting reader; returns (frames, reads).
fn counted(mp4: Vec<u8>) -> (usize, usize) {
    use mediamatch::video::{FrameSource, Mp4H264Source};
    let reads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let len = mp4.len() as u64;
    let r = Counting {
        inner: std::io::Cursor::new(mp4),
        reads: reads.clone(),
    };
    let mut src = Mp4H264Source::from_reader(r, len, VideoLimits::default()).unwrap();
    src.set_sampling(Sampling::EveryFrame);
    let mut n = 0;
    while let Ok(Some(_)) = src.next_frame() {
        n += 1;
    }
    (n, reads.load(std::sync::atomic::Ordering::Relaxed))
}

/// Sample data is read in runs: 60 adjacent samples cost a handful of reads, and an MP4
/// declaring 300 000 one-byte samples about one read per 256 KiB, not one per sample.
#[test]
fn sample_reads_are_buffered() {
    let (mp4, all) = clip();
    let (frames, reads) = counted(mp4.clone());
    assert_eq!(frames, all.len());
    assert!(reads < 20, "{reads} reads for {frames} samples");

    let (sps, pps) = super::make::parameter_sets(mp4);
    let samples: Vec<(Vec<u8>, bool)> = (0..300_000).map(|i| (vec![0u8], i == 0)).collect();
    let hostile = super::make::mux(160, 120, 15, &sps, &pps, &samples);
    let (frames, reads) = counted(hostile);
    assert_eq!(frames, 0);
    assert!(reads < 200, "{reads} reads for 300000 samples");
}
