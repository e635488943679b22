//! Find known images and videos again after they were re-encoded, resized, cropped,
//! watermarked or mirrored: **PDQ** perceptual hashes bit-exact with Meta's reference, the
//! classic 64-bit hashes (aHash, dHash, pHash, blockhash), vPDQ-style video hashing, and an
//! exact hash database — built to sit on an upload path.
//!
//! The data flows one way: bytes → decoded image ([`decode_image`], under [`DecodeLimits`]) →
//! [`LumaImage`] or a raw frame → 64×64 filter ([`pdq`]) → DCT → 256 bits ([`Hash256`]) →
//! [`Database`] / [`Index`] search → [`Match`]es.
//!
//! # Hashing an upload
//!
//! Every hasher has one entry point, `hash_input`, taking anything that converts into an
//! [`ImageInput`]: a path, encoded bytes, a decoded [`image::DynamicImage`], a [`LumaImage`]
//! or a borrowed [`RawFrame`]. (The older one-method-per-input calls — `hash_file`,
//! `hash_bytes`, `hash_image`, `hash_rgb8`… — remain and compute the same hashes.)
//!
//! ```
//! use mediamatch::{PdqHasher, PixelFormat, RawFrame};
//!
//! // An "upload": a PNG made in memory.
//! let img = image::RgbImage::from_fn(640, 480, |x, y| {
//!     image::Rgb([(x / 3) as u8, (y / 2) as u8, ((x ^ y) & 0xff) as u8])
//! });
//! let mut upload = Vec::new();
//! img.write_to(&mut std::io::Cursor::new(&mut upload), image::ImageFormat::Png).unwrap();
//!
//! let hasher = PdqHasher::new(); // full resolution: python-threatexchange / HMA parity
//! let h = hasher.hash_input(&upload)?;
//! assert!(h.is_usable()); // quality >= 50
//!
//! // The same pixels handed over by a decoder that already has them: same hash.
//! let frame = RawFrame::new(img.as_raw(), 640, 480, 640 * 3, PixelFormat::Rgb8)?;
//! assert_eq!(hasher.hash_input(frame)?, h);
//!
//! // The eight rotations/mirrors from one DCT (for mirrored or rotated re-uploads).
//! let all8 = hasher.hash_input_dihedral(&upload)?;
//! assert_eq!(all8[0], h);
//! Ok::<(), mediamatch::Error>(())
//! ```
//!
//! Matching follows the consortium rule: distance ≤ [`PdqHash::MATCH_THRESHOLD`] (31) between
//! hashes of quality ≥ [`PdqHash::QUALITY_THRESHOLD`] (50).
//!
//! ```
//! use mediamatch::{db::{Database, Metadata}, PdqHasher, LumaImage};
//!
//! let pixels: Vec<f32> = (0..200 * 150).map(|i| ((i % 200) * (i / 200) % 251) as f32).collect();
//! let known = PdqHasher::new().hash(&LumaImage::from_f32(200, 150, pixels)?);
//! let mut db = Database::new();
//! let id = db.insert_pdq(known, Metadata::new("my-bank").content_id("case-17"))?;
//! let hits = db.search_dihedral(&[known.hash], 31);
//! assert_eq!((hits[0].id, hits[0].distance), (id, 0));
//! Ok::<(), mediamatch::Error>(())
//! ```
//!
//! # Hostile input
//!
//! Bad input is normal input: corrupt, truncated or hostile files give a typed [`Error`],
//! never a panic. Decoding runs under [`DecodeLimits`], checked from the image header before
//! any pixel buffer is allocated: at most 20 000 px per side, 2²⁷ pixels (≈ 134 MP, more than
//! any phone camera's 108 MP), 1 GiB per buffer (the decoded image, a format conversion, the
//! hasher's scratch). A 306 KB PNG declaring 20 000 × 20 000 pixels is refused in well under
//! a millisecond. PDQ's filter streams rows: the peak memory of hashing a file is the decoded
//! image plus a few MB (measured in `benches/memory.rs`). Long calls can be bounded with
//! [`DecodeLimits::max_time`] or stopped from another thread with a [`CancelToken`].
//!
//! # Threads and async code
//!
//! Every hashing call is CPU-bound and blocking (tens of milliseconds for a 12 MP photo,
//! seconds for a video). From async code, run it off the executor, e.g.
//! `tokio::task::spawn_blocking(move || hasher.hash_input(&bytes))`, or on a dedicated rayon
//! pool. The batch calls ([`PdqHasher::hash_files`], [`PdqHasher::hash_inputs`],
//! [`PdqHasher::hash_many`]) and the video decoder's tasks run on the *current* rayon pool:
//! rayon's global pool by default, or yours when called inside `pool.install(|| ...)`.
//! One exception: a JPEG decoded under a deadline or a [`CancelToken`] is decoded on a short-
//! lived thread of its own (at most 8 at once), so that the call can return on time.
//! Hashers are `Send + Sync` and cheap to clone.
//!
//! # The `image` crate
//!
//! Decoded images are [`image::DynamicImage`]s of the `image` crate, re-exported as
//! [`mediamatch::image`](image): use that path (or the same major version) so that your types
//! and ours agree when this crate moves to a new `image` release.
//!
//! # Cargo features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `png`, `jpeg`, `gif`, `webp` | yes | decoders of the web's image formats |
//! | `tiff`, `bmp`, `pnm` | no | further image decoders |
//! | `classic` | yes | [`ClassicHasher`] (aHash, dHash, pHash, blockhash via `image_hasher`) |
//! | `ffmpeg` | no | a second video backend through the system FFmpeg (libav*) libraries |
//!
//! A service that only needs PDQ on JPEG and PNG uploads can depend on
//! `mediamatch = { version = "0.1", default-features = false, features = ["jpeg", "png"] }`.
//!
//! # Modules
//!
//! * [`pdq`]: the PDQ pipeline and its stages; [`PdqHasher`].
//! * [`classic`]: the 64-bit hashes (feature `classic`).
//! * [`video`]: vPDQ video hashing, the vPDQ text format, match percentages, alignment.
//! * [`db`], [`index`]: the hash database and its exact search.
//! * [`error`]: the one [`Error`] type and its typed details.
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "classic")]
pub mod classic;
mod decode;
pub mod error;
mod hash;
pub mod matcher;
pub mod region;
pub use region::letterbox;
mod luma;
pub mod pdq;
#[cfg(feature = "bench")]
pub mod robustness;
pub mod video;

#[cfg(feature = "classic")]
pub use classic::{ClassicAlg, ClassicHasher};
pub use decode::{decode_image, decode_image_file, CancelToken, DecodeLimits};
pub use error::{Error, Result};
pub use hash::{Hash256, Hash64, ParseHashError, PdqHash};
pub use luma::LumaImage;
pub use pdq::{Dihedral, PdqConfig, PdqHasher, PdqMode};
pub mod db;
pub mod index;
mod input;
pub use db::Database;
/// The `image` crate this crate's public API uses (`DynamicImage`, `RgbImage`…).
pub use image;
pub use index::{Index, Match};
pub use input::{ImageInput, PixelFormat, RawFrame};
pub use video::{FrameHash, VideoConfig, VideoHasher};
pub mod exchange;
pub mod filehash;
pub mod tmk;

/// The README's examples, kept compiling and passing as doctests (they read files of the
/// repository, so they are not part of the documentation).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
