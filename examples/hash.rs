//! Hash image files and directories (recursively) with PDQ, in parallel.
//!
//! ```text
//! cargo run --release --example hash -- [--json] [--dihedral] [--mode full|cli512] PATH...
//! ```
//!
//! Prints one line per image: `<pdq hex> <quality> <path>`; with `--dihedral` the eight hashes
//! (orig rot90 rot180 rot270 flipx flipy flipplus1 flipminus1) then quality and path; with
//! `--json` one JSON object per line. Unreadable files are reported on stderr with the reason,
//! the others are still hashed, and the exit status is then 1.
//!
//! Videos (`.mp4`, `.mov`, `.m4v`; more with the `ffmpeg` feature) are hashed one frame per
//! second with vPDQ semantics and printed as vPDQ lines `frame,quality,hex,timestamp` followed
//! by a space and the path (`--json`: one object per frame).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::{Dihedral, PdqHash, PdqHasher, PdqMode};
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    /// Full resolution (python-threatexchange / HMA parity), the default.
    Full,
    /// The C++ pdq-photo-hasher's 512x512 nearest-neighbour squash.
    Cli512,
}

/// Hash images with PDQ.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Print the eight dihedral hashes.
    #[arg(long)]
    dihedral: bool,
    /// Front end.
    #[arg(long, value_enum, default_value = "full")]
    mode: Mode,
    /// Apply the EXIF orientation before hashing (the reference ignores it).
    #[arg(long)]
    exif: bool,
    /// Files and directories (walked recursively; in directories only files with an image
    /// extension are hashed, files named explicitly are always tried).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[path = "common/media.rs"]
mod media;
use media::{media_kind, Media};

fn has_video_ext(p: &Path) -> bool {
    matches!(media_kind(p), Some(Media::Video))
}

/// Expands the arguments into files, sorted within each directory; errors for unreadable paths.
fn collect(paths: &[PathBuf], out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, out, errors),
            Ok(_) => out.push(p.clone()),
            Err(e) => errors.push(format!("{}: {e}", p.display())),
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    let mut items: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    items.sort();
    for p in items {
        if p.is_dir() {
            walk(&p, out, errors);
        } else if media_kind(&p).is_some() {
            out.push(p);
        }
    }
}

enum Hashed {
    Plain(PdqHash),
    Dihedral(Box<[PdqHash; 8]>),
    Video(Vec<mediamatch::video::FrameHash>),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mode = match args.mode {
        Mode::Full => PdqMode::Full,
        Mode::Cli512 => PdqMode::Cli512,
    };
    let hasher = PdqHasher::new()
        .with_mode(mode)
        .with_exif_orientation(args.exif);

    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect(&args.paths, &mut files, &mut errors);
    for e in &errors {
        eprintln!("error: {e}");
    }

    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} images {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Vec<mediamatch::Result<Hashed>> = files
        .par_iter()
        .map(|f| {
            let r = if has_video_ext(f) {
                mediamatch::VideoHasher::new()
                    .hash_file(f)
                    .map(Hashed::Video)
            } else if args.dihedral {
                hasher
                    .hash_file_dihedral(f)
                    .map(|d| Hashed::Dihedral(Box::new(d)))
            } else {
                hasher.hash_file(f).map(Hashed::Plain)
            };
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();

    let mut failed = !errors.is_empty();
    for (f, r) in files.iter().zip(results) {
        let path = f.display().to_string();
        match r {
            Ok(Hashed::Plain(h)) if args.json => println!(
                "{}",
                serde_json::json!({"path": path, "pdq": h.hash, "quality": h.quality})
            ),
            Ok(Hashed::Plain(h)) => println!("{} {} {}", h.hash, h.quality, path),
            Ok(Hashed::Dihedral(d)) if args.json => {
                let mut obj = serde_json::Map::new();
                obj.insert("path".into(), path.into());
                obj.insert("pdq".into(), d[0].hash.to_string().into());
                obj.insert("quality".into(), d[0].quality.into());
                for (v, h) in Dihedral::ALL.iter().zip(d.iter()) {
                    obj.insert(v.name().into(), h.hash.to_string().into());
                }
                println!("{}", serde_json::Value::Object(obj));
            }
            Ok(Hashed::Dihedral(d)) => {
                let hs: Vec<String> = d.iter().map(|h| h.hash.to_string()).collect();
                println!("{} {} {}", hs.join(" "), d[0].quality, path);
            }
            Ok(Hashed::Video(frames)) => {
                for fr in frames {
                    if args.json {
                        println!(
                            "{}",
                            serde_json::json!({"path": path, "frame": fr.frame_number,
                                "timestamp_ms": fr.timestamp_ms, "pdq": fr.hash.hash,
                                "quality": fr.hash.quality})
                        );
                    } else {
                        println!(
                            "{},{},{},{}.{:03} {}",
                            fr.frame_number,
                            fr.hash.quality,
                            fr.hash.hash,
                            fr.timestamp_ms / 1000,
                            fr.timestamp_ms % 1000,
                            path
                        );
                    }
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
