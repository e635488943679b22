//! Video re-upload benchmark on real footage: copies made with the `ffmpeg` command-line tool
//! (re-encodes, excerpts cut at fractional times, excerpts inside compilations, speed changes,
//! frame-rate changes, GIF copies, 9:16 re-frames with a blurred fill, picture-in-picture, zoom
//! crops, small rotations), each matched through the library's matching layer
//! ([`Matcher::match_file`], default options: dense query, the documented verdict) against a
//! database holding every original at one hash per second.
//!
//! ```text
//! robustness_video [--work DIR] [--seconds S] [--csv FILE] [--layouts] VIDEO_OR_DIR...
//! ```
//!
//! Per style it prints the copies made, the recall (the copy's own original *matched* with a
//! speed segment on the true timeline: both ends of the segment within ±1 s of the true known
//! time at its query times), the copies matched to their original at the wrong time, and the
//! false matches: any other original matched by a copy (except the content family a
//! compilation or a picture-in-picture copy takes its other footage from: true matches), and any
//! original matched by another original's query ("every pair"). Originals whose names share the part before the
//! first `-` are one content family (the vPDQ sample clips come in families), and matches
//! within a family are neither counted as false nor as recall. `--layouts` turns on the
//! per-frame layout candidates of the query ([`VideoQueryOptions::with_regions`]).
//!
//! Exit codes: 0 done, 2 error (a tool or file failed). `--version` prints the version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Parser;
use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{bank_video_file, BankViews, MatchOptions, MatchReport, Matcher};
use mediamatch::video::{SpeedSegment, VideoHasher, VideoQueryOptions};
use mediamatch::PdqHasher;

#[derive(Parser)]
#[command(
    version,
    about = "Video re-upload benchmark: ffmpeg-made copies matched by the library",
    after_help = "Exit status: 0 = done, 2 = error."
)]
struct Args {
    /// Original videos, or directories holding them (.mp4 .mov .avi .mkv .webm).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Scratch directory for the copies (made if missing; copies are reused when present).
    #[arg(long, default_value = "/tmp/mm-video-bench")]
    work: PathBuf,
    /// Only the first S seconds of each original are used.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Also write one CSV line per (copy, result) here.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Query with the per-frame layout candidates too (on top of the default's whole-video
    /// layouts).
    #[arg(long)]
    layouts: bool,
    /// Query without the whole-video layouts (the default before they existed).
    #[arg(long)]
    no_layouts: bool,
    /// Hash small whole-video layouts as they are (`LayoutConfig::enlarge` off).
    #[arg(long)]
    no_enlarge: bool,
    /// Bank the originals' frames without their derived views (plain vPDQ only).
    #[arg(long)]
    no_views: bool,
    /// Bank the originals' frames without their temporal neighbours (`frame-1`, `frame+1`).
    #[arg(long)]
    no_neighbours: bool,
    /// Bank no stand-ins for stored frames of quality below 50 (`stand-in-6`, …).
    #[arg(long)]
    no_stand_ins: bool,
    /// Only the styles whose name starts with one of these (comma-separated).
    #[arg(long)]
    only: Option<String>,
    /// For every copy not found, print the alignment's candidate segments against its own
    /// original (brute force, [`mediamatch::video::QueryVideo::verdict`]) to stderr.
    #[arg(long)]
    explain: bool,
}

/// An original: its path, name, family, size and length (s).
#[derive(Clone)]
struct Original {
    path: PathBuf,
    name: String,
    family: String,
    width: u32,
    height: u32,
    duration: f64,
}

/// Where the original shows in a copy: query time `q ∈ [q0, q0 + len]` shows known time
/// `k0 + speed × (q − q0)` (seconds).
#[derive(Clone, Copy, Debug)]
struct Truth {
    q0: f64,
    k0: f64,
    len: f64,
    speed: f64,
}

