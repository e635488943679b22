//! PDQ hashing speed on decoded RGB images (decoded pixels in, hash out).
//!
//! Sizes 512x512, 1024x768 and 3000x2000, single-threaded, plus a parallel batch. With
//! `MM_PDQ_BENCH_DIR=DIR` the images are read from the raw RGB24 files that
//! `../shared/bench/pdq_reference.py --dump DIR` writes (`WxH_NN.rgb`), so that both
//! implementations hash identical pixels in the same sitting; otherwise equivalent images are
//! generated here (PDQ's cost depends only on the size).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mediamatch::{LumaImage, PdqHasher, PdqMode};
use std::hint::black_box;

const SIZES: [(usize, usize); 3] = [(512, 512), (1024, 768), (3000, 2000)];

fn images(w: usize, h: usize) -> Vec<Vec<u8>> {
    if let Ok(dir) = std::env::var("MM_PDQ_BENCH_DIR") {
        let mut out = Vec::new();
        for i in 0..100 {
            let p = std::path::Path::new(&dir).join(format!("{w}x{h}_{i:02}.rgb"));
            match std::fs::read(&p) {
                Ok(b) if b.len() == w * h * 3 => out.push(b),
                _ => break,
            }
        }
        if !out.is_empty() {
            return out;
        }
        eprintln!("no {w}x{h} raw files in {dir}; generating");
    }
    (0..4)
        .map(|seed| {
            let mut s = 0x9e3779b97f4a7c15u64 ^ seed;
            (0..w * h * 3)
                .map(|k| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    let (x, y) = ((k / 3) % w, (k / 3) / w);
                    ((x * 255 / w + y * 255 / h) / 2 + (s % 24) as usize) as u8
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("pdq");
    g.sample_size(10);
    for (w, h) in SIZES {
        let imgs = images(w, h);
        g.throughput(Throughput::Elements(1));
        for (name, hasher) in [
            ("full", PdqHasher::new()),
            ("cli512", PdqHasher::new().with_mode(PdqMode::Cli512)),
        ] {
            g.bench_with_input(
                BenchmarkId::new(format!("rgb_to_hash_1thread_{name}"), format!("{w}x{h}")),
                &imgs,
                |b, imgs| {
                    let mut i = 0;
                    b.iter(|| {
                        i = (i + 1) % imgs.len();
                        black_box(hasher.hash_rgb8(&imgs[i], w, h, w * 3).unwrap())
                    })
                },
            );
        }
        g.bench_with_input(
            BenchmarkId::new("rgb_to_dihedral_1thread", format!("{w}x{h}")),
            &imgs,
            |b, imgs| {
                let hasher = PdqHasher::new();
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % imgs.len();
                    let l = LumaImage::from_rgb8(&imgs[i], w, h, w * 3).unwrap();
                    black_box(hasher.hash_dihedral(&l))
                })
            },
        );
        // All cores: a batch hashed through rayon.
        g.throughput(Throughput::Elements(imgs.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("rgb_to_hash_batch_all_cores", format!("{w}x{h}")),
            &imgs,
            |b, imgs| {
                use rayon::prelude::*;
                let hasher = PdqHasher::new();
                b.iter(|| {
                    let v: Vec<_> = imgs
                        .par_iter()
                        .map(|im| hasher.hash_rgb8(im, w, h, w * 3).unwrap())
                        .collect();
                    black_box(v)
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
