//! The one integration-test binary; each file is a module.

mod db;
mod exchange;
mod formats;
mod hash_props;
mod index;
mod limits;
mod matcher;
mod pdq;
mod rng;
mod robustness;
mod robustness_video;
mod tmk;
mod video;
