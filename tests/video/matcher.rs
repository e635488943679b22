//! The matching layer's video path at its default options ([`MatchOptions::default`]: dense
//! query, the documented verdict): a known video banked as one hash per second is found in an
//! excerpt cut at a fractional time and in a 1.25× copy, each with its speed segment at the
//! true times (±1 s); a distinct video is reported as not matched (and the report is no
//! match); a still frame of the known video matches its stored frame.

use std::sync::OnceLock;

use image::DynamicImage;
use mediamatch::db::{Database, MediaKind, Metadata, Snapshot};
use mediamatch::matcher::{Item, MatchOptions, MatchReport, Matcher};
use mediamatch::video::VideoHasher;

use super::dense::expect_span;
use super::gif::{gif_of, rgba};
use super::make::{encode_mp4, synth, synth_at};

const W: usize = 320;
const H: usize = 240;
const FPS: u32 = 15;
const SEED: u64 = 41;

/// A database holding the plain vPDQ (one hash per second) of a 14 s original as `v1`.
fn snapshot() -> &'static Snapshot {
    static S: OnceLock<std::sync::Arc<Snapshot>> = OnceLock::new();
    S.get_or_init(|| {
        let mp4 = encode_mp4(&synth(SEED, W, H, FPS, 14.0), 24);
        let frames = VideoHasher::new().hash_bytes(&mp4).unwrap();
        assert_eq!(frames.len(), 14);
        let mut db = Database::new();
        for f in &frames {
            db.insert_pdq(
                f.hash,
                Metadata::new("bank").media(MediaKind::VideoFrame {
                    video_id: "v1".into(),
                    timestamp_ms: f.timestamp_ms,
                }),
            )
            .unwrap();
        }
        db.commit();
        db.reader().snapshot()
    })
}

/// The report for a copy showing content times `start + speed × j / FPS`, `seconds` long.
fn query(seed: u64, start: f32, speed: f32, seconds: f32) -> MatchReport {
    let n = (seconds * FPS as f32).round() as usize;
    let times: Vec<f32> = (0..n)
        .map(|j| start + speed * j as f32 / FPS as f32)
        .collect();
    let mp4 = encode_mp4(&synth_at(seed, W, H, FPS, &times), 26);
    Matcher::new(MatchOptions::default())
        .match_bytes(snapshot(), &mp4)
        .unwrap()
}

/// The report matched `v1` with one speed segment at the expected spans (±1 s) and speed
/// (±5 %).
pub(super) fn expect(r: &MatchReport, query_s: (f64, f64), known_s: (f64, f64), speed: f64) {
    assert!(r.is_match(), "{r:#?}");
    let v = &r.videos[0];
    assert!(v.matched && v.video_id == "v1", "{v:#?}");
    let s = v
        .speed_segments
        .iter()
        .max_by_key(|s| s.frames_matched)
        .unwrap();
    expect_span(s, query_s, known_s, speed);
}

/// An excerpt cut at 5.3 s, 6 s long: the first stored second inside is 6 s.
#[test]
fn matcher_finds_an_excerpt_at_a_fractional_time() {
    expect(&query(SEED, 5.3, 1.0, 6.0), (0.0, 5.93), (5.3, 11.23), 1.0);
}

/// 1.25× faster from 1.5 s: 8 s of query show known 1.5–11.5 s.
#[test]
fn matcher_finds_a_faster_copy_with_its_speed() {
    expect(&query(SEED, 1.5, 1.25, 8.0), (0.0, 8.0), (1.5, 11.5), 1.25);
}

/// A mirrored copy (left–right) of seconds 3–11 is matched under the mirror transform, found
/// through the probe frames that the other transforms are first searched on.
#[test]
fn matcher_finds_a_mirrored_copy() {
    let times: Vec<f32> = (0..8 * FPS).map(|j| 3.0 + j as f32 / FPS as f32).collect();
    let mut clip = synth_at(SEED, W, H, FPS, &times);
    for f in &mut clip.frames {
        let (y, uv) = f.split_at_mut(W * H);
        for row in y.chunks_mut(W) {
            row.reverse();
        }
        for row in uv.chunks_mut(W / 2) {
            row.reverse();
        }
    }
    let r = Matcher::new(MatchOptions::default())
        .match_bytes(snapshot(), &encode_mp4(&clip, 26))
        .unwrap();
    expect(&r, (0.0, 8.0), (3.0, 11.0), 1.0);
    assert_eq!(r.videos[0].transform, mediamatch::Dihedral::FlipY, "{r:#?}");
}

