//! Hash image files and directories (recursively) with PDQ, in parallel.
//!
//! ```text
//! cargo run --release --example hash -- [--json] [--dihedral] [--mode full|cli512] PATH...
//! ```
//!
//! Prints one line per image: `<pdq hex> <quality> <path>`; with `--dihedral` the eight hashes
//! (orig rot90 rot180 rot270 flipx flipy flipplus1 flipminus1) then quality and path; with
//! `--json` one JSON object per line. Unreadable files are reported on stderr with the reason,
//! the others are still hashed, and the exit status is then 2.
//!
//! What a file is comes from its first bytes ([`mediamatch::matcher::sniff`]), never from its
//! name (directories are walked for media extensions, files named on the command line and
//! stdin are sniffed). Videos (MP4/MOV; every container with the `ffmpeg` feature) and
//! animated GIFs are hashed one frame per second with vPDQ semantics and printed as vPDQ lines `frame,quality,hex,timestamp` followed
//! by a space and the path (`--json`: one object per frame).
//!
//! `--signals pdq,vpdq,tmk,md5,sha1,sha256,sha512` prints every listed signal type instead,
//! one line `<signal> <value> <path>` each (`--json`: one object per file, keyed by signal
//! type). The exact hashes (md5, sha1, sha256, sha512) are of the file bytes, computed while
//! the file is read; pdq applies to images, vpdq (one line per hashed frame) and tmk to
//! videos. The tmk value is the base64 `.tmk` file, the form the exchanges take; with
//! `--tmk-dir DIR` each video's `.tmk` is also written there as `<file name>.tmk`. TMK uses
//! FFmpeg's exact pre-processing with the `ffmpeg` feature, else the built-in decoder.
//!
//! `-` reads one file from standard input. Exit status: 0 all inputs hashed, 2 some input
//! could not be read or hashed (reported on stderr, naming the file once; the others are
//! still printed).

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

/// Hash images and videos: PDQ, vPDQ, TMK+PDQF and exact file hashes.
///
/// Exit status: 0 = every input hashed, 2 = an input could not be read or hashed.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Signal types to print (comma-separated): pdq, vpdq, tmk, md5, sha1, sha256, sha512.
    #[arg(long, value_delimiter = ',')]
    signals: Vec<String>,
    /// With `--signals ...,tmk`: also write each video's `.tmk` file into this directory.
    #[arg(long)]
    tmk_dir: Option<PathBuf>,
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
    /// Files and directories (walked recursively; in directories only files with a media
    /// extension are hashed, files named explicitly are always tried); `-` is standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[path = "common/media.rs"]
mod media;
use media::media_kind;

/// Whether the file holds a video or an animated image, from its first 64 KiB (an unreadable
/// file is left to the image path, which reports the error naming it).
fn is_video_file(p: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let read = std::fs::File::open(p).and_then(|f| f.take(64 << 10).read_to_end(&mut head));
    read.is_ok() && is_video_bytes(&head)
}

/// Whether the bytes are a video or an animated image (hashed frame by frame).
fn is_video_bytes(b: &[u8]) -> bool {
    use mediamatch::matcher::{sniff, MediaType};
    matches!(sniff(b), MediaType::Video | MediaType::AnimatedImage)
}

