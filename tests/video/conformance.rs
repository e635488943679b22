//! Conformance with the vPDQ reference on the shared vectors.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use mediamatch::video::{match_percentages, vpdq, FrameHash, MatchRule, Sampling, VideoHasher};

use super::support::{vectors, VIDEOS};

/// Every frame of the 9 videos, hashed once for all tests that need it.
fn every_frame(dir: &Path) -> &'static BTreeMap<&'static str, Vec<FrameHash>> {
    static CACHE: OnceLock<BTreeMap<&'static str, Vec<FrameHash>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let hasher = VideoHasher::new().with_sampling(Sampling::EveryFrame);
        let paths: Vec<_> = VIDEOS
            .iter()
            .map(|v| dir.join("videos").join(format!("{v}.mp4")))
            .collect();
        let res = hasher.hash_files(&paths);
        VIDEOS
            .iter()
            .zip(res)
            .map(|(v, r)| (*v, r.unwrap_or_else(|e| panic!("{v}: {e}"))))
            .collect()
    })
}

/// Distance histogram line.
fn histogram(ds: &[u32]) -> String {
    let mut h: BTreeMap<u32, usize> = BTreeMap::new();
    for &d in ds {
        *h.entry(d).or_default() += 1;
    }
    h.iter()
        .map(|(d, n)| format!("{d}:{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Frame numbers and timestamps equal FFmpeg 5.1's `vpdq-hash-video -r 1`; hashes with
/// quality ≥ 50 within 8 bits. Prints the share of identical hashes and the distances.
#[test]
fn one_per_second_matches_regenerated_ffmpeg51() {
    let Some(dir) = vectors() else { return };
    let hasher = VideoHasher::new();
    let paths: Vec<_> = VIDEOS
        .iter()
        .map(|v| dir.join("videos").join(format!("{v}.mp4")))
        .collect();
    let ours_all = hasher.hash_files(&paths);
    let (mut total, mut identical) = (0, 0);
    let mut all_d = Vec::new();
    let mut failures = Vec::new();
    for (v, ours) in VIDEOS.iter().zip(ours_all) {
        let ours = ours.unwrap_or_else(|e| panic!("{v}: {e}"));
        let theirs = vpdq::read_file(
            dir.join("regenerated-ffmpeg5.1/one-per-second")
                .join(format!("{v}.txt")),
        )
        .unwrap();
        let key = |f: &[FrameHash]| {
            f.iter()
                .map(|h| (h.frame_number, h.timestamp_ms))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&ours), key(&theirs), "{v}: frame numbers / timestamps");
        let mut ds = Vec::new();
        for (a, b) in ours.iter().zip(&theirs) {
            let d = a.hash.hash.distance(&b.hash.hash);
            ds.push(d);
            total += 1;
            identical += (d == 0) as usize;
            if a.hash.quality >= 50 && b.hash.quality >= 50 && d > 8 {
                failures.push(format!("{v} frame {}: {d} bits", a.frame_number));
            }
        }
        eprintln!(
            "{v}: {} frames, distances {}, quality diffs {:?}",
            ours.len(),
            histogram(&ds),
            ours.iter()
                .zip(&theirs)
                .filter(|(a, b)| a.hash.quality != b.hash.quality)
                .map(|(a, b)| (a.frame_number, a.hash.quality, b.hash.quality))
                .collect::<Vec<_>>()
        );
        all_d.extend(ds);
    }
    eprintln!(
        "one-per-second: {identical}/{total} hashes identical to FFmpeg 5.1; distances {}",
        histogram(&all_d)
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every frame: the same comparison against `regenerated-ffmpeg5.1/every-frame`.
#[test]
fn every_frame_matches_regenerated_ffmpeg51() {
    let Some(dir) = vectors() else { return };
    let ours = every_frame(&dir);
    let (mut total, mut identical) = (0, 0);
    let mut all_d = Vec::new();
    let mut failures = Vec::new();
    for (v, ours) in ours {
        let theirs = vpdq::read_file(
            dir.join("regenerated-ffmpeg5.1/every-frame")
                .join(format!("{v}.txt")),
        )
        .unwrap();
        assert_eq!(ours.len(), theirs.len(), "{v}: frame count");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                (a.frame_number, a.timestamp_ms),
                (b.frame_number, b.timestamp_ms),
                "{v}"
            );
            let d = a.hash.hash.distance(&b.hash.hash);
            all_d.push(d);
            total += 1;
            identical += (d == 0) as usize;
            if a.hash.quality >= 50 && b.hash.quality >= 50 && d > 8 {
                failures.push(format!("{v} frame {}: {d} bits", a.frame_number));
            }
        }
    }
    eprintln!(
        "every frame: {identical}/{total} hashes identical to FFmpeg 5.1; distances {}",
        histogram(&all_d)
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

fn sample_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("sample-hashes"))
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            (n.ends_with(".txt") && !n.contains("-128x128")).then_some(n)
        })
        .collect();
    v.sort();
    v
}

