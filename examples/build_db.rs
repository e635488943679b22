//! Builds a hash store from image and video files/directories and/or hash lists.
//!
//! ```text
//! cargo run --release --example build_db -- --out bank.db --source my-bank photos/ \
//!     --list shared/pdq-vectors/hash-lists/haystack.txt
//! ```
//!
//! Images are hashed with PDQ (in parallel), videos with one PDQ hash per second (vPDQ); each
//! image we hold is also banked with its derived views (`mediamatch::matcher::bank_views`:
//! centre crops, side cuts, small rotations; marked `derived`, same content id) so that
//! cropped and tilted reposts are found, and each stored frame of a video with its own smaller
//! set (`BankViews::video`: centre crops of 96–80 % in steps of 4 %, rotations of ±2, ±3.5 and ±5°), unless
//! `--no-views`. A store also gets the MD5,
//! SHA-1, SHA-256 and SHA-512 of every media file, so `match` finds an unmodified re-upload
//! before decoding it, and each video of at least one second its TMK+PDQF features (one
//! fixed-size `.tmk` entry per video, same metadata; FFmpeg's resampling with the `ffmpeg`
//! feature, as the reference tool, the built-in decoder's otherwise; a second pass over the
//! video; `--no-tmk` turns it off). Lists
//! are one hex hash per line or CSV/TSV `hash,quality,...` (`-` reads standard input). The
//! output is a durable store (`db::Store`, SQLite) unless its name ends in `.mmdb`, which
//! writes the single-file format. Everything is hashed and parsed first and written as one
//! atomic batch at the end: a failed run leaves an existing output unchanged. An existing
//! output is extended with `--append` and otherwise refused (stores) or replaced (`.mmdb`).
//! Exit status: 0 on success, 2 on error (files that fail to decode are reported and
//! skipped; with `--strict` they are an error and nothing is written).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mediamatch::db::{read_hash_list, Database, ImportOptions, Metadata, OnBadLine, Store};
use mediamatch::filehash::FileDigests;
use mediamatch::index::IndexConfig;
use mediamatch::matcher::{bank_video_file, bank_views, BankViews, BankedFrame, BankedView};
use mediamatch::tmk::{TmkFeatures, MIN_TMK_FRAMES};
use mediamatch::video::{VideoHasher, VideoLimits};
use mediamatch::{decode_image_file, DecodeLimits, LumaImage, PdqHash, PdqHasher};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Hash images and import hash lists into a mediamatch store",
    after_help = "Exit status: 0 = written, 2 = error (the output is then unchanged)."
)]
struct Args {
    /// Store to write (`.mmdb`: the single-file format).
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
    /// Hash list to import (repeatable, `-` = stdin): hex per line, or CSV/TSV `hash,quality,content_id`.
    #[arg(long = "list")]
    lists: Vec<PathBuf>,
    /// Skip bad lines in lists (reported with their line number) instead of failing.
    #[arg(long)]
    skip_bad_lines: bool,
    /// Fail if any media file cannot be hashed.
    #[arg(long)]
    strict: bool,
    /// Bank images and videos without their derived views (plain PDQ only: one entry per
    /// image, one per stored video frame).
    #[arg(long)]
    no_views: bool,
    /// Do not bank videos' TMK+PDQF features (banked by default in a store, for videos of at
    /// least one second; computing them is a second pass over each video).
    #[arg(long)]
    no_tmk: bool,
    /// Image and video files or directories (searched recursively).
    paths: Vec<PathBuf>,
}

#[path = "common/media.rs"]
mod media;
use media::{collect_files, media_kind, Media};

enum Hashed {
    Image(PdqHash, Vec<BankedView>),
    /// The vPDQ frames, and the TMK features (`None`: not asked for, or under a second).
    Video(Vec<BankedFrame>, Option<TmkFeatures>),
    Failed(String),
}

