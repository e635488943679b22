//! The crate's error type.
//!
//! One [`Error`] enum of categories; each variant carries a typed detail struct. Errors of
//! dependencies (the image decoder, the file system, the video decoder) are reachable through
//! [`std::error::Error::source`], never as a public variant of a foreign type.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

pub use crate::hash::ParseHashError;

/// A boxed dependency error, kept behind `source()`.
type BoxedSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error this crate returns.
///
/// ```
/// use mediamatch::{Error, PdqHasher};
/// let err = PdqHasher::new().hash_bytes(b"not an image").unwrap_err();
/// assert!(matches!(err, Error::Decode(_)));
/// println!("{err}"); // a readable reason
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An image could not be decoded (corrupt, truncated, unsupported, or over the limits).
    Decode(DecodeError),
    /// A video could not be demuxed or decoded.
    Video(VideoError),
    /// The caller passed something this crate cannot work with (bad dimensions, buffer too short...).
    InvalidInput(InvalidInputError),
    /// A database or hash file is not in a format this version can read.
    Format(FormatError),
    /// A hash string or a line of a hash list could not be parsed.
    Parse(ParseError),
    /// Reading or writing a file failed.
    Io(IoError),
    /// The hash store refused an operation (locked by another writer, ids exhausted, too
    /// large for a format, or the store of record failed).
    Store(StoreError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "decode error: {e}"),
            Error::Video(e) => write!(f, "video error: {e}"),
            Error::InvalidInput(e) => write!(f, "invalid input: {e}"),
            Error::Format(e) => write!(f, "format error: {e}"),
            Error::Parse(e) => write!(f, "parse error: {e}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Store(e) => write!(f, "store error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => e.source.as_deref().map(|s| s as _),
            Error::Video(e) => e.source.as_deref().map(|s| s as _),
            Error::InvalidInput(_) => None,
            Error::Format(e) => e.source.as_deref().map(|s| s as _),
            Error::Parse(e) => match &e.kind {
                ParseErrorKind::Hash(h) => Some(h),
                _ => None,
            },
            Error::Io(e) => Some(&e.source),
            Error::Store(e) => e.source.as_deref().map(|s| s as _),
        }
    }
}

/// What kind of image decoding failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The bytes are not in any image format this build can decode.
    UnknownFormat,
    /// The format is recognised but this build cannot decode it (feature off, unsupported variant).
    Unsupported,
    /// The data is corrupt or truncated.
    Malformed,
    /// The image is larger than the configured [`crate::DecodeLimits`] allow (decompression bomb guard).
    LimitsExceeded,
    /// Reading the input failed.
    Io,
    /// The work was cancelled through a [`crate::CancelToken`].
    Cancelled,
    /// The work ran past [`crate::DecodeLimits::max_time`].
    TimedOut,
}

/// Image decoding failed.
#[derive(Debug)]
pub struct DecodeError {
    pub(crate) kind: DecodeErrorKind,
    pub(crate) path: Option<PathBuf>,
    pub(crate) source: Option<BoxedSource>,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, source: Option<BoxedSource>) -> Self {
        DecodeError {
            kind,
            path: None,
            source,
        }
    }
    /// The kind of failure.
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }
    /// The file that failed, when the input was a path.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::UnknownFormat => "unrecognised image format",
            DecodeErrorKind::Unsupported => "unsupported image",
            DecodeErrorKind::Malformed => "corrupt or truncated image",
            DecodeErrorKind::LimitsExceeded => "image exceeds the decoding limits",
            DecodeErrorKind::Io => "could not read image",
            DecodeErrorKind::Cancelled => "cancelled",
            DecodeErrorKind::TimedOut => "time limit exceeded",
        };
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        f.write_str(what)?;
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

/// What kind of video failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VideoErrorKind {
    /// The container could not be parsed (corrupt, truncated, not a container we read).
    Container,
    /// The file has no video track.
    NoVideoTrack,
    /// The codec or stream variant is not supported by this build's backend.
    UnsupportedCodec,
    /// The decoder reported an error on the bitstream.
    Decoder,
    /// The stream declares sizes or counts beyond the configured limits.
    LimitsExceeded,
    /// Reading the input failed.
    Io,
    /// The bitstream is damaged: the container and the stream's declared format are
    /// supported, but its data is not valid (as opposed to [`VideoErrorKind::UnsupportedCodec`]).
    Corrupt,
}

