//! Bit-exact stages: `.tmk` bytes, PDQF per frame, features from frames, scores, frame selection.

use std::collections::HashMap;

use mediamatch::tmk::resample::CfrSelector;
use mediamatch::tmk::{
    coeffs, level1, level1_normalised, level2, pdqf_from_rgb64, score_pair, TmkBuilder,
    TmkFeatures, TmkThresholds, FRAME_BYTES, PERIODS,
};

use super::{label_path, vectors, CLIPS};

#[test]
fn reference_files_round_trip_byte_for_byte() {
    let Some(v) = vectors() else { return };
    let mut files: Vec<_> = CLIPS
        .iter()
        .map(|c| v.join(format!("tmk-regenerated-ffmpeg5.1/{c}.tmk")))
        .collect();
    files.push(v.join("tmk-sample-hashes/chair-19-sd-bar.tmk"));
    files.push(v.join("tmk-sample-hashes/chair-20-sd-bar.tmk"));
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let tmk = TmkFeatures::from_bytes(&bytes).unwrap();
        assert_eq!(tmk.to_bytes(), bytes, "{}", f.display());
        assert_eq!(tmk.encoded_len(), 263_344);
        assert_eq!(tmk.periods, PERIODS);
        assert_eq!(tmk.coeffs, coeffs());
        assert_eq!(tmk.fps, 15);
        // Invariants the README states: sin[p][0] is zero, cos[p][0] equal across periods,
        // every other vector has norm sqrt(a_j).
        for p in 0..4 {
            assert!(tmk.sin_vec(p, 0).iter().all(|x| *x == 0.0));
            assert_eq!(tmk.cos_vec(p, 0), tmk.cos_vec(0, 0));
            for j in 1..32 {
                let n: f64 = tmk.cos_vec(p, j).iter().map(|x| (*x as f64).powi(2)).sum();
                let want = tmk.coeffs[j] as f64;
                assert!((n - want).abs() <= 1e-5 * want + 1e-12, "{p} {j}");
            }
        }
    }
    // Written through the file API too.
    let bytes = std::fs::read(v.join("tmk-regenerated-ffmpeg5.1/chair-19-sd-bar.tmk")).unwrap();
    let out = std::env::temp_dir().join(format!("mm-tmk-{}.tmk", std::process::id()));
    TmkFeatures::from_bytes(&bytes)
        .unwrap()
        .write_file(&out)
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert_eq!(TmkFeatures::read_file(&out).unwrap().frame_count, 284);
    std::fs::remove_file(&out).ok();
}

/// The reference's PDQF floats of the 62 doorknob frames (printed `%.9g`, which round-trips).
fn reference_pdqf(v: &std::path::Path) -> Vec<[f32; 256]> {
    let csv = std::fs::read_to_string(
        v.join("tmk-regenerated-ffmpeg5.1/pdqf-frames/doorknob-hd-no-bar.csv"),
    )
    .unwrap();
    csv.lines()
        .skip(1)
        .map(|l| {
            let vals: Vec<f32> = l.split(',').skip(2).map(|x| x.parse().unwrap()).collect();
            vals.try_into().unwrap()
        })
        .collect()
}

#[test]
fn pdqf_of_reference_frames_is_bit_exact_and_builds_the_reference_tmk() {
    let Some(v) = vectors() else { return };
    let dir = v.join("tmk-regenerated-ffmpeg5.1/pdqf-frames");
    let rgb = std::fs::read(dir.join("doorknob-hd-no-bar.rgb64")).unwrap();
    let want = reference_pdqf(&v);
    assert_eq!(rgb.len(), want.len() * FRAME_BYTES);
    assert_eq!(want.len(), 62);
    let mut builder = TmkBuilder::new();
    for (t, (frame, want)) in rgb.chunks_exact(FRAME_BYTES).zip(&want).enumerate() {
        let got = pdqf_from_rgb64(frame.try_into().unwrap());
        for k in 0..256 {
            assert_eq!(got[k].to_bits(), want[k].to_bits(), "frame {t} feature {k}");
        }
        builder.push(&got);
    }
    let reference =
        std::fs::read(v.join("tmk-regenerated-ffmpeg5.1/doorknob-hd-no-bar.tmk")).unwrap();
    let ours = builder.finish().to_bytes();
    assert_eq!(ours.len(), reference.len());
    let diff = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "{diff} bytes differ from the reference .tmk");
}