/// One copy to make: a style name, the ffmpeg arguments after the inputs, and the truth.
struct Copy {
    style: String,
    ext: &'static str,
    /// `-ss`/`-t` per input, the input path, and whether it is other footage (another
    /// original shown in the copy besides this one), in order.
    inputs: Vec<(Option<f64>, Option<f64>, PathBuf, bool)>,
    filter: String,
    truth: Truth,
}

fn probe(path: &Path) -> Result<(u32, u32, f64), String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height:format=duration"])
        .args(["-of", "default=nw=1"])
        .arg(path)
        .output()
        .map_err(|e| format!("ffprobe: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    match (get("width"), get("height"), get("duration")) {
        (Some(w), Some(h), Some(d)) => Ok((w as u32, h as u32, d)),
        _ => Err(format!("{}: ffprobe found no video stream", path.display())),
    }
}

/// Even size helper for the encoder.
fn even(x: f64) -> u32 {
    ((x / 2.0).round() as u32).max(1) * 2
}

/// The copies of original `o` (index `i` among `all`, the others giving "other footage").
fn copies_of(i: usize, all: &[Original], seconds: f64) -> Vec<Copy> {
    let o = &all[i];
    let d = o.duration.min(seconds);
    let other = all
        .iter()
        .cycle()
        .skip(i + 1)
        .take(all.len())
        .find(|x| x.family != o.family)
        .unwrap_or(o)
        .clone();
    let full = Truth {
        q0: 0.0,
        k0: 0.0,
        len: d,
        speed: 1.0,
    };
    let src = |ss: Option<f64>, t: Option<f64>| (ss, t, o.path.clone(), false);
    let (w, h) = (o.width, o.height);
    let mut v = Vec::new();
    let mut add = |style: String, ext, inputs, filter: String, truth| {
        v.push(Copy {
            style,
            ext,
            inputs,
            filter,
            truth,
        })
    };
    add(
        "reencode-crf32".into(),
        "mp4",
        vec![src(None, Some(d))],
        "null".into(),
        full,
    );
    // excerpts at fractional starts, 3 s and more
    for (len, frac) in [(3.0, 0.37), (5.0, 0.61), (8.0, 0.23)] {
        if d < len + 0.5 {
            continue;
        }
        let start = ((d - len) * frac * 100.0).round() / 100.0 + 0.13;
        let start = start.min(d - len);
        add(
            format!("excerpt-{len}s"),
            "mp4",
            vec![src(Some(start), Some(len))],
            "null".into(),
            Truth {
                q0: 0.0,
                k0: start,
                len,
                speed: 1.0,
            },
        );
    }
    // an excerpt inside a compilation: 3.5 s of other footage, 4 s of the original, 3 s more
    if d >= 4.5 {
        let start = ((d - 4.0) * 0.47 * 100.0).round() / 100.0 + 0.07;
        let od = other.duration.min(seconds);
        add(
            "compilation-4s".into(),
            "mp4",
            vec![
                (Some(0.0), Some(3.5f64.min(od)), other.path.clone(), true),
                (Some(start), Some(4.0), o.path.clone(), false),
                (
                    Some((od - 3.0).max(0.0)),
                    Some(3.0),
                    other.path.clone(),
                    true,
                ),
            ],
            format!(
                "[0:v]scale={w}:{h},setsar=1,fps=30[a];[1:v]scale={w}:{h},setsar=1,fps=30[b];\
                 [2:v]scale={w}:{h},setsar=1,fps=30[c];[a][b][c]concat=n=3:v=1:a=0"
            ),
            Truth {
                q0: 3.5f64.min(od),
                k0: start,
                len: 4.0,
                speed: 1.0,
            },
        );
    }
    for speed in [0.75, 1.25, 1.5] {
        add(
            format!("speed-{speed}"),
            "mp4",
            vec![src(None, Some(d))],
            format!("setpts=PTS/{speed},fps=30"),
            Truth {
                len: d / speed,
                speed,
                ..full
            },
        );
    }
    for fps in [24, 15] {
        add(
            format!("fps-{fps}"),
            "mp4",
            vec![src(None, Some(d))],
            format!("fps={fps}"),
            full,
        );
    }
    // a GIF of an excerpt from a fractional start, 10 fps, 320 wide
    let glen = 6.0f64.min(d - 0.6);
    add(
        "gif-6s".into(),
        "gif",
        vec![src(Some(0.53), Some(glen))],
        "fps=10,scale=320:-2:flags=lanczos".into(),
        Truth {
            q0: 0.0,
            k0: 0.53,
            len: glen,
            speed: 1.0,
        },
    );
    // 9:16 story: the whole frame fitted into the width, blurred fill above and below
    let (sw, sh) = (
        even(h as f64 * 9.0 / 16.0).max(360),
        even(h as f64).max(640),
    );
    add(
        "story-9x16".into(),
        "mp4",
        vec![src(None, Some(d))],
        format!(
            "split[a][b];[a]scale={sw}:{sh}:force_original_aspect_ratio=increase,crop={sw}:{sh},\
             gblur=sigma=20[bg];[b]scale={sw}:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2"
        ),
        full,
    );
    // picture-in-picture over other footage, the original at 40 % and 60 % of the width, in
    // a canvas of its orientation (a portrait video in a landscape canvas at 40 % of the
    // width would not fit: its window would show a crop)
    for pct in [40, 60] {
        let (bw, bh) = match h.cmp(&w) {
            std::cmp::Ordering::Greater => (720, 1280),
            std::cmp::Ordering::Equal => (1080, 1080),
            std::cmp::Ordering::Less => (1280, 720),
        };
        let pw = even(bw as f64 * pct as f64 / 100.0);
        add(
            format!("pip-{pct}pct"),
            "mp4",
            vec![
                (None, None, other.path.clone(), true),
                (None, Some(d), o.path.clone(), false),
            ],
            format!(
                "[0:v]scale={bw}:{bh},setsar=1,loop=loop=-1:size=32767,setpts=N/FRAME_RATE/TB[bg];\
                 [1:v]scale={pw}:-2[fg];[bg][fg]overlay=x=W*0.08:y=(H-h)/2:shortest=1"
            ),
            full,
        );
    }
    for pct in [10, 20] {
        let f = 1.0 - pct as f64 / 100.0;
        add(
            format!("zoom-{pct}pct"),
            "mp4",
            vec![src(None, Some(d))],
            format!("crop=iw*{f}:ih*{f},scale={w}:{h}"),
            full,
        );
    }
    for deg in [3, 5] {
        add(
            format!("rotate-{deg}deg"),
            "mp4",
            vec![src(None, Some(d))],
            format!("rotate={deg}*PI/180:fillcolor=black"),
            full,
        );
    }
    v
}

