//! Banked views of video frames ([`BankViews::video`]): a zoomed-in copy (a centre crop of
//! 15 % scaled back to the frame) and a copy tilted by 4° are not found against the plain
//! vPDQ of the original, and are found, at the true times, once every stored frame also
//! carries its derived views; a distinct video stays unmatched against the larger bank.

use std::sync::OnceLock;

use mediamatch::db::{Database, Metadata, Snapshot};
use mediamatch::matcher::{bank_video_bytes, BankViews, MatchOptions, MatchReport, Matcher};
use mediamatch::video::VideoHasher;
use mediamatch::PdqHasher;

use super::make::{encode_mp4, synth, synth_at, Clip};
use super::matcher::expect;

const W: usize = 320;
const H: usize = 240;
const FPS: u32 = 15;
const SEED: u64 = 77;

/// The 14 s original banked as `v1`, with (`true`) or without its frames' derived views.
fn snapshot(views: bool) -> &'static Snapshot {
    static PLAIN: OnceLock<std::sync::Arc<Snapshot>> = OnceLock::new();
    static VIEWS: OnceLock<std::sync::Arc<Snapshot>> = OnceLock::new();
    let cell = if views { &VIEWS } else { &PLAIN };
    cell.get_or_init(|| {
        let mp4 = encode_mp4(&synth(SEED, W, H, FPS, 14.0), 24);
        let set = if views {
            BankViews::video()
        } else {
            BankViews::none()
        };
        let frames = bank_video_bytes(&VideoHasher::new(), &PdqHasher::new(), &mp4, &set).unwrap();
        // the plain frame hashes are exactly those of an ordinary hash of the file
        let plain = VideoHasher::new().hash_bytes(&mp4).unwrap();
        assert_eq!(frames.iter().map(|f| f.frame).collect::<Vec<_>>(), plain);
        let mut db = Database::new();
        let mut neighbours = 0;
        for f in &frames {
            let n = f
                .views
                .iter()
                .filter(|v| v.how.starts_with("frame"))
                .count();
            assert!(n <= 2 * set.neighbour_frames as usize);
            assert_eq!(f.views.len() - n, set.count());
            neighbours += n;
            db.insert_many(f.entries("v1", &Metadata::new("bank")))
                .unwrap();
        }
        db.commit();
        assert_eq!(db.len(), 14 * (1 + set.count()) + neighbours);
        db.reader().snapshot()
    })
}

