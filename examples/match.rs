//! Searches a hash database with image and video files/directories and bare hashes.
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
//!
//! Videos are hashed one frame per second (vPDQ semantics); each frame of quality
//! ≥ `--min-quality` is searched, and hits on known videos' frames are aggregated per known
//! video: one line per matched video with the share of query frames matched, the share of the
//! known video's frames matched, and the matching segments (query ms ↔ known ms) found by
//! temporal alignment. Hits of video frames on still images are printed as ordinary hits named
//! `file@<ms>ms`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::db::{Database, MediaKind, Snapshot};
use mediamatch::index::Match;
use mediamatch::video::{align_hits, AlignConfig, FrameHash, Hit, VideoHasher};
use mediamatch::{Hash256, PdqHasher};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// Image and video files or directories (searched recursively).
    paths: Vec<PathBuf>,
}

/// A thing to search: a name and its hash variants.
struct Query {
    name: String,
    variants: Vec<Hash256>,
    quality: Option<u8>,
}

#[path = "common/media.rs"]
mod media;
use media::{collect_files, media_kind, Media};

enum Hashed {
    Image(Query),
    Video(Vec<FrameHash>),
}

/// Hashes one media file.
fn queries_for(hasher: &PdqHasher, path: &Path, dihedral: bool) -> Result<Hashed, String> {
    let name = path.display().to_string();
    match media_kind(path) {
        Some(Media::Video) => VideoHasher::new()
            .hash_file(path)
            .map(Hashed::Video)
            .map_err(|e| e.to_string()),
        _ if dihedral => {
            let d = hasher.hash_file_dihedral(path).map_err(|e| e.to_string())?;
            Ok(Hashed::Image(Query {
                name,
                variants: d.iter().map(|h| h.hash).collect(),
                quality: Some(d[0].quality),
            }))
        }
        _ => {
            let h = hasher.hash_file(path).map_err(|e| e.to_string())?;
            Ok(Hashed::Image(Query {
                name,
                variants: vec![h.hash],
                quality: Some(h.quality),
            }))
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

/// Number of usable frames stored for each known video (entries without a quality count).
fn known_frame_counts(db: &Snapshot, min_quality: u8) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for e in db.iter() {
        if let MediaKind::VideoFrame { video_id, .. } = &e.metadata.media {
            if e.quality.is_none_or(|q| q >= min_quality) {
                *counts.entry(video_id.clone()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Searches every usable frame of a query video; prints one line per matched known video
/// (both percentages and the aligned segments) and ordinary hits on still images.
fn match_video(
    db: &Snapshot,
    known: &HashMap<String, usize>,
    path: &Path,
    frames: &[FrameHash],
    args: &Args,
) -> bool {
    let name = path.display().to_string();
    let kept: Vec<&FrameHash> = frames
        .iter()
        .filter(|f| f.hash.quality >= args.min_quality)
        .collect();
    if kept.is_empty() {
        eprintln!(
            "{name}: no frame reaches --min-quality {}",
            args.min_quality
        );
        return false;
    }
    let found = db.search_many(
        &kept.iter().map(|f| f.hash.hash).collect::<Vec<_>>(),
        args.max_distance,
    );
    // Per known video: the pairs, the query frames and the known frames that matched.
    #[derive(Default)]
    struct Agg {
        hits: Vec<Hit>,
        query_frames: BTreeSet<u64>,
        known_frames: BTreeSet<u64>,
        source: String,
    }
    let mut per_video: BTreeMap<String, Agg> = BTreeMap::new();
    let mut any = false;
    for (f, matches) in kept.iter().zip(&found) {
        for m in matches {
            let Some(e) = db.get(m.id) else { continue };
            match &e.metadata.media {
                MediaKind::VideoFrame {
                    video_id,
                    timestamp_ms,
                } => {
                    let a = per_video.entry(video_id.clone()).or_default();
                    a.hits.push(Hit {
                        query_ms: f.timestamp_ms,
                        known_ms: *timestamp_ms,
                        distance: m.distance,
                    });
                    a.query_frames.insert(f.frame_number);
                    a.known_frames.insert(*timestamp_ms);
                    a.source = e.metadata.source.clone();
                }
                _ => {
                    let q = Query {
                        name: format!("{name}@{}ms", f.timestamp_ms),
                        variants: vec![f.hash.hash],
                        quality: Some(f.hash.quality),
                    };
                    print_hit(db, &q, m, args.json);
                    any = true;
                }
            }
        }
    }
    for (video_id, a) in &per_video {
        let query_pct = 100.0 * a.query_frames.len() as f64 / kept.len() as f64;
        let known_total = known.get(video_id).copied().unwrap_or(0).max(1);
        let known_pct = 100.0 * a.known_frames.len() as f64 / known_total as f64;
        let segments = align_hits(&a.hits, &AlignConfig::default());
        if args.json {
            let obj = serde_json::json!({
                "query": name,
                "video_id": video_id,
                "source": a.source,
                "query_pct": query_pct,
                "known_pct": known_pct,
                "frames_matched": a.query_frames.len(),
                "query_frames": kept.len(),
                "segments": segments,
            });
            println!("{obj}");
        } else {
            let segs: Vec<String> = segments
                .iter()
                .map(|s| {
                    format!(
                        "query {}-{}ms = known {}-{}ms ({} frames, mean distance {:.1})",
                        s.query_start_ms,
                        s.query_end_ms,
                        s.known_start_ms,
                        s.known_end_ms,
                        s.frames_matched,
                        s.mean_distance
                    )
                })
                .collect();
            println!(
                "{name}\tvideo:{video_id}\t{}\tquery {query_pct:.1}%\tknown {known_pct:.1}%\t{}",
                a.source,
                if segs.is_empty() {
                    "-".to_string()
                } else {
                    segs.join("; ")
                }
            );
        }
        any = true;
    }
    any
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
    let mut videos: Vec<(PathBuf, Vec<FrameHash>)> = Vec::new();
    if !files.is_empty() {
        let hasher = PdqHasher::new();
        let pb = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("hashing {bar:40} {pos}/{len} [{elapsed_precise}]")
        {
            pb.set_style(style);
        }
        let hashed: Vec<(PathBuf, Result<Hashed, String>)> = files
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
                Ok(Hashed::Image(q)) => match q.quality {
                    Some(qual) if qual < args.min_quality => {
                        eprintln!(
                            "{}: quality {qual} below --min-quality {}, not searched",
                            q.name, args.min_quality
                        )
                    }
                    _ => queries.push(q),
                },
                Ok(Hashed::Video(frames)) => videos.push((path, frames)),
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
    if !videos.is_empty() {
        let known = known_frame_counts(&db, args.min_quality);
        for (path, frames) in &videos {
            any |= match_video(&db, &known, path, frames, args);
        }
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
