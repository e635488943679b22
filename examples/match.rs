//! Searches a hash database with image and video files/directories, stdin and bare hashes.
//!
//! ```text
//! cargo run --release --example match -- --db bank.mmdb upload.jpg uploads/ - --hex f8f8f0ce...
//! ```
//!
//! All matching is [`mediamatch::matcher::Matcher`]'s: the media type is sniffed from the bytes,
//! images are searched with the robust default ([`MatchOptions::default`]: the plain image and
//! every candidate region, 8 dihedral variants each), videos frame by frame with letterbox
//! removal and the 8 transforms; `--plain` gives the reference behaviour (one plain PDQ hash,
//! plain vPDQ). Stored entries and query hashes with quality below 50 are not matched
//! (`--min-stored-quality`, `--min-quality`).
//!
//! Output, one line per known item matched: for images
//! `query  distance  derivation  id  hash  source  content_id  labels  media  derived`, for
//! videos the verdict matched `query  video:<id>  source  transform  query %  known %  segments`
//! (each segment with its speed); with `--json` one
//! JSON object per line: the library's `ImageMatch` / `VideoMatch` / `FrameHit` with the query
//! name added (`"query"`, and `"kind"`: `image`, `video` or `frame`). With a durable store
//! (`build_db`'s default output) each file's MD5/SHA-1/SHA-256/SHA-512 is looked up first: an
//! unmodified known file is reported as `query  exact:<alg>  id  digest  source  content_id`
//! (JSON `"kind": "exact"`, `"signal"`) without being decoded. A video, when the store holds
//! TMK entries, is then also checked with TMK+PDQF (level 1 on the stored pure averages, level
//! 2 on the candidates, the reference's 0.7 / 0.7 thresholds; a second pass over the video,
//! resampled to 15 fps; `--no-tmk` skips it): `query  tmk  id  level1 L1  level2 L2
//! thresholds T1/T2  source  content_id  labels` (JSON `"kind": "tmk"`, `"signal": "tmk"`,
//! `level1`, `level2`, `level1_threshold`, `level2_threshold`, `metadata`). Every check is
//! the library's [`mediamatch::matcher::UploadChecker`]; this tool parses arguments and
//! prints. Arguments are processed in
//! the order given; `-` reads one upload from stdin. Exit status: 0 if anything matched, 1 if
//! nothing did, 2 on any error (each error names the input once, on stderr).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mediamatch::db::{Database, MediaKind};
use mediamatch::index::IndexConfig;
use mediamatch::matcher::{
    ImageMatch, MatchOptions, MatchReport, Matcher, UploadChecker, UploadOptions, UploadReport,
};
use mediamatch::region::RegionConfig;
use mediamatch::Hash256;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Search a mediamatch database with images, videos and hashes",
    after_help = "Exit status: 0 = something matched, 1 = nothing matched, 2 = error."
)]
struct Args {
    /// Database: a durable store (as `build_db` writes by default) or a `.mmdb` file.
    #[arg(long)]
    db: PathBuf,
    /// A bare PDQ hash (64 hex digits) to search (repeatable; searched before the paths).
    #[arg(long = "hex")]
    hexes: Vec<String>,
    /// Largest Hamming distance reported (PDQ's match threshold is 31).
    #[arg(long, default_value_t = 31)]
    max_distance: u32,
    /// Query hashes below this quality are not searched.
    #[arg(long, default_value_t = 50)]
    min_quality: u8,
    /// Stored entries whose known quality is below this are not matched.
    #[arg(long, default_value_t = 50)]
    min_stored_quality: u8,
    /// Reference behaviour: the plain PDQ hash of an image, plain vPDQ of a video.
    #[arg(long)]
    plain: bool,
    /// Do not search the 8 rotations/flips.
    #[arg(long)]
    no_dihedral: bool,
    /// Images: do not search candidate regions (letterbox bars, canvases, collages).
    #[arg(long)]
    no_regions: bool,
    /// Do not check videos with TMK+PDQF (a store's TMK entries are otherwise checked, at the
    /// cost of a second pass over each video resampled to 15 fps).
    #[arg(long)]
    no_tmk: bool,
    /// One JSON object per result.
    #[arg(long)]
    json: bool,
    /// Image and video files or directories (searched recursively); `-` is stdin.
    paths: Vec<PathBuf>,
}

#[path = "common/media.rs"]
mod media;
use media::collect_files;

fn options(args: &Args) -> MatchOptions {
    let mut o = if args.plain {
        MatchOptions::plain()
    } else {
        MatchOptions::default()
    };
    if args.no_dihedral {
        o = o.with_dihedral(false);
    }
    if args.no_regions {
        o = o.with_regions(None::<RegionConfig>);
    }
    o.with_max_distance(args.max_distance)
        .with_min_query_quality(args.min_quality)
        .with_min_stored_quality(args.min_stored_quality)
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

fn json_line(kind: &str, query: &str, value: impl serde::Serialize) -> String {
    let mut v = serde_json::to_value(value).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("query".into(), query.into());
        o.insert("kind".into(), kind.into());
    }
    v.to_string()
}