/// Video demuxing or decoding failed.
#[derive(Debug)]
pub struct VideoError {
    pub(crate) kind: VideoErrorKind,
    pub(crate) detail: Cow<'static, str>,
    pub(crate) source: Option<BoxedSource>,
    /// The file (or in-memory input's name) the error is about.
    pub(crate) path: Option<PathBuf>,
}

impl VideoError {
    /// Builds a video error.
    #[allow(dead_code)]
    pub(crate) fn new(kind: VideoErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        VideoError {
            kind,
            detail: detail.into(),
            source: None,
            path: None,
        }
    }
    /// Names the input the error is about (kept if one is named already).
    #[allow(dead_code)]
    pub(crate) fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }
    /// The file (or the in-memory input's name, `<memory>`) the error is about, when known.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
    /// Attaches the underlying error.
    #[allow(dead_code)]
    pub(crate) fn with_source(mut self, source: BoxedSource) -> Self {
        self.source = Some(source);
        self
    }
    /// The kind of failure.
    pub fn kind(&self) -> VideoErrorKind {
        self.kind
    }
    /// A human-readable detail (for example the name of the unsupported codec).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for VideoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            VideoErrorKind::Container => "cannot read container",
            VideoErrorKind::NoVideoTrack => "no video track",
            VideoErrorKind::UnsupportedCodec => "unsupported codec",
            VideoErrorKind::Decoder => "decoder error",
            VideoErrorKind::LimitsExceeded => "video exceeds the limits",
            VideoErrorKind::Io => "could not read video",
            VideoErrorKind::Corrupt => "corrupt video data",
        };
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        f.write_str(what)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

/// The caller passed unusable input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInputError {
    pub(crate) what: Cow<'static, str>,
}

impl InvalidInputError {
    pub(crate) fn new(what: impl Into<Cow<'static, str>>) -> Self {
        InvalidInputError { what: what.into() }
    }
    /// What was wrong.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl fmt::Display for InvalidInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// What kind of file-format problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// The file does not start (or end) with the expected magic bytes: not a file of this kind.
    BadMagic,
    /// The file was written by a format version this build cannot read.
    UnsupportedVersion {
        /// The newest version this build reads.
        supported: u32,
        /// The version in the file.
        found: u32,
    },
    /// The file ends before the lengths in its header say it should.
    Truncated,
    /// The checksum over the file does not match: it was altered or damaged.
    ChecksumMismatch {
        /// The checksum recorded in the file.
        expected: u32,
        /// The checksum of the bytes actually read.
        found: u32,
    },
    /// A length, count or field is inconsistent or beyond the limits.
    Corrupt,
}

/// A file is not in a format this version can read.
#[derive(Debug)]
pub struct FormatError {
    pub(crate) kind: FormatErrorKind,
    pub(crate) detail: Cow<'static, str>,
    pub(crate) source: Option<BoxedSource>,
}

impl FormatError {
    /// Builds a format error.
    #[allow(dead_code)]
    pub(crate) fn new(kind: FormatErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        FormatError {
            kind,
            detail: detail.into(),
            source: None,
        }
    }
    /// Attaches the underlying error.
    #[allow(dead_code)]
    pub(crate) fn with_source(mut self, source: BoxedSource) -> Self {
        self.source = Some(source);
        self
    }
    /// The kind of problem.
    pub fn kind(&self) -> &FormatErrorKind {
        &self.kind
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FormatErrorKind::BadMagic => f.write_str("not a mediamatch file (bad magic)")?,
            FormatErrorKind::UnsupportedVersion { supported, found } => write!(
                f,
                "format version {found} is not supported (this build reads up to {supported}); \
                 upgrade mediamatch or re-export the data"
            )?,
            FormatErrorKind::Truncated => f.write_str("file is truncated")?,
            FormatErrorKind::ChecksumMismatch { expected, found } => write!(
                f,
                "checksum mismatch (file says {expected:08x}, content gives {found:08x}): \
                 the file is damaged; restore it from a backup"
            )?,
            FormatErrorKind::Corrupt => f.write_str("file is corrupt")?,
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// What failed to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A hash string.
    Hash(ParseHashError),
    /// A quality value outside 0..=100 or not a number.
    Quality,
    /// A field is missing or malformed.
    Field(Cow<'static, str>),
}

/// A hash string or a line of a hash list could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub(crate) line: Option<usize>,
    pub(crate) kind: ParseErrorKind,
}

impl ParseError {
    /// Builds a parse error for a line (1-based) of a list.
    #[allow(dead_code)]
    pub(crate) fn at_line(line: usize, kind: ParseErrorKind) -> Self {
        ParseError {
            line: Some(line),
            kind,
        }
    }
    /// The 1-based line number, when parsing a list.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        match &self.kind {
            ParseErrorKind::Hash(h) => write!(f, "{h}"),
            ParseErrorKind::Quality => f.write_str("quality must be an integer 0..=100"),
            ParseErrorKind::Field(s) => f.write_str(s),
        }
    }
}

