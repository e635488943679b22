//! The matching layer end to end: region localisation on generated layouts, the one-call API
//! with its evidence and rules, and the `match` example against the library.

mod api;
mod cli;
mod crops;
mod layouts;
mod screens;

use image::{DynamicImage, Rgb, RgbImage};
use mediamatch::robustness::SplitMix64;

/// A small landscape-like picture: smooth gradients, a few discs and fine noise.
pub fn picture(seed: u64, w: u32, h: u32) -> DynamicImage {
    let mut rng = SplitMix64::new(seed);
    let discs: Vec<(f32, f32, f32, [u8; 3])> = (0..6)
        .map(|_| {
            (
                rng.next_f32() * w as f32,
                rng.next_f32() * h as f32,
                (0.08 + 0.15 * rng.next_f32()) * h as f32,
                [0, 1, 2].map(|_| (30.0 + 200.0 * rng.next_f32()) as u8),
            )
        })
        .collect();
    let (a, b) = (rng.next_f32() * 6.0, rng.next_f32() * 6.0);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32 / w as f32, y as f32 / h as f32);
        let mut c = [
            (120.0 + 100.0 * (a * xf + yf).sin()) as u8,
            (120.0 + 100.0 * (b * yf).cos()) as u8,
            (255.0 * xf * yf) as u8,
        ];
        for (cx, cy, r, col) in &discs {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            if dx * dx + dy * dy < r * r {
                c = *col;
            }
        }
        Rgb(c)
    });
    for v in img.iter_mut() {
        *v = (f32::from(*v) + 10.0 * rng.next_gaussian()).clamp(0.0, 255.0) as u8;
    }
    DynamicImage::ImageRgb8(img)
}

/// A unique scratch directory for one test.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("mediamatch-matcher-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