/// Each I420 plane of every frame resampled (bilinear) through `map`, which sends a point of
/// the output (pixel centres, in units of the luma plane, origin at the centre) to the point
/// of the input it shows; points outside the input are black.
fn warp(clip: &Clip, map: impl Fn(f32, f32) -> (f32, f32)) -> Clip {
    let (w, h) = (clip.width, clip.height);
    let mut out = clip.clone();
    for (o, f) in out.frames.iter_mut().zip(&clip.frames) {
        for (off, pw, ph, sub, black) in [
            (0, w, h, 1.0, 16.0),
            (w * h, w / 2, h / 2, 2.0, 128.0),
            (w * h + w * h / 4, w / 2, h / 2, 2.0, 128.0),
        ] {
            let src = &f[off..off + pw * ph];
            for y in 0..ph {
                for x in 0..pw {
                    let cx = (x as f32 + 0.5) * sub - w as f32 / 2.0;
                    let cy = (y as f32 + 0.5) * sub - h as f32 / 2.0;
                    let (sx, sy) = map(cx, cy);
                    let fx = (sx + w as f32 / 2.0) / sub - 0.5;
                    let fy = (sy + h as f32 / 2.0) / sub - 0.5;
                    let v =
                        if fx < -0.5 || fy < -0.5 || fx > pw as f32 - 0.5 || fy > ph as f32 - 0.5 {
                            black
                        } else {
                            let (x0, y0) = (fx.floor().max(0.0), fy.floor().max(0.0));
                            let (tx, ty) = ((fx - x0).clamp(0.0, 1.0), (fy - y0).clamp(0.0, 1.0));
                            let (x0, y0) = (x0 as usize, y0 as usize);
                            let (x1, y1) = ((x0 + 1).min(pw - 1), (y0 + 1).min(ph - 1));
                            let p = |xx: usize, yy: usize| src[yy * pw + xx] as f32;
                            let a = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
                            let b = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
                            a * (1.0 - ty) + b * ty
                        };
                    o[off + y * pw + x] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    out
}

/// Seconds 2–12 of the original, warped by `map`, matched against the bank.
fn query(views: bool, map: impl Fn(f32, f32) -> (f32, f32)) -> MatchReport {
    let times: Vec<f32> = (0..10 * FPS).map(|j| 2.0 + j as f32 / FPS as f32).collect();
    let copy = warp(&synth_at(SEED, W, H, FPS, &times), map);
    Matcher::new(MatchOptions::default())
        .match_bytes(snapshot(views), &encode_mp4(&copy, 26))
        .unwrap()
}

/// A zoom-in: the centre 85 % of each side scaled back to the frame.
fn zoom(x: f32, y: f32) -> (f32, f32) {
    (0.85 * x, 0.85 * y)
}

/// A tilt by 4° about the centre (same canvas, black corners).
fn tilt(x: f32, y: f32) -> (f32, f32) {
    let (s, c) = 4f32.to_radians().sin_cos();
    (c * x - s * y, s * x + c * y)
}

/// The report matched `v1` at the true times (query 0–10 s shows known 2–12 s) through
/// derived views whose names start with `view`.
fn expect_found(r: &MatchReport, view: &str) {
    expect(r, (0.0, 9.93), (2.0, 11.93), 1.0);
    let v = &r.videos[0];
    assert!(
        !v.derived_views.is_empty() && v.derived_views.keys().all(|k| k.starts_with(view)),
        "{:?}",
        v.derived_views
    );
}

#[test]
fn a_zoomed_copy_is_found_through_the_banked_centre_crops() {
    assert!(
        !query(false, zoom).is_match(),
        "plain vPDQ already finds it"
    );
    expect_found(&query(true, zoom), "crop-c");
}

#[test]
fn a_tilted_copy_is_found_through_the_banked_rotations() {
    assert!(
        !query(false, tilt).is_match(),
        "plain vPDQ already finds it"
    );
    expect_found(&query(true, tilt), "rot");
}

/// An unmodified excerpt matches no geometric view (its only view evidence is the temporal
/// neighbours, which the dense query's frames next to the stored ones meet), and a distinct
/// video is not matched against the bank with views.
#[test]
fn views_add_no_false_evidence() {
    let r = query(true, |x, y| (x, y));
    assert!(r.is_match(), "{r:#?}");
    assert!(
        r.videos[0]
            .derived_views
            .keys()
            .all(|k| k == "frame-1" || k == "frame+1"),
        "{:?}",
        r.videos[0].derived_views
    );
    let other = encode_mp4(&synth(SEED + 5, W, H, FPS, 10.0), 26);
    let r = Matcher::new(MatchOptions::default())
        .match_bytes(snapshot(true), &other)
        .unwrap();
    assert!(!r.is_match(), "{r:#?}");
}

/// `Matcher::bank_video_file` banks what `bank_video_bytes` computes: the same hashes, the
/// plain frame first, views marked derived, in frame order, one id each.
#[test]
fn matcher_banks_a_video_file_with_its_views() {
    let mp4 = encode_mp4(&synth(SEED + 9, W, H, FPS, 4.0), 24);
    let path = std::env::temp_dir().join(format!("mm-views-{}.mp4", std::process::id()));
    std::fs::write(&path, &mp4).unwrap();
    let set = BankViews::video();
    let mut db = Database::new();
    let ids = Matcher::new(MatchOptions::default())
        .bank_video_file(&mut db, &path, "v9", Metadata::new("bank"), Some(&set))
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let want: Vec<_> = bank_video_bytes(&VideoHasher::new(), &PdqHasher::new(), &mp4, &set)
        .unwrap()
        .iter()
        .flat_map(|f| f.entries("v9", &Metadata::new("bank")))
        .collect();
    let neighbours = want
        .iter()
        .filter(|e| {
            e.2.derived
                .as_deref()
                .is_some_and(|d| d.starts_with("frame"))
        })
        .count();
    assert_eq!(ids.len(), 4 * (1 + set.count()) + neighbours);
    assert_eq!(ids.len(), want.len());
    db.commit();
    let snap = db.reader().snapshot();
    for (id, (hash, quality, meta)) in ids.iter().zip(&want) {
        let e = snap.get(*id).unwrap();
        assert_eq!((e.hash, e.quality, e.metadata), (*hash, *quality, meta));
    }
}
