//! Why a layout copy is missed: for every repost style that puts the picture into a larger
//! layout, the region detector's candidates against the true rectangle.
//!
//! ```text
//! cargo run --release --example layout_diag -- DIR [DIR...] [--max-side N] [--style SUBSTR]
//!     [--dump OUTDIR] [--seed S]
//! ```
//!
//! Per style it counts the copies found at distance ≤ 31 by the robust default's plan against the
//! plain stored hash, and sorts the misses into: `hopeless` (even the true rectangle hashes
//! beyond 31), `not found` (no candidate within 5 % of a side), `imprecise` (the best candidate
//! is 2–5 % off), `precise` (a candidate within 2 %, yet no match). With `--dump`, each miss is
//! written as a PNG with the true rectangle (green) and the candidates (red) drawn on it, and a
//! line of text per candidate on stdout. Exit code 0 on success, 2 on error.

use std::path::PathBuf;

use clap::Parser;
use image::{DynamicImage, Rgb, RgbImage};
use mediamatch::matcher::{MatchOptions, QueryPlan};
use mediamatch::region::{find_regions_with_colour, Rect};
use mediamatch::robustness::{query_distance, Repost, Style};
use mediamatch::{LumaImage, PdqHash, PdqHasher};
use rayon::prelude::*;

#[path = "common/media.rs"]
mod media;
#[path = "common/originals.rs"]
mod originals;
#[path = "common/region_args.rs"]
mod region_args;

use originals::load_originals;
use region_args::RegionArgs;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Region detector diagnostics on layout repost styles",
    after_help = "Exit status: 0 = done, 2 = error."
)]
struct Args {
    /// Directories (searched recursively) or image files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Shrink originals larger than this many pixels on a side first (0 = keep).
    #[arg(long, default_value_t = 0)]
    max_side: u32,
    /// Only styles whose name contains this.
    #[arg(long)]
    style: Option<String>,
    /// Write every miss as a PNG with the rectangles drawn on it into this directory.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Seed (as the robustness benchmark's `--seed`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    regions: RegionArgs,
    /// Print only the summary table (no per-miss lines).
    #[arg(long)]
    quiet: bool,
}

