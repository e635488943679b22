//! Query cost of the matching layer: decode + plan + search of one JPEG upload against a
//! database of 1 M stored hashes (`MM_BENCH_N`; 20 000 under `cargo bench -- --test`), at the
//! robust default ([`MatchOptions::default`]) and at the reference behaviour
//! ([`MatchOptions::plain`]), measured in the same sitting; also the plan alone. Report the
//! ratio robust / plain. `robust-no-crop-guesses` is the robust default without the
//! query-side crop guesses ([`MatchOptions::crop_guesses`]): their added cost;
//! `robust-luma-only` the robust default whose region detector ignores colour
//! (`RegionConfig::chroma` 0): the colour's added cost; `robust-no-quads` the robust default
//! without the quadrilaterals ([`MatchOptions::quads`], photos of a screen): their added cost;
//! `robust-no-enlarge` the robust default hashing small views as cut
//! ([`MatchOptions::enlarge`]): the enlargement's added cost.
//!
//! The upload is a generated 1024x768 picture with a caption bar above it, JPEG quality 85.

use std::io::Cursor;

use criterion::Criterion;
use image::{DynamicImage, Rgb, RgbImage};
use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{MatchOptions, Matcher};
use mediamatch::region::RegionConfig;
use mediamatch::Hash256;

#[path = "../tests/rng.rs"]
mod rng;
use rng::rng;

fn upload() -> Vec<u8> {
    let (w, h) = (1024u32, 768u32);
    let mut next = rng(7);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32 / w as f32, y as f32 / h as f32);
        Rgb([
            (120.0 + 100.0 * (5.0 * xf + yf).sin()) as u8,
            (120.0 + 100.0 * (3.0 * yf).cos()) as u8,
            (255.0 * xf * yf) as u8,
        ])
    });
    for v in img.iter_mut() {
        *v = v.saturating_add((next() % 12) as u8);
    }
    let mut canvas = RgbImage::from_pixel(w, h + 160, Rgb([250, 250, 250]));
    image::imageops::replace(&mut canvas, &img, 0, 160);
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(canvas)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("encode");
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let n: usize = std::env::var("MM_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 1_000_000 });
    let mut next = rng(0x6d61);
    let mut db = Database::new();
    db.insert_many((0..n).map(|i| {
        (
            Hash256::from_limbs([next(), next(), next(), next()]),
            Some(100),
            Metadata::new("bench").content_id(i.to_string()),
        )
    }))
    .expect("insert");
    db.commit();
    let snap = db.reader().snapshot();
    let bytes = upload();
    let robust = Matcher::new(MatchOptions::default());
    let plain = Matcher::new(MatchOptions::plain());
    // the robust default before the crop guesses: their added cost
    let previous = Matcher::new(MatchOptions::default().with_crop_guesses(None));
    let mut luma_cfg = RegionConfig::default();
    luma_cfg.chroma = 0.0;
    let luma_only = Matcher::new(MatchOptions::default().with_regions(Some(luma_cfg)));
    let no_quads = Matcher::new(MatchOptions::default().with_quads(None));
    let no_enlarge = Matcher::new(MatchOptions::default().with_enlarge(None));
    let img = image::load_from_memory(&bytes).expect("decode");
    eprintln!(
        "{n} stored hashes; robust plan: {} hashes, without crop guesses: {}, luma only: {}, \
         plain: {}",
        robust.plan_image(&img).hashes.len(),
        previous.plan_image(&img).hashes.len(),
        luma_only.plan_image(&img).hashes.len(),
        plain.plan_image(&img).hashes.len()
    );
    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut g = c.benchmark_group(format!("match_bytes_{n}"));
    g.bench_function("plain", |b| {
        b.iter(|| plain.match_bytes(&snap, &bytes).expect("match"))
    });
    g.bench_function("robust", |b| {
        b.iter(|| robust.match_bytes(&snap, &bytes).expect("match"))
    });
    g.bench_function("robust-no-crop-guesses", |b| {
        b.iter(|| previous.match_bytes(&snap, &bytes).expect("match"))
    });
    g.bench_function("robust-luma-only", |b| {
        b.iter(|| luma_only.match_bytes(&snap, &bytes).expect("match"))
    });
    g.bench_function("robust-no-quads", |b| {
        b.iter(|| no_quads.match_bytes(&snap, &bytes).expect("match"))
    });
    g.bench_function("robust-no-enlarge", |b| {
        b.iter(|| no_enlarge.match_bytes(&snap, &bytes).expect("match"))
    });
    g.finish();
    let mut g = c.benchmark_group("plan");
    g.bench_function("plain", |b| b.iter(|| plain.plan_image(&img)));
    g.bench_function("robust", |b| b.iter(|| robust.plan_image(&img)));
    g.bench_function("robust-no-crop-guesses", |b| {
        b.iter(|| previous.plan_image(&img))
    });
    g.bench_function("robust-luma-only", |b| {
        b.iter(|| luma_only.plan_image(&img))
    });
    g.bench_function("robust-no-quads", |b| b.iter(|| no_quads.plan_image(&img)));
    g.bench_function("robust-no-enlarge", |b| {
        b.iter(|| no_enlarge.plan_image(&img))
    });
    g.finish();
    c.final_summary();
}
