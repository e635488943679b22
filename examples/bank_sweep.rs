//! Which banked views to store: recall of random uneven crops and tilts against a pool of
//! candidate derived views, and the false matches each set adds.
//!
//! ```text
//! cargo run --release --example bank_sweep -- DIR [DIR...] [--max-side N] [--queries N]
//! ```
//!
//! Per original (quality ≥ 50): `--queries` random crops removing up to `--max-area` of the
//! area (sides uneven: the kept width drawn first, the cut split between the two sides at
//! random) and as many random tilts (angle uniform in ±5°, black corners or zoomed). The pool:
//! every crop on a lattice of `--step` per side removing at most `--max-area` ([`Cut::lattice`]),
//! and rotations on a grid of 0.5°; the query-side crop guesses of `--guess-*`. Prints recall per
//! candidate set (without and with the guesses) and the smallest distance of a
//! query (8 dihedral hashes) or an original to another original's views.

use std::path::PathBuf;

use clap::Parser;
use mediamatch::matcher::{bank_views, BankViews, CropGuesses, Cut, MatchOptions, QueryPlan};
use mediamatch::robustness::{Repost, SplitMix64};
use mediamatch::{Hash256, LumaImage, PdqHasher};
use rayon::prelude::*;

#[path = "common/media.rs"]
mod media;
#[path = "common/originals.rs"]
mod originals;

use originals::load_originals;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Banked-view sweep",
    after_help = "Exit status: 0 = done, 2 = error."
)]
struct Args {
    /// Directories (searched recursively) or image files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Shrink originals larger than this many pixels on a side first (0 = keep).
    #[arg(long, default_value_t = 1024)]
    max_side: u32,
    /// Random crops and random tilts per original.
    #[arg(long, default_value_t = 4)]
    queries: usize,
    /// Largest share of the area a crop removes.
    #[arg(long, default_value_t = 0.2)]
    max_area: f32,
    /// Smallest share of the area a crop removes.
    #[arg(long, default_value_t = 0.0)]
    min_area: f32,
    /// Largest share of the area a pooled lattice crop removes.
    #[arg(long, default_value_t = 0.3)]
    pool_area: f32,
    /// Lattice step of the pool of banked crops, per side.
    #[arg(long, default_value_t = 0.025)]
    step: f32,
    /// Seed of the random crops and tilts.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Query-side crop guesses: offsets 0, step, 2 step... per side.
    #[arg(long, default_value_t = 0.025)]
    guess_step: f32,
    /// Offsets per side, 0 included.
    #[arg(long, default_value_t = 3)]
    guess_n: u8,
    /// The guesses are cut from a copy shrunk to this side.
    #[arg(long, default_value_t = 512)]
    guess_side: usize,
    /// Use only every n-th image.
    #[arg(long, default_value_t = 1)]
    every: usize,
}

