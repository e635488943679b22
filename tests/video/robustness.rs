//! Robustness on videos the tests make: re-encoded copies match their original, an excerpt is
//! located in other footage, distinct videos do not match.

use std::sync::OnceLock;

use mediamatch::letterbox::LetterboxConfig;
use mediamatch::video::{
    align, match_percentages, AlignConfig, FrameHash, MatchRule, VideoConfig, VideoHasher,
};

use super::make::{decode, encode_mp4, synth, Clip};

const W: usize = 320;
const H: usize = 240;
const FPS: u32 = 15;

struct Original {
    decoded: Clip,
    hashes: Vec<FrameHash>,
}

fn hash(mp4: &[u8]) -> Vec<FrameHash> {
    VideoHasher::new().hash_bytes(mp4).unwrap()
}

fn original() -> &'static Original {
    static O: OnceLock<Original> = OnceLock::new();
    O.get_or_init(|| {
        let mp4 = encode_mp4(&synth(1, W, H, FPS, 12.0), 24);
        Original {
            decoded: decode(&mp4),
            hashes: hash(&mp4),
        }
    })
}

fn other_footage() -> &'static Clip {
    static O: OnceLock<Clip> = OnceLock::new();
    O.get_or_init(|| synth(2, W, H, FPS, 25.0))
}

fn assert_copy(name: &str, copy: &[FrameHash], orig: &[FrameHash]) {
    let p = match_percentages(copy, orig, MatchRule::pytx());
    let c = match_percentages(copy, orig, MatchRule::cpp());
    let d: Vec<u32> = copy
        .iter()
        .zip(orig)
        .map(|(a, b)| a.hash.hash.distance(&b.hash.hash))
        .collect();
    eprintln!(
        "{name}: pytx {:.1}/{:.1}, cpp {:.1}/{:.1}, same-second distances {d:?}",
        p.query, p.target, c.query, c.target
    );
    assert!(p.query >= 80.0 && p.target >= 80.0, "{name}: {p:?}");
    let segs = align(copy, orig, &AlignConfig::default());
    assert!(!segs.is_empty(), "{name}: no segment");
    let s = segs.iter().max_by_key(|s| s.frames_matched).unwrap();
    assert!(s.offset_ms().abs() <= 1000, "{name}: {s:?}");
    assert!(s.frames_matched >= copy.len() * 7 / 10, "{name}: {s:?}");
}

#[test]
fn sanity_of_original() {
    let o = original();
    assert_eq!(o.decoded.frames.len(), 12 * FPS as usize);
    assert_eq!(o.hashes.len(), 12);
    assert!(
        o.hashes.iter().all(|h| h.hash.quality >= 50),
        "{:?}",
        o.hashes
    );
    // consecutive seconds differ (moving content), so alignment has something to lock on
    for w in o.hashes.windows(2) {
        assert!(w[0].hash.hash.distance(&w[1].hash.hash) > 31);
    }
}

#[test]
fn low_bitrate_copy_matches() {
    let o = original();
    let low = encode_mp4(&o.decoded, 40);
    let orig = encode_mp4(&o.decoded, 24);
    eprintln!(
        "original re-encoded at QP 24: {} bytes; low-bitrate copy at QP 40: {} bytes",
        orig.len(),
        low.len()
    );
    assert!(low.len() * 3 < orig.len());
    let copy = hash(&low);
    assert_copy("low bitrate", &copy, &o.hashes);
}

#[test]
fn half_resolution_copy_matches() {
    let o = original();
    let copy = hash(&encode_mp4(&o.decoded.half(), 30));
    assert_copy("half resolution", &copy, &o.hashes);
}

#[test]
fn other_frame_rate_copy_matches() {
    let o = original();
    let copy = hash(&encode_mp4(&o.decoded.with_fps(10), 30));
    assert_eq!(copy.len(), 12);
    assert_copy("10 fps", &copy, &o.hashes);
}

#[test]
fn letterboxed_copy_matches_with_bar_removal() {
    let o = original();
    let mp4 = encode_mp4(&o.decoded.letterboxed(40), 30);
    let hasher = VideoHasher::with_config(
        VideoConfig::default().with_letterbox(Some(LetterboxConfig::default())),
    );
    let copy = hasher.hash_bytes(&mp4).unwrap();
    assert_copy("letterboxed", &copy, &o.hashes);
}

#[test]
fn excerpt_in_other_footage_is_located() {
    let o = original();
    let other = other_footage();
    // 15 s of other footage, then seconds 1..11 of the original, then 10 s more footage
    let query = other
        .cut(0.0, 15.0)
        .then(&o.decoded.cut(1.0, 11.0))
        .then(&other.cut(15.0, 25.0));
    let q = hash(&encode_mp4(&query, 30));
    assert_eq!(q.len(), 35);
    let segs = align(&q, &o.hashes, &AlignConfig::default());
    eprintln!("excerpt segments: {segs:?}");
    assert_eq!(segs.len(), 1, "{segs:?}");
    let s = segs[0];
    let near = |got: u64, want: u64| got.abs_diff(want) <= 1000;
    assert!(
        near(s.query_start_ms, 15_000) && near(s.query_end_ms, 24_000),
        "{s:?}"
    );
    assert!(
        near(s.known_start_ms, 1_000) && near(s.known_end_ms, 10_000),
        "{s:?}"
    );
    // the reference's percentages: most of the excerpt is found, a small share of the upload
    let p = match_percentages(&q, &o.hashes, MatchRule::pytx());
    assert!(p.target >= 70.0 && p.query < 40.0, "{p:?}");
}

#[test]
fn distinct_videos_do_not_match() {
    let o = original();
    let a = hash(&encode_mp4(&other_footage().cut(0.0, 12.0), 30));
    let b = hash(&encode_mp4(&synth(3, W, H, FPS, 12.0), 30));
    for (name, x, y) in [
        ("1-2", &o.hashes, &a),
        ("1-3", &o.hashes, &b),
        ("2-3", &a, &b),
    ] {
        for rule in [MatchRule::pytx(), MatchRule::cpp()] {
            let p = match_percentages(x, y, rule);
            assert!(p.query < 20.0 && p.target < 20.0, "{name}: {p:?}");
        }
        let segs = align(x, y, &AlignConfig::default());
        assert!(segs.is_empty(), "{name}: {segs:?}");
    }
}
