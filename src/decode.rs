//! Image decoding under limits: files and byte slices through `image`, refusing decompression
//! bombs with a typed error.

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use image::error::{ImageFormatHint, LimitErrorKind, UnsupportedErrorKind};
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, DecodeErrorKind, Error, Result};

/// Limits applied when decoding images, so that a hostile file cannot make us allocate
/// unbounded memory (a 100 000 × 100 000 PNG header is refused before any pixel is read).
///
/// ```
/// use mediamatch::DecodeLimits;
/// let limits = DecodeLimits::default().with_max_side(8192).with_max_alloc(256 << 20);
/// assert_eq!(limits.max_side, 8192);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest accepted width or height in pixels (default 20 000).
    pub max_side: u32,
    /// Largest single allocation the decoder may make, in bytes (default 1 GiB).
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_side: 20_000,
            max_alloc: 1 << 30,
        }
    }
}

impl DecodeLimits {
    /// Sets the largest accepted side.
    #[must_use]
    pub fn with_max_side(mut self, v: u32) -> Self {
        self.max_side = v;
        self
    }
    /// Sets the largest allocation.
    #[must_use]
    pub fn with_max_alloc(mut self, v: u64) -> Self {
        self.max_alloc = v;
        self
    }

    fn to_image_limits(self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_image_width = Some(self.max_side);
        l.max_image_height = Some(self.max_side);
        l.max_alloc = Some(self.max_alloc);
        l
    }
}

pub(crate) fn map_image_error(e: ImageError) -> DecodeError {
    let kind = match &e {
        ImageError::Unsupported(u) => match u.kind() {
            UnsupportedErrorKind::Format(ImageFormatHint::Unknown) => {
                DecodeErrorKind::UnknownFormat
            }
            _ => DecodeErrorKind::Unsupported,
        },
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                DecodeErrorKind::LimitsExceeded
            }
            _ => DecodeErrorKind::LimitsExceeded,
        },
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeErrorKind::Malformed
        }
        ImageError::IoError(_) => DecodeErrorKind::Io,
        ImageError::Decoding(_) | ImageError::Parameter(_) | ImageError::Encoding(_) => {
            DecodeErrorKind::Malformed
        }
    };
    DecodeError::new(kind, Some(Box::new(e)))
}

fn decode_reader<R: BufRead + Seek>(
    reader: ImageReader<R>,
    limits: DecodeLimits,
    apply_orientation: bool,
) -> Result<DynamicImage> {
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| DecodeError::new(DecodeErrorKind::Io, Some(Box::new(e))))?;
    if reader.format().is_none() {
        return Err(DecodeError::new(DecodeErrorKind::UnknownFormat, None).into());
    }
    reader.limits(limits.to_image_limits());
    let mut decoder = reader.into_decoder().map_err(map_image_error)?;
    let orientation = if apply_orientation {
        decoder.orientation().ok()
    } else {
        None
    };
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Decodes an image from memory under `limits`; applies the EXIF orientation only when asked
/// (the reference implementations ignore it).
///
/// ```
/// use mediamatch::{decode_image, DecodeLimits};
/// let err = decode_image(b"\x89PNG\r\n\x1a\n garbage", DecodeLimits::default(), false);
/// assert!(err.is_err());
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn decode_image(
    bytes: &[u8],
    limits: DecodeLimits,
    apply_orientation: bool,
) -> Result<DynamicImage> {
    if bytes.is_empty() {
        return Err(DecodeError::new(DecodeErrorKind::Malformed, None).into());
    }
    decode_reader(
        ImageReader::new(Cursor::new(bytes)),
        limits,
        apply_orientation,
    )
}

/// Decodes an image file under `limits` (see [`decode_image`]).
pub fn decode_image_file(
    path: impl AsRef<Path>,
    limits: DecodeLimits,
    apply_orientation: bool,
) -> Result<DynamicImage> {
    let path = path.as_ref();
    let with_path = |e: Error| match e {
        Error::Decode(mut d) => {
            d.path = Some(path.to_path_buf());
            Error::Decode(d)
        }
        other => other,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(path.to_path_buf(), e))?
        .len();
    if len == 0 {
        return Err(with_path(
            DecodeError::new(DecodeErrorKind::Malformed, None).into(),
        ));
    }
    let reader = ImageReader::new(std::io::BufReader::new(file));
    decode_reader(reader, limits, apply_orientation).map_err(with_path)
}
