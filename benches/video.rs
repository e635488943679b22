//! Video hashing speed: a 720p H.264 file hashed at one frame per second (vPDQ default) and
//! keyframes only, built-in backend (and FFmpeg with the `ffmpeg` feature); `*/1fps` decodes
//! one video on all threads of the rayon pool, `*/1fps-1thread` on one, `builtin/1fps-decode-all`
//! decodes every frame on one thread (no skipping: the old baseline).
//!
//! `cargo bench --bench video`; the file is `$MEDIAMATCH_SHARED/vpdq-vectors/videos/
//! pattern-hd-no-bar.mp4` (720x1280, 30 fps, 206 frames, 7 hashed at 1 frame/s), or
//! `$MEDIAMATCH_BENCH_VIDEO` if set. Throughput is reported in hashed frames.
//!
//! For long files, `MEDIAMATCH_BENCH_QUICK=N` skips criterion and prints, per configuration,
//! the median wall time of N runs and the hashed frames per second (the same measure as
//! `../shared/bench/vpdq_reference.py`); `MEDIAMATCH_BENCH_ONLY=ffmpeg/1fps-1thread` runs one.
//!
//! `MEDIAMATCH_BENCH_QUERY=N` (with `MEDIAMATCH_BENCH_QUICK`) also times a robust query of the
//! file through the matching layer ([`Matcher::match_file`] at the default options: decode,
//! dense hashing with all transforms, search, verdict) against a database of `N` stored video
//! frame hashes (random, in videos of 600 frames, plus the file's own one-per-second hashes, so
//! the query also finds what it should), per backend, and checks the file is matched. The
//! database is built twice: with the default index (`Strategy::Auto`, which at 1 M hashes
//! stays a flat scan within its 48-byte memory budget) and with `Strategy::MultiIndex` (the
//! tables a latency-bound video matcher would choose; more memory per hash).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mediamatch::db::{Database, MediaKind, Metadata};
use mediamatch::index::{IndexConfig, Strategy};
use mediamatch::matcher::{MatchOptions, Matcher};
use mediamatch::video::{Backend, Mp4H264Source, Sampling, VideoConfig, VideoHasher, VideoLimits};
use mediamatch::Hash256;

fn video_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MEDIAMATCH_BENCH_VIDEO") {
        return Some(PathBuf::from(p));
    }
    let shared = std::env::var_os("MEDIAMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let p = shared.join("vpdq-vectors/videos/pattern-hd-no-bar.mp4");
    p.exists().then_some(p)
}

fn bench(c: &mut Criterion) {
    let Some(path) = video_path() else {
        eprintln!(
            "video bench skipped: no 720p file (set MEDIAMATCH_SHARED or MEDIAMATCH_BENCH_VIDEO)"
        );
        return;
    };
    if let Some(runs) = std::env::var("MEDIAMATCH_BENCH_QUICK")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        quick(&path, runs.max(1));
        return;
    }
    let mut backends = vec![("builtin", Backend::Builtin)];
    if cfg!(feature = "ffmpeg") {
        backends.push(("ffmpeg", Backend::Ffmpeg));
    }
    let mut g = c.benchmark_group("video");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, backend) in backends {
        for (sname, sampling, parallel) in [
            ("1fps", Sampling::Interval { millis: 1000 }, true),
            ("1fps-1thread", Sampling::Interval { millis: 1000 }, false),
            ("keyframes", Sampling::Keyframes, true),
        ] {
            let hasher = VideoHasher::with_config(
                VideoConfig::default()
                    .with_backend(backend)
                    .with_sampling(sampling)
                    .with_parallel(parallel),
            );
            let n = hasher.hash_file(&path).expect("bench video").len();
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(format!("{name}/{sname}"), |b| {
                b.iter(|| hasher.hash_file(&path).expect("bench video"))
            });
        }
    }
    // the same 1 frame/s work with every frame decoded, on one thread (to measure the skipping)
    let hasher = VideoHasher::new();
    let n = hasher.hash_file(&path).expect("bench video").len();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("builtin/1fps-decode-all", |b| {
        b.iter(|| {
            let mut src = Mp4H264Source::open(&path, VideoLimits::default()).expect("bench video");
            src.set_skip_non_reference(false);
            src.set_skip_gop_tails(false);
            hasher
                .frames(src)
                .collect::<Result<Vec<_>, _>>()
                .expect("bench video")
        })
    });
    g.finish();
}

