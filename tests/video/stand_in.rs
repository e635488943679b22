//! Stand-ins on the banking side ([`BankViews::stand_in_ms`]): a stored (one per second) frame
//! too poor to match (a flat frame: quality 0) is banked with the nearest good frame near it,
//! so that an excerpt whose stored seconds are mostly such frames still shows enough usable
//! known frames for a verdict.

use std::sync::OnceLock;

use mediamatch::db::{Database, Metadata, Snapshot};
use mediamatch::matcher::{
    bank_video_bytes, is_stand_in, BankViews, BankedFrame, MatchOptions, MatchReport, Matcher,
    STAND_IN_BELOW, STAND_IN_QUALITY,
};
use mediamatch::video::{FrameHash, Sampling, VideoConfig, VideoHasher};
use mediamatch::PdqHasher;

use super::make::{encode_mp4, synth, Clip};
use super::matcher::expect;

const W: usize = 160;
const H: usize = 120;
const FPS: u32 = 30;
const SEED: u64 = 57;

/// Frames that are flat grey: around the stored frames at 2 s (60) and 3 s (90), reaching
/// further after them than before, so that the nearest good frame is 6 frames before.
fn flat(k: usize) -> bool {
    (55..=70).contains(&k) || (85..=100).contains(&k)
}

/// 6 s of moving landscape at 30 fps with the flat stretches of [`flat`].
fn clip() -> &'static (Clip, Vec<u8>) {
    static CLIP: OnceLock<(Clip, Vec<u8>)> = OnceLock::new();
    CLIP.get_or_init(|| {
        let mut clip = synth(SEED, W, H, FPS, 6.0);
        for (k, f) in clip.frames.iter_mut().enumerate() {
            if flat(k) {
                f.fill(128);
            }
        }
        let mp4 = encode_mp4(&clip, 22);
        (clip, mp4)
    })
}

fn views(stand_in_ms: u32) -> BankViews {
    let mut v = BankViews::video();
    v.stand_in_ms = stand_in_ms;
    v
}

fn bank(stand_in_ms: u32) -> Vec<BankedFrame> {
    bank_video_bytes(
        &VideoHasher::new(),
        &PdqHasher::new(),
        &clip().1,
        &views(stand_in_ms),
    )
    .unwrap()
}

fn snapshot(stand_in_ms: u32) -> std::sync::Arc<Snapshot> {
    let mut db = Database::new();
    for f in &bank(stand_in_ms) {
        db.insert_many(f.entries("v1", &Metadata::new("bank")))
            .unwrap();
    }
    db.commit();
    db.reader().snapshot()
}

/// Every frame's hash (the brute-force oracle of which frame should stand in).
fn every_frame() -> Vec<FrameHash> {
    VideoHasher::with_config(VideoConfig::default().with_sampling(Sampling::EveryFrame))
        .hash_bytes(&clip().1)
        .unwrap()
}

/// Each poor stored frame is followed (or preceded) by the nearest frame within 450 ms of
/// quality ≥ 60, as every frame's hash says; the stored frames are exactly a plain hash's.
#[test]
fn each_poor_stored_frame_gets_the_nearest_good_frame_as_stand_in() {
    let every = every_frame();
    let plain = VideoHasher::new().hash_bytes(&clip().1).unwrap();
    let frames = bank(450);
    let stored: Vec<FrameHash> = frames
        .iter()
        .filter(|f| f.stand_in.is_none())
        .map(|f| f.frame)
        .collect();
    assert_eq!(stored, plain);
    let poor: Vec<&FrameHash> = plain
        .iter()
        .filter(|f| f.hash.quality < STAND_IN_BELOW)
        .collect();
    assert_eq!(
        poor.iter().map(|f| f.frame_number).collect::<Vec<_>>(),
        [60, 90],
        "the flat stored frames are the poor ones"
    );
    let stand_ins: Vec<&BankedFrame> = frames.iter().filter(|f| f.stand_in.is_some()).collect();
    assert_eq!(stand_ins.len(), poor.len());
    for (p, s) in poor.iter().zip(&stand_ins) {
        // the oracle: nearest in time, then best quality
        let want = every
            .iter()
            .filter(|e| {
                e.hash.quality >= STAND_IN_QUALITY && e.timestamp_ms.abs_diff(p.timestamp_ms) <= 450
            })
            .min_by_key(|e| {
                (
                    e.timestamp_ms.abs_diff(p.timestamp_ms),
                    std::cmp::Reverse(e.hash.quality),
                )
            })
            .unwrap();
        assert_eq!(s.frame, *want);
        assert_eq!(s.frame.frame_number + 6, p.frame_number);
        let name = s.stand_in.as_deref().unwrap();
        assert_eq!(name, "stand-in-6");
        assert!(is_stand_in(name));
        // the stand-in carries the frame's views, named after it, all derived, at its time
        assert!(!s.views.is_empty());
        let entries = s.entries("v1", &Metadata::new("bank"));
        assert_eq!(entries.len(), 1 + s.views.len());
        assert_eq!(entries[0].2.derived.as_deref(), Some(name));
        assert!(entries[1..].iter().all(|e| {
            let d = e.2.derived.as_deref().unwrap();
            d.starts_with("stand-in-6 ") && !is_stand_in(d)
        }));
    }
    // time order kept
    let times: Vec<u64> = frames.iter().map(|f| f.frame.timestamp_ms).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    // off: no stand-ins, no second pass
    assert!(bank(0).iter().all(|f| f.stand_in.is_none()));
}

fn match_excerpt(stand_in_ms: u32) -> MatchReport {
    // 1.55–4.55 s: stored frames 2 s and 3 s are flat; only 4 s is usable without stand-ins
    let mp4 = encode_mp4(&clip().0.cut(1.55, 4.55), 24);
    Matcher::new(MatchOptions::default())
        .match_bytes(&snapshot(stand_in_ms), &mp4)
        .unwrap()
}

/// An excerpt whose stored seconds are flat but for one is found through the stand-ins, at
/// the true time, and not without them.
#[test]
fn an_excerpt_over_poor_stored_frames_is_found_through_the_stand_ins() {
    let r = match_excerpt(0);
    assert!(!r.is_match(), "found without stand-ins: {r:#?}");
    let r = match_excerpt(450);
    expect(&r, (0.0, 3.0), (1.55, 4.55), 1.0);
}
