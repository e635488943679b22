//! Robustness: transformed copies, match metrics, and the query-side features that raise recall.
//!
//! * [`transform`]: the image transformations of the robustness benchmark
//!   (`examples/robustness.rs`), each deterministic given a seed.
//! * [`metrics`]: recall, distance percentiles and false-match rates.
//! * [`video`]: the video transformations, applied to a stream of frames.
//! * [`query`]: dihedral querying and letterbox removal on the *query* side, so that the hash
//!   stored for an image stays the plain reference PDQ that other platforms can match.
//! * [`SplitMix64`] and [`text_mask`]: the tiny seeded PRNG and blocky font the transformations
//!   use, public so that examples and tests can generate media and labels without extra crates.
//!
//! ```
//! use mediamatch::robustness::{query_distance, query_hashes, Bars, QueryOptions, Transform};
//! use mediamatch::{LumaImage, PdqHash, PdqHasher};
//! use image::{DynamicImage, RgbImage};
//! let img = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
//!     image::Rgb([(x * x / 90 + y) as u8, (y * 2) as u8, ((x ^ y) * 3) as u8])
//! }));
//! let hasher = PdqHasher::new();
//! let stored = hasher.hash_image(&img).hash;
//! let copy = Transform::Letterbox { bars: Bars::Black }.apply(&img, 0)?;
//! let q = query_hashes(&hasher, &LumaImage::from_image(&copy), &QueryOptions::default());
//! assert!(query_distance(&q, &stored).distance <= PdqHash::MATCH_THRESHOLD);
//! Ok::<(), mediamatch::Error>(())
//! ```

mod glyph;
pub mod metrics;
mod prng;
pub mod query;
pub mod transform;
pub mod video;

pub use glyph::text_mask;
pub use metrics::{histogram, percentile, DistinctPairStats, TruePair, TruePairStats};
pub use prng::SplitMix64;
pub use query::{
    content_inside_bars, pad_replicate, query_distance, query_hashes, QueryOptions, UNCROP_PADS,
};
pub use transform::{Bars, Transform};
pub use video::{generated_frame, Placement, VideoTransform, VideoTransformer};
