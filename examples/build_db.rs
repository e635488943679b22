//! Builds a hash database from image and video files/directories and/or hash lists.
//!
//! ```text
//! cargo run --release --example build_db -- --out bank.mmdb --source my-bank photos/ \
//!     --list shared/pdq-vectors/hash-lists/haystack.txt
//! ```
//!
//! Images are hashed with PDQ (in parallel), videos with one PDQ hash per second (vPDQ); lists are one hex hash per line or CSV/TSV
//! `hash,quality,...`. With `--append` an existing database is extended. Exit status: 0 on
//! success, 2 on error (files that fail to decode are reported and skipped; with `--strict`
//! they are an error).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::db::{Database, ImportOptions, MediaKind, Metadata, OnBadLine};
use mediamatch::video::{FrameHash, VideoHasher};
use mediamatch::{PdqHash, PdqHasher};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "Hash images and import hash lists into a mediamatch database")]
struct Args {
    /// Database file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Extend the database if the file exists (instead of replacing it).
    #[arg(long)]
    append: bool,
    /// Source (bank) name stored with every entry.
    #[arg(long, default_value = "local")]
    source: String,
    /// Label stored with every entry (repeatable).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// Hash list to import (repeatable): hex per line, or CSV/TSV `hash,quality,content_id`.
    #[arg(long = "list")]
    lists: Vec<PathBuf>,
    /// Skip bad lines in lists (reported with their line number) instead of failing.
    #[arg(long)]
    skip_bad_lines: bool,
    /// Fail if any media file cannot be hashed.
    #[arg(long)]
    strict: bool,
    /// Image and video files or directories (searched recursively).
    paths: Vec<PathBuf>,
}

#[path = "common/media.rs"]
mod media;
use media::{collect_files, media_kind, Media};

enum Hashed {
    Image(PdqHash),
    Video(Vec<FrameHash>),
    Failed(String),
}

fn hash_one(hasher: &PdqHasher, path: &Path) -> Hashed {
    match media_kind(path) {
        Some(Media::Video) => match VideoHasher::new().hash_file(path) {
            Ok(frames) => Hashed::Video(frames),
            Err(e) => Hashed::Failed(e.to_string()),
        },
        _ => match hasher.hash_file(path) {
            Ok(h) => Hashed::Image(h),
            Err(e) => Hashed::Failed(e.to_string()),
        },
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise}, eta {eta}]")
    {
        pb.set_style(style);
    }
    pb.set_message(what.to_string());
    pb
}

fn run(args: Args) -> mediamatch::Result<bool> {
    let mut db = if args.append && args.out.exists() {
        Database::open(&args.out)?
    } else {
        Database::new()
    };
    let before = db.len();
    let mut template = Metadata::new(args.source.clone());
    template.labels = args.labels.clone();
    let mut ok = true;

    for list in &args.lists {
        let file = std::fs::File::open(list).map_err(mediamatch::Error::from)?;
        let opts = ImportOptions::default().on_bad_line(if args.skip_bad_lines {
            OnBadLine::Skip
        } else {
            OnBadLine::Fail
        });
        let report = db.import_list(std::io::BufReader::new(file), &opts, &template)?;
        for e in &report.skipped {
            eprintln!("{}: skipped {e}", list.display());
        }
        eprintln!(
            "{}: imported {} hashes",
            list.display(),
            report.ids.end - report.ids.start
        );
    }

    let files = collect_files(&args.paths).map_err(mediamatch::Error::from)?;
    if !files.is_empty() {
        let hasher = PdqHasher::new();
        let pb = bar(files.len() as u64, "hashing");
        let hashed: Vec<(PathBuf, Hashed)> = files
            .par_iter()
            .map(|p| {
                let h = hash_one(&hasher, p);
                pb.inc(1);
                (p.clone(), h)
            })
            .collect();
        pb.finish_and_clear();
        let mut entries = Vec::new();
        for (path, h) in hashed {
            match h {
                Hashed::Image(h) => {
                    let meta = template.clone().content_id(path.display().to_string());
                    entries.push((h.hash, Some(h.quality), meta));
                }
                Hashed::Video(frames) => {
                    let video_id = path.display().to_string();
                    for f in frames {
                        let meta = template.clone().content_id(video_id.clone()).media(
                            MediaKind::VideoFrame {
                                video_id: video_id.clone(),
                                timestamp_ms: f.timestamp_ms,
                            },
                        );
                        entries.push((f.hash.hash, Some(f.hash.quality), meta));
                    }
                }
                Hashed::Failed(why) => {
                    eprintln!("{}: {why}", path.display());
                    ok = !args.strict && ok;
                }
            }
        }
        db.insert_many(entries)?;
    }
    db.save(&args.out)?;
    eprintln!(
        "{}: {} entries ({} new)",
        args.out.display(),
        db.len(),
        db.len() - before
    );
    Ok(ok)
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
