//! Shared by the image benchmarks: the originals of a run, decoded and shrunk.
//! (Included with `#[path]`, next to `media.rs`.)

use std::path::PathBuf;

use image::DynamicImage;
use mediamatch::{decode_image_file, DecodeLimits};
use rayon::prelude::*;

/// Decodes `paths` on all cores, shrinking images larger than `max_side` on a side (0: keep);
/// an undecodable file is reported on stderr and left out. Order is kept.
pub fn load_originals(paths: &[PathBuf], max_side: u32) -> Vec<(PathBuf, DynamicImage)> {
    let limits = DecodeLimits::default();
    paths
        .par_iter()
        .filter_map(|p| match decode_image_file(p, limits, false) {
            Ok(img) => {
                let img = if max_side > 0 && (img.width() > max_side || img.height() > max_side) {
                    img.resize(max_side, max_side, image::imageops::FilterType::Triangle)
                } else {
                    img
                };
                Some((p.clone(), img))
            }
            Err(e) => {
                eprintln!("warning: skipping {}: {e}", p.display());
                None
            }
        })
        .collect()
}
