//! Locating `../shared` and small helpers.

use std::path::PathBuf;

/// `MEDIAMATCH_SHARED`, or `../shared` beside the crate. `None` (with a printed reason) when
/// absent, except under `CI=true`, where absence fails the test.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("MEDIAMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("vpdq-vectors").is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "shared test data not found at {} (set MEDIAMATCH_SHARED)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

pub fn vectors() -> Option<PathBuf> {
    shared().map(|d| d.join("vpdq-vectors"))
}

/// The 9 sample videos that are present in the shared vectors.
pub const VIDEOS: [&str; 9] = [
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "doorknob-hd-no-bar",
    "pattern-hd-no-bar",
    "pattern-longer-no-bar",
    "pattern-sd-grey-bar",
    "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
    "test-padded-dimensions",
];
