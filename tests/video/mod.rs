//! Video: conformance against the shared vPDQ vectors, fixtures, robustness, bad input.

mod bad_input;
mod conformance;
mod fixture;
mod make;
mod robustness;
mod support;