fn quick(path: &std::path::Path, runs: usize) {
    let mut backends = vec![("builtin", Backend::Builtin)];
    if cfg!(feature = "ffmpeg") {
        backends.push(("ffmpeg", Backend::Ffmpeg));
    }
    if let Some(n) = std::env::var("MEDIAMATCH_BENCH_QUERY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        quick_query(path, runs, n, &backends);
    }
    for &(name, backend) in &backends {
        for (sname, parallel) in [("1fps", true), ("1fps-1thread", false)] {
            let id = format!("{name}/{sname}");
            if std::env::var("MEDIAMATCH_BENCH_ONLY").is_ok_and(|o| o != id) {
                continue;
            }
            let hasher = VideoHasher::with_config(
                VideoConfig::default()
                    .with_backend(backend)
                    .with_parallel(parallel),
            );
            let mut times = Vec::new();
            let mut n = 0;
            for _ in 0..runs {
                let t = std::time::Instant::now();
                n = hasher.hash_file(path).expect("bench video").len();
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let wall = times[times.len() / 2];
            println!(
                "video/{name}/{sname}: {n} frames hashed, median wall {wall:.3} s of {runs}, {:.2} frames hashed/s",
                n as f64 / wall
            );
        }
    }
}

/// The robust query timing of `MEDIAMATCH_BENCH_QUERY` (see the module docs).
fn quick_query(path: &std::path::Path, runs: usize, n: usize, backends: &[(&str, Backend)]) {
    let mut state = 0x006d_6d76_6964_656f_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let own = VideoHasher::new().hash_file(path).expect("bench video");
    // The same random bank for both strategies (videos of 600 frames), then the file's own.
    let random: Vec<Hash256> = (0..n)
        .map(|_| Hash256::from_limbs([next(), next(), next(), next()]))
        .collect();
    let frame = |video_id: String, timestamp_ms: u64| {
        Metadata::new("bench").media(MediaKind::VideoFrame {
            video_id,
            timestamp_ms,
        })
    };
    for (sname, strategy) in [
        ("flat", Strategy::Auto),
        ("multi-index", Strategy::MultiIndex),
    ] {
        let mut db =
            Database::with_config(IndexConfig::default().strategy(strategy)).expect("config");
        db.insert_many(random.iter().enumerate().map(|(i, h)| {
            let m = frame(format!("v{}", i / 600), (i % 600) as u64 * 1000);
            (*h, Some(100), m)
        }))
        .expect("insert");
        for f in &own {
            db.insert_pdq(f.hash, frame("the-file".into(), f.timestamp_ms))
                .expect("insert");
        }
        db.commit();
        let snap = db.reader().snapshot();
        for &(name, backend) in backends {
            let matcher = Matcher::with_hashers(
                mediamatch::PdqHasher::new(),
                VideoHasher::with_config(VideoConfig::default().with_backend(backend)),
                MatchOptions::default(),
            );
            let mut times = Vec::new();
            let mut report = None;
            for _ in 0..runs {
                let t = std::time::Instant::now();
                report = Some(matcher.match_file(&snap, path).expect("bench video"));
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let r = report.expect("one run");
            let found = r
                .videos
                .iter()
                .any(|v| v.matched && v.video_id == "the-file");
            println!(
                "video/{name}/robust-query-{sname}: {} query frames, {} hashes searched against {} stored, \
                 matched: {found}, median wall {:.3} s of {runs}",
                r.query_frames,
                r.hashes_searched,
                snap.len(),
                times[times.len() / 2]
            );
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
