//! Image decoding under limits: files and byte slices through `image`, refusing decompression
//! bombs with a typed error.

use std::io::{BufRead, Cursor, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::error::{ImageFormatHint, LimitErrorKind, UnsupportedErrorKind};
use image::{ColorType, DynamicImage, ImageDecoder, ImageError, ImageReader};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, DecodeErrorKind, Error, Result};

/// Limits applied when decoding and hashing images, so that a hostile upload cannot make us
/// allocate unbounded memory or spend unbounded time. Every limit is checked from the image
/// header, before any pixel buffer is allocated: a 20 000 × 20 000 PNG bomb of 306 KB is refused
/// in microseconds.
///
/// The defaults accept every phone photo (a 108 MP sensor's 12 000 × 9 000 is 108 M pixels,
/// 324 MB decoded as RGB) and refuse the classic decompression bombs (≥ 18 000² pixels).
///
/// ```
/// use mediamatch::DecodeLimits;
/// let limits = DecodeLimits::default().with_max_side(8192).with_max_alloc(256 << 20);
/// assert_eq!(limits.max_side, 8192);
/// assert_eq!(limits.max_pixels, 1 << 27);
/// let strict = limits.with_max_pixels(50_000_000).with_max_time(std::time::Duration::from_secs(5));
/// assert_eq!(strict.max_time, Some(std::time::Duration::from_secs(5)));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest accepted width or height in pixels (default 20 000).
    pub max_side: u32,
    /// Largest single buffer the decoder or the hasher may allocate, in bytes (default 1 GiB):
    /// the decoder's own buffers, the decoded image, a pixel-format conversion, the hasher's
    /// scratch. Each is checked against this before it is allocated.
    pub max_alloc: u64,
    /// Largest accepted number of pixels, width × height (default 2²⁷ = 134 217 728, about
    /// 134 MP: 403 MB as decoded RGB). Checked from the header, before decoding.
    #[serde(default = "default_max_pixels")]
    pub max_pixels: u64,
    /// Longest one decode-and-hash call may take (default: no limit). Checked while the
    /// decoder reads its input, every 5 ms while a JPEG's pixels are decoded (on a worker
    /// thread), and between blocks of rows while hashing; a call over it fails with
    /// [`DecodeErrorKind::TimedOut`](crate::error::DecodeErrorKind::TimedOut).
    #[serde(default)]
    pub max_time: Option<Duration>,
}

fn default_max_pixels() -> u64 {
    DecodeLimits::DEFAULT_MAX_PIXELS
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_side: 20_000,
            max_alloc: 1 << 30,
            max_pixels: Self::DEFAULT_MAX_PIXELS,
            max_time: None,
        }
    }
}

impl DecodeLimits {
    /// The default [`DecodeLimits::max_pixels`], 2²⁷ (about 134 MP).
    pub const DEFAULT_MAX_PIXELS: u64 = 1 << 27;

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
    /// Sets the largest accepted pixel count.
    #[must_use]
    pub fn with_max_pixels(mut self, v: u64) -> Self {
        self.max_pixels = v;
        self
    }
    /// Sets the time limit of one call.
    #[must_use]
    pub fn with_max_time(mut self, v: Duration) -> Self {
        self.max_time = Some(v);
        self
    }

    fn to_image_limits(self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_image_width = Some(self.max_side);
        l.max_image_height = Some(self.max_side);
        l.max_alloc = Some(self.max_alloc);
        l
    }

    /// Refuses an image of `width` x `height` pixels whose decoded buffer takes `bytes`.
    pub(crate) fn check_image(&self, width: u32, height: u32, bytes: u64) -> Result<()> {
        let pixels = width as u64 * height as u64;
        if width > self.max_side || height > self.max_side {
            return Err(limit_error(format!(
                "{width}x{height}: a side exceeds max_side = {}",
                self.max_side
            )));
        }
        if pixels > self.max_pixels {
            return Err(limit_error(format!(
                "{width}x{height} = {pixels} pixels exceeds max_pixels = {}",
                self.max_pixels
            )));
        }
        self.check_alloc(bytes, "decoded image")
    }

    /// Refuses a buffer of `bytes` over [`DecodeLimits::max_alloc`].
    pub(crate) fn check_alloc(&self, bytes: u64, what: &str) -> Result<()> {
        if bytes > self.max_alloc {
            return Err(limit_error(format!(
                "{what} needs {bytes} bytes, over max_alloc = {}",
                self.max_alloc
            )));
        }
        Ok(())
    }
}

fn limit_error(msg: String) -> Error {
    DecodeError::new(DecodeErrorKind::LimitsExceeded, Some(msg.into())).into()
}

