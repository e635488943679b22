//! Video: conformance against the shared vPDQ vectors, fixtures, robustness, bad input.

mod animated;
mod bad_input;
mod conformance;
mod dense;
mod edit_list;
mod errors;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
mod fixture;
mod gif;
mod layouts;
mod make;
mod matcher;
mod neighbours;
mod parallel;
mod query;
mod robustness;
mod stand_in;
mod support;
mod views;
