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

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mediamatch::video::{Backend, Mp4H264Source, Sampling, VideoConfig, VideoHasher, VideoLimits};

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
    for (name, backend) in backends {
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

criterion_group!(benches, bench);
criterion_main!(benches);