/// A flag to stop hashing work from another thread: clone it into a hasher
/// ([`crate::PdqHasher::with_cancel`]), call [`CancelToken::cancel`] from anywhere, and calls in
/// progress fail with [`DecodeErrorKind::Cancelled`](crate::error::DecodeErrorKind::Cancelled)
/// at their next check (while the decoder reads input, between blocks of rows while hashing).
///
/// ```
/// use mediamatch::{CancelToken, PdqHasher};
/// let token = CancelToken::new();
/// let hasher = PdqHasher::new().with_cancel(token.clone());
/// token.cancel();
/// let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([9, 9, 9])));
/// let err = hasher.hash_input(&img).unwrap_err();
/// assert!(matches!(err, mediamatch::Error::Decode(d) if d.kind() == mediamatch::error::DecodeErrorKind::Cancelled));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }
    /// Cancels every call watching this token (now and later).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stop conditions of one call: a deadline and a cancel token.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interrupt {
    deadline: Option<Instant>,
    cancel: Option<CancelToken>,
}

impl Interrupt {
    /// Stops at `limits.max_time` from now, or when `cancel` is cancelled.
    pub(crate) fn new(limits: &DecodeLimits, cancel: Option<&CancelToken>) -> Self {
        Interrupt {
            deadline: limits.max_time.and_then(|d| Instant::now().checked_add(d)),
            cancel: cancel.cloned(),
        }
    }

    /// Why the call must stop, if it must.
    pub(crate) fn reason(&self) -> Option<DecodeErrorKind> {
        if self.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Some(DecodeErrorKind::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(DecodeErrorKind::TimedOut);
        }
        None
    }

    /// Whether there is anything to watch (a deadline or a token).
    #[cfg(feature = "jpeg")]
    pub(crate) fn is_active(&self) -> bool {
        self.cancel.is_some() || self.deadline.is_some()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        (self.cancel.is_some() || self.deadline.is_some()) && self.reason().is_some()
    }

    /// `Err` when the call must stop.
    pub(crate) fn check(&self) -> Result<()> {
        match self.reason() {
            Some(kind) => Err(DecodeError::new(kind, None).into()),
            None => Ok(()),
        }
    }
}

/// Input that fails as soon as the call is interrupted, and hands the decoder at most
/// [`Interruptible::CHUNK`] bytes per read, so that the checks happen while it decodes.
struct Interruptible<'a, R> {
    inner: R,
    interrupt: &'a Interrupt,
}

impl<R> Interruptible<'_, R> {
    const CHUNK: usize = 4096;
    const READ_CHUNK: usize = 1 << 16;

    fn check(&self) -> std::io::Result<()> {
        if self.interrupt.is_stopped() {
            return Err(std::io::Error::other("interrupted"));
        }
        Ok(())
    }
}

impl<R: Read> Read for Interruptible<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        let n = buf.len().min(Self::READ_CHUNK);
        self.inner.read(&mut buf[..n])
    }
}

impl<R: BufRead> BufRead for Interruptible<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.check()?;
        let b = self.inner.fill_buf()?;
        Ok(&b[..b.len().min(Self::CHUNK)])
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt)
    }
}

impl<R: Seek> Seek for Interruptible<'_, R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// What the caller checks from the header before the image is decoded (width, height,
/// colour type), beyond [`DecodeLimits::check_image`].
pub(crate) type HeaderCheck<'a> = &'a dyn Fn(u32, u32, ColorType) -> Result<()>;

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

/// Everything refused from the header, before the pixel buffer exists (dimensions, pixel
/// count and buffer size against `limits`, the caller's own check); the EXIF orientation to
/// apply afterwards, if asked for.
fn check_header(
    decoder: &mut impl ImageDecoder,
    limits: DecodeLimits,
    header_check: HeaderCheck<'_>,
    apply_orientation: bool,
) -> Result<Option<image::metadata::Orientation>> {
    let (w, h) = decoder.dimensions();
    limits.check_image(w, h, decoder.total_bytes())?;
    header_check(w, h, decoder.color_type())?;
    Ok(if apply_orientation {
        decoder.orientation().ok()
    } else {
        None
    })
}

