//! TMK+PDQF speed.
//!
//! * `tmk_hash/*` on `doorknob-hd-no-bar.mp4` (1280x720, 120 frames → 62 at 15 fps) from
//!   `../shared/vpdq-vectors/videos`: the FFmpeg path (feature `ffmpeg`) and the built-in
//!   decoder path against the reference's own pre-processing, the `ffmpeg` CLI command that
//!   `tmk-hash-video` runs (`-s 64:64 -pix_fmt rgb24 -r 15`), timed as a child process in the
//!   same sitting. The reference C++ `tmk-hash-video` itself is not installed on these
//!   machines (`../shared/bench` has no TMK script), so the CLI step is a lower bound of the
//!   reference's time; `tmk_hash/features_from_rgb64` is the part the reference does in C++
//!   (PDQF + Fourier features from the 62 captured frames).
//! * `tmk_search/*`: 100,000 stored videos, pure averages in the index, full features loaded
//!   for level-1 candidates (as a database would), per query: the level-1 scan alone, and
//!   level 1 + level 2 at the default thresholds (the number of level-2 candidates is
//!   printed), plus one level-2 pair.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use mediamatch::tmk::{level2, TmkBuilder, TmkFeatures, TmkIndex, TmkThresholds, FRAME_BYTES};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vpdq-vectors")
}

fn hashing(c: &mut Criterion) {
    let v = shared();
    let clip = v.join("videos/doorknob-hd-no-bar.mp4");
    if !clip.is_file() {
        eprintln!("SKIPPED tmk_hash: {} not found", clip.display());
        return;
    }
    let mut g = c.benchmark_group("tmk_hash");
    g.sample_size(10);
    if std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok()
    {
        g.bench_function("reference_ffmpeg_cli_step", |b| {
            b.iter(|| {
                let out = std::process::Command::new("ffmpeg")
                    .args(["-loglevel", "warning", "-hide_banner", "-nostdin", "-i"])
                    .arg(&clip)
                    .args(["-s", "64:64", "-an", "-f", "rawvideo", "-c:v", "rawvideo"])
                    .args(["-pix_fmt", "rgb24", "-r", "15", "pipe:1"])
                    .output()
                    .unwrap();
                assert_eq!(out.stdout.len(), 62 * FRAME_BYTES);
                out.stdout.len()
            })
        });
    } else {
        eprintln!("SKIPPED reference_ffmpeg_cli_step: no ffmpeg executable");
    }
    #[cfg(feature = "ffmpeg")]
    g.bench_function("mediamatch_ffmpeg", |b| {
        b.iter(|| {
            mediamatch::tmk::hash_video_ffmpeg(&clip, Default::default())
                .unwrap()
                .frame_count
        })
    });
    g.bench_function("mediamatch_builtin", |b| {
        b.iter(|| {
            mediamatch::tmk::hash_video_builtin(&clip, Default::default())
                .unwrap()
                .frame_count
        })
    });
    let rgb = v.join("tmk-regenerated-ffmpeg5.1/pdqf-frames/doorknob-hd-no-bar.rgb64");
    if let Ok(frames) = std::fs::read(&rgb) {
        g.bench_function("features_from_rgb64", |b| {
            b.iter(|| {
                mediamatch::tmk::hash_rgb64_frames(frames.chunks_exact(FRAME_BYTES))
                    .unwrap()
                    .frame_count
            })
        });
    }
    g.finish();
}

/// SplitMix64.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed;
    move || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A synthetic video of `frames` PDQF-like frames around a random base.
fn video(seed: u64, frames: usize) -> TmkFeatures {
    let mut r = rng(seed);
    let mut f = [0.0f32; 256];
    for x in f.iter_mut() {
        *x = (r() % 2000) as f32 - 1000.0;
    }
    let mut b = TmkBuilder::new();
    for _ in 0..frames {
        for x in f.iter_mut() {
            *x += (r() % 200) as f32 - 100.0;
        }
        b.push(&f);
    }
    b.finish()
}

fn search(c: &mut Criterion) {
    const N: u64 = 100_000;
    // Every stored entry has its own pure average: unrelated random videos, except 10 entries
    // (ids 5, 10005, ...) that are near-copies of the query video. 64 distinct full vectors
    // back the level-2 loads (entry id % 64).
    let bases: Vec<Arc<TmkFeatures>> = (0..64).map(|s| Arc::new(video(s, 30))).collect();
    let mut r = rng(7);
    let mut index = TmkIndex::new();
    for id in 0..N {
        let avg: Vec<f32> = if id % 10_000 == 5 {
            bases[5]
                .pure_average
                .iter()
                .map(|x| x + ((r() % 1000) as f32 - 500.0) * 0.02)
                .collect()
        } else {
            (0..256).map(|_| (r() % 2000) as f32 - 1000.0).collect()
        };
        index.insert_average(id, &avg).unwrap();
    }
    let query = bases[5].as_ref().clone();
    let t = TmkThresholds::default();
    let candidates = index.level1_candidates(&query, t.level1).len();
    let hits = index
        .search_with(&query, &t, |_, id| Some(bases[(*id % 64) as usize].clone()))
        .len();
    eprintln!("tmk_search: {N} stored, {candidates} level-1 candidates, {hits} matches per query");
    let mut g = c.benchmark_group("tmk_search");
    g.sample_size(10);
    g.bench_function("level1_scan_100k", |b| {
        b.iter(|| index.level1_candidates(&query, t.level1).len())
    });
    g.bench_function("level1_plus_level2_100k", |b| {
        b.iter(|| {
            index
                .search_with(&query, &t, |_, id| Some(bases[(*id % 64) as usize].clone()))
                .len()
        })
    });
    g.bench_function("level2_one_pair", |b| b.iter(|| level2(&query, &bases[9])));
    g.finish();
}

criterion_group!(benches, hashing, search);
criterion_main!(benches);
