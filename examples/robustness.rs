//! Robustness benchmark: how often is a transformed copy found, and how often is distinct content
//! wrongly matched, per transformation and per hashing method.
//!
//! ```text
//! cargo run --release --example robustness -- DIR [DIR...] [--out OUTDIR] [--max-side N]
//!     [--video-seconds S] [--no-video]
//! ```
//!
//! Walks the directories for images and videos (classified by extension). Videos: see
//! `examples/common/video_bench.rs` (re-encoded, half-resolution, 24/15 fps, excerpt, excerpt in
//! other footage, letterbox, logo and mirrored copies made with OpenH264; vPDQ under both
//! reference rules and our temporal alignment, plain, with letterbox removal in addition to the
//! plain hashes and with the 8 dihedral transforms of the copy's frames), reported in a
//! separate table and `video-results.csv`, `hist-video-*.png`. Images: makes every transformed copy of
//! [`Transform::standard_set`] in memory, hashes originals and copies on all cores, and prints
//! Markdown tables on stdout; `OUTDIR` (default `robustness-out`) receives `results.csv` and one
//! PNG histogram per method (true-pair vs distinct-pair distances).
//!
//! Styles: the 30 classic transformations of [`Transform::standard_set`], then the repost
//! styles of [`Repost::standard_set`] (caption bars, screenshots, frames, 9:16 stories,
//! picture-in-picture on another original, 2-up/3-up collages with other originals, uneven
//! crops, tilts), several strengths each.
//!
//! Methods. Every query goes through [`mediamatch::matcher::QueryPlan`]; the stored hash of an
//! original is its plain hash, plus its derived banked views for `robust+bank`:
//! * `pdq`: [`MatchOptions::plain`], plain PDQ of the copy.
//! * `pdq+dih`: the copy's 8 dihedral PDQ hashes.
//! * `pdq+dih+unlb`: the previous default: dihedral hashes of the copy and of its content inside
//!   letterbox bars (regions [`RegionConfig::bars_only`]).
//! * `robust`: [`MatchOptions::default`], the matcher's robust default: the plain copy and every
//!   candidate region, 8 dihedral hashes each.
//! * `robust+bank`: the same queries against the original banked with its derived views
//!   ([`BankViews::default`], `--bank-views`).
//! * `ahash`, `dhash`, `phash`, `blockhash`: the classic 64-bit hashes.
//!
//! PDQ rule: match at distance ≤ 31; originals with quality < 50 are excluded (and counted), and a
//! query whose hashes all have quality < 50 is a miss. The classic hashes have no quality score;
//! they use threshold 8 of 64 bits (1/8 of the bits, PDQ's 31/256 ≈ 1/8 scaled; `--classic-threshold`)
//! and the same set of originals as PDQ, so the rows compare like with like.
//!
//! False matches: every ordered pair (copy of original i, stored hashes of original j ≠ i),
//! leaving out the originals that a picture-in-picture or collage copy itself contains. The
//! `identity` row is the false-match rate among distinct originals.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use image::DynamicImage;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::matcher::{bank_views, BankViews, MatchOptions, QueryPlan};
use mediamatch::robustness::{histogram, query_distance, Style, TruePair};
use mediamatch::{ClassicAlg, ClassicHasher, Hash256, Hash64, LumaImage, PdqHash, PdqHasher};
use rayon::prelude::*;

#[path = "common/media.rs"]
mod media;
#[path = "common/originals.rs"]
mod originals;
#[path = "common/plot.rs"]
mod plot;
#[path = "common/region_args.rs"]
mod region_args;
#[path = "common/report.rs"]
mod report;
#[path = "common/video_bench.rs"]
mod video_bench;

use media::{collect_files, media_kind, Media};
use originals::load_originals;
use region_args::RegionArgs;
use report::{Cell, Report};

const PDQ_METHODS: [&str; 5] = ["pdq", "pdq+dih", "pdq+dih+unlb", "robust", "robust+bank"];
const NPDQ: usize = PDQ_METHODS.len();
/// Query plans per method (`robust+bank` queries with `robust`'s plan).
const NPLANS: usize = 4;