/// Makes the copy with ffmpeg (reused when present).
fn make(c: &Copy, out: &Path) -> Result<(), String> {
    if out.exists() {
        return Ok(());
    }
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y"]);
    for (ss, t, p, _) in &c.inputs {
        if let Some(ss) = ss {
            cmd.args(["-ss", &format!("{ss:.3}")]);
        }
        if let Some(t) = t {
            cmd.args(["-t", &format!("{t:.3}")]);
        }
        cmd.arg("-i").arg(p);
    }
    if c.inputs.len() > 1 || c.filter.contains(';') {
        cmd.args(["-filter_complex", &c.filter]);
    } else {
        cmd.args(["-vf", &c.filter]);
    }
    cmd.arg("-an");
    if c.ext == "mp4" {
        cmd.args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "28"]);
        cmd.args(["-pix_fmt", "yuv420p"]);
    }
    let tmp = out.with_extension(format!("part.{}", c.ext));
    cmd.arg(&tmp);
    let st = cmd.output().map_err(|e| format!("ffmpeg: {e}"))?;
    if !st.status.success() {
        return Err(format!(
            "ffmpeg failed for {}: {}",
            out.display(),
            String::from_utf8_lossy(&st.stderr)
        ));
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))
}

/// The largest error (s) of segment `s` against the truth, or `None` when it lies outside the
/// truth's query span by more than 1 s.
fn time_error(s: &SpeedSegment, t: &Truth) -> Option<f64> {
    let (qs, qe) = (s.query_start_ms as f64 / 1e3, s.query_end_ms as f64 / 1e3);
    if qs < t.q0 - 1.0 || qe > t.q0 + t.len + 1.0 {
        return None;
    }
    let at = |q: f64| t.k0 + t.speed * (q - t.q0);
    let e0 = (s.known_start_ms as f64 / 1e3 - at(qs)).abs();
    let e1 = (s.known_end_ms as f64 / 1e3 - at(qe)).abs();
    Some(e0.max(e1))
}