fn load(v: &std::path::Path, label: &str, cache: &mut HashMap<String, TmkFeatures>) -> TmkFeatures {
    cache
        .entry(label.to_owned())
        .or_insert_with(|| TmkFeatures::read_file(label_path(v, label)).unwrap())
        .clone()
}

/// Every ordered pair of `scores.csv`: the float32 scores bit for bit (`%.9g` parses back to the
/// exact float), the `%.6f` columns, and the verdicts.
#[test]
fn scores_csv_is_reproduced() {
    let Some(v) = vectors() else { return };
    let csv = std::fs::read_to_string(v.join("tmk-regenerated-ffmpeg5.1/scores.csv")).unwrap();
    let mut cache = HashMap::new();
    let mut rows = 0;
    let mut matches = 0;
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let a = load(&v, c[0], &mut cache);
        let b = load(&v, c[1], &mut cache);
        let (l1, l2, l1n) = (level1(&a, &b), level2(&a, &b), level1_normalised(&a, &b));
        let f = |s: &str| s.parse::<f32>().unwrap();
        assert_eq!(l1.to_bits(), f(c[2]).to_bits(), "level1 {} {}", c[0], c[1]);
        assert_eq!(l2.to_bits(), f(c[3]).to_bits(), "level2 {} {}", c[0], c[1]);
        assert_eq!(
            l1n.to_bits(),
            f(c[4]).to_bits(),
            "level1 normalised {} {}",
            c[0],
            c[1]
        );
        // tmk-query prints the normalised level 1 and the query-as-A level 2 with %.6f.
        assert_eq!(format!("{l1n:.6}"), c[7], "{line}");
        assert_eq!(format!("{l2:.6}"), c[8], "{line}");
        // tmk-two-level-score scores the pair with the name that sorts first as A.
        let (first, second) = if c[0] <= c[1] { (&a, &b) } else { (&b, &a) };
        assert_eq!(format!("{:.6}", level1(first, second)), c[5], "{line}");
        assert_eq!(format!("{:.6}", level2(first, second)), c[6], "{line}");
        let s = score_pair(&a, &b, &TmkThresholds::default());
        let verdict = if s.is_match(&TmkThresholds::default()) {
            "match"
        } else {
            "no"
        };
        assert_eq!(verdict == "match", c[9] == "match", "{line}");
        matches += (verdict == "match") as usize;
        rows += 1;
    }
    assert_eq!(rows, 121);
    assert_eq!(matches, 35);
}

/// The CFR rule reproduces the reference's 15 fps frame selection for every clip.
#[test]
fn cfr_selection_matches_frame_selection_csv() {
    let Some(v) = vectors() else { return };
    let csv =
        std::fs::read_to_string(v.join("tmk-regenerated-ffmpeg5.1/frame-selection.csv")).unwrap();
    let mut by_clip: HashMap<&str, Vec<usize>> = HashMap::new();
    for l in csv.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        by_clip.entry(c[0]).or_default().push(c[2].parse().unwrap());
    }
    assert_eq!(by_clip.len(), 9);
    for (clip, want) in by_clip {
        let n = want.last().unwrap() + 1;
        let mut sel = CfrSelector::new(15.0);
        let mut got = Vec::new();
        for i in 0..n {
            let e = sel.push(i as f64 / 30.0, 1.0 / 30.0);
            assert_eq!(e.previous, 0);
            for _ in 0..e.current {
                got.push(i);
            }
        }
        assert_eq!(got, want, "{clip}");
    }
}
