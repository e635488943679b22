//! The one integration-test binary; each file is a module.

mod formats;
mod hash_props;
mod pdq;
