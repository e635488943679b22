//! Writes the small synthetic test pictures in `examples/media/` that the robustness benchmark
//! runs on out of the box. Deterministic: the same files come out on every machine.
//!
//! ```text
//! cargo run --release --example gen_media -- [OUTDIR]   # default examples/media
//! ```
//!
//! Each picture is a made-up landscape: a sky gradient, a sun, two hill lines, houses, trees and
//! fine texture, all drawn from a seeded SplitMix64, then saved as JPEG quality 90.
//!
//! Also two short videos, `clip-00.mp4` and `clip-01.mp4` (320×240, 15 fps, 20 s): textured
//! landscapes panning and zooming, made by the video tests' generator (`tests/video/make.rs`),
//! encoded with OpenH264 at quantiser 34 into an MP4, so that the robustness benchmark covers
//! video on the shipped media too.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use mediamatch::robustness::SplitMix64;

const COUNT: u64 = 16;

#[allow(dead_code)]
#[path = "../tests/video/make.rs"]
mod make;

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

fn colour(rng: &mut SplitMix64) -> [f32; 3] {
    [0, 1, 2].map(|_| 40.0 + 200.0 * rng.next_f32())
}

fn scene(seed: u64, w: u32, h: u32) -> RgbImage {
    let mut rng = SplitMix64::new(seed);
    let sky_top = colour(&mut rng);
    let sky_bottom = colour(&mut rng);
    let ground = [colour(&mut rng), colour(&mut rng)];
    let (wf, hf) = (w as f32, h as f32);
    // Two hill lines: sums of three sines each.
    let hills: Vec<[(f32, f32, f32); 3]> = (0..2)
        .map(|_| {
            [0, 1, 2].map(|k| {
                (
                    (0.02 + 0.08 * rng.next_f32()) * hf / (k as f32 + 1.0),
                    (1.0 + 6.0 * rng.next_f32()) * std::f32::consts::TAU / wf,
                    std::f32::consts::TAU * rng.next_f32(),
                )
            })
        })
        .collect();
    let base = [0.45 + 0.15 * rng.next_f32(), 0.65 + 0.15 * rng.next_f32()];
    let sun = (
        wf * rng.next_f32(),
        hf * 0.3 * rng.next_f32(),
        hf * (0.05 + 0.1 * rng.next_f32()),
    );
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let t = yf / hf;
        let mut c = [0, 1, 2].map(|i| lerp(sky_top[i], sky_bottom[i], t));
        let (dx, dy) = (xf - sun.0, yf - sun.1);
        if dx * dx + dy * dy < sun.2 * sun.2 {
            c = [250.0, 235.0, 180.0];
        }
        for (layer, hill) in hills.iter().enumerate() {
            let line = hf * base[layer]
                + hill
                    .iter()
                    .map(|(a, f, p)| a * (f * xf + p).sin())
                    .sum::<f32>();
            if yf > line {
                let shade = 0.7 + 0.3 * ((yf - line) / hf * 4.0).min(1.0);
                c = ground[layer].map(|v| v * shade);
            }
        }
        Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
    });
    // Houses and trees.
    let objects = 4 + rng.below(6);
    for _ in 0..objects {
        let ox = rng.below(w as u64) as i64;
        let oy = (hf * (0.5 + 0.4 * rng.next_f32())) as i64;
        let size = (hf * (0.06 + 0.12 * rng.next_f32())) as i64;
        let c = colour(&mut rng).map(|v| v as u8);
        let house = rng.below(2) == 0;
        for yy in -size..=size {
            for xx in -size..=size {
                let inside = if house {
                    yy >= 0 || xx.abs() <= size + yy // a square body with a roof
                } else {
                    xx * xx + yy * yy <= size * size
                };
                let (px, py) = (ox + xx, oy + yy);
                if inside && px >= 0 && py >= 0 && px < w as i64 && py < h as i64 {
                    img.put_pixel(px as u32, py as u32, Rgb(c));
                }
            }
        }
    }
    // Fine texture, as sensor noise and grass would give.
    for v in img.iter_mut() {
        *v = (*v as f32 + 6.0 * rng.next_gaussian()).clamp(0.0, 255.0) as u8;
    }
    img
}

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Write the synthetic pictures and clips the robustness benchmark runs on out of the box",
    after_help = "Exit status: 0 = written, 2 = error."
)]
struct Args {
    /// Output directory.
    #[arg(default_value = "examples/media")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match write_all(&args.out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            ExitCode::from(2)
        }
    }
}

fn write_all(out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    for k in 0..COUNT {
        // Mostly landscape 320x240, every fourth portrait 240x320.
        let (w, h) = if k % 4 == 3 { (240, 320) } else { (320, 240) };
        let img = scene(0x5EED_0000 + k, w, h);
        let path = out.join(format!("scene-{k:02}.jpg"));
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&img)?;
        std::fs::write(&path, bytes)?;
        println!("{}", path.display());
    }
    for k in 0..2u64 {
        let clip = make::synth(0x5EED_0100 + k, 320, 240, 15, 20.0);
        let path = out.join(format!("clip-{k:02}.mp4"));
        std::fs::write(&path, make::encode_mp4(&clip, 34))?;
        println!("{}", path.display());
    }
    Ok(())
}
