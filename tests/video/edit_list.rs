//! Edit lists (`edts`/`elst`): a clip the test makes, muxed with an edit list holding an empty
//! edit (a delay), an edit starting at a media-time offset, and a cut (a second edit later in
//! the media), is decoded showing exactly the frames the edit list presents, in order: by
//! construction (each decoded frame is nearest to the source frame the edits put there), and,
//! with the `ffmpeg` feature, frame for frame equal to libavformat's own MOV demuxer (which
//! applies edit lists as FFmpeg does), vPDQ hashes included.

use mediamatch::video::{FramePixels, FrameSource, Mp4H264Source, Sampling, VideoLimits};

use super::make::{encode_samples, mux_with, synth, MuxOpts};

const W: usize = 160;
const H: usize = 120;
const FPS: u32 = 10;
/// Timescale of the muxer (fps × 1000): a frame lasts 1000 units.
const TS: i64 = 10_000;

/// 0.5 s empty edit; media 0.4–2.4 s (frames 4..24); media 4.0–7.0 s (frames 40..70).
const EDITS: &[(u32, i32)] = &[(5_000, -1), (20_000, 4_000), (30_000, 40_000)];

/// The source frame the edit list puts at each output position.
fn expected_frames() -> Vec<usize> {
    (4..24).chain(40..70).collect()
}

fn clip_and_file() -> (super::make::Clip, Vec<u8>) {
    let clip = synth(77, W, H, FPS, 8.0);
    let (sps, pps, samples) = encode_samples(&clip, 20);
    let mp4 = mux_with(
        W,
        H,
        FPS,
        &sps,
        &pps,
        &samples,
        MuxOpts {
            edits: EDITS,
            ..Default::default()
        },
    );
    (clip, mp4)
}

/// The pixels of every frame a source returns: the luma plane (YUV frames), else RGB24
/// (`rgb`: RGB24 always).
fn frames(src: &mut dyn FrameSource, rgb: bool) -> Vec<Vec<u8>> {
    src.set_sampling(Sampling::EveryFrame);
    let mut out = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        match f.pixels {
            FramePixels::Yuv420 { y, .. } if !rgb => out.push(y),
            other => out.push(other.to_rgb24().unwrap()),
        }
    }
    out
}

fn mad(a: &[u8], b: &[u8]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).abs())
        .sum::<f64>()
        / a.len() as f64
}

#[test]
fn edit_list_cut_delay_and_offset_present_the_right_frames() {
    assert_eq!(TS, FPS as i64 * 1000);
    let (clip, mp4) = clip_and_file();
    let mut src = Mp4H264Source::from_bytes(mp4.clone().into(), VideoLimits::default()).unwrap();
    assert_eq!(src.info().frame_count, Some(50));
    let got = frames(&mut src, false);
    let want = expected_frames();
    assert_eq!(got.len(), want.len());
    for (j, (y, &k)) in got.iter().zip(&want).enumerate() {
        // the nearest source frame is the one the edit list shows here
        let nearest = (0..clip.frames.len())
            .min_by(|&a, &b| {
                mad(y, &clip.frames[a][..W * H]).total_cmp(&mad(y, &clip.frames[b][..W * H]))
            })
            .unwrap();
        assert_eq!(nearest, k, "output frame {j}");
    }
    // vPDQ numbering counts presented frames: one hash per second at frames 0, 10, .., 40
    let h = mediamatch::video::VideoHasher::new()
        .hash_bytes(&mp4)
        .unwrap();
    let t: Vec<(u64, u64)> = h.iter().map(|f| (f.frame_number, f.timestamp_ms)).collect();
    assert_eq!(
        t,
        vec![(0, 0), (10, 1000), (20, 2000), (30, 3000), (40, 4000)]
    );
}

/// A single edit starting past the end of the media shows nothing; an edit list of empty
/// edits only shows every frame (no window: FFmpeg ignores it).
#[test]
fn edit_list_degenerate_cases() {
    let clip = synth(78, W, H, FPS, 2.0);
    let (sps, pps, samples) = encode_samples(&clip, 24);
    let count = |edits: &'static [(u32, i32)]| {
        let mp4 = mux_with(
            W,
            H,
            FPS,
            &sps,
            &pps,
            &samples,
            MuxOpts {
                edits,
                ..Default::default()
            },
        );
        let mut src = Mp4H264Source::from_bytes(mp4.into(), VideoLimits::default()).unwrap();
        frames(&mut src, false).len()
    };
    assert_eq!(count(&[(5_000, -1)]), 20);
    assert_eq!(count(&[(10_000, 500_000)]), 0);
    // a window with its end open (duration 0) from 1.0 s
    assert_eq!(count(&[(0, 10_000)]), 10);
}

/// libavformat's MOV demuxer applies the same edit list: the same frames, pixel for pixel, and
/// the same vPDQ hashes through both backends.
#[cfg(feature = "ffmpeg")]
#[test]
fn edit_list_equals_ffmpeg() {
    use mediamatch::video::{Backend, FfmpegSource, VideoConfig, VideoHasher};
    let (_, mp4) = clip_and_file();
    let dir = std::env::temp_dir().join(format!("mm-video-elst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cut.mov");
    std::fs::write(&path, &mp4).unwrap();
    let mut ff = FfmpegSource::open(&path, VideoLimits::default()).unwrap();
    let theirs = frames(&mut ff, true);
    let mut ours = Mp4H264Source::from_bytes(mp4.clone().into(), VideoLimits::default()).unwrap();
    let ours = frames(&mut ours, true);
    assert_eq!(theirs.len(), ours.len());
    for (j, (a, b)) in theirs.iter().zip(&ours).enumerate() {
        assert!(a == b, "frame {j} differs");
    }
    let hash = |b| {
        VideoHasher::with_config(VideoConfig::default().with_backend(b))
            .hash_file(&path)
            .unwrap()
    };
    assert_eq!(hash(Backend::Builtin), hash(Backend::Ffmpeg));
    std::fs::remove_dir_all(&dir).ok();
}