fn draw(img: &mut RgbImage, r: &Rect, c: Rgb<u8>) {
    let (w, h) = img.dimensions();
    let (x0, y0) = (r.left as u32, r.top as u32);
    let x1 = ((r.left + r.width) as u32).min(w).saturating_sub(1);
    let y1 = ((r.top + r.height) as u32).min(h).saturating_sub(1);
    for x in x0..=x1 {
        img.put_pixel(x, y0.min(h - 1), c);
        img.put_pixel(x, y1, c);
    }
    for y in y0..=y1 {
        img.put_pixel(x0.min(w - 1), y, c);
        img.put_pixel(x1, y, c);
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    copies: usize,
    matched: usize,
    hopeless: usize,
    not_found: usize,
    imprecise: usize,
    precise: usize,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<PathBuf> = media::collect_files(&args.inputs)?
        .into_iter()
        .filter(|p| matches!(media::media_kind(p), Some(media::Media::Image)))
        .collect();
    let pdq = PdqHasher::new();
    let originals: Vec<(PathBuf, DynamicImage, PdqHash)> = load_originals(&paths, args.max_side)
        .into_iter()
        .filter_map(|(p, img)| {
            let h = pdq.hash_image(&img);
            h.is_usable().then_some((p, img, h))
        })
        .collect();
    let n = originals.len();
    if n == 0 {
        return Err("no usable original".into());
    }
    if let Some(d) = &args.dump {
        std::fs::create_dir_all(d)?;
    }
    let styles: Vec<(usize, Repost)> = Repost::standard_set()
        .into_iter()
        .enumerate()
        .filter(|(_, r)| r.is_layout())
        .filter(|(_, r)| args.style.as_ref().is_none_or(|s| r.name().contains(s)))
        .collect();
    let cfg = args.regions.config();
    let opts = MatchOptions::default().with_regions(Some(cfg));
    // the benchmark's style index: the 30 classic transformations come first
    let classic = mediamatch::robustness::Transform::standard_set().len();
    println!("| style | copies | matched | hopeless | not found | imprecise | precise, no match |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (t, style) in styles {
        let lines: Vec<(Counts, Vec<String>)> = (0..n)
            .into_par_iter()
            .map(|k| {
                let mut c = Counts::default();
                let mut log = Vec::new();
                let others: Vec<&DynamicImage> = (1..=style.others_needed())
                    .map(|o| &originals[(k + o) % n].1)
                    .collect();
                let seed = Style::seed(args.seed, k, classic + t);
                let Ok(p) = style.apply_located(&originals[k].1, &others, seed) else {
                    return (c, log);
                };
                let Some(truth) = p.rect else {
                    return (c, log);
                };
                c.copies = 1;
                let stored = originals[k].2.hash;
                let luma = LumaImage::from_image(&p.image);
                let plan = QueryPlan::from_image(&pdq, &p.image, &opts);
                let hashes: Vec<PdqHash> = plan.hashes.iter().map(|h| h.hash).collect();
                let best = query_distance(&hashes, &[stored]);
                if best.usable && best.distance <= PdqHash::MATCH_THRESHOLD {
                    c.matched = 1;
                    return (c, log);
                }
                let truth_d = luma
                    .crop(truth.left, truth.top, truth.width, truth.height)
                    .map(|cr| pdq.hash(&cr).hash.distance(&stored))
                    .unwrap_or(256);
                let regions = find_regions_with_colour(&luma, Some(&p.image), &cfg);
                let err = regions
                    .iter()
                    .map(|r| r.rect.side_error(&truth))
                    .fold(f32::INFINITY, f32::min);
                let class = if truth_d > PdqHash::MATCH_THRESHOLD {
                    c.hopeless = 1;
                    "hopeless"
                } else if err > 0.05 {
                    c.not_found = 1;
                    "not-found"
                } else if err > 0.02 {
                    c.imprecise = 1;
                    "imprecise"
                } else {
                    c.precise = 1;
                    "precise"
                };
                log.push(format!(
                    "{} {} {}: {class}, best distance {}, truth {}x{}+{}+{} in {}x{} distance {truth_d}, best side error {:.1} %",
                    style.name(),
                    k,
                    originals[k].0.display(),
                    best.distance,
                    truth.width,
                    truth.height,
                    truth.left,
                    truth.top,
                    luma.width(),
                    luma.height(),
                    100.0 * err
                ));
                for r in &regions {
                    let d = luma
                        .crop(r.rect.left, r.rect.top, r.rect.width, r.rect.height)
                        .map(|cr| pdq.hash(&cr).hash.distance(&stored))
                        .unwrap_or(256);
                    log.push(format!(
                        "    {} {}x{}+{}+{} score {:.2} error {:.1} % distance {d}",
                        r.kind.name(),
                        r.rect.width,
                        r.rect.height,
                        r.rect.left,
                        r.rect.top,
                        r.score,
                        100.0 * r.rect.side_error(&truth)
                    ));
                }
                if let Some(dir) = &args.dump {
                    let mut img = p.image.to_rgb8();
                    for r in &regions {
                        draw(&mut img, &r.rect, Rgb([255, 0, 0]));
                    }
                    draw(&mut img, &truth, Rgb([0, 255, 0]));
                    let _ = img.save(dir.join(format!("{}-{k}-{class}.png", style.name())));
                }
                (c, log)
            })
            .collect();
        let mut sum = Counts::default();
        for (c, log) in &lines {
            sum.copies += c.copies;
            sum.matched += c.matched;
            sum.hopeless += c.hopeless;
            sum.not_found += c.not_found;
            sum.imprecise += c.imprecise;
            sum.precise += c.precise;
            if !args.quiet {
                for l in log {
                    eprintln!("{l}");
                }
            }
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            style.name(),
            sum.copies,
            sum.matched,
            sum.hopeless,
            sum.not_found,
            sum.imprecise,
            sum.precise
        );
    }
    Ok(())
}
