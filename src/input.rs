//! [`ImageInput`]: one type for everything a hasher can read — a file, encoded bytes, a decoded
//! image, a luma plane or a raw frame — so that each hasher has one entry point
//! (`hash_input`) instead of a method per combination.

use std::fmt;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::luma::LumaImage;

/// The pixel layout of a [`RawFrame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PixelFormat {
    /// Three bytes per pixel: R, G, B.
    Rgb8,
    /// Four bytes per pixel: R, G, B, A (alpha is ignored, as by every PDQ reference).
    Rgba8,
    /// One byte per pixel: grey.
    Gray8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 => 4,
            PixelFormat::Gray8 => 1,
        }
    }
}

/// A borrowed, already decoded frame: `height` rows of `width` pixels, `stride` bytes apart
/// (as video decoders and camera pipelines hand them out), read in place without a copy.
///
/// ```
/// use mediamatch::{PixelFormat, RawFrame};
/// let rgb = vec![0u8; 8 * 4 * 3];
/// let frame = RawFrame::new(&rgb, 8, 4, 24, PixelFormat::Rgb8)?;
/// assert_eq!(frame.width(), 8);
/// assert!(RawFrame::new(&rgb, 8, 5, 24, PixelFormat::Rgb8).is_err()); // buffer too short
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) stride: usize,
    pub(crate) format: PixelFormat,
}

impl<'a> RawFrame<'a> {
    /// Wraps `data`; fails if the stride is shorter than a row or the buffer shorter than
    /// `stride * (height - 1) + width * bytes_per_pixel`.
    pub fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        crate::luma::check_buffer(data.len(), width, height, stride, format.bytes_per_pixel())?;
        Ok(RawFrame {
            data,
            width,
            height,
            stride,
            format,
        })
    }
    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Bytes from one row to the next.
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// The pixel layout.
    pub fn format(&self) -> PixelFormat {
        self.format
    }
    /// The pixel bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

impl fmt::Debug for RawFrame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawFrame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("stride", &self.stride)
            .field("format", &self.format)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// What to hash. Build it with `.into()` from `&Path`, `&PathBuf`, `&[u8]` (encoded bytes),
/// `&Vec<u8>`, `&DynamicImage`, `&LumaImage` or a [`RawFrame`]; every hasher's `hash_input`
/// takes `impl Into<ImageInput>`.
///
/// ```
/// use std::path::Path;
/// use mediamatch::ImageInput;
/// let bytes = vec![1u8, 2, 3];
/// assert!(matches!(ImageInput::from(&bytes), ImageInput::Bytes(b) if b.len() == 3));
/// assert!(matches!(ImageInput::from(Path::new("a.jpg")), ImageInput::Path(_)));
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum ImageInput<'a> {
    /// An image file, decoded under the hasher's [`crate::DecodeLimits`]; errors name the path.
    Path(&'a Path),
    /// An encoded image in memory (an upload body), decoded under the limits.
    Bytes(&'a [u8]),
    /// An image decoded by the caller.
    Image(&'a DynamicImage),
    /// A float luminance plane (PDQ only).
    Luma(&'a LumaImage),
    /// A raw 8-bit frame.
    Frame(RawFrame<'a>),
}

impl fmt::Debug for ImageInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageInput::Path(p) => f.debug_tuple("Path").field(p).finish(),
            ImageInput::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            ImageInput::Image(i) => {
                write!(f, "Image({}x{} {:?})", i.width(), i.height(), i.color())
            }
            ImageInput::Luma(l) => write!(f, "Luma({}x{})", l.width(), l.height()),
            ImageInput::Frame(r) => f.debug_tuple("Frame").field(r).finish(),
        }
    }
}

impl<'a> From<&'a Path> for ImageInput<'a> {
    fn from(p: &'a Path) -> Self {
        ImageInput::Path(p)
    }
}
impl<'a> From<&'a PathBuf> for ImageInput<'a> {
    fn from(p: &'a PathBuf) -> Self {
        ImageInput::Path(p)
    }
}
impl<'a> From<&'a [u8]> for ImageInput<'a> {
    fn from(b: &'a [u8]) -> Self {
        ImageInput::Bytes(b)
    }
}
impl<'a, const N: usize> From<&'a [u8; N]> for ImageInput<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        ImageInput::Bytes(b)
    }
}
impl<'a> From<&'a Vec<u8>> for ImageInput<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        ImageInput::Bytes(b)
    }
}
impl<'a> From<&'a DynamicImage> for ImageInput<'a> {
    fn from(i: &'a DynamicImage) -> Self {
        ImageInput::Image(i)
    }
}
impl<'a> From<&'a LumaImage> for ImageInput<'a> {
    fn from(l: &'a LumaImage) -> Self {
        ImageInput::Luma(l)
    }
}
impl<'a> From<RawFrame<'a>> for ImageInput<'a> {
    fn from(f: RawFrame<'a>) -> Self {
        ImageInput::Frame(f)
    }
}
