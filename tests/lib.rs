//! The one integration-test binary; each file is a module.

mod db;
mod formats;
mod hash_props;
mod index;
mod pdq;
mod rng;
mod robustness;
mod robustness_video;
mod video;
mod matcher;
