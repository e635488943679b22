//! Dense query sampling and the speed-tolerant verdict on clips the tests make: an excerpt cut
//! at a fractional second, copies at 1.25× and 0.8× speed and at another frame rate are each
//! found with their segment (query and known start–end within ±1 s, the speed within 5 %);
//! distinct videos are not matched; hashing from reduced frames stays close to full frames.

use std::sync::{Arc, OnceLock};

use mediamatch::video::{
    FrameHash, FrameSource, Mp4H264Source, QueryVideo, SpeedSegment, VideoHasher, VideoLimits,
    VideoQueryOptions, VideoVerdict,
};

use super::make::{encode_mp4, synth, synth_at};

pub(super) const W: usize = 320;
pub(super) const H: usize = 240;
pub(super) const FPS: u32 = 15;
pub(super) const SEED: u64 = 31;

/// The stored side: plain vPDQ of a 14 s original at one hash per second.
pub(super) fn stored() -> &'static [FrameHash] {
    static S: OnceLock<Vec<FrameHash>> = OnceLock::new();
    S.get_or_init(|| {
        let mp4 = encode_mp4(&synth(SEED, W, H, FPS, 14.0), 24);
        VideoHasher::new().hash_bytes(&mp4).unwrap()
    })
}

/// A copy showing the original's content at `times` (s), played at `fps`, hashed densely.
fn dense_query(seed: u64, fps: u32, times: &[f32]) -> QueryVideo {
    let mp4 = encode_mp4(&synth_at(seed, W, H, fps, times), 26);
    VideoHasher::new()
        .hash_query_bytes(&mp4, &VideoQueryOptions::dense())
        .unwrap()
}

/// Content times `start + speed × j / fps` for `seconds` of query.
pub(super) fn times(start: f32, speed: f32, fps: u32, seconds: f32) -> Vec<f32> {
    let n = (seconds * fps as f32).round() as usize;
    (0..n)
        .map(|j| start + speed * j as f32 / fps as f32)
        .collect()
}

/// `seg` is the expected segment: query start–end and known start–end within ±1 s, speed
/// within 5 %.
pub(super) fn expect_span(
    seg: &SpeedSegment,
    query_s: (f64, f64),
    known_s: (f64, f64),
    speed: f64,
) {
    let near = |got_ms: u64, want_s: f64| (got_ms as f64 / 1000.0 - want_s).abs() <= 1.0;
    assert!(
        near(seg.query_start_ms, query_s.0) && near(seg.query_end_ms, query_s.1),
        "query span {seg:?}, want {query_s:?}"
    );
    assert!(
        near(seg.known_start_ms, known_s.0) && near(seg.known_end_ms, known_s.1),
        "known span {seg:?}, want {known_s:?}"
    );
    assert!(
        (seg.speed / speed - 1.0).abs() <= 0.05,
        "speed {} want {speed}",
        seg.speed
    );
}

/// The verdict matched, and its longest segment is the expected one ([`expect_span`]).
pub(super) fn expect_segment(
    v: &VideoVerdict,
    query_s: (f64, f64),
    known_s: (f64, f64),
    speed: f64,
) {
    assert!(v.matched, "not matched: {v:#?}");
    let seg: &SpeedSegment = v.segments.iter().max_by_key(|s| s.frames_matched).unwrap();
    expect_span(seg, query_s, known_s, speed);
    // every accepted segment lies on the true timeline (known = start + speed × query), ±1 s
    for s in &v.segments {
        let want_k0 = known_s.0 + speed * (s.query_start_ms as f64 / 1000.0 - query_s.0);
        assert!(
            (s.known_start_ms as f64 / 1000.0 - want_k0).abs() <= 1.0,
            "{s:?} off the timeline"
        );
    }
}

/// An excerpt cut at 3.4 s (not on a stored frame's second), 6 s long.
#[test]
fn excerpt_at_fractional_offset() {
    let q = dense_query(SEED, FPS, &times(3.4, 1.0, FPS, 6.0));
    let v = q.verdict(stored());
    // stored frames at whole seconds: the first inside is 4 s, the last 9 s
    expect_segment(&v, (0.0, 5.93), (3.4, 9.33), 1.0);
}

/// 1.25× faster from 2 s: 8 s of query show known 2–12 s.
#[test]
fn speed_1_25() {
    let q = dense_query(SEED, FPS, &times(2.0, 1.25, FPS, 8.0));
    expect_segment(&q.verdict(stored()), (0.0, 8.0), (2.0, 12.0), 1.25);
}