fn decode_reader<R: BufRead + Seek>(
    reader: R,
    limits: DecodeLimits,
    apply_orientation: bool,
    interrupt: &Interrupt,
    header_check: HeaderCheck<'_>,
) -> Result<DynamicImage> {
    interrupt.check()?;
    let reader = ImageReader::new(Interruptible {
        inner: reader,
        interrupt,
    });
    let stopped = |e: Error| match interrupt.reason() {
        Some(kind) => DecodeError::new(kind, None).into(),
        None => e,
    };
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| stopped(DecodeError::new(DecodeErrorKind::Io, Some(Box::new(e))).into()))?;
    if reader.format().is_none() {
        return Err(DecodeError::new(DecodeErrorKind::UnknownFormat, None).into());
    }
    #[cfg(feature = "jpeg")]
    if reader.format() == Some(image::ImageFormat::Jpeg) && interrupt.is_active() {
        return jpeg_worker::decode(
            reader.into_inner(),
            limits,
            apply_orientation,
            interrupt,
            header_check,
        );
    }
    reader.limits(limits.to_image_limits());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| stopped(map_image_error(e).into()))?;
    // Everything below is refused from the header, before the pixel buffer exists (the
    // `image` crate's own `max_alloc` check is skipped by `into_decoder`).
    let orientation = check_header(&mut decoder, limits, header_check, apply_orientation)?;
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| stopped(map_image_error(e).into()))?;
    interrupt.check()?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// JPEG under a deadline or a cancel token. The JPEG decoder (`zune-jpeg` through `image`)
/// reads its whole input first and then decodes the pixels in one call with no hook, so the
/// checks of [`Interruptible`] cannot reach inside it; bounding it from within would mean
/// forking the decoder. So the pixels are decoded on a worker thread of their own and the call
/// waits for it while checking the deadline and the token every few milliseconds: the call
/// fails with `TimedOut` / `Cancelled` on time, and the worker finishes in the background
/// (its work is bounded by the header checks: `max_pixels`, `max_alloc`, and the decoder's
/// own cap of 100 progressive scans), then frees its buffer. At most
/// [`jpeg_worker::MAX_IN_FLIGHT`] workers run at once, so a flood of slow JPEGs that time
/// out cannot pile up background work: a call waits for a free slot, under its deadline.
#[cfg(feature = "jpeg")]
mod jpeg_worker {
    use std::io::{Cursor, Read};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    use image::{DynamicImage, ImageDecoder};

    use super::{map_image_error, DecodeLimits, HeaderCheck, Interrupt};
    use crate::error::{DecodeError, DecodeErrorKind, Result};

    /// Most JPEG workers running at once (those of calls that returned early included).
    pub(super) const MAX_IN_FLIGHT: usize = 8;

    /// Workers running now.
    pub(super) static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

    /// How often the waiting call looks at its deadline and token.
    const POLL: Duration = Duration::from_millis(5);

    /// Releases a worker's slot when the worker ends, however it ends.
    struct Slot;

    impl Drop for Slot {
        fn drop(&mut self) {
            IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn stopped(interrupt: &Interrupt) -> Result<()> {
        interrupt.check()
    }

    /// Takes a slot, waiting (under the call's deadline) while all are taken.
    fn take_slot(interrupt: &Interrupt) -> Result<Slot> {
        loop {
            stopped(interrupt)?;
            let n = IN_FLIGHT.load(Ordering::Acquire);
            if n < MAX_IN_FLIGHT
                && IN_FLIGHT
                    .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return Ok(Slot);
            }
            std::thread::sleep(POLL);
        }
    }

    pub(super) fn decode<R: Read>(
        mut input: R,
        limits: DecodeLimits,
        apply_orientation: bool,
        interrupt: &Interrupt,
        header_check: HeaderCheck<'_>,
    ) -> Result<DynamicImage> {
        // the input is read through `Interruptible`, which fails once the call is stopped
        let mut data = Vec::new();
        input
            .read_to_end(&mut data)
            .map_err(|e| match interrupt.reason() {
                Some(kind) => DecodeError::new(kind, None),
                None => DecodeError::new(DecodeErrorKind::Io, Some(Box::new(e))),
            })?;
        let mut decoder =
            image::codecs::jpeg::JpegDecoder::new(Cursor::new(data)).map_err(map_image_error)?;
        decoder
            .set_limits(limits.to_image_limits())
            .map_err(map_image_error)?;
        let orientation =
            super::check_header(&mut decoder, limits, header_check, apply_orientation)?;
        let slot = take_slot(interrupt)?;
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("mediamatch-jpeg".into())
            .spawn(move || {
                let _slot = slot;
                // the receiver may be gone (the call returned): the image is dropped here
                let _ = tx.send(DynamicImage::from_decoder(decoder));
            })
            .map_err(|e| DecodeError::new(DecodeErrorKind::Io, Some(Box::new(e))))?;
        let mut img = loop {
            match rx.recv_timeout(POLL) {
                Ok(r) => break r.map_err(map_image_error)?,
                Err(mpsc::RecvTimeoutError::Timeout) => stopped(interrupt)?,
                // the worker ended without a result: the decoder panicked
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(DecodeError::new(
                        DecodeErrorKind::Malformed,
                        Some("the JPEG decoder failed without an error".into()),
                    )
                    .into())
                }
            }
        };
        stopped(interrupt)?;
        if let Some(o) = orientation {
            img.apply_orientation(o);
        }
        Ok(img)
    }
}

