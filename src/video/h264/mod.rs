//! H.264-in-MP4/MOV decode planning shared by both backends: the track as the container gives
//! it ([`stream`]), recovery point SEI parsing ([`sei`]), which samples must be decoded for a
//! sampling ([`plan`]), and the cutting of one decode into independent parallel tasks
//! ([`split`]). Nothing here decodes pictures: the built-in backend (`rust_h264`) and the
//! FFmpeg backend (libav) each run these plans with their own decoder.

pub(crate) mod plan;
pub(crate) mod sei;
pub(crate) mod split;
pub(crate) mod stream;
