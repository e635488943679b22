//! The built-in backend in a build without its H.264 decoder (the `h264` feature off): the
//! same type and calls, so code written for the feature compiles without it. The container
//! is still read (a damaged or non-H.264 file gives the error it gives with the feature);
//! then H.264 is refused with [`VideoErrorKind::UnsupportedCodec`] naming the features that
//! decode it. With the `ffmpeg` feature, [`super::VideoHasher`] hands such input to FFmpeg.

use std::convert::Infallible;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;

use super::h264::split::Splitter;
use super::h264::stream::Stream;
use super::sample::Sampling;
use super::{FrameSource, VideoFrame, VideoInfo, VideoLimits};
use crate::error::{Error, Result, VideoError, VideoErrorKind};

/// The refusal of H.264 in this build.
fn off() -> Error {
    VideoError::new(
        VideoErrorKind::UnsupportedCodec,
        "H.264 in MP4/MOV: the built-in decoder is not in this build; build mediamatch with \
         the `h264` feature (or `ffmpeg`)",
    )
    .into()
}

/// Decodes H.264 video from an MP4/MOV file or reader: in this build (without the `h264`
/// feature) every constructor refuses H.264 with [`VideoErrorKind::UnsupportedCodec`], so no
/// value of this type exists.
pub struct Mp4H264Source {
    never: Infallible,
}

impl std::fmt::Debug for Mp4H264Source {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.never {}
    }
}

impl Mp4H264Source {
    /// Opens a file (refused in this build after the container is read).
    pub fn open(path: impl AsRef<Path>, limits: VideoLimits) -> Result<Mp4H264Source> {
        Stream::open_file(path.as_ref(), limits)?;
        Err(off())
    }

    /// Reads an MP4/MOV held in memory (refused in this build after the container is read).
    pub fn from_bytes(bytes: Arc<[u8]>, limits: VideoLimits) -> Result<Mp4H264Source> {
        Stream::from_bytes(bytes, limits)?;
        Err(off())
    }

    /// Reads from any seekable reader of `len` bytes (refused in this build after the
    /// container is read).
    pub fn from_reader<R: Read + Seek + Send + 'static>(
        mut reader: R,
        len: u64,
        limits: VideoLimits,
    ) -> Result<Mp4H264Source> {
        Stream::from_reader(&mut reader, len, limits)?;
        Err(off())
    }

    /// Whether unreferenced frames that are not hashed are skipped (no effect in this build).
    pub fn set_skip_non_reference(&mut self, _: bool) {
        match self.never {}
    }

    /// Whether GOP tails are skipped (no effect in this build).
    pub fn set_skip_gop_tails(&mut self, _: bool) {
        match self.never {}
    }

    pub(crate) fn splitter(&mut self, _: Sampling) -> Option<Splitter> {
        match self.never {}
    }
}

/// Task `t` of a split (there are none in this build).
pub(crate) fn task_source(
    _: &Splitter,
    _: usize,
    _: Option<Mp4H264Source>,
) -> Result<Mp4H264Source> {
    Err(off())
}

impl FrameSource for Mp4H264Source {
    fn info(&self) -> &VideoInfo {
        match self.never {}
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        match self.never {}
    }
}
