//! Shared by the examples: what a file is by extension, and walking directories for media.
//! (Included with `#[path]`, so each example stays a single binary.)

use std::path::{Path, PathBuf};

/// What a file is, by extension.
pub enum Media {
    /// A still image.
    Image,
    /// A video.
    Video,
}

/// Classifies a file by its extension (case-insensitive); `None` for anything else.
pub fn media_kind(path: &Path) -> Option<Media> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "tif" | "tiff" | "webp" | "pnm" | "ppm"
        | "pgm" | "pbm" => Some(Media::Image),
        "mp4" | "mov" | "mkv" | "webm" | "avi" | "m4v" => Some(Media::Video),
        _ => None,
    }
}

/// All media files under `paths` (files given explicitly are kept whatever their extension).
/// (`hash` has its own walker, which reports unreadable paths and goes on.)
#[allow(dead_code)]
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            entries.reverse();
            stack.extend(
                entries
                    .into_iter()
                    .filter(|e| e.is_dir() || media_kind(e).is_some()),
            );
        } else {
            out.push(p);
        }
    }
    Ok(out)
}
