//! The one integration-test binary; each file is a module.

mod db;
mod formats;
mod hash_props;
mod index;
mod matcher;
mod pdq;
mod rng;
mod robustness;
mod robustness_video;
mod video;