impl From<ParseHashError> for Error {
    fn from(e: ParseHashError) -> Self {
        Error::Parse(ParseError {
            line: None,
            kind: ParseErrorKind::Hash(e),
        })
    }
}

/// Reading or writing a file failed.
#[derive(Debug)]
pub struct IoError {
    pub(crate) path: Option<PathBuf>,
    pub(crate) source: std::io::Error,
}

impl IoError {
    /// The file involved, if known.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
    /// The kind of the underlying I/O error.
    pub fn io_kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.source),
            None => write!(f, "{}", self.source),
        }
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<Option<PathBuf>>, source: std::io::Error) -> Self {
        Error::Io(IoError {
            path: path.into(),
            source,
        })
    }
    /// Names the input of a video error (kept if one is named already); others unchanged.
    pub(crate) fn with_video_path(self, path: impl Into<PathBuf>) -> Self {
        match self {
            Error::Video(e) => Error::Video(e.with_path(path)),
            e => e,
        }
    }
    /// Builds an invalid-input error.
    pub(crate) fn invalid(what: impl Into<Cow<'static, str>>) -> Self {
        Error::InvalidInput(InvalidInputError::new(what))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::io(None, e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
impl From<VideoError> for Error {
    fn from(e: VideoError) -> Self {
        Error::Video(e)
    }
}
impl From<FormatError> for Error {
    fn from(e: FormatError) -> Self {
        Error::Format(e)
    }
}
impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

/// What kind of store problem happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Another process (or handle) holds the store's writer lock.
    Locked,
    /// Every id has been given out (`next_id` reached `u64::MAX`); ids are never reused.
    IdsExhausted,
    /// The data does not fit a limit of the format (e.g. the metadata of a `.mmdb` file).
    TooLarge,
    /// The store was opened read-only.
    ReadOnly,
    /// The underlying store of record (e.g. SQLite) failed.
    Backend,
}

/// The hash store refused an operation.
#[derive(Debug)]
pub struct StoreError {
    pub(crate) kind: StoreErrorKind,
    pub(crate) detail: Cow<'static, str>,
    pub(crate) path: Option<PathBuf>,
    pub(crate) source: Option<BoxedSource>,
}

impl StoreError {
    /// Builds a store error.
    #[allow(dead_code)]
    pub(crate) fn new(kind: StoreErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        StoreError {
            kind,
            detail: detail.into(),
            path: None,
            source: None,
        }
    }
    /// Attaches the store's path.
    #[allow(dead_code)]
    pub(crate) fn at(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }
    /// Attaches the underlying error.
    #[allow(dead_code)]
    pub(crate) fn with_source(mut self, source: BoxedSource) -> Self {
        self.source = Some(source);
        self
    }
    /// The kind of problem.
    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }
    /// The store involved, if known.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        f.write_str(match self.kind {
            StoreErrorKind::Locked => "locked by another writer",
            StoreErrorKind::IdsExhausted => "no ids left (next_id is u64::MAX)",
            StoreErrorKind::TooLarge => "too large for the format",
            StoreErrorKind::ReadOnly => "opened read-only",
            StoreErrorKind::Backend => "the store of record failed",
        })?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}
