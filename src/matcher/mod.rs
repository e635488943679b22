//! The matching layer: from an upload to the known items it shows, with the evidence.
//!
//! Data flows one way: media in (bytes or a file, sniffed by [`sniff`] from the bytes, never
//! from the name; a decoded [`image::DynamicImage`]; frames the caller decoded) → a
//! [`QueryPlan`] (the hashes to search, each tagged with its [`Derivation`]: the plain image,
//! a candidate region from [`crate::region`], an uncrop guess, a crop guess, under a dihedral
//! transform) →
//! a search on a [`crate::db::Snapshot`] → one [`ImageMatch`] per known [`Item`] (best
//! distance, which derived query matched, the entry's metadata, whether the entry was a
//! derived banked view), or one [`VideoMatch`] per known video.
//!
//! The stored hash stays the plain reference PDQ of the original, so other consortium members
//! can match our hashes and we theirs; everything robust happens on the query side, plus
//! optional extra *derived* entries at banking time ([`bank_views`]) for media we hold.
//! [`MatchOptions::default`] is the robust default, [`MatchOptions::plain`] the reference
//! behaviour; both apply the consortium quality rule on both sides.
//!
//! ```
//! use mediamatch::db::{Database, Metadata};
//! use mediamatch::matcher::{Matcher, MatchOptions};
//! use image::{DynamicImage, RgbImage};
//! let img = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
//!     image::Rgb([(x * x / 90 + y) as u8, (y * 2) as u8, ((x ^ y) * 3) as u8])
//! }));
//! let robust = Matcher::new(MatchOptions::default());
//! let mut db = Database::new();
//! robust.bank_image(&mut db, &img, Metadata::new("bank").content_id("c1"), None)?;
//! db.commit();
//! // the picture pasted in the middle of a flat grey canvas
//! let mut canvas = RgbImage::from_pixel(260, 200, image::Rgb([128, 128, 128]));
//! image::imageops::overlay(&mut canvas, &img.to_rgb8(), 50, 40);
//! let copy = DynamicImage::ImageRgb8(canvas);
//! let snap = db.reader().snapshot();
//! assert!(robust.match_image(&snap, &copy).is_match());
//! assert!(!Matcher::new(MatchOptions::plain()).match_image(&snap, &copy).is_match());
//! Ok::<(), mediamatch::Error>(())
//! ```

mod bank;
mod bank_video;
mod cut;
mod engine;
mod guess;
mod options;
mod plan;
mod result;
mod search;
mod sniff;
mod upload;
mod video;

pub use bank::{
    bank_views, BankViews, BankedView, NEIGHBOUR_SAME_BITS, STAND_IN_BELOW, STAND_IN_QUALITY,
};
pub use bank_video::{bank_video_bytes, bank_video_file, is_stand_in, BankedFrame};
pub use cut::Cut;
pub use engine::Matcher;
pub use guess::CropGuesses;
pub use options::{MatchOptions, UNCROP_PADS};
pub use plan::{pad_replicate, Derivation, PlannedHash, QueryPlan, View, RECTIFY_SIDE};
pub use result::{FrameHit, ImageMatch, Item, MatchReport, VideoMatch};
pub use search::search_plan;
pub use sniff::{sniff, MediaType, SNIFF_BYTES};
pub use upload::{ExactHit, TmkHit, UploadChecker, UploadOptions, UploadReport};
