//! Temporal neighbours on the banking side ([`BankViews::neighbour_frames`]) and every picture
//! of an animation on the query side ([`Sampling::Distinct`]): a GIF that keeps one frame in
//! three of footage whose every frame is a new picture never shows a stored (one per second)
//! frame; it is found, at the true times, through the frames next to them, and not without.

use std::sync::OnceLock;

use mediamatch::db::{Database, Metadata, Snapshot};
use mediamatch::matcher::{
    bank_video_bytes, BankViews, MatchOptions, MatchReport, Matcher, NEIGHBOUR_SAME_BITS,
};
use mediamatch::video::{FrameSource, GifSource, Sampling, VideoConfig, VideoHasher, VideoLimits};
use mediamatch::PdqHasher;

use super::gif::gif_of;
use super::make::{encode_mp4, synth_at, Clip};
use super::matcher::expect;

const W: usize = 160;
const H: usize = 120;
const FPS: u32 = 30;
const SEED: u64 = 91;

/// 6 s at 30 fps whose frames are views of the landscape 13.7 s of its motion apart: every
/// frame a different picture (as fast footage is to PDQ).
fn strobe() -> &'static (Clip, Vec<u8>) {
    static CLIP: OnceLock<(Clip, Vec<u8>)> = OnceLock::new();
    CLIP.get_or_init(|| {
        let times: Vec<f32> = (0..6 * FPS).map(|k| k as f32 * 13.7).collect();
        let clip = synth_at(SEED, W, H, FPS, &times);
        let mp4 = encode_mp4(&clip, 22);
        (clip, mp4)
    })
}

fn neighbours(n: u32) -> BankViews {
    let mut v = BankViews::none();
    v.neighbour_frames = n;
    v
}

/// The strobe banked as `v1` with `n` neighbours per stored frame.
fn snapshot(n: u32) -> std::sync::Arc<Snapshot> {
    let frames = bank_video_bytes(
        &VideoHasher::new(),
        &PdqHasher::new(),
        &strobe().1,
        &neighbours(n),
    )
    .unwrap();
    let mut db = Database::new();
    for f in &frames {
        db.insert_many(f.entries("v1", &Metadata::new("bank")))
            .unwrap();
    }
    db.commit();
    db.reader().snapshot()
}

/// The banked neighbours are the hashes of the frames next to the stored ones, named by their
/// offset; the stored frames stay exactly those of a plain hash.
#[test]
fn banked_neighbours_are_the_frames_next_to_the_stored_ones() {
    let mp4 = &strobe().1;
    let every =
        VideoHasher::with_config(VideoConfig::default().with_sampling(Sampling::EveryFrame))
            .hash_bytes(mp4)
            .unwrap();
    assert_eq!(every.len(), 6 * FPS as usize);
    for n in [1u32, 2] {
        let frames =
            bank_video_bytes(&VideoHasher::new(), &PdqHasher::new(), mp4, &neighbours(n)).unwrap();
        let plain = VideoHasher::new().hash_bytes(mp4).unwrap();
        assert_eq!(frames.iter().map(|f| f.frame).collect::<Vec<_>>(), plain);
        for f in &frames {
            let k = f.frame.frame_number as i64;
            let mut want = Vec::new();
            for d in -(n as i64)..=n as i64 {
                let j = k + d;
                if d == 0 || j < 0 || j >= every.len() as i64 {
                    continue;
                }
                let h = every[j as usize].hash;
                if h.hash.distance(&f.frame.hash.hash) > NEIGHBOUR_SAME_BITS {
                    want.push((format!("frame{d:+}"), h));
                }
            }
            let got: Vec<_> = f.views.iter().map(|v| (v.how.clone(), v.hash)).collect();
            assert_eq!(got, want, "frame {k}, {n} neighbours");
        }
    }
    // still footage: the neighbours are the frame again and are not stored
    let still = synth_at(SEED, W, H, FPS, &[1.0; 60]);
    let frames = bank_video_bytes(
        &VideoHasher::new(),
        &PdqHasher::new(),
        &encode_mp4(&still, 22),
        &neighbours(1),
    )
    .unwrap();
    assert_eq!(frames.len(), 2);
    assert!(frames.iter().all(|f| f.views.is_empty()), "{frames:?}");
}

/// A GIF of frames 1, 4, 7, … (10 fps, 100 ms delays) of the strobe.
fn gif_third() -> Vec<u8> {
    let c = &strobe().0;
    let kept = Clip {
        frames: c.frames.iter().skip(1).step_by(3).cloned().collect(),
        fps: 10,
        ..c.clone()
    };
    gif_of(&kept, 100)
}

fn match_gif(n: u32) -> MatchReport {
    Matcher::new(MatchOptions::default())
        .match_bytes(&snapshot(n), &gif_third())
        .unwrap()
}

#[test]
fn a_gif_at_a_third_of_the_rate_is_found_through_the_neighbours() {
    let r = match_gif(0);
    assert!(!r.is_match(), "found without neighbours: {r:#?}");
    let r = match_gif(1);
    // GIF frame j (at j × 100 ms) is source frame 3j + 1: known time = query time + 33 ms
    expect(&r, (0.0, 5.9), (0.0, 5.9), 1.0);
    let v = &r.videos[0];
    assert!(
        v.derived_views.keys().all(|k| k == "frame+1"),
        "{:?}",
        v.derived_views
    );
}

/// A dense query hashes every picture of an animation once, at the tick it first shows.
#[test]
fn distinct_sampling_gives_each_picture_of_a_gif_once() {
    let gif = gif_third();
    let mut src = GifSource::from_bytes(gif, VideoLimits::default()).unwrap();
    src.set_sampling(Sampling::Distinct);
    let mut ticks = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        ticks.push(f.frame_number);
    }
    // 100 ms per picture on the 20 ms timeline
    assert_eq!(ticks, (0..60).map(|j| 5 * j).collect::<Vec<u64>>());
}