/// 0.8× (slowed down) from 1 s: 12 s of query show known 1–10.6 s.
#[test]
fn speed_0_8() {
    let q = dense_query(SEED, FPS, &times(1.0, 0.8, FPS, 12.0));
    expect_segment(&q.verdict(stored()), (0.0, 12.0), (1.0, 10.6), 0.8);
}

/// Another frame rate (24 fps) for an excerpt from 2.7 s.
#[test]
fn frame_rate_change_excerpt() {
    let q = dense_query(SEED, 24, &times(2.7, 1.0, 24, 7.0));
    expect_segment(&q.verdict(stored()), (0.0, 7.0), (2.7, 9.7), 1.0);
}

/// A 2.2 s excerpt from 6.6 s holds only the stored frames of 7 s and 8 s: matched by the
/// verdict's short rule (both matched, nothing else the query can show), at its segment.
#[test]
fn short_excerpt_with_two_stored_frames() {
    let q = dense_query(SEED, FPS, &times(6.6, 1.0, FPS, 2.2));
    let v = q.verdict(stored());
    expect_segment(&v, (0.4, 1.4), (7.0, 8.0), 1.0);
    assert_eq!(v.segments[0].frames_matched, 2, "{v:#?}");
}

/// A short clip is sampled up to every frame within the dense frame budget, a longer one
/// never sparser than `frames_per_second`: 4 s at 30 fps (120 frames) gives 120 query frames
/// with the default budget (480), 60 with a budget of 80 (every 2nd), 40 with 50 or none
/// (every 3rd: 8 per second).
#[test]
fn dense_budget_samples_short_clips_densely() {
    let mp4 = encode_mp4(&synth(SEED, W, H, 30, 4.0), 26);
    let n = |budget: Option<u64>| {
        let opts = VideoQueryOptions::dense().with_max_dense_frames(budget);
        let q = VideoHasher::new().hash_query_bytes(&mp4, &opts).unwrap();
        let step: Vec<u64> = q
            .frames
            .windows(2)
            .map(|w| w[1].frame_number - w[0].frame_number)
            .collect();
        assert!(step.windows(2).all(|w| w[0] == w[1]), "{step:?}");
        q.frames.len()
    };
    assert_eq!(VideoQueryOptions::dense().max_dense_frames, Some(480));
    assert_eq!(n(Some(480)), 120);
    assert_eq!(n(Some(80)), 60);
    assert_eq!(n(Some(50)), 40);
    assert_eq!(n(None), 40);
}

/// Distinct videos (other landscapes, normal speed and 1.25×) are not matched.
#[test]
fn distinct_videos_not_matched() {
    for (seed, speed, secs) in [
        (32, 1.0, 10.0),
        (33, 1.25, 10.0),
        (34, 0.8, 10.0),
        (35, 1.0, 2.5),
    ] {
        let q = dense_query(seed, FPS, &times(0.0, speed, FPS, secs));
        let v = q.verdict(stored());
        assert!(!v.matched, "seed {seed}: {v:#?}");
    }
}

/// Hashes from reduced frames (1280×720 halved to 640×360) stay close to the full frame's:
/// the distance cost of hashing the query cheaply.
#[test]
fn reduced_frames_stay_close() {
    let mp4 = encode_mp4(&synth(SEED, 1280, 720, FPS, 1.0), 22);
    let mut src = Mp4H264Source::from_bytes(Arc::from(mp4), VideoLimits::default()).unwrap();
    let hasher = VideoHasher::new();
    let full = VideoQueryOptions::default();
    let reduced = VideoQueryOptions::default().with_reduced_min_side(Some(160));
    let fps = src.info().frame_rate;
    let mut d = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        let a = hasher.hash_query_frame(&f, fps, &full).unwrap();
        let b = hasher.hash_query_frame(&f, fps, &reduced).unwrap();
        d.push(a.hashes[0][0].hash.distance(&b.hashes[0][0].hash));
    }
    assert_eq!(d.len(), 15);
    let mean = d.iter().sum::<u32>() as f64 / d.len() as f64;
    let max = *d.iter().max().unwrap();
    println!("reduced vs full frame hash: mean {mean:.1} bits, max {max} bits");
    assert!(mean <= 6.0 && max <= 12, "mean {mean}, max {max}");
}

#[test]
fn speed_segment_display_names_both_timelines() {
    let s = SpeedSegment {
        query_start_ms: 1200,
        query_end_ms: 7400,
        known_start_ms: 0,
        known_end_ms: 7750,
        speed: 1.25,
        frames_matched: 7,
        mean_distance: 12.34,
    };
    assert_eq!(
        s.to_string(),
        "query 1200-7400ms = known 0-7750ms at 1.25x (7 frames, mean distance 12.3)"
    );
}
