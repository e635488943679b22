//! Searches a hash database with image files/directories and bare hashes.
//!
//! ```text
//! cargo run --release --example match -- --db bank.mmdb upload.jpg uploads/ --hex f8f8f0ce...
//! ```
//!
//! One line per hit: `query  distance  id  hash  source  content_id  labels  media`, or with
//! `--json` one JSON object per line. Images are searched with their 8 dihedral PDQ variants
//! (merged per entry at the smallest distance) unless `--no-dihedral`. `--min-quality` drops
//! *query* hashes below it (stored entries are never filtered by quality). Exit status as grep:
//! 0 if anything matched, 1 if nothing did, 2 on error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::db::{Database, MediaKind, Snapshot};
use mediamatch::index::Match;
use mediamatch::{Hash256, PdqHasher};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "Search a mediamatch database with images and hashes")]
struct Args {
    /// Database file.
    #[arg(long)]
    db: PathBuf,
    /// A bare PDQ hash (64 hex digits) to search (repeatable).
    #[arg(long = "hex")]
    hexes: Vec<String>,
    /// Largest Hamming distance reported (PDQ's match threshold is 31).
    #[arg(long, default_value_t = 31)]
    max_distance: u32,
    /// Skip query media whose PDQ quality is below this (bare hashes have no quality).
    #[arg(long, default_value_t = 50)]
    min_quality: u8,
    /// Search only the image as is, not its 8 rotations/flips.
    #[arg(long)]
    no_dihedral: bool,
    /// One JSON object per hit.
    #[arg(long)]
    json: bool,
    /// Image files or directories (searched recursively).
    paths: Vec<PathBuf>,
}

/// A thing to search: a name and its hash variants.
struct Query {
    name: String,
    variants: Vec<Hash256>,
    quality: Option<u8>,
}

enum Media {
    Image,
    Video,
}

fn media_kind(path: &Path) -> Option<Media> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "tif" | "tiff" | "webp" | "pnm" | "ppm"
        | "pgm" | "pbm" => Some(Media::Image),
        "mp4" | "mov" | "mkv" | "webm" | "avi" | "m4v" => Some(Media::Video),
        _ => None,
    }
}

fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            entries.reverse();
            stack.extend(
                entries
                    .into_iter()
                    .filter(|e| e.is_dir() || media_kind(e).is_some()),
            );
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// Hashes one media file into queries. The video branch is where per-frame hashing will go
/// (one query per frame, named `file@timestamp`).
fn queries_for(hasher: &PdqHasher, path: &Path, dihedral: bool) -> Result<Vec<Query>, String> {
    let name = path.display().to_string();
    match media_kind(path) {
        Some(Media::Video) => Err("video hashing is not available in this build".into()),
        _ if dihedral => {
            let d = hasher.hash_file_dihedral(path).map_err(|e| e.to_string())?;
            Ok(vec![Query {
                name,
                variants: d.iter().map(|h| h.hash).collect(),
                quality: Some(d[0].quality),
            }])
        }
        _ => {
            let h = hasher.hash_file(path).map_err(|e| e.to_string())?;
            Ok(vec![Query {
                name,
                variants: vec![h.hash],
                quality: Some(h.quality),
            }])
        }
    }
}

fn media_text(m: &MediaKind) -> String {
    match m {
        MediaKind::VideoFrame {
            video_id,
            timestamp_ms,
        } => format!("video:{video_id}@{timestamp_ms}ms"),
        _ => "image".into(),
    }
}

fn print_hit(snap: &Snapshot, q: &Query, m: &Match, json: bool) {
    let Some(e) = snap.get(m.id) else { return };
    if json {
        let obj = serde_json::json!({
            "query": q.name,
            "query_quality": q.quality,
            "id": m.id,
            "hash": e.hash.to_string(),
            "distance": m.distance,
            "quality": e.quality,
            "metadata": e.metadata,
        });
        println!("{obj}");
    } else {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            q.name,
            m.distance,
            m.id,
            e.hash,
            e.metadata.source,
            e.metadata.content_id.as_deref().unwrap_or("-"),
            e.metadata.labels.join(","),
            media_text(&e.metadata.media)
        );
    }
}

fn run(args: &Args) -> mediamatch::Result<(bool, bool)> {
    let db = Database::open(&args.db)?;
    let mut had_error = false;
    let mut queries = Vec::new();
    for hex in &args.hexes {
        let h: Hash256 = hex.trim().parse()?;
        queries.push(Query {
            name: hex.clone(),
            variants: vec![h],
            quality: None,
        });
    }
    let files = collect_files(&args.paths).map_err(mediamatch::Error::from)?;
    if !files.is_empty() {
        let hasher = PdqHasher::new();
        let pb = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("hashing {bar:40} {pos}/{len} [{elapsed_precise}]")
        {
            pb.set_style(style);
        }
        let hashed: Vec<(PathBuf, Result<Vec<Query>, String>)> = files
            .par_iter()
            .map(|p| {
                let r = queries_for(&hasher, p, !args.no_dihedral);
                pb.inc(1);
                (p.clone(), r)
            })
            .collect();
        pb.finish_and_clear();
        for (path, r) in hashed {
            match r {
                Ok(qs) => {
                    for q in qs {
                        match q.quality {
                            Some(qual) if qual < args.min_quality => {
                                eprintln!(
                                    "{}: quality {qual} below --min-quality {}, not searched",
                                    q.name, args.min_quality
                                )
                            }
                            _ => queries.push(q),
                        }
                    }
                }
                Err(why) => {
                    eprintln!("{}: {why}", path.display());
                    had_error = true;
                }
            }
        }
    }
    let mut any = false;
    for q in &queries {
        let hits = db.search_dihedral(&q.variants, args.max_distance);
        for m in &hits {
            print_hit(&db, q, m, args.json);
        }
        any |= !hits.is_empty();
    }
    Ok((any, had_error))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok((_, true)) => ExitCode::from(2),
        Ok((true, false)) => ExitCode::SUCCESS,
        Ok((false, false)) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