fn image_line(query: &str, m: &ImageMatch) -> String {
    format!(
        "{query}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        m.distance,
        m.derivation,
        m.entry_id,
        m.stored_hash,
        m.metadata.source,
        m.metadata.content_id.as_deref().unwrap_or("-"),
        m.metadata.labels.join(","),
        media_text(&m.metadata.media),
        m.metadata.derived.as_deref().unwrap_or("-"),
    )
}

/// Prints the exact and TMK hits of an upload, then its PDQ / vPDQ report; returns whether
/// anything matched.
fn print_upload(name: &str, r: &UploadReport, json: bool) -> bool {
    for e in &r.exact {
        if json {
            println!("{}", json_line("exact", name, e));
        } else {
            println!(
                "{name}\texact:{}\t{}\t{}\t{}\t{}",
                e.signal.name(),
                e.entry_id,
                e.digest,
                e.metadata.source,
                e.metadata.content_id.as_deref().unwrap_or("-"),
            );
        }
    }
    for t in &r.tmk {
        if json {
            let mut v = serde_json::to_value(t).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("signal".into(), "tmk".into());
            }
            println!("{}", json_line("tmk", name, v));
        } else {
            println!(
                "{name}\ttmk\t{}\tlevel1 {:.6}\tlevel2 {:.6}\tthresholds {}/{}\t{}\t{}\t{}",
                t.entry_id,
                t.level1,
                t.level2,
                t.level1_threshold,
                t.level2_threshold,
                t.metadata.source,
                t.metadata.content_id.as_deref().unwrap_or("-"),
                t.metadata.labels.join(","),
            );
        }
    }
    if let Some(p) = &r.perceptual {
        print_report(name, p, json);
    }
    r.is_match()
}

/// Prints a report; returns whether anything matched.
fn print_report(name: &str, r: &MatchReport, json: bool) -> bool {
    for m in &r.images {
        if json {
            println!("{}", json_line("image", name, m));
        } else {
            println!("{}", image_line(name, m));
        }
    }
    for f in &r.frame_hits {
        let q = format!("{name}@{}ms", f.timestamp_ms);
        if json {
            println!("{}", json_line("frame", &q, f));
        } else {
            println!("{}", image_line(&q, &f.hit));
        }
    }
    for v in &r.videos {
        if json {
            println!("{}", json_line("video", name, v));
            continue;
        }
        // the text output lists the videos the verdict matched; JSON carries every candidate
        // with its `matched` verdict and evidence
        if !v.matched {
            continue;
        }
        let segs: Vec<String> = if v.speed_segments.is_empty() {
            v.segments
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
                .collect()
        } else {
            v.speed_segments.iter().map(ToString::to_string).collect()
        };
        println!(
            "{name}\tvideo:{}\t{}\t{}\tquery {:.1}%\tknown {:.1}%\t{}",
            v.video_id,
            v.source,
            v.transform,
            v.query_pct,
            v.known_pct,
            if segs.is_empty() {
                "-".to_string()
            } else {
                segs.join("; ")
            }
        );
    }
    r.is_match()
}

fn run(args: &Args) -> mediamatch::Result<(bool, bool)> {
    let matcher = Matcher::new(options(args));
    let upload = UploadOptions::default().with_tmk(!args.no_tmk);
    // A `.mmdb` file, or a durable store (opened read-only, as a matcher of a fleet would).
    let checker = if args.db.extension().is_some_and(|e| e == "mmdb") {
        UploadChecker::from_database(Database::open(&args.db)?, matcher, upload)
    } else {
        UploadChecker::open_store(&args.db, IndexConfig::default(), matcher, upload)?
    };
    let (mut any, mut had_error) = (false, false);
    let mut report_error = |name: &str, e: &mediamatch::Error| {
        // library errors about files already name them
        let msg = e.to_string();
        if msg.contains(name) {
            eprintln!("{msg}");
        } else {
            eprintln!("{name}: {msg}");
        }
        had_error = true;
    };
    for hex in &args.hexes {
        match hex.trim().parse::<Hash256>() {
            Ok(h) => any |= print_upload(hex, &checker.check_hash(h), args.json),
            Err(e) => report_error(hex, &e.into()),
        }
    }
    for p in &args.paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            let r = std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(mediamatch::Error::from)
                .and_then(|_| checker.check_bytes(&bytes));
            match r {
                Ok(r) => any |= print_upload("-", &r, args.json),
                Err(e) => report_error("-", &e),
            }
            continue;
        }
        let files = match collect_files(std::slice::from_ref(p)) {
            Ok(f) => f,
            Err(e) => {
                report_error(&p.display().to_string(), &e.into());
                continue;
            }
        };
        for f in &files {
            let name = f.display().to_string();
            match checker.check_file(f) {
                Ok(r) => any |= print_upload(&name, &r, args.json),
                Err(e) => report_error(&name, &e),
            }
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
