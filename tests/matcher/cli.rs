//! The `match` example prints what the library returns: its JSON lines equal the library's
//! results for the same inputs, and its exit codes follow the documented convention.

use std::path::PathBuf;
use std::process::Command;

use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{MatchOptions, Matcher};

use super::{picture, scratch};

/// An example binary that `cargo test` builds next to the test binary.
fn example_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples");
    let p = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    p.exists().then_some(p)
}

/// The `match` binary, or `None` after printing why the test is skipped (a failure under
/// `CI=true`).
fn match_binary_or_skip() -> Option<PathBuf> {
    example_binary_or_skip("match")
}

/// An example binary, or `None` after printing why the test is skipped (a failure under
/// `CI=true`).
fn example_binary_or_skip(name: &str) -> Option<PathBuf> {
    let bin = example_binary(name);
    if bin.is_none() {
        let why = format!("the {name} example is not built (run the whole `cargo test`)");
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{why}");
        }
        eprintln!("skipping: {why}");
    }
    bin
}

#[test]
fn match_output_equals_the_library_call() {
    let Some(bin) = match_binary_or_skip() else {
        return;
    };
    let dir = scratch("cli");
    let lib = Matcher::new(MatchOptions::default());
    let mut db = Database::new();
    let img = picture(11, 240, 180);
    lib.bank_image(&mut db, &img, Metadata::new("bank").content_id("c11"), None)
        .unwrap();
    db.commit();
    let db_path = dir.join("bank.mmdb");
    db.save(&db_path).unwrap();
    // a mirrored copy with a caption bar, and an unrelated picture
    let mut canvas = image::RgbImage::from_pixel(240, 230, image::Rgb([40, 90, 200]));
    image::imageops::replace(&mut canvas, &img.fliph().to_rgb8(), 0, 50);
    let copy = dir.join("copy.png");
    canvas.save(&copy).unwrap();
    let other = dir.join("other.png");
    picture(12, 240, 180).save(&other).unwrap();

    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(&bin).args(args).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, stdout) = run(&[
        "--db".as_ref(),
        db_path.as_os_str(),
        "--json".as_ref(),
        copy.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let snap = Database::open(&db_path).unwrap();
    let report = lib.match_file(&snap, &copy).unwrap();
    assert_eq!(report.images.len(), 1);
    assert_eq!(lines.len(), report.images.len());
    let mut want = serde_json::to_value(&report.images[0]).unwrap();
    want["query"] = copy.display().to_string().into();
    want["kind"] = "image".into();
    assert_eq!(lines[0], want);
    assert!(
        lines[0]["derivation"]["view"].is_object(),
        "the matching view is named"
    );

    // nothing matched: 1; an error (missing file): 2
    let (code, stdout) = run(&["--db".as_ref(), db_path.as_os_str(), other.as_os_str()]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    let (code, _) = run(&[
        "--db".as_ref(),
        db_path.as_os_str(),
        dir.join("missing.png").as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    // --plain: the reference behaviour does not see through the caption bar
    let (code, _) = run(&[
        "--db".as_ref(),
        db_path.as_os_str(),
        "--plain".as_ref(),
        copy.as_os_str(),
    ]);
    assert_eq!(code, Some(1));
}

/// Against a durable store, `match` reports an unmodified known file as an exact file-hash
/// hit (without decoding it), and a modified copy through PDQ with the stored metadata and
/// quality read from the store, exactly as the library does on the store's full database.
#[test]
fn match_on_a_store_checks_exact_digests_first_then_pdq_with_metadata() {
    use mediamatch::db::{Store, StoreReader};
    use mediamatch::filehash::FileDigests;
    use mediamatch::index::IndexConfig;
    use mediamatch::PdqHasher;
    let Some(bin) = match_binary_or_skip() else {
        return;
    };
    let dir = scratch("cli-store");
    let img = picture(21, 240, 180);
    let known = dir.join("known.png");
    img.save(&known).unwrap();
    let store_path = dir.join("bank.db");
    {
        let mut store = Store::open(&store_path, IndexConfig::default()).unwrap();
        let meta = Metadata::new("bank").content_id("c21").label("t1");
        let h = PdqHasher::new().hash_file(&known).unwrap();
        store
            .insert_many(vec![(h.hash, Some(h.quality), meta.clone())])
            .unwrap();
        store
            .insert_file_digests(&FileDigests::of_file(&known).unwrap(), meta)
            .unwrap();
    }
    // the same pixels in another file: different bytes, same PDQ hash
    let copy = dir.join("copy.bmp.png");
    let mut px = img.to_rgb8();
    px.put_pixel(0, 0, image::Rgb([1, 2, 3]));
    px.save(&copy).unwrap();
    let out = Command::new(&bin)
        .args(["--db".as_ref(), store_path.as_os_str(), "--json".as_ref()])
        .args([known.as_os_str(), copy.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["kind"], "exact");
    assert_eq!(lines[0]["signal"], "md5");
    assert_eq!(lines[0]["metadata"]["content_id"], "c21");
    assert_eq!(
        lines[0]["digest"],
        FileDigests::of_file(&known)
            .unwrap()
            .get(mediamatch::filehash::ExactAlg::Md5)
            .to_string()
    );
    let reader = StoreReader::open(&store_path, IndexConfig::default()).unwrap();
    let full = reader.load_database().unwrap();
    let report = Matcher::new(MatchOptions::default())
        .match_file(&full, &copy)
        .unwrap();
    assert_eq!(report.images.len(), 1);
    let mut want = serde_json::to_value(&report.images[0]).unwrap();
    want["query"] = copy.display().to_string().into();
    want["kind"] = "image".into();
    assert_eq!(lines[1], want);
    assert_eq!(lines[1]["metadata"]["content_id"], "c21");
    assert_eq!(lines[1]["metadata"]["labels"][0], "t1");
    assert!(lines[1]["stored_quality"].as_u64().unwrap() >= 50);
}

/// The TMK+PDQF features of a video file, as `match` and `build_db` compute them (FFmpeg's
/// resampling with the `ffmpeg` feature, the built-in decoder's otherwise).
fn tmk_of(path: &std::path::Path) -> mediamatch::tmk::TmkFeatures {
    use mediamatch::video::VideoLimits;
    #[cfg(feature = "ffmpeg")]
    return mediamatch::tmk::hash_video_ffmpeg(path, VideoLimits::default()).unwrap();
    #[cfg(not(feature = "ffmpeg"))]
    return mediamatch::tmk::hash_video_builtin(path, VideoLimits::default()).unwrap();
}

/// The JSON lines of a `match` run, and its exit code.
fn match_json(
    bin: &std::path::Path,
    db: &std::path::Path,
    extra: &[&std::ffi::OsStr],
) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = Command::new(bin)
        .args(["--db".as_ref(), db.as_os_str(), "--json".as_ref()])
        .args(extra)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code(), lines)
}

/// A store holding the reference `.tmk` of the 9 sample clips: `match` on a clip's video
/// reports, as TMK hits, exactly the stored videos a brute-force scoring of our features
/// against every reference file passes at the reference thresholds (the clip itself first,
/// ≥ 0.99 at both levels), with the scores and metadata the library call returns; a banked
/// file's exact digest is reported without TMK (nothing decoded); `--no-tmk` skips TMK.
#[test]
fn match_on_a_store_reports_tmk_hits_as_the_library_and_brute_force_do() {
    use mediamatch::db::{Store, StoreReader};
    use mediamatch::filehash::FileDigests;
    use mediamatch::index::IndexConfig;
    use mediamatch::matcher::{UploadChecker, UploadOptions};
    use mediamatch::tmk::{level1, level2, TmkFeatures, TmkThresholds};
    let Some(bin) = match_binary_or_skip() else {
        return;
    };
    let Some(v) = crate::tmk::vectors() else {
        return;
    };
    let dir = scratch("cli-tmk");
    let store_path = dir.join("bank.db");
    let clip = "test-padded-dimensions";
    let query = v.join(format!("videos/{clip}.mp4"));
    let exact_clip = v.join("videos/doorknob-hd-no-bar.mp4");
    let mut refs = Vec::new();
    {
        let mut store = Store::open(&store_path, IndexConfig::default()).unwrap();
        for c in crate::tmk::CLIPS {
            let t = TmkFeatures::read_file(v.join(format!("tmk-regenerated-ffmpeg5.1/{c}.tmk")))
                .unwrap();
            let id = store
                .insert_tmk(&t, Metadata::new("gifct").content_id(c).label("tmk"))
                .unwrap();
            refs.push((id, c, t));
        }
        store
            .insert_file_digests(
                &FileDigests::of_file(&exact_clip).unwrap(),
                Metadata::new("gifct").content_id("doorknob-file"),
            )
            .unwrap();
    }
    // The brute-force oracle: our features of the query against every reference file.
    let ours = tmk_of(&query);
    let t = TmkThresholds::default();
    let mut want: Vec<(u64, &str, f32, f32)> = refs
        .iter()
        .map(|(id, c, r)| (*id, *c, level1(&ours, r), level2(&ours, r)))
        .filter(|&(_, _, l1, l2)| l1 >= t.level1 && l2 >= t.level2)
        .collect();
    want.sort_by(|a, b| b.3.total_cmp(&a.3));
    assert_eq!(want[0].1, clip);
    assert!(want[0].2 >= 0.99 && want[0].3 >= 0.99, "{want:?}");

    let (code, lines) = match_json(
        &bin,
        &store_path,
        &[query.as_os_str(), exact_clip.as_os_str()],
    );
    assert_eq!(code, Some(0));
    let name = query.display().to_string();
    let tmk_lines: Vec<&serde_json::Value> = lines.iter().filter(|l| l["kind"] == "tmk").collect();
    let got: Vec<(u64, &str, f32, f32)> = tmk_lines
        .iter()
        .map(|l| {
            assert_eq!(l["query"], name.as_str());
            assert_eq!(l["signal"], "tmk");
            assert_eq!(l["level1_threshold"].as_f64(), Some(0.7f32 as f64));
            assert_eq!(l["metadata"]["labels"][0], "tmk");
            (
                l["entry_id"].as_u64().unwrap(),
                l["metadata"]["content_id"].as_str().unwrap(),
                l["level1"].as_f64().unwrap() as f32,
                l["level2"].as_f64().unwrap() as f32,
            )
        })
        .collect();
    assert_eq!(got, want);
    // The same as the library's one call, line for line.
    let checker = UploadChecker::from_reader(
        StoreReader::open(&store_path, IndexConfig::default()).unwrap(),
        Matcher::new(MatchOptions::default()),
        UploadOptions::default(),
    )
    .unwrap();
    let report = checker.check_file(&query).unwrap();
    assert!(report.tmk_checked);
    let lib: Vec<serde_json::Value> = report
        .tmk
        .iter()
        .map(|h| {
            let mut j = serde_json::to_value(h).unwrap();
            j["signal"] = "tmk".into();
            j["query"] = name.as_str().into();
            j["kind"] = "tmk".into();
            j
        })
        .collect();
    // Scores compared as the f32 they are (serde_json's default float parser may differ from
    // the printed f64 in the last bit).
    let as_f32 = |mut v: serde_json::Value| {
        for k in ["level1", "level2", "level1_threshold", "level2_threshold"] {
            let x = v[k].as_f64().unwrap() as f32;
            v[k] = (x as f64).into();
        }
        v
    };
    assert_eq!(
        tmk_lines
            .into_iter()
            .cloned()
            .map(as_f32)
            .collect::<Vec<_>>(),
        lib.into_iter().map(as_f32).collect::<Vec<_>>()
    );
    // The banked file: one exact line, no TMK, nothing else.
    let exact_name = exact_clip.display().to_string();
    let of_exact: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["query"] == exact_name.as_str())
        .collect();
    assert_eq!(of_exact.len(), 1, "{of_exact:?}");
    assert_eq!(of_exact[0]["kind"], "exact");
    assert_eq!(of_exact[0]["metadata"]["content_id"], "doorknob-file");
    let r = checker.check_file(&exact_clip).unwrap();
    assert!(!r.tmk_checked && r.perceptual.is_none() && r.exact.len() == 1);
    // --no-tmk: no TMK lines.
    let (_, lines) = match_json(&bin, &store_path, &["--no-tmk".as_ref(), query.as_os_str()]);
    assert!(lines.iter().all(|l| l["kind"] != "tmk"), "{lines:?}");
}

/// `build_db` banks a video's TMK features (equal to the library's) beside its vPDQ frames and
/// digests, unless `--no-tmk`; `match` finds a byte-modified copy (an MP4 `free` box
/// appended: other digests, same pictures) by TMK at level 1 and level 2 ≈ 1.
#[test]
fn build_db_banks_tmk_and_match_finds_a_modified_copy_by_it() {
    use mediamatch::db::StoreReader;
    use mediamatch::index::IndexConfig;
    use mediamatch::tmk::TmkFeatures;
    let (Some(build), Some(bin)) = (example_binary_or_skip("build_db"), match_binary_or_skip())
    else {
        return;
    };
    let Some(v) = crate::tmk::vectors() else {
        return;
    };
    let dir = scratch("cli-build-tmk");
    let clip = dir.join("clip.mp4");
    std::fs::copy(v.join("videos/test-padded-dimensions.mp4"), &clip).unwrap();
    let store_path = dir.join("bank.db");
    let out = Command::new(&build)
        .args([
            "--out".as_ref(),
            store_path.as_os_str(),
            "--source".as_ref(),
            "bank".as_ref(),
        ])
        .arg(&clip)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = StoreReader::open(&store_path, IndexConfig::default()).unwrap();
    assert_eq!(reader.signal_counts(), (4, 1));
    // The stored value is the library's .tmk of the file, byte for byte.
    let ours = tmk_of(&clip);
    let found = reader
        .search_tmk(&ours, &mediamatch::tmk::TmkThresholds::default())
        .unwrap();
    assert_eq!(found.len(), 1);
    let stored = reader.get_signal(found[0].id).unwrap().unwrap();
    assert_eq!(stored.value, ours.to_bytes());
    assert_eq!(TmkFeatures::from_bytes(&stored.value).unwrap(), ours);
    assert_eq!(
        stored.metadata.content_id.as_deref(),
        Some(clip.display().to_string().as_str())
    );

    let mut bytes = std::fs::read(&clip).unwrap();
    bytes.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
    let copy = dir.join("copy.mp4");
    std::fs::write(&copy, &bytes).unwrap();
    let (code, lines) = match_json(&bin, &store_path, &[copy.as_os_str()]);
    assert_eq!(code, Some(0));
    assert!(lines.iter().all(|l| l["kind"] != "exact"), "{lines:?}");
    let tmk: Vec<&serde_json::Value> = lines.iter().filter(|l| l["kind"] == "tmk").collect();
    assert_eq!(tmk.len(), 1, "{lines:?}");
    assert!(tmk[0]["level1"].as_f64().unwrap() >= 0.9999);
    assert!(tmk[0]["level2"].as_f64().unwrap() >= 0.9999);

    // --no-tmk: digests and frames, no TMK entry.
    let store2 = dir.join("bank2.db");
    let out = Command::new(&build)
        .args(["--out".as_ref(), store2.as_os_str(), "--no-tmk".as_ref()])
        .arg(&clip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r2 = StoreReader::open(&store2, IndexConfig::default()).unwrap();
    assert_eq!(r2.signal_counts(), (4, 0));
    assert_eq!(r2.snapshot().len(), reader.snapshot().len());
}

/// Every file in `dir` with its bytes, sorted by name.
fn dir_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = if p.is_file() {
                std::fs::read(&p).unwrap()
            } else {
                Vec::new()
            };
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

/// `build_db --strict` with a file it cannot hash exits 2 and leaves an existing bank exactly as
/// it was, in both output formats (the single-file `.mmdb` and the durable store).
#[test]
fn build_db_strict_failure_leaves_the_existing_bank_byte_identical() {
    let Some(build) = example_binary_or_skip("build_db") else {
        return;
    };
    for out_name in ["bank.mmdb", "bank.db"] {
        let dir = scratch(&format!("strict-{out_name}"));
        let bank_dir = dir.join("bank");
        std::fs::create_dir_all(&bank_dir).unwrap();
        let good = dir.join("good.png");
        picture(21, 200, 150).save(&good).unwrap();
        let bad = dir.join("bad.png");
        std::fs::write(&bad, b"\x89PNG\r\n\x1a\nthis is not a picture").unwrap();
        let out = bank_dir.join(out_name);
        let first = Command::new(&build)
            .arg("--out")
            .arg(&out)
            .arg(&good)
            .output()
            .unwrap();
        assert_eq!(first.status.code(), Some(0), "{first:?}");
        let before = dir_bytes(&bank_dir);
        assert!(before.iter().any(|(_, b)| !b.is_empty()));
        for extra in [&["--strict"][..], &["--strict", "--append"][..]] {
            let second = Command::new(&build)
                .args(extra)
                .arg("--out")
                .arg(&out)
                .arg(&good)
                .arg(&bad)
                .output()
                .unwrap();
            assert_eq!(second.status.code(), Some(2), "{out_name} {extra:?}");
            let stderr = String::from_utf8_lossy(&second.stderr);
            assert_eq!(
                stderr.matches("bad.png").count(),
                1,
                "the bad file is named once: {stderr}"
            );
            assert!(
                dir_bytes(&bank_dir) == before,
                "{out_name} {extra:?}: the bank changed"
            );
        }
    }
}

/// `-` reads one upload from standard input: `hash -` prints what `hash FILE` prints (the
/// name aside) for an image and for a video, and `match -` finds what `match FILE` finds.
#[test]
fn hash_and_match_read_stdin_as_they_read_a_file() {
    let (Some(hash), Some(bin)) = (example_binary_or_skip("hash"), match_binary_or_skip()) else {
        return;
    };
    let dir = scratch("stdin");
    let img = dir.join("img.png");
    picture(31, 240, 180).save(&img).unwrap();
    let clip = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/video/gops-high-320x180.mp4");
    let run =
        |bin: &std::path::Path, args: &[&std::ffi::OsStr], stdin: Option<&std::path::Path>| {
            let mut cmd = Command::new(bin);
            cmd.args(args);
            if let Some(p) = stdin {
                cmd.stdin(std::fs::File::open(p).unwrap());
            }
            let out = cmd.output().unwrap();
            (out.status.code(), String::from_utf8(out.stdout).unwrap())
        };
    for file in [&img, &clip] {
        let (code, by_name) = run(&hash, &[file.as_os_str()], None);
        assert_eq!(code, Some(0), "{}", file.display());
        let (code, by_stdin) = run(&hash, &["-".as_ref()], Some(file));
        assert_eq!(code, Some(0));
        let strip = |s: &str, name: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.strip_suffix(name).unwrap_or(l).trim_end().to_string())
                .collect()
        };
        let want = strip(&by_name, &file.display().to_string());
        assert!(!want.is_empty());
        assert_eq!(strip(&by_stdin, "-"), want, "{}", file.display());
    }
    // the clip is hashed as a video (one vPDQ line per second), not as an image
    let (_, lines) = run(&hash, &["-".as_ref()], Some(&clip));
    assert!(lines.lines().count() > 1, "{lines}");

    let mut db = Database::new();
    let lib = Matcher::new(MatchOptions::default());
    let pic = image::open(&img).unwrap();
    lib.bank_image(&mut db, &pic, Metadata::new("bank").content_id("c31"), None)
        .unwrap();
    db.commit();
    let db_path = dir.join("bank.mmdb");
    db.save(&db_path).unwrap();
    let (code, by_name) = run(
        &bin,
        &[
            "--db".as_ref(),
            db_path.as_os_str(),
            "--json".as_ref(),
            img.as_os_str(),
        ],
        None,
    );
    assert_eq!(code, Some(0));
    let (code, by_stdin) = run(
        &bin,
        &[
            "--db".as_ref(),
            db_path.as_os_str(),
            "--json".as_ref(),
            "-".as_ref(),
        ],
        Some(&img),
    );
    assert_eq!(code, Some(0));
    let without_query = |s: &str| -> Vec<serde_json::Value> {
        s.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("query");
                v
            })
            .collect()
    };
    assert_eq!(without_query(&by_stdin), without_query(&by_name));
}

/// Every tool answers `--version` with its name and the crate's version, and documents the
/// exit-status convention in `--help`.
#[test]
fn every_tool_has_version_and_documents_its_exit_status() {
    for tool in [
        "hash",
        "build_db",
        "match",
        "import",
        "robustness",
        "gen_media",
    ] {
        let Some(bin) = example_binary_or_skip(tool) else {
            return;
        };
        let out = Command::new(&bin).arg("--version").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{tool} --version");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.trim_end().ends_with(env!("CARGO_PKG_VERSION")),
            "{tool}: {text}"
        );
        let help = Command::new(&bin).arg("--help").output().unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        assert!(help.contains("Exit status"), "{tool} --help: {help}");
    }
}
