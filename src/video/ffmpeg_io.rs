//! In-memory input for the FFmpeg backend: libavformat reads an upload's bytes through a
//! custom I/O context (`AVIOContext` with read and seek callbacks over the buffer), so a WebM,
//! HEVC or any other upload is demuxed and decoded without being written to disk.
//!
//! No `unsafe` here: `ffmpeg-next` 9 wraps the custom I/O context safely
//! ([`ff::format::context::StreamIo`] and [`ff::format::input_from_stream`]), so the crate's
//! `#![deny(unsafe_code)]` holds for this path too. What that wrapper guarantees, checked in
//! its source (`ffmpeg-next` 9.0.0, `format/context/stream_io.rs` and `format/mod.rs`), and
//! why the way it is used here is sound:
//!
//! * **Ownership of the opaque pointer**: the reader (a [`Cursor`] over a shared [`Arc`] of the
//!   bytes) is boxed and its raw pointer is the context's `opaque`; the box is freed exactly
//!   once, by `StreamIo`'s `Drop`, after the `AVIOContext` itself. The format context is
//!   opened with `AVFMT_FLAG_CUSTOM_IO`, so `avformat_close_input` leaves `pb` alone, and the
//!   `StreamIo` is owned by the returned [`ff::format::context::Input`]'s destructor, which
//!   runs after the close. The bytes are an `Arc`, so they outlive every read.
//! * **The buffer** is allocated with `av_mallocz` (32 KiB) and freed once with `av_freep` in
//!   that `Drop` (FFmpeg may have replaced it with a buffer of its own; the field is freed,
//!   not the original pointer). On a failed open the wrapper closes the context and the
//!   `StreamIo` is dropped with it.
//! * **No unwinding across FFI**: the callbacks call [`Cursor`]'s `Read` and `Seek`, which
//!   never panic (a read past the end returns 0, a seek before the start an error); the wrapper
//!   stages reads through a buffer of its own and checks the count returned.
//! * **Seeking**: `AVSEEK_SIZE` answers the buffer's length without moving; `SEEK_SET`,
//!   `SEEK_CUR`, `SEEK_END` map to [`std::io::SeekFrom`]; `AVSEEK_FORCE` is masked off.
//! * **End of data**: a read at the end returns `AVERROR_EOF` (never 0, which libavformat
//!   asserts against).
//!
//! The tests in `tests/video/ffmpeg_bytes.rs` compare every frame hash with the path-based
//! input on real clips, feed empty, truncated, corrupt and hostile bytes (typed errors), and
//! open inputs in a loop in a child process whose resident memory must not grow.

use std::io::Cursor;
use std::sync::Arc;

use ffmpeg_next as ff;

use super::h264::stream::ArcBytes;

/// Opens `bytes` as a libavformat input (format probed from the content) and reads its
/// stream information, as `avformat_open_input` + `avformat_find_stream_info` do for a file.
pub(crate) fn input_from_bytes(bytes: Arc<[u8]>) -> Result<ff::format::context::Input, ff::Error> {
    let io = ff::format::context::StreamIo::from_read_seek(Cursor::new(ArcBytes(bytes)))?;
    ff::format::input_from_stream(io, None, None)
}
