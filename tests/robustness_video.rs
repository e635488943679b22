//! The video part of the robustness benchmark (`examples/common/video_bench.rs`) end to end on
//! two small videos made here: every transformed copy is made, encoded, hashed and judged, and
//! the results agree with what each transformation does.

use mediamatch::robustness::VideoTransform;

#[path = "../examples/common/video_bench.rs"]
mod video_bench;

use video_bench::make::{encode_mp4, synth};
use video_bench::{evaluate, process, BenchConfig, METHODS};

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn video_benchmark_on_two_generated_videos() {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "mediamatch-robustness-video-{}",
        std::process::id()
    )));
    std::fs::create_dir_all(&dir.0).unwrap();
    // 16 s at 10 fps, 160×120, two different landscapes
    let paths: Vec<_> = (0..2u64)
        .map(|k| {
            let p = dir.0.join(format!("v{k}.mp4"));
            std::fs::write(&p, encode_mp4(&synth(40 + k, 160, 120, 10, 16.0), 26)).unwrap();
            p
        })
        .collect();
    // the default low-bitrate quantiser (42) is too coarse for 160×120 frames to stay
    // recognisable; 36 still halves the size
    let cfg = BenchConfig {
        low_qp: 36,
        ..BenchConfig::default()
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let originals: Vec<_> = paths
        .iter()
        .map(|p| {
            process(p, &cfg, &|| {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap()
        })
        .collect();
    assert_eq!(done.into_inner(), 2 * cfg.transforms.len());
    for (o, p) in originals.iter().zip(&paths) {
        assert_eq!(&o.path, p);
        assert_eq!(o.frames, 160);
        assert_eq!(o.hashes.len(), 16);
        for (t, c) in cfg.transforms.iter().zip(&o.copies) {
            let c = c.as_ref().unwrap_or_else(|e| panic!("{t}: {e}"));
            // one hash per second of the copy
            let secs = match t {
                VideoTransform::Excerpt { .. } => 10,
                VideoTransform::Inserted { .. } => 30,
                _ => 16,
            };
            assert_eq!(c.query.frames.len(), secs, "{t}");
            // plain, and unletterboxed where the frame has bars (the letterboxed copy), under
            // each of the 8 transforms
            let alts = if *t == VideoTransform::Letterbox {
                2
            } else {
                1
            };
            assert!(
                c.query
                    .frames
                    .iter()
                    .all(|f| f.hashes.len() == 8 && f.hashes.iter().all(|a| a.len() == alts)),
                "{t}"
            );
        }
    }
    // a 30 s copy with 10 s of the original at 10 s, taken from the middle (seconds 3..13)
    let ins = cfg
        .transforms
        .iter()
        .position(|t| matches!(t, VideoTransform::Inserted { .. }))
        .unwrap();
    let p = originals[0].copies[ins].as_ref().unwrap().placement;
    assert_eq!(
        (p.copy_start_ms, p.original_start_ms, p.duration_ms),
        (10_000, 3_000, 10_000)
    );

    let report = evaluate(&originals, &cfg);
    let row = |name: &str| {
        let t = report.transforms.iter().position(|n| n == name).unwrap();
        &report.cells[t]
    };
    let recall = |name: &str, method: &str| {
        let m = METHODS.iter().position(|&x| x == method).unwrap();
        row(name)[m].recall()
    };
    eprintln!("{}", report.markdown(&cfg));
    for t in ["reencode", "half-res", "fps-24", "fps-15", "excerpt-10s"] {
        for m in METHODS {
            assert_eq!(recall(t, m), 1.0, "{t} {m}");
        }
    }
    // the excerpt in other footage: the reference's query % is about a third, so its rule
    // misses it; alignment finds and locates it
    for m in ["vpdq-cpp", "vpdq-pytx"] {
        assert_eq!(recall("inserted-10s", m), 0.0, "{m}");
    }
    for q in &row("inserted-10s")[1].query_pct {
        assert!((25.0..=45.0).contains(q), "{q}");
    }
    assert_eq!(recall("inserted-10s", "align"), 1.0);
    // letterbox: lost by plain vPDQ, won back by letterbox removal on the query side
    assert_eq!(recall("letterbox", "vpdq-pytx"), 0.0);
    for m in ["vpdq-cpp+unlb", "vpdq-pytx+unlb", "align+unlb"] {
        assert_eq!(recall("letterbox", m), 1.0, "{m}");
    }
    // mirror: lost without the dihedral query, found and located with it (one transform per
    // pair, the stored hashes plain)
    for m in ["vpdq-cpp", "vpdq-pytx", "align", "vpdq-pytx+unlb"] {
        assert_eq!(recall("mirror", m), 0.0, "{m}");
    }
    for m in ["align+dih", "align+dih+unlb"] {
        assert_eq!(recall("mirror", m), 1.0, "{m}");
    }
    // on these 160×120 clips the mirrored frames come back 30 bits away (median): the
    // bag-of-frames percentages rise from 0 but stay under the 80 % decision
    let pytx_dih = METHODS.iter().position(|&x| x == "vpdq-pytx+dih").unwrap();
    for q in &row("mirror")[pytx_dih].query_pct {
        assert!(*q > 0.0, "{q}");
    }
    for q in &row("mirror")[1].query_pct {
        assert_eq!(*q, 0.0);
    }
    // the low-bitrate copy is much smaller, and still located in time
    let size =
        |name: &str| report.mean_bytes[report.transforms.iter().position(|n| n == name).unwrap()];
    assert!(size("low-bitrate") * 2.0 < size("reencode"));
    assert_eq!(recall("low-bitrate", "align"), 1.0);
    // no false matches between the two distinct videos, for any copy or method
    for (t, r) in report.cells.iter().enumerate() {
        for (m, c) in r.iter().enumerate() {
            assert_eq!(
                c.distinct_pairs, 2,
                "{} {}",
                report.transforms[t], METHODS[m]
            );
            assert_eq!(
                c.false_matches, 0,
                "{} {}",
                report.transforms[t], METHODS[m]
            );
        }
    }
    assert!(report
        .originals
        .iter()
        .all(|c| c.false_matches == 0 && c.distinct_pairs == 2));
    // CSV: a header, one row per transformation and method, one per method for the originals
    let csv = report.csv(&cfg);
    assert_eq!(
        csv.lines().count(),
        1 + (cfg.transforms.len() + 1) * METHODS.len()
    );
    assert!(csv.lines().all(|l| l.split(',').count() == 21));
}
