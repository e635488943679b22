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

#[test]
fn match_output_equals_the_library_call() {
    let Some(bin) = match_binary() else {
        let why = "the match example is not built (run the whole `cargo test`)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{why}");
        }
        eprintln!("skipping: {why}");
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