struct Orig {
    plain: Hash256,
    /// Pool view hashes (crops then rotations then zoomed rotations); 0-quality views are None.
    pool: Vec<Option<Hash256>>,
    crop_q: Vec<(Cut, [Hash256; 8], Vec<Hash256>)>,
    tilt_q: Vec<(f32, bool, [Hash256; 8])>,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn dih(h: &PdqHasher, l: &LumaImage) -> [Hash256; 8] {
    let v = h.hash_dihedral(l);
    std::array::from_fn(|k| v[k].hash)
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<PathBuf> = media::collect_files(&args.inputs)?
        .into_iter()
        .step_by(args.every.max(1))
        .collect();
    let cuts = Cut::lattice(args.step, args.pool_area);
    let angles: Vec<f32> = (-11..=11)
        .filter(|&k| k != 0)
        .map(|k| k as f32 * 0.5)
        .collect();
    eprintln!(
        "{} images, pool: {} crops, {} angles x2",
        paths.len(),
        cuts.len(),
        angles.len()
    );
    let hasher = PdqHasher::new();
    let mut guesses = CropGuesses::default();
    guesses.step = args.guess_step;
    guesses.steps = args.guess_n;
    guesses.work_side = args.guess_side;
    let guess_opts = MatchOptions::plain().with_crop_guesses(Some(guesses));
    let origs: Vec<Orig> = load_originals(&paths, args.max_side)
        .par_iter()
        .enumerate()
        .filter_map(|(i, (_, img))| {
            let luma = LumaImage::from_image(img);
            let plain = hasher.hash(&luma);
            if !plain.is_usable() {
                return None;
            }
            let usable = |h: mediamatch::PdqHash| h.is_usable().then_some(h.hash);
            let mut pool: Vec<Option<Hash256>> = cuts
                .iter()
                .map(|c| c.apply(&luma).and_then(|v| usable(hasher.hash(&v))))
                .collect();
            let mut rv = BankViews::none();
            rv.rotations = angles.clone();
            let mut zv = BankViews::none();
            zv.zoomed_rotations = angles.clone();
            for v in [rv, zv] {
                let got = bank_views(&hasher, &luma, &v);
                assert_eq!(got.len(), angles.len());
                pool.extend(got.iter().map(|b| usable(b.hash)));
            }
            let mut rng = SplitMix64::new(args.seed ^ (i as u64) << 16);
            let mut crop_q = Vec::new();
            let mut tilt_q = Vec::new();
            for _ in 0..args.queries {
                let a = args.min_area + (args.max_area - args.min_area) * rng.next_f32();
                let kw = 1.0 - a * rng.next_f32();
                let kh = (1.0 - a) / kw;
                let (ul, ut) = (rng.next_f32(), rng.next_f32());
                let c = Cut {
                    left: (1.0 - kw) * ul,
                    top: (1.0 - kh) * ut,
                    right: (1.0 - kw) * (1.0 - ul),
                    bottom: (1.0 - kh) * (1.0 - ut),
                };
                if let Some(q) = c.apply(&luma) {
                    let plan = QueryPlan::image(&hasher, &q, &guess_opts);
                    let g = plan.hashes.iter().skip(1).map(|h| h.hash.hash).collect();
                    crop_q.push((c, dih(&hasher, &q), g));
                }
                let deci = rng.below(101) as i16 - 50;
                let zoom = rng.below(2) == 1;
                let t = Repost::Tilt {
                    decidegrees: deci,
                    zoom,
                }
                .apply(img, &[], 0)
                .ok()?;
                tilt_q.push((
                    f32::from(deci) / 10.0,
                    zoom,
                    dih(&hasher, &LumaImage::from_image(&t)),
                ));
            }
            Some(Orig {
                plain: plain.hash,
                pool,
                crop_q,
                tilt_q,
            })
        })
        .collect();
    eprintln!("{} originals hashed", origs.len());
    let nc = cuts.len();
    // candidate sets (indices into the pool)
    let mut sets: Vec<(String, Vec<usize>)> = Vec::new();
    let on = |c: &Cut, g: f32| {
        [c.left, c.top, c.right, c.bottom]
            .iter()
            .all(|&v| ((v / g).round() * g - v).abs() < 1e-4)
    };
    for g in [0.05f32, 0.075, 0.1] {
        for area in [0.2f32, 0.25, 0.3] {
            let idx: Vec<usize> = (0..nc)
                .filter(|&k| on(&cuts[k], g) && cuts[k].area_removed() <= area + 1e-4)
                .collect();
            if !idx.is_empty() {
                sets.push((
                    format!("crop lattice {:.1}% to {:.0}%", g * 100.0, area * 100.0),
                    idx,
                ));
            }
        }
    }
    sets.push(("crop lattice all".into(), (0..nc).collect()));
    {
        let mut idx = Vec::new();
        for (k, a) in angles.iter().enumerate() {
            if [2.0f32, 3.5, 5.0].contains(&a.abs()) {
                idx.push(nc + k);
                idx.push(nc + angles.len() + k);
            }
        }
        sets.push(("rot current (2, 3.5, 5)".into(), idx));
    }
    for (name, step) in [("rot 1.0", 2usize), ("rot 1.5", 3), ("rot 0.5", 1)] {
        let mut idx = Vec::new();
        for (k, a) in angles.iter().enumerate() {
            let m = (a * 2.0).round() as i32;
            if m % step as i32 == 0 || (step == 3 && m.abs() == 10) {
                idx.push(nc + k);
                idx.push(nc + angles.len() + k);
            }
        }
        sets.push((name.into(), idx));
    }
    // per set: crop recall, tilt recall, min distinct distance
    let th = 31;
    for (name, idx) in &sets {
        let views = |o: &Orig| -> Vec<Hash256> {
            std::iter::once(o.plain)
                .chain(idx.iter().filter_map(|&k| o.pool[k]))
                .collect()
        };
        let stored: Vec<Vec<Hash256>> = origs.iter().map(views).collect();
        let best = |q: &[Hash256; 8], s: &[Hash256]| {
            s.iter().map(|h| h.distance(&q[0])).min().unwrap_or(256)
        };
        let (mut cm, mut cn, mut tm, mut tn, mut gm) = (0, 0, 0, 0, 0);
        for (o, s) in origs.iter().zip(&stored) {
            for (_, q, g) in &o.crop_q {
                cn += 1;
                cm += usize::from(best(q, s) <= th);
                let bg = g
                    .iter()
                    .flat_map(|x| s.iter().map(move |h| h.distance(x)))
                    .min()
                    .unwrap_or(256);
                gm += usize::from(bg.min(best(q, s)) <= th);
            }
            for (_, _, q) in &o.tilt_q {
                tn += 1;
                tm += usize::from(best(q, s) <= th);
            }
        }
        let min_distinct = (0..origs.len())
            .into_par_iter()
            .map(|i| {
                let o = &origs[i];
                let qs: Vec<&Hash256> = o
                    .crop_q
                    .iter()
                    .flat_map(|c| c.1.iter().chain(c.2.iter()))
                    .chain(o.tilt_q.iter().flat_map(|t| t.2.iter()))
                    .chain(std::iter::once(&o.plain))
                    .collect();
                let mut m = 256;
                for (j, s) in stored.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    for q in &qs {
                        for h in s {
                            m = m.min(q.distance(h));
                        }
                    }
                }
                m
            })
            .min()
            .unwrap_or(256);
        println!(
            "| {name} | {} | crops {:.1}% ({cm}/{cn}) | with guesses {:.1}% | tilts {:.1}% ({tm}/{tn}) | min distinct {min_distinct} |",
            idx.len(),
            100.0 * cm as f64 / cn.max(1) as f64,
            100.0 * gm as f64 / cn.max(1) as f64,
            100.0 * tm as f64 / tn.max(1) as f64
        );
    }
    // tolerance: distance to the nearest lattice view vs its largest side error
    let mut by_err: Vec<(u32, u32)> = vec![(0, 0); 12];
    for o in &origs {
        for (c, q, _) in &o.crop_q {
            for (k, cut) in cuts.iter().enumerate() {
                let e = [
                    c.left - cut.left,
                    c.top - cut.top,
                    c.right - cut.right,
                    c.bottom - cut.bottom,
                ]
                .iter()
                .fold(0.0f32, |m, d| m.max(d.abs()));
                let b = (e * 200.0) as usize; // 0.5 % bins
                if b < by_err.len() {
                    if let Some(h) = o.pool[k] {
                        by_err[b].0 += 1;
                        by_err[b].1 += u32::from(h.distance(&q[0]) <= th);
                    }
                }
            }
        }
    }
    println!("\nlargest side error -> share of (query, view) pairs matching:");
    for (b, (n, m)) in by_err.iter().enumerate() {
        println!(
            "  {:.1}-{:.1}%: {:.1}% of {n}",
            b as f32 * 0.5,
            b as f32 * 0.5 + 0.5,
            100.0 * *m as f64 / (*n).max(1) as f64
        );
    }
    Ok(())
}