#[derive(Default)]
struct Row {
    copies: usize,
    found: usize,
    wrong_time: usize,
    false_matches: usize,
    /// Copies whose window holds fewer than two stored frames of quality >= 50.
    unmatchable: usize,
    errors: Vec<f64>,
    secs: f64,
}

fn collect(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let video = |p: &Path| {
        p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "mp4" | "mov" | "avi" | "mkv" | "webm"
            )
        })
    };
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = walk(p).into_iter().filter(|p| video(p)).collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Why a copy was missed: the brute-force verdict of its query against its own original, with
/// every candidate segment and the stored frames' qualities.
fn explain(
    hasher: &VideoHasher,
    opts: &MatchOptions,
    o: &Original,
    copy: &Path,
    truth: &Truth,
) -> Result<(), String> {
    let known = hasher
        .hash_file(&o.path)
        .map_err(|e| format!("{}: {e}", o.path.display()))?;
    let q = hasher
        .hash_query_file(copy, &opts.video)
        .map_err(|e| format!("{}: {e}", copy.display()))?;
    let v = q.verdict(&known);
    eprintln!(
        "miss {} (truth q0 {:.2} k0 {:.2} len {:.2} speed {}): {} query frames, stored qualities {:?}",
        copy.display(),
        truth.q0,
        truth.k0,
        truth.len,
        truth.speed,
        q.frames.len(),
        known.iter().map(|k| k.hash.quality).collect::<Vec<_>>()
    );
    for s in &v.candidates {
        eprintln!("  candidate {:?}: {s}", v.transform);
    }
    for l in &q.layouts {
        eprintln!("  layout {:?} {:?}", l.kind, l.rect);
    }
    // each stored frame inside the truth window: the nearest distance of the query frames
    // within 0.3 s of its true query time, over every transform and alternative
    let mut nearest = Vec::new();
    for k in &known {
        let kt = k.timestamp_ms as f64 / 1000.0;
        if kt < truth.k0 || kt > truth.k0 + truth.len {
            continue;
        }
        let qt = truth.q0 + (kt - truth.k0) / truth.speed;
        let d = q
            .frames
            .iter()
            .filter(|f| (f.timestamp_ms as f64 / 1000.0 - qt).abs() <= 0.3)
            .flat_map(|f| f.hashes.iter().flatten())
            .map(|h| h.hash.distance(&k.hash.hash))
            .min();
        nearest.push((k.timestamp_ms / 1000, d));
    }
    eprintln!("  nearest (stored s, distance) at the true time: {nearest:?}");
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("robustness_video: {e}");
        std::process::exit(2);
    }
}

