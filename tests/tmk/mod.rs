//! TMK+PDQF against the reference vectors in `../shared/vpdq-vectors/`.

mod bad_input;
mod conformance;
mod index;
mod upload;
mod video;

use std::path::{Path, PathBuf};

/// `../shared/vpdq-vectors` (or `$MEDIAMATCH_SHARED/vpdq-vectors`); `None` with a printed
/// reason when absent, a failure under `CI=true`.
pub(crate) fn vectors() -> Option<PathBuf> {
    let dir = match std::env::var("MEDIAMATCH_SHARED") {
        Ok(p) => PathBuf::from(p).join("vpdq-vectors"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vpdq-vectors"),
    };
    if dir.join("tmk-regenerated-ffmpeg5.1/scores.csv").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "TMK vectors not found at {} (CI=true requires them)",
            dir.display()
        );
    }
    eprintln!("SKIPPED: TMK vectors not found at {}", dir.display());
    None
}

/// The 9 regenerated clips.
pub(crate) const CLIPS: [&str; 9] = [
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

/// Path of a `scores.csv` label (`regenerated-ffmpeg5.1/<clip>` or `upstream-ffmpeg4.1/<clip>`).
pub(crate) fn label_path(v: &Path, label: &str) -> PathBuf {
    let (dir, clip) = label.split_once('/').unwrap();
    let sub = match dir {
        "regenerated-ffmpeg5.1" => "tmk-regenerated-ffmpeg5.1",
        "upstream-ffmpeg4.1" => "tmk-sample-hashes",
        other => panic!("unknown label {other}"),
    };
    v.join(sub).join(format!("{clip}.tmk"))
}
