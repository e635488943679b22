#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

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

pub use classic::{ClassicAlg, ClassicHasher};
pub use decode::{decode_image, decode_image_file, DecodeLimits};
pub use error::{Error, Result};
pub use hash::{Hash256, Hash64, ParseHashError, PdqHash};
pub use luma::LumaImage;
pub use pdq::{Dihedral, PdqConfig, PdqHasher, PdqMode};
pub mod db;
pub mod index;
pub use db::Database;
pub use index::{Index, Match};
pub use video::{FrameHash, VideoConfig, VideoHasher};
