//! The robustness benchmark's library part: transformed copies and match metrics. Nothing in
//! the library imports this module; matching itself lives in [`crate::matcher`] and region
//! recovery in [`crate::region`]. Compiled with the `bench` cargo feature.
//!
//! * [`transform`]: the image transformations of the robustness benchmark
//!   (`examples/robustness.rs`), each deterministic given a seed.
//! * [`repost`]: repost styles that change the geometry (caption bars, screenshots, frames,
//!   stories, picture-in-picture, collages, uneven crops, tilts, photos of a screen).
//! * [`Style`]: one row of the benchmark, a transformation or a repost style.
//! * [`metrics`]: recall, distance percentiles and false-match rates.
//! * [`video`]: the video transformations, applied to a stream of frames.
//! * [`SplitMix64`] and [`text_mask`]: the tiny seeded PRNG and blocky font the transformations
//!   use, public so that examples and tests can generate media and labels without extra crates.
//!
//! ```
//! use mediamatch::matcher::{MatchOptions, QueryPlan};
//! use mediamatch::robustness::{query_distance, Bars, Transform};
//! use mediamatch::{LumaImage, PdqHash, PdqHasher};
//! use image::{DynamicImage, RgbImage};
//! let img = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
//!     image::Rgb([(x * x / 90 + y) as u8, (y * 2) as u8, ((x ^ y) * 3) as u8])
//! }));
//! let hasher = PdqHasher::new();
//! let stored = hasher.hash_image(&img).hash;
//! let copy = Transform::Letterbox { bars: Bars::Black }.apply(&img, 0)?;
//! let plan = QueryPlan::image(&hasher, &LumaImage::from_image(&copy), &MatchOptions::default());
//! let q: Vec<PdqHash> = plan.hashes.iter().map(|h| h.hash).collect();
//! assert!(query_distance(&q, &[stored]).distance <= PdqHash::MATCH_THRESHOLD);
//! Ok::<(), mediamatch::Error>(())
//! ```

mod glyph;
pub mod metrics;
mod prng;
pub mod repost;
mod screen;
mod style;
pub mod transform;
pub mod video;

pub use glyph::text_mask;
pub use metrics::{
    histogram, percentile, query_distance, DistinctPairStats, TruePair, TruePairStats,
};
pub use prng::SplitMix64;
pub use repost::{Repost, Side};
pub use style::Style;
pub use transform::{Bars, Transform};
pub use video::{generated_frame, Placement, VideoTransform, VideoTransformer};