/// Expands the arguments into files, sorted within each directory; errors for unreadable paths.
fn collect(paths: &[PathBuf], out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
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
    if !args.signals.is_empty() {
        return signals::run(&args);
    }
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
            let r = if f.as_os_str() == "-" {
                read_stdin().and_then(|b| {
                    if is_video_bytes(&b) {
                        mediamatch::VideoHasher::new()
                            .hash_bytes(&b)
                            .map(Hashed::Video)
                    } else if args.dihedral {
                        hasher
                            .hash_bytes_dihedral(&b)
                            .map(|d| Hashed::Dihedral(Box::new(d)))
                    } else {
                        hasher.hash_bytes(&b).map(Hashed::Plain)
                    }
                })
            } else if is_video_file(f) {
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
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Standard input, at most 4 GiB.
fn read_stdin() -> mediamatch::Result<Vec<u8>> {
    use std::io::Read;
    let mut b = Vec::new();
    std::io::stdin()
        .lock()
        .take(4 << 30)
        .read_to_end(&mut b)
        .map_err(mediamatch::Error::from)?;
    Ok(b)
}

mod signals {
    //! `--signals`: every signal type of each input.
    use super::*;
    use base64::Engine;
    use mediamatch::filehash::{read_with_digests, FileDigests};
    use mediamatch::tmk::TmkFeatures;
    use mediamatch::video::{Mp4H264Source, VideoLimits};

    /// (signal type, value) pairs in request order, and the TMK features if computed.
    type Signals = (Vec<(String, String)>, Option<TmkFeatures>);

    const ALL: [&str; 7] = ["pdq", "vpdq", "tmk", "md5", "sha1", "sha256", "sha512"];

    /// Every requested signal of one input, as (signal type, value) pairs in request order.
    fn hash_one(path: &Path, wanted: &[String], hasher: &PdqHasher) -> mediamatch::Result<Signals> {
        let stdin = path.as_os_str() == "-";
        let (bytes, digests) = if stdin {
            let b = read_stdin()?;
            let d = FileDigests::of_bytes(&b);
            (b, d)
        } else {
            read_with_digests(path, 4 << 30)?
        };
        let is_video = is_video_bytes(&bytes);
        let mut out = Vec::new();
        let mut tmk_out = None;
        for w in wanted {
            match w.as_str() {
                "md5" => out.push((w.clone(), digests.md5.to_string())),
                "sha1" => out.push((w.clone(), digests.sha1.to_string())),
                "sha256" => out.push((w.clone(), digests.sha256.to_string())),
                "sha512" => out.push((w.clone(), digests.sha512.to_string())),
                "pdq" if !is_video => {
                    let h = hasher.hash_bytes(&bytes)?;
                    out.push((w.clone(), format!("{} {}", h.hash, h.quality)));
                }
                "vpdq" if is_video => {
                    for fr in mediamatch::VideoHasher::new().hash_bytes(&bytes)? {
                        out.push((
                            w.clone(),
                            format!(
                                "{},{},{},{}.{:03}",
                                fr.frame_number,
                                fr.hash.quality,
                                fr.hash.hash,
                                fr.timestamp_ms / 1000,
                                fr.timestamp_ms % 1000
                            ),
                        ));
                    }
                }
                "tmk" if is_video => {
                    let t = tmk_of(path, stdin, &bytes)?;
                    out.push((
                        w.clone(),
                        base64::engine::general_purpose::STANDARD.encode(t.to_bytes()),
                    ));
                    tmk_out = Some(t);
                }
                _ => {}
            }
        }
        Ok((out, tmk_out))
    }

    #[cfg(feature = "ffmpeg")]
    fn tmk_of(path: &Path, stdin: bool, bytes: &[u8]) -> mediamatch::Result<TmkFeatures> {
        if stdin {
            builtin(bytes)
        } else {
            mediamatch::tmk::hash_video_ffmpeg(path, VideoLimits::default())
        }
    }

    #[cfg(not(feature = "ffmpeg"))]
    fn tmk_of(_path: &Path, _stdin: bool, bytes: &[u8]) -> mediamatch::Result<TmkFeatures> {
        builtin(bytes)
    }

    fn builtin(bytes: &[u8]) -> mediamatch::Result<TmkFeatures> {
        let mut src = Mp4H264Source::from_bytes(bytes.to_vec().into(), VideoLimits::default())?;
        mediamatch::tmk::hash_frame_source(&mut src)
    }

    pub(super) fn run(args: &Args) -> ExitCode {
        let wanted: Vec<String> = args
            .signals
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect();
        if let Some(bad) = wanted.iter().find(|w| !ALL.contains(&w.as_str())) {
            eprintln!(
                "error: unknown signal type {bad:?} (known: {})",
                ALL.join(",")
            );
            return ExitCode::from(2);
        }
        let hasher = PdqHasher::new().with_exif_orientation(args.exif);
        let mut files = Vec::new();
        let mut errors = Vec::new();
        collect(&args.paths, &mut files, &mut errors);
        let mut failed = !errors.is_empty();
        for e in &errors {
            eprintln!("error: {e}");
        }
        let results: Vec<_> = files
            .par_iter()
            .map(|f| hash_one(f, &wanted, &hasher))
            .collect();
        for (f, r) in files.iter().zip(results) {
            let path = if f.as_os_str() == "-" {
                "-".to_string()
            } else {
                f.display().to_string()
            };
            match r {
                Ok((sigs, tmk)) => {
                    if let (Some(dir), Some(t)) = (&args.tmk_dir, tmk) {
                        let name = f
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "stdin".into());
                        let out = dir.join(format!("{name}.tmk"));
                        if let Err(e) = t.write_file(&out) {
                            failed = true;
                            eprintln!("error: {e}");
                        }
                    }
                    if args.json {
                        let mut obj = serde_json::Map::new();
                        obj.insert("path".into(), path.clone().into());
                        for (k, v) in sigs {
                            if k == "vpdq" {
                                let e = obj
                                    .entry("vpdq")
                                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                                if let serde_json::Value::Array(a) = e {
                                    a.push(v.into());
                                }
                            } else {
                                obj.insert(k, v.into());
                            }
                        }
                        println!("{}", serde_json::Value::Object(obj));
                    } else {
                        for (k, v) in sigs {
                            println!("{k} {v} {path}");
                        }
                    }
                }
                Err(e) => {
                    failed = true;
                    let msg = e.to_string();
                    if msg.contains(&path) {
                        eprintln!("error: {msg}");
                    } else {
                        eprintln!("error: {path}: {msg}");
                    }
                }
            }
        }
        if failed {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }
}
