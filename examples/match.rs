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
//! temporal alignment. By default ([`VideoQueryOptions::robust`]) each frame is searched as is
//! and after letterbox removal (a frame matches if either does), under each of the 8 dihedral
//! transforms; per known video the transform with the most matched query frames is reported
//! (`--no-dihedral`: as is only; `--no-unletterbox`: no letterbox removal). Hits of video
//! frames (as is, untransformed) on still images are printed as ordinary hits named
//! `file@<ms>ms`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::db::{Database, MediaKind, Snapshot};
use mediamatch::index::Match;
use mediamatch::video::{align_hits, AlignConfig, Hit, QueryVideo, VideoHasher, VideoQueryOptions};
use mediamatch::{Dihedral, Hash256, PdqHasher};
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
    /// Search only the image or video as is, not its 8 rotations/flips.
    #[arg(long)]
    no_dihedral: bool,
    /// Videos: do not also search the frames after letterbox removal.
    #[arg(long)]
    no_unletterbox: bool,
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
    Video(QueryVideo),
}

/// Hashes one media file.
fn queries_for(
    hasher: &PdqHasher,
    path: &Path,
    dihedral: bool,
    unletterbox: bool,
) -> Result<Hashed, String> {
    let name = path.display().to_string();
    match media_kind(path) {
        Some(Media::Video) => {
            let mut opts = VideoQueryOptions::robust();
            if !dihedral {
                opts = opts.with_transforms(&[Dihedral::Original]);
            }
            if !unletterbox {
                opts = opts.with_unletterbox(None);
            }
            VideoHasher::new()
                .hash_query_file(path, &opts)
                .map(Hashed::Video)
                .map_err(|e| e.to_string())
        }
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

/// Searches every usable frame of a query video (each alternative under each transform);
/// prints one line per matched known video (both percentages and the aligned segments, under
/// the transform with the most matched query frames) and ordinary hits on still images.
fn match_video(
    db: &Snapshot,
    known: &HashMap<String, usize>,
    path: &Path,
    query: &QueryVideo,
    args: &Args,
) -> bool {
    let name = path.display().to_string();
    // (frame index, transform index, hash) of every usable hash
    let mut wanted: Vec<(usize, usize, Hash256)> = Vec::new();
    let mut usable: BTreeSet<usize> = BTreeSet::new();
    for (k, f) in query.frames.iter().enumerate() {
        for (t, alts) in f.hashes.iter().enumerate() {
            for h in alts.iter().filter(|h| h.quality >= args.min_quality) {
                wanted.push((k, t, h.hash));
                usable.insert(k);
            }
        }
    }
    if usable.is_empty() {
        eprintln!(
            "{name}: no frame reaches --min-quality {}",
            args.min_quality
        );
        return false;
    }
    let found = db.search_many(
        &wanted.iter().map(|w| w.2).collect::<Vec<_>>(),
        args.max_distance,
    );
    // Per (known video, transform): the best distance per (query frame, known frame) pair.
    #[derive(Default)]
    struct Agg {
        pairs: BTreeMap<(u64, u64), u32>,
        source: String,
    }
    let mut per_video: BTreeMap<(String, usize), Agg> = BTreeMap::new();
    let mut image_hits: BTreeMap<(usize, u64), Match> = BTreeMap::new();
    for (&(k, t, _), matches) in wanted.iter().zip(&found) {
        let f = &query.frames[k];
        for m in matches {
            let Some(e) = db.get(m.id) else { continue };
            match &e.metadata.media {
                MediaKind::VideoFrame {
                    video_id,
                    timestamp_ms,
                } => {
                    let a = per_video.entry((video_id.clone(), t)).or_default();
                    let d = a
                        .pairs
                        .entry((f.timestamp_ms, *timestamp_ms))
                        .or_insert(m.distance);
                    *d = (*d).min(m.distance);
                    a.source = e.metadata.source.clone();
                }
                _ if t == 0 => {
                    let best = image_hits.entry((k, m.id)).or_insert(*m);
                    if m.distance < best.distance {
                        *best = *m;
                    }
                }
                _ => {}
            }
        }
    }
    let mut any = false;
    for ((k, _), m) in &image_hits {
        let f = &query.frames[*k];
        let q = Query {
            name: format!("{name}@{}ms", f.timestamp_ms),
            variants: f.hashes[0].iter().map(|h| h.hash).collect(),
            quality: f.hashes[0].first().map(|h| h.quality),
        };
        print_hit(db, &q, m, args.json);
        any = true;
    }
    // per known video, the transform with the most matched query frames (the first on ties)
    let mut best: BTreeMap<&str, (usize, &Agg)> = BTreeMap::new();
    for ((video_id, t), a) in &per_video {
        let n = |a: &Agg| a.pairs.keys().map(|p| p.0).collect::<BTreeSet<_>>().len();
        match best.get(video_id.as_str()) {
            Some((_, b)) if n(b) >= n(a) => {}
            _ => {
                best.insert(video_id, (*t, a));
            }
        }
    }
    for (video_id, (t, a)) in best {
        let query_frames: BTreeSet<u64> = a.pairs.keys().map(|p| p.0).collect();
        let known_frames: BTreeSet<u64> = a.pairs.keys().map(|p| p.1).collect();
        let query_pct = 100.0 * query_frames.len() as f64 / usable.len() as f64;
        let known_total = known.get(video_id).copied().unwrap_or(0).max(1);
        let known_pct = 100.0 * known_frames.len() as f64 / known_total as f64;
        let hits: Vec<Hit> = a
            .pairs
            .iter()
            .map(|(&(q, k), &d)| Hit {
                query_ms: q,
                known_ms: k,
                distance: d,
            })
            .collect();
        let segments = align_hits(&hits, &AlignConfig::default());
        let transform = query.transforms[t];
        if args.json {
            let obj = serde_json::json!({
                "query": name,
                "video_id": video_id,
                "source": a.source,
                "transform": transform.name(),
                "query_pct": query_pct,
                "known_pct": known_pct,
                "frames_matched": query_frames.len(),
                "query_frames": usable.len(),
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
                "{name}\tvideo:{video_id}\t{}\t{transform}\tquery {query_pct:.1}%\tknown {known_pct:.1}%\t{}",
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
    let mut videos: Vec<(PathBuf, QueryVideo)> = Vec::new();
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
                let r = queries_for(&hasher, p, !args.no_dihedral, !args.no_unletterbox);
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