/// An animated GIF of seconds 4–10 at 10 frames per second (sniffed from its bytes) is matched
/// as a video, with its segment.
#[test]
fn matcher_finds_a_gif_copy() {
    let times: Vec<f32> = (0..60).map(|j| 4.0 + j as f32 / 10.0).collect();
    let gif = gif_of(&synth_at(SEED, W, H, 10, &times), 100);
    let r = Matcher::new(MatchOptions::default())
        .match_bytes(snapshot(), &gif)
        .unwrap();
    assert_eq!(r.media, mediamatch::matcher::MediaType::AnimatedImage);
    expect(&r, (0.0, 5.9), (4.0, 9.9), 1.0);
}

/// A distinct video is not a match (it may be listed, with `matched` false).
#[test]
fn matcher_does_not_match_a_distinct_video() {
    let r = query(SEED + 1, 0.0, 1.0, 10.0);
    assert!(!r.is_match(), "{r:#?}");
    assert!(r
        .videos
        .iter()
        .all(|v| !v.matched && v.speed_segments.is_empty()));
    assert!(r.query_frames > 60, "dense: {} frames", r.query_frames);
}

/// A still image (one frame of the known video, at 7 s) matches the stored frame of 7 s.
#[test]
fn matcher_matches_a_still_against_video_frames() {
    let clip = synth(SEED, W, H, FPS, 14.0);
    let img = DynamicImage::ImageRgba8(rgba(&clip, 7 * FPS as usize));
    let r = Matcher::new(MatchOptions::default()).match_image(snapshot(), &img);
    assert!(r.is_match(), "{r:#?}");
    let hit = &r.images[0];
    assert_eq!(
        hit.item,
        Item::Video {
            source: "bank".into(),
            video_id: "v1".into()
        }
    );
    assert_eq!(
        hit.metadata.media,
        MediaKind::VideoFrame {
            video_id: "v1".into(),
            timestamp_ms: 7000
        }
    );
}

/// `hashes_searched` counts the hashes searched, not every usable one: a query whose mirrored
/// hashes hit nothing has the mirror searched on its probe frames only (every 4th); one whose
/// mirrored hashes hit a stored frame has them searched on every frame. Low-quality hashes are
/// never searched.
#[test]
fn hashes_searched_counts_only_the_searched_hashes() {
    use mediamatch::video::{QueryFrame, QueryVideo};
    use mediamatch::{Dihedral, Hash256, PdqHash};
    let clip = synth(SEED, W, H, FPS, 14.0);
    let stored = VideoHasher::new()
        .hash_bytes(&encode_mp4(&clip, 24))
        .unwrap();
    let junk = |k: u64| {
        let mut b = [0u8; 32];
        let mut x = (k + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for v in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = x as u8;
        }
        PdqHash {
            hash: Hash256::from_bytes(b),
            quality: 100,
        }
    };
    let q = |mirror_hits: bool| QueryVideo {
        transforms: vec![Dihedral::Original, Dihedral::FlipY],
        frames: (0..8u64)
            .map(|k| QueryFrame {
                frame_number: k * 2,
                timestamp_ms: k * 125,
                hashes: vec![
                    // identity: a junk hash and a low-quality one (not searched)
                    vec![
                        junk(k),
                        PdqHash {
                            quality: 10,
                            ..junk(100 + k)
                        },
                    ],
                    vec![if mirror_hits {
                        stored[k as usize].hash
                    } else {
                        junk(200 + k)
                    }],
                ],
            })
            .collect(),
        layouts: Vec::new(),
    };
    let m = Matcher::new(MatchOptions::default());
    let r = m.match_query_video(snapshot(), &q(false));
    // 8 identity hashes + the mirror on frames 0 and 4
    assert_eq!((r.query_frames, r.hashes_searched), (8, 10), "{r:#?}");
    let r = m.match_query_video(snapshot(), &q(true));
    assert_eq!((r.query_frames, r.hashes_searched), (8, 16), "{r:#?}");
}
