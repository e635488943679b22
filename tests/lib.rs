//! The crate's single integration-test binary; each area is a module.

mod video;
