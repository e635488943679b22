//! Hashing the sample clips and scoring against the reference's regenerated `.tmk` files.

use mediamatch::tmk::{level1, level2, TmkFeatures};
use mediamatch::video::VideoLimits;

use super::{vectors, CLIPS};

fn reference(v: &std::path::Path, clip: &str) -> (Vec<u8>, TmkFeatures) {
    let bytes = std::fs::read(v.join(format!("tmk-regenerated-ffmpeg5.1/{clip}.tmk"))).unwrap();
    let t = TmkFeatures::from_bytes(&bytes).unwrap();
    (bytes, t)
}

/// With FFmpeg: every clip scores >= 0.99 at both levels against the reference; the number of
/// 15 fps frames equals the reference's; and (FFmpeg 5.1 here, as for the reference) the
/// files are byte-identical.
#[cfg(feature = "ffmpeg")]
#[test]
fn ffmpeg_path_matches_the_reference_tmk_of_every_clip() {
    let Some(v) = vectors() else { return };
    let mut identical = 0;
    for clip in CLIPS {
        let ours = mediamatch::tmk::hash_video_ffmpeg(
            v.join(format!("videos/{clip}.mp4")),
            VideoLimits::default(),
        )
        .unwrap();
        let (bytes, want) = reference(&v, clip);
        let (l1, l2) = (level1(&ours, &want), level2(&ours, &want));
        eprintln!(
            "ffmpeg {clip}: frames {} / {}, level1 {l1:.9}, level2 {l2:.9}",
            ours.frame_count, want.frame_count
        );
        assert_eq!(ours.frame_count, want.frame_count, "{clip}");
        assert!(l1 >= 0.99 && l2 >= 0.99, "{clip}: {l1} {l2}");
        identical += (ours.to_bytes() == bytes) as usize;
    }
    eprintln!(
        "{identical} of {} clips byte-identical to the reference",
        CLIPS.len()
    );
}

/// The built-in decoder and resampler: close to the reference, not bit-exact. The bound is
/// below the measured scores (printed) with a margin; see the README for the figures.
#[test]
fn builtin_path_scores_close_to_the_reference() {
    let Some(v) = vectors() else { return };
    for clip in CLIPS {
        let ours = mediamatch::tmk::hash_video_builtin(
            v.join(format!("videos/{clip}.mp4")),
            VideoLimits::default(),
        )
        .unwrap();
        let (_, want) = reference(&v, clip);
        let (l1, l2) = (level1(&ours, &want), level2(&ours, &want));
        eprintln!(
            "builtin {clip}: frames {} / {}, level1 {l1:.6}, level2 {l2:.6}",
            ours.frame_count, want.frame_count
        );
        assert_eq!(ours.frame_count, want.frame_count, "{clip}");
        assert!(l1 >= 0.99 && l2 >= 0.99, "{clip}: {l1} {l2}");
    }
}