const CLASSIC: [ClassicAlg; 4] = [
    ClassicAlg::AHash,
    ClassicAlg::DHash,
    ClassicAlg::PHash,
    ClassicAlg::Blockhash,
];

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Recall and false matches per transformation and hashing method",
    after_help = "Exit status: 0 = benchmark run, 2 = error."
)]
struct Args {
    /// Directories (searched recursively) or image files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output directory for results.csv and the histogram PNGs.
    #[arg(long, default_value = "robustness-out")]
    out: PathBuf,
    /// Shrink originals larger than this many pixels on a side first (0 = keep full size).
    #[arg(long, default_value_t = 0)]
    max_side: u32,
    /// PDQ match threshold (inclusive).
    #[arg(long, default_value_t = PdqHash::MATCH_THRESHOLD)]
    threshold: u32,
    /// Threshold for the 64-bit classic hashes (inclusive).
    #[arg(long, default_value_t = 8)]
    classic_threshold: u32,
    /// Seed for the random parts of the transformations (noise, overlay position).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    regions: RegionArgs,
    /// Skip the classic hashes (faster on large photos).
    #[arg(long)]
    no_classic: bool,
    /// Videos: only the first this many seconds of each original are processed.
    #[arg(long, default_value_t = 60.0)]
    video_seconds: f64,
    /// Videos: OpenH264 quantiser of the copies (0 best – 51 worst).
    #[arg(long, default_value_t = 26)]
    video_qp: u8,
    /// Videos: quantiser of the low-bitrate copy.
    #[arg(long, default_value_t = 42)]
    video_low_qp: u8,
    /// Videos: a vPDQ match needs query % at least this (pytx `VPDQSignal`: 80).
    #[arg(long, default_value_t = 80.0)]
    vpdq_query_pct: f64,
    /// Videos: a vPDQ match needs known (compared) % at least this (pytx: 0).
    #[arg(long, default_value_t = 0.0)]
    vpdq_known_pct: f64,
    /// Skip videos.
    #[arg(long)]
    no_video: bool,
    /// Skip the repost styles (classic transformations only).
    #[arg(long)]
    no_reposts: bool,
    /// Of the classic transformations keep only `identity` (its row gives the false matches
    /// among distinct originals): a faster run of the repost styles.
    #[arg(long)]
    reposts_only: bool,
    /// Derived views banked per original for `robust+bank`: `default`, `previous` (the set
    /// before the crop lattice) or `none`.
    #[arg(long, default_value = "default")]
    bank_views: String,
    /// Replace the banked keystone fractions (`BankViews::keystones`) of the chosen set, e.g.
    /// `0.08,0.16`; `0` for none.
    #[arg(long, value_delimiter = ',')]
    keystones: Option<Vec<f32>>,
    /// Leave the crop guesses out of the `robust` plan (`MatchOptions::crop_guesses`).
    #[arg(long)]
    no_crop_guesses: bool,
    /// Leave the quadrilaterals out of the `robust` plan (`MatchOptions::quads`).
    #[arg(long)]
    no_quads: bool,
    /// Hash the `robust` plan's small views as they are (`MatchOptions::enlarge` off).
    #[arg(long)]
    no_enlarge: bool,
    /// Only these rows (comma-separated style names, e.g. `pip-40,collage-3h`); `identity`
    /// always stays in (its row gives the false matches among distinct originals). Each copy
    /// keeps the seed it has in the full run.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Videos whose file names share the part before the first `-` are versions of the same
    /// footage: their pairs count neither as true nor as distinct pairs.
    #[arg(long)]
    video_group_by_prefix: bool,
}

/// What is stored for an original.
struct Stored {
    pdq: PdqHash,
    /// The usable (quality ≥ 50) hashes of its derived banked views.
    views: Vec<Hash256>,
    classic: Vec<Hash64>,
}

/// The query hashes made from one transformed copy.
struct Query {
    /// Per PDQ method, the hashes to try.
    pdq: [Vec<PdqHash>; NPLANS],
    classic: Vec<Hash64>,
}