fn run(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.work).map_err(|e| format!("{}: {e}", args.work.display()))?;
    let mut originals = Vec::new();
    for p in collect(&args.inputs) {
        let (width, height, duration) = probe(&p)?;
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("video")
            .to_string();
        let family = name.split('-').next().unwrap_or(&name).to_string();
        originals.push(Original {
            path: p,
            name,
            family,
            width,
            height,
            duration,
        });
    }
    if originals.is_empty() {
        return Err("no videos found in the given inputs".into());
    }
    // the database: every original's first `seconds`, one hash per second (plain vPDQ), each
    // frame with its derived views (`BankViews::video`) unless `--no-views`
    let hasher = VideoHasher::new();
    let mut views = if args.no_views {
        BankViews::none()
    } else {
        BankViews::video()
    };
    if args.no_neighbours {
        views.neighbour_frames = 0;
    }
    if args.no_stand_ins {
        views.stand_in_ms = 0;
    }
    let mut db = Database::new();
    let t_bank = Instant::now();
    // per original: the times of its stored frames of quality >= 50 (what a verdict can use)
    let mut usable: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for o in &originals {
        let frames = bank_video_file(&hasher, &PdqHasher::new(), &o.path, &views)
            .map_err(|e| format!("{}: {e}", o.path.display()))?;
        usable.insert(
            o.name.clone(),
            frames
                .iter()
                .filter(|f| f.frame.hash.quality >= 50)
                .map(|f| f.frame.timestamp_ms as f64 / 1000.0)
                .filter(|&t| t < args.seconds)
                .collect(),
        );
        let entries: Vec<_> = frames
            .iter()
            .filter(|f| (f.frame.timestamp_ms as f64) < args.seconds * 1000.0)
            .flat_map(|f| f.entries(&o.name, &Metadata::new("bench")))
            .collect();
        db.insert_many(entries).map_err(|e| e.to_string())?;
    }
    db.commit();
    eprintln!(
        "banked {} originals: {} entries ({} views per stored frame) in {:.1} s",
        originals.len(),
        db.len(),
        views.count(),
        t_bank.elapsed().as_secs_f64()
    );
    let snap = db.reader().snapshot();
    let mut opts = MatchOptions::default();
    if args.layouts {
        opts = opts.with_video(VideoQueryOptions::dense_layouts());
    }
    if args.no_layouts {
        let video = opts.video.clone().with_layouts(None);
        opts = opts.with_video(video);
    }
    if args.no_enlarge {
        let layouts = opts.video.layouts.map(|mut l| {
            l.enlarge = None;
            l
        });
        let video = opts.video.clone().with_layouts(layouts);
        opts = opts.with_video(video);
    }
    let matcher = Matcher::new(opts);
    let family_of: BTreeMap<&str, &str> = originals
        .iter()
        .map(|o| (o.name.as_str(), o.family.as_str()))
        .collect();
    let only: Vec<String> = args
        .only
        .as_deref()
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut csv = String::from("original,style,matched_own,time_error_s,false_matches\n");
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    // every pair: each original's own dense query must not match another family
    let mut pair_false = 0;
    for o in &originals {
        let r = matcher
            .match_file(&snap, &o.path)
            .map_err(|e| format!("{}: {e}", o.path.display()))?;
        for v in r.videos.iter().filter(|v| v.matched) {
            if family_of.get(v.video_id.as_str()) != Some(&o.family.as_str()) {
                pair_false += 1;
                eprintln!("false match: original {} -> {}", o.name, v.video_id);
            }
        }
    }
    for i in 0..originals.len() {
        let o = &originals[i];
        for c in copies_of(i, &originals, args.seconds) {
            if !only.is_empty() && !only.iter().any(|p| c.style.starts_with(p.as_str())) {
                continue;
            }
            let out = args.work.join(format!("{}--{}.{}", o.name, c.style, c.ext));
            make(&c, &out)?;
            let t = Instant::now();
            let r: MatchReport = matcher
                .match_file(&snap, &out)
                .map_err(|e| format!("{}: {e}", out.display()))?;
            let secs = t.elapsed().as_secs_f64();
            if !rows.contains_key(&c.style) {
                order.push(c.style.clone());
            }
            let row = rows.entry(c.style.clone()).or_default();
            row.copies += 1;
            // fewer than two usable stored frames inside the copy: no rule can match it
            let (k0, k1) = (c.truth.k0, c.truth.k0 + c.truth.len * c.truth.speed);
            let inside = usable[&o.name]
                .iter()
                .filter(|&&t| t >= k0 - 0.05 && t <= k1 + 0.05)
                .count();
            if inside < 2 {
                row.unmatchable += 1;
            }
            row.secs += secs;
            let mut err = None;
            let mut own = false;
            let mut falses = 0;
            let footage: Vec<String> = c
                .inputs
                .iter()
                .filter(|i| i.3)
                .filter_map(|i| i.2.file_stem().and_then(|s| s.to_str()).map(str::to_string))
                .collect();
            let footage_families: Vec<&str> = footage
                .iter()
                .filter_map(|n| family_of.get(n.as_str()).copied())
                .collect();
            for v in r.videos.iter().filter(|v| v.matched) {
                let fam = family_of.get(v.video_id.as_str()).copied().unwrap_or("");
                if v.video_id != o.name && footage_families.contains(&fam) {
                    continue; // the copy does show that content too
                }
                if v.video_id == o.name {
                    own = true;
                    err = v
                        .speed_segments
                        .iter()
                        .filter_map(|s| time_error(s, &c.truth))
                        .reduce(f64::min);
                } else if family_of.get(v.video_id.as_str()) != Some(&o.family.as_str()) {
                    falses += 1;
                    eprintln!("false match: {} -> {}", out.display(), v.video_id);
                }
            }
            match err {
                Some(e) if e <= 1.0 => {
                    row.found += 1;
                    row.errors.push(e);
                }
                _ if own => row.wrong_time += 1,
                _ => {}
            }
            if args.explain && !err.is_some_and(|e| e <= 1.0) {
                for v in r.videos.iter().filter(|v| v.video_id == o.name) {
                    for s in &v.speed_segments {
                        eprintln!("  matched {}: segment {s}", v.matched);
                    }
                }
                explain(&hasher, matcher.options(), o, &out, &c.truth)?;
            }
            row.false_matches += falses;
            csv.push_str(&format!(
                "{},{},{},{},{}\n",
                o.name,
                c.style,
                own,
                err.map_or(String::new(), |e| format!("{e:.3}")),
                falses
            ));
        }
    }
    println!(
        "{} originals ({} families), first {} s each, {} stored frame hashes; query options: {}",
        originals.len(),
        family_of
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        args.seconds,
        snap.len(),
        match (args.layouts, args.no_layouts) {
            (true, false) => "dense + per-frame layouts",
            (true, true) => "dense + per-frame layouts, no whole-video layouts",
            (false, true) => "dense, no whole-video layouts",
            (false, false) => "default (dense)",
        }
    );
    println!(
        "{:<16} {:>6} {:>8} {:>10} {:>6} {:>10} {:>10} {:>8} {:>9}",
        "style",
        "copies",
        "recall",
        "wrong-time",
        "false",
        "err-mean",
        "err-max",
        "s/query",
        "<2usable"
    );
    let (mut all_copies, mut all_found, mut all_false) = (0, 0, pair_false);
    let mut all_unmatchable = 0;
    for style in &order {
        let r = &rows[style];
        let mean = r.errors.iter().sum::<f64>() / r.errors.len().max(1) as f64;
        let max = r.errors.iter().copied().fold(0.0, f64::max);
        println!(
            "{:<16} {:>6} {:>7.1}% {:>10} {:>6} {:>9.2}s {:>9.2}s {:>8.2} {:>9}",
            style,
            r.copies,
            100.0 * r.found as f64 / r.copies.max(1) as f64,
            r.wrong_time,
            r.false_matches,
            mean,
            max,
            r.secs / r.copies.max(1) as f64,
            r.unmatchable
        );
        all_unmatchable += r.unmatchable;
        all_copies += r.copies;
        all_found += r.found;
        all_false += r.false_matches;
    }
    println!(
        "all: {all_found}/{all_copies} copies found at the true time; false matches: {all_false} \
         ({pair_false} among the originals' own queries); {all_unmatchable} copies hold fewer \
         than two stored frames of quality >= 50 (<2usable: no verdict can match them)"
    );
    if let Some(p) = &args.csv {
        std::fs::write(p, csv).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}
