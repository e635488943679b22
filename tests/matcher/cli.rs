//! The `match` example prints what the library returns: its JSON lines equal the library's
//! results for the same inputs, and its exit codes follow the documented convention.

use std::path::PathBuf;
use std::process::Command;

use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{MatchOptions, Matcher};

use super::{picture, scratch};

/// The example binary that `cargo test` builds next to the test binary.
fn match_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples");
    let p = dir.join(format!("match{}", std::env::consts::EXE_SUFFIX));
    p.exists().then_some(p)
}

/// The binary, or `None` after printing why the test is skipped (a failure under `CI=true`).
fn match_binary_or_skip() -> Option<PathBuf> {
    let bin = match_binary();
    if bin.is_none() {
        let why = "the match example is not built (run the whole `cargo test`)";
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