/// Reading then writing every shared vPDQ file gives back the same bytes.
#[test]
fn vpdq_text_round_trip() {
    let Some(dir) = vectors() else { return };
    let mut n = 0;
    for sub in [
        "sample-hashes",
        "regenerated-ffmpeg5.1/every-frame",
        "regenerated-ffmpeg5.1/every-frame-128x128",
        "regenerated-ffmpeg5.1/one-per-second",
    ] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let frames = vpdq::parse_lines(&text).unwrap();
            assert!(!frames.is_empty());
            assert_eq!(vpdq::write_lines(&frames), text, "{}", p.display());
            n += 1;
        }
    }
    assert!(n >= 50, "{n} files");
}

fn expected_csv(dir: &Path) -> Vec<(String, String, [f64; 4])> {
    let text = std::fs::read_to_string(dir.join("expected-match-percentages.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].trim().parse::<f64>().unwrap();
            (f[0].to_string(), f[1].to_string(), [n(2), n(3), n(4), n(5)])
        })
        .collect()
}

/// Both rules on the committed sample hashes reproduce the table (which was computed from
/// them) to its printed precision.
#[test]
fn match_percentages_equal_expected_table() {
    let Some(dir) = vectors() else { return };
    let files = sample_files(&dir);
    let hashes: BTreeMap<String, Vec<FrameHash>> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                vpdq::read_file(dir.join("sample-hashes").join(f)).unwrap(),
            )
        })
        .collect();
    let rows = expected_csv(&dir);
    assert_eq!(rows.len(), files.len() * files.len());
    let mut bad = Vec::new();
    for (q, t, want) in &rows {
        let c = match_percentages(&hashes[q], &hashes[t], MatchRule::cpp());
        let p = match_percentages(&hashes[q], &hashes[t], MatchRule::pytx());
        let got = [c.query, c.target, p.query, p.target];
        for k in 0..4 {
            let tol = if k < 2 { 0.005 + 1e-9 } else { 0.00005 + 1e-9 };
            if (got[k] - want[k]).abs() > tol {
                bad.push(format!(
                    "{q} vs {t} col {k}: got {} want {}",
                    got[k], want[k]
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{} mismatches: {bad:#?}", bad.len());
}

/// From our own every-frame decoding of the 9 videos, both rules are within 2 points of the
/// table for every ordered pair of those videos.
#[test]
fn match_percentages_from_own_decoding_within_2_points() {
    let Some(dir) = vectors() else { return };
    let ours = every_frame(&dir);
    let rows = expected_csv(&dir);
    let mut worst = 0.0f64;
    let mut bad = Vec::new();
    let mut n = 0;
    for (q, t, want) in &rows {
        let (Some(qh), Some(th)) = (
            ours.get(q.trim_end_matches(".txt")),
            ours.get(t.trim_end_matches(".txt")),
        ) else {
            continue;
        };
        n += 1;
        let c = match_percentages(qh, th, MatchRule::cpp());
        let p = match_percentages(qh, th, MatchRule::pytx());
        let got = [c.query, c.target, p.query, p.target];
        for k in 0..4 {
            let d = (got[k] - want[k]).abs();
            worst = worst.max(d);
            if d > 2.0 {
                bad.push(format!(
                    "{q} vs {t} col {k}: got {:.4} want {}",
                    got[k], want[k]
                ));
            }
        }
    }
    eprintln!("own decoding: {n} ordered pairs, largest percentage difference {worst:.4} points");
    assert_eq!(n, 81);
    assert!(
        bad.is_empty(),
        "{} off by more than 2 points: {bad:#?}",
        bad.len()
    );
}