/// The TMK+PDQF features of a video file: FFmpeg's resampling with the `ffmpeg` feature (as
/// the reference tool), the built-in decoder's otherwise.
fn tmk_of(path: &Path) -> mediamatch::Result<TmkFeatures> {
    #[cfg(feature = "ffmpeg")]
    return mediamatch::tmk::hash_video_ffmpeg(path, VideoLimits::default());
    #[cfg(not(feature = "ffmpeg"))]
    return mediamatch::tmk::hash_video_builtin(path, VideoLimits::default());
}

fn hash_one(hasher: &PdqHasher, path: &Path, views: bool, tmk: bool) -> Hashed {
    let video_views = if views {
        BankViews::video()
    } else {
        BankViews::none()
    };
    match media_kind(path) {
        Some(Media::Video) => {
            match bank_video_file(&VideoHasher::new(), hasher, path, &video_views) {
                Ok(frames) if tmk => match tmk_of(path) {
                    Ok(t) if t.frame_count >= MIN_TMK_FRAMES => Hashed::Video(frames, Some(t)),
                    Ok(_) => Hashed::Video(frames, None),
                    Err(e) => Hashed::Failed(format!("TMK: {e}")),
                },
                Ok(frames) => Hashed::Video(frames, None),
                Err(e) => Hashed::Failed(e.to_string()),
            }
        }
        _ if views => match decode_image_file(path, DecodeLimits::default(), false) {
            Ok(img) => {
                let luma = LumaImage::from_image(&img);
                let plain = hasher.hash(&luma);
                Hashed::Image(plain, bank_views(hasher, &luma, &BankViews::default()))
            }
            Err(e) => Hashed::Failed(e.to_string()),
        },
        _ => match hasher.hash_file(path) {
            Ok(h) => Hashed::Image(h, Vec::new()),
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

/// Names the file in an error that does not name one already.
fn in_file(path: &Path, e: mediamatch::Error) -> String {
    match &e {
        mediamatch::Error::Io(io) if io.path().is_some() => e.to_string(),
        _ => format!("{}: {e}", path.display()),
    }
}

type Entries = Vec<(mediamatch::Hash256, Option<u8>, Metadata)>;
/// The exact file digests of each banked media file, with its metadata.
type Exact = Vec<(FileDigests, Metadata)>;
/// The TMK features of each banked video, with its metadata.
type Tmks = Vec<(TmkFeatures, Metadata)>;

/// What a run banks.
#[derive(Default)]
struct Collected {
    entries: Entries,
    exact: Exact,
    tmk: Tmks,
}

/// Everything to insert, in argument order (lists, then media). `Err` names the file.
fn collect(args: &Args, template: &Metadata) -> Result<Collected, String> {
    let mut entries = Vec::new();
    let mut exact = Vec::new();
    let mut tmk = Vec::new();
    // TMK entries live in stores only.
    let want_tmk = !args.no_tmk && args.out.extension().is_none_or(|e| e != "mmdb");
    let opts = ImportOptions::default().on_bad_line(if args.skip_bad_lines {
        OnBadLine::Skip
    } else {
        OnBadLine::Fail
    });
    for list in &args.lists {
        let parsed = if list.as_os_str() == "-" {
            read_hash_list(std::io::stdin().lock(), &opts)
        } else {
            std::fs::File::open(list)
                .map_err(mediamatch::Error::from)
                .and_then(|f| read_hash_list(std::io::BufReader::new(f), &opts))
        }
        .map_err(|e| in_file(list, e))?;
        for e in &parsed.skipped {
            eprintln!("{}: skipped {e}", list.display());
        }
        eprintln!("{}: {} hashes", list.display(), parsed.rows.len());
        entries.extend(parsed.rows.into_iter().map(|r| r.into_entry(template)));
    }
    let files = collect_files(&args.paths).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Ok(Collected {
            entries,
            exact,
            tmk,
        });
    }
    let hasher = PdqHasher::new();
    let pb = bar(files.len() as u64, "hashing");
    let hashed: Vec<(PathBuf, (Option<FileDigests>, Hashed))> = files
        .par_iter()
        .map(|p| {
            let h = match FileDigests::of_file(p) {
                Ok(d) => (Some(d), hash_one(&hasher, p, !args.no_views, want_tmk)),
                Err(e) => (None, Hashed::Failed(e.to_string())),
            };
            pb.inc(1);
            (p.clone(), h)
        })
        .collect();
    pb.finish_and_clear();
    let mut failed = 0;
    for (path, (digests, h)) in hashed {
        if let (Some(d), false) = (digests, matches!(h, Hashed::Failed(_))) {
            exact.push((d, template.clone().content_id(path.display().to_string())));
        }
        match h {
            Hashed::Image(h, views) => {
                let meta = template.clone().content_id(path.display().to_string());
                entries.push((h.hash, Some(h.quality), meta.clone()));
                for v in views {
                    let m = meta.clone().derived(v.how);
                    entries.push((v.hash.hash, Some(v.hash.quality), m));
                }
            }
            Hashed::Video(frames, t) => {
                let video_id = path.display().to_string();
                if let Some(t) = t {
                    tmk.push((t, template.clone().content_id(video_id.clone())));
                }
                let meta = template.clone().content_id(video_id.clone());
                for f in frames {
                    entries.extend(f.entries(&video_id, &meta));
                }
            }
            Hashed::Failed(why) => {
                // Name the file once: most errors already carry the path.
                let name = path.display().to_string();
                if why.contains(&name) {
                    eprintln!("{why}");
                } else {
                    eprintln!("{name}: {why}");
                }
                failed += 1;
            }
        }
    }
    if args.strict && failed > 0 {
        return Err(format!(
            "{failed} file(s) could not be hashed (--strict): nothing written to {}",
            args.out.display()
        ));
    }
    Ok(Collected {
        entries,
        exact,
        tmk,
    })
}

fn run(args: Args) -> Result<(), String> {
    let mut template = Metadata::new(args.source.clone());
    template.labels = args.labels.clone();
    let Collected {
        entries,
        exact,
        tmk,
    } = collect(&args, &template)?;
    let out = &args.out;
    let n = entries.len();
    if out.extension().is_some_and(|e| e == "mmdb") {
        let mut db = if args.append && out.exists() {
            Database::open(out).map_err(|e| in_file(out, e))?
        } else {
            Database::new()
        };
        db.insert_many(entries).map_err(|e| in_file(out, e))?;
        db.save(out).map_err(|e| in_file(out, e))?;
        eprintln!("{}: {} entries ({n} new)", out.display(), db.len());
        return Ok(());
    }
    if out.exists() && !args.append {
        return Err(format!(
            "{}: exists; pass --append to extend it (a store is never replaced)",
            out.display()
        ));
    }
    let mut store = Store::open(out, IndexConfig::default()).map_err(|e| in_file(out, e))?;
    store.insert_many(entries).map_err(|e| in_file(out, e))?;
    let n_files = exact.len();
    let digests = exact
        .into_iter()
        .flat_map(|(d, m)| d.iter().map(move |x| (x, m.clone())).collect::<Vec<_>>())
        .collect();
    store
        .insert_exact_many(digests)
        .map_err(|e| in_file(out, e))?;
    let n_tmk = tmk.len();
    for (t, m) in &tmk {
        store
            .insert_tmk(t, m.clone())
            .map_err(|e| in_file(out, e))?;
    }
    store.save_index_cache().map_err(|e| in_file(out, e))?;
    store.checkpoint().map_err(|e| in_file(out, e))?;
    eprintln!(
        "{}: {} PDQ entries ({n} new), exact digests of {n_files} files, TMK of {n_tmk} videos",
        out.display(),
        store.snapshot().len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