fn no_check(_: u32, _: u32, _: ColorType) -> Result<()> {
    Ok(())
}

/// [`decode_image`] with a stop condition and a header check.
pub(crate) fn decode_bytes_with(
    bytes: &[u8],
    limits: DecodeLimits,
    apply_orientation: bool,
    interrupt: &Interrupt,
    header_check: HeaderCheck<'_>,
) -> Result<DynamicImage> {
    if bytes.is_empty() {
        return Err(DecodeError::new(DecodeErrorKind::Malformed, None).into());
    }
    decode_reader(
        Cursor::new(bytes),
        limits,
        apply_orientation,
        interrupt,
        header_check,
    )
}

/// [`decode_image_file`] with a stop condition and a header check.
pub(crate) fn decode_file_with(
    path: &Path,
    limits: DecodeLimits,
    apply_orientation: bool,
    interrupt: &Interrupt,
    header_check: HeaderCheck<'_>,
) -> Result<DynamicImage> {
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
    decode_reader(
        std::io::BufReader::new(file),
        limits,
        apply_orientation,
        interrupt,
        header_check,
    )
    .map_err(with_path)
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
    decode_bytes_with(
        bytes,
        limits,
        apply_orientation,
        &Interrupt::new(&limits, None),
        &no_check,
    )
}

/// Decodes an image file under `limits` (see [`decode_image`]); errors name the path.
pub fn decode_image_file(
    path: impl AsRef<Path>,
    limits: DecodeLimits,
    apply_orientation: bool,
) -> Result<DynamicImage> {
    decode_file_with(
        path.as_ref(),
        limits,
        apply_orientation,
        &Interrupt::new(&limits, None),
        &no_check,
    )
}

#[cfg(all(test, feature = "jpeg"))]
mod tests {
    use std::sync::atomic::Ordering;

    use super::jpeg_worker::IN_FLIGHT;
    use super::*;

    /// A slow JPEG: 3000 × 3000, progressive with 30 scans per component (90 scans, near the
    /// decoder's cap of 100), each pass of the decoder over all 9 M pixels.
    fn slow_jpeg() -> Vec<u8> {
        let (w, h) = (3000u16, 3000u16);
        let mut x = 0x2545_f491_u32;
        let rgb: Vec<u8> = (0..w as usize * h as usize * 3)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                ((i / 3 % w as usize) as u32 / 12 + (x & 31)) as u8
            })
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
        enc.set_progressive_scans(30);
        enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// The JPEG decoder itself is interrupted: cancelled once its worker has started, the
    /// call returns `Cancelled` while the worker is still decoding (so it did not wait for
    /// the decode to end), and the worker's slot is freed when it ends. A deadline stops it
    /// the same way, as `TimedOut`; without either, the image decodes.
    #[test]
    fn a_slow_jpeg_decode_is_interrupted_from_inside() {
        let jpeg = slow_jpeg();
        let limits = DecodeLimits::default();
        let token = CancelToken::new();
        let interrupt = Interrupt::new(&limits, Some(&token));
        let canceller = {
            let token = token.clone();
            std::thread::spawn(move || {
                // (bounded, so that a decode without a worker fails the test, not hangs it)
                let give_up = Instant::now() + Duration::from_secs(60);
                while IN_FLIGHT.load(Ordering::Acquire) == 0 && Instant::now() < give_up {
                    std::thread::sleep(Duration::from_millis(1));
                }
                token.cancel();
            })
        };
        let r = decode_bytes_with(&jpeg, limits, false, &interrupt, &no_check);
        let still_decoding = IN_FLIGHT.load(Ordering::Acquire) > 0;
        canceller.join().unwrap();
        match r {
            Err(Error::Decode(d)) => assert_eq!(d.kind(), DecodeErrorKind::Cancelled),
            r => panic!("{:?}", r.map(|i| (i.width(), i.height()))),
        }
        assert!(still_decoding, "the call waited for the decoder");

        let timed = limits.with_max_time(Duration::from_millis(20));
        match decode_bytes_with(
            &jpeg,
            timed,
            false,
            &Interrupt::new(&timed, None),
            &no_check,
        ) {
            Err(Error::Decode(d)) => assert_eq!(d.kind(), DecodeErrorKind::TimedOut),
            r => panic!("{:?}", r.map(|i| (i.width(), i.height()))),
        }

        // the same bytes decode without a deadline, and with a generous one on the worker
        let plain = decode_image(&jpeg, limits, false).unwrap();
        let generous = limits.with_max_time(Duration::from_secs(3600));
        let worker = decode_image(&jpeg, generous, false).unwrap();
        assert_eq!((plain.width(), plain.height()), (3000, 3000));
        assert!(plain == worker);
    }
}