fn classic_hashes(hashers: &[ClassicHasher], img: &DynamicImage) -> Vec<Hash64> {
    hashers.iter().map(|h| h.hash_image(img)).collect()
}

fn make_query(
    pdq: &PdqHasher,
    classic: &[ClassicHasher],
    copy: &DynamicImage,
    plans: &[MatchOptions; NPLANS],
) -> Query {
    Query {
        pdq: plans.each_ref().map(|o| {
            QueryPlan::from_image(pdq, copy, o)
                .hashes
                .iter()
                .map(|h| h.hash)
                .collect()
        }),
        classic: classic_hashes(classic, copy),
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let (mut paths, mut videos) = (Vec::new(), Vec::new());
    for p in collect_files(&args.inputs)? {
        match media_kind(&p) {
            Some(Media::Image) => paths.push(p),
            Some(Media::Video) => videos.push(p),
            None => eprintln!(
                "warning: skipping {} (not a known image or video extension)",
                p.display()
            ),
        }
    }
    if args.no_video {
        videos.clear();
    }
    if paths.is_empty() && videos.is_empty() {
        return Err("no images or videos found in the given inputs".into());
    }
    std::fs::create_dir_all(&args.out)?;
    if !paths.is_empty() {
        run_images(&args, &paths)?;
    }
    if !videos.is_empty() {
        run_videos(&args, &videos)?;
    }
    eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn run_videos(args: &Args, videos: &[PathBuf]) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let cfg = video_bench::BenchConfig {
        max_seconds: args.video_seconds,
        seed: args.seed,
        qp: args.video_qp,
        low_qp: args.video_low_qp,
        query_pct: args.vpdq_query_pct,
        known_pct: args.vpdq_known_pct,
        group_by_prefix: args.video_group_by_prefix,
        ..Default::default()
    };
    let pb = ProgressBar::new((videos.len() * cfg.transforms.len()) as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} video copies made and hashed (eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let results: Vec<_> = videos
        .par_iter()
        .map(|p| video_bench::process(p, &cfg, &|| pb.inc(1)))
        .collect();
    pb.finish_and_clear();
    let mut originals = Vec::new();
    for (p, r) in videos.iter().zip(results) {
        match r {
            Ok(o) => {
                for (t, c) in cfg.transforms.iter().zip(&o.copies) {
                    if let Err(e) = c {
                        eprintln!("warning: {t} of {}: {e}", p.display());
                    }
                }
                originals.push(o);
            }
            Err(e) => eprintln!("warning: skipping video {}: {e}", p.display()),
        }
    }
    if originals.is_empty() {
        return Err("no video could be processed".into());
    }
    for o in &originals {
        eprintln!(
            "video {}: {} frames processed, {} stored vPDQ hashes",
            o.path.display(),
            o.frames,
            o.hashes.len()
        );
    }
    let report = video_bench::evaluate(&originals, &cfg);
    println!("\n{}", report.markdown(&cfg));
    std::fs::write(args.out.join("video-results.csv"), report.csv(&cfg))?;
    for (v, name) in [
        "video-pdq",
        "video-pdq+unlb",
        "video-pdq+dih",
        "video-pdq+dih+unlb",
    ]
    .iter()
    .enumerate()
    {
        let true_d: Vec<u32> = report
            .frame_dist
            .iter()
            .flat_map(|f| f[v].iter().copied())
            .collect();
        plot::histogram_png(
            &args
                .out
                .join(format!("hist-{}.png", name.replace('+', "_"))),
            &format!("{name} frames"),
            &histogram(&true_d, 256),
            &histogram(&report.distinct_frame_dist[v], 256),
            PdqHash::MATCH_THRESHOLD,
        )?;
    }
    eprintln!(
        "videos: wrote video-results.csv and 4 histograms to {} in {:.1} s",
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_images(args: &Args, paths: &[PathBuf]) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();

    let decoded = load_originals(paths, args.max_side);

    let pdq = PdqHasher::new();
    let classic: Vec<ClassicHasher> = if args.no_classic {
        Vec::new()
    } else {
        CLASSIC.iter().map(|&a| ClassicHasher::new(a)).collect()
    };
    let regions = args.regions.config();
    let mut bars_only = regions;
    bars_only.edges = false;
    let guesses = if args.no_crop_guesses {
        None
    } else {
        MatchOptions::default().crop_guesses
    };
    let plans = [
        MatchOptions::plain(),
        MatchOptions::plain().with_dihedral(true),
        MatchOptions::default()
            .with_regions(Some(bars_only))
            .with_crop_guesses(None)
            .with_quads(None)
            .with_enlarge(None),
        MatchOptions::default()
            .with_regions(Some(regions))
            .with_crop_guesses(guesses)
            .with_quads(if args.no_quads {
                None
            } else {
                MatchOptions::default().quads
            })
            .with_enlarge(if args.no_enlarge {
                None
            } else {
                MatchOptions::default().enlarge
            }),
    ];
    let mut views = match args.bank_views.as_str() {
        "none" => BankViews::none(),
        "previous" => BankViews::previous(),
        "default" => BankViews::default(),
        other => return Err(format!("--bank-views: unknown set {other}").into()),
    };
    if let Some(k) = &args.keystones {
        views.keystones = k.iter().copied().filter(|&f| f > 0.0).collect();
    }
    eprintln!("banked views per original: {}", views.count());

    // Stored hashes; the quality rule decides which originals take part.
    let stored_all: Vec<Stored> = decoded
        .par_iter()
        .map(|(_, img)| {
            let luma = LumaImage::from_image(img);
            Stored {
                pdq: pdq.hash(&luma),
                views: bank_views(&pdq, &luma, &views)
                    .iter()
                    .filter(|v| v.hash.is_usable())
                    .map(|v| v.hash.hash)
                    .collect(),
                classic: classic_hashes(&classic, img),
            }
        })
        .collect();
    let keep: Vec<usize> = (0..decoded.len())
        .filter(|&i| stored_all[i].pdq.is_usable())
        .collect();
    let excluded = decoded.len() - keep.len();
    for (i, (p, _)) in decoded.iter().enumerate() {
        if !stored_all[i].pdq.is_usable() {
            eprintln!(
                "excluded (PDQ quality {} < 50): {}",
                stored_all[i].pdq.quality,
                p.display()
            );
        }
    }
    if keep.is_empty() {
        return Err("no original reaches PDQ quality 50".into());
    }

    // Transformed copies and their query hashes.
    let all_rows = Style::standard_set(!args.no_reposts, args.reposts_only);
    // the kept rows' positions in the full set (their copies' seeds)
    let rows: Vec<usize> = (0..all_rows.len())
        .filter(|&r| r == 0 || args.only.is_empty() || args.only.contains(&all_rows[r].name()))
        .collect();
    if let Some(bad) = args
        .only
        .iter()
        .find(|o| !all_rows.iter().any(|s| &s.name() == *o))
    {
        return Err(format!("--only: no style named {bad}").into());
    }
    let transforms: Vec<Style> = rows.iter().map(|&r| all_rows[r]).collect();
    // the other originals a copy contains (picture-in-picture, collage): the next kept ones
    let others_of = |k: usize, t: usize| -> Vec<usize> {
        (1..=transforms[t].others_needed())
            .map(|o| (k + o) % keep.len())
            .filter(|&o| o != k)
            .collect()
    };
    let jobs: Vec<(usize, usize)> = (0..keep.len())
        .flat_map(|k| (0..transforms.len()).map(move |t| (k, t)))
        .collect();
    let pb = ProgressBar::new(jobs.len() as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} copies hashed (eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let results: Vec<Result<Query, String>> = jobs
        .par_iter()
        .map(|&(k, t)| {
            let i = keep[k];
            let others: Vec<&DynamicImage> = (1..=transforms[t].others_needed())
                .map(|o| &decoded[keep[(k + o) % keep.len()]].1)
                .collect();
            let r = transforms[t]
                .apply(&decoded[i].1, &others, Style::seed(args.seed, i, rows[t]))
                .map(|copy| make_query(&pdq, &classic, &copy, &plans))
                .map_err(|e| {
                    format!(
                        "{} on {}: {e}",
                        transforms[t].name(),
                        decoded[i].0.display()
                    )
                });
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    // queries[k][t] for the k-th kept original.
    let mut queries: Vec<Vec<Option<Query>>> = Vec::with_capacity(keep.len());
    let mut failures = 0;
    let mut it = results.into_iter();
    for _ in 0..keep.len() {
        let mut row = Vec::with_capacity(transforms.len());
        for r in it.by_ref().take(transforms.len()) {
            row.push(match r {
                Ok(q) => Some(q),
                Err(e) => {
                    eprintln!("warning: {e}");
                    failures += 1;
                    None
                }
            });
        }
        queries.push(row);
    }

    let stored: Vec<&Stored> = keep.iter().map(|&i| &stored_all[i]).collect();
    let n = stored.len();
    let mut methods: Vec<String> = PDQ_METHODS.iter().map(|s| s.to_string()).collect();
    methods.extend(classic.iter().map(|c| c.alg().name().to_string()));

    // Distances per (transform, method).
    let cells: Vec<Vec<Cell>> = (0..transforms.len())
        .into_par_iter()
        .map(|t| {
            (0..methods.len())
                .map(|m| {
                    let mut cell = Cell {
                        true_pairs: Vec::with_capacity(n),
                        distinct: Vec::with_capacity(n * n),
                    };
                    for (k, qs) in queries.iter().enumerate() {
                        let Some(q) = &qs[t] else { continue };
                        let contained = others_of(k, t);
                        for (j, s) in stored.iter().enumerate() {
                            if contained.contains(&j) {
                                continue;
                            }
                            let pair = if m < NPDQ {
                                let mut hashes = vec![s.pdq.hash];
                                if m == NPDQ - 1 {
                                    hashes.extend_from_slice(&s.views);
                                }
                                query_distance(&q.pdq[m.min(NPLANS - 1)], &hashes)
                            } else {
                                TruePair {
                                    distance: q.classic[m - NPDQ].distance(&s.classic[m - NPDQ]),
                                    usable: true,
                                }
                            };
                            if j == k {
                                cell.true_pairs.push(pair);
                            } else if pair.usable {
                                cell.distinct.push(pair.distance);
                            }
                        }
                    }
                    cell
                })
                .collect()
        })
        .collect();

    let threshold_of = |m: usize| {
        if m < NPDQ {
            args.threshold
        } else {
            args.classic_threshold
        }
    };

    // Markdown.
    println!(
        "## Robustness: {} originals ({} excluded by PDQ quality < 50, {} undecodable), {} transformations\n",
        n,
        excluded,
        paths.len() - decoded.len(),
        transforms.len()
    );
    println!(
        "Recall in % (PDQ: distance ≤ {} and query quality ≥ 50; classic 64-bit hashes: distance ≤ {}). \
         Stored hashes are always plain; `dih` = query with the 8 dihedral variants, `unlb` = query after letterbox removal.\n",
        args.threshold, args.classic_threshold
    );
    let report = Report {
        styles: transforms.iter().map(|t| t.name()).collect(),
        methods: &methods,
        thresholds: (0..methods.len()).map(threshold_of).collect(),
        cells: &cells,
    };
    print!("{}", report.markdown());
    if failures > 0 {
        println!("\n{failures} transformed copies failed and were left out (see stderr).");
    }

    // CSV and plots.
    std::fs::write(args.out.join("results.csv"), report.csv(n, excluded))?;
    let mut pngs = BTreeMap::new();
    for (m, name) in methods.iter().enumerate() {
        let bits = if m < NPDQ { 256 } else { 64 };
        let true_d: Vec<u32> = (0..transforms.len())
            .flat_map(|t| cells[t][m].true_pairs.iter().map(|p| p.distance))
            .collect();
        let file = args
            .out
            .join(format!("hist-{}.png", name.replace('+', "_")));
        plot::histogram_png(
            &file,
            name,
            &histogram(&true_d, bits),
            &histogram(&cells[0][m].distinct, bits),
            threshold_of(m),
        )?;
        pngs.insert(name.clone(), file);
    }
    eprintln!(
        "wrote results.csv and {} histograms to {} in {:.1} s",
        pngs.len(),
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
