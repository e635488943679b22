//! An H.264 track of an MP4/MOV file as both backends plan their decode from it: samples in
//! decode order, their display indices (composition order inside the edit list), the NAL
//! length size, and bounds-checked reads of samples and of their NAL unit headers.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result, VideoError, VideoErrorKind};
use crate::video::mp4::{read_video_track, Mp4Track, Sample};
use crate::video::sample::Sampler;
use crate::video::{FrameRate, VideoInfo, VideoLimits};

pub(crate) trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

pub(crate) const FEATURE_HINT: &str = "build mediamatch with the `ffmpeg` feature to decode it";

/// How a parallel task gets its own reader of the same bytes.
#[derive(Clone, Debug)]
pub(crate) enum Opener {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Opener {
    pub(crate) fn open(&self) -> Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Opener::File(p) => Box::new(Windowed::new(
                File::open(p).map_err(|e| Error::io(Some(p.clone()), e))?,
            )),
            Opener::Bytes(b) => Box::new(Cursor::new(ArcBytes(b.clone()))),
        })
    }

    /// The stream read from the file or bytes, and a reader of them.
    #[cfg(feature = "ffmpeg")]
    pub(crate) fn stream(&self, limits: VideoLimits) -> Result<(Stream, Box<dyn ReadSeek>)> {
        match self {
            Opener::File(p) => {
                let (stream, _, reader) = Stream::open_file(p, limits)?;
                Ok((stream, Box::new(reader)))
            }
            Opener::Bytes(b) => Ok((Stream::from_bytes(b.clone(), limits)?.0, self.open()?)),
        }
    }
}

/// `AsRef<[u8]>` for a shared buffer, so a `Cursor` can read it.
pub(crate) struct ArcBytes(pub(crate) Arc<[u8]>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The stream as parsed from the container, shared by the tasks of a parallel decode.
#[derive(Debug)]
pub(crate) struct Stream {
    /// What the container says of the stream.
    pub(crate) info: VideoInfo,
    /// Resource limits.
    pub(crate) limits: VideoLimits,
    /// Bytes in the file.
    pub(crate) file_len: u64,
    /// The video track's samples and codec configuration.
    pub(crate) track: Mp4Track,
    /// Display index per sample (decode order); `None` = outside the edit list.
    pub(crate) display: Vec<Option<u64>>,
    /// Bytes of the NAL unit length prefix of the samples.
    pub(crate) length_size: usize,
}

impl Stream {
    pub(crate) fn wanted(&self, sampler: &Sampler, i: usize) -> bool {
        self.display[i].is_some_and(|d| sampler.wants(d, self.track.samples[i].sync))
    }

    pub(crate) fn check_sample(&self, i: usize) -> Result<Sample> {
        let s = self.track.samples[i];
        if s.size > self.limits.max_sample_bytes {
            return Err(VideoError::new(
                VideoErrorKind::LimitsExceeded,
                format!("a frame of {} bytes exceeds the limit", s.size),
            )
            .into());
        }
        let end = s.offset.checked_add(s.size as u64);
        if end.is_none_or(|e| e > self.file_len) {
            return Err(VideoError::new(
                VideoErrorKind::Container,
                format!("frame {i} lies beyond the end of the file (truncated file?)"),
            )
            .into());
        }
        Ok(s)
    }

    /// Whether sample `i` lies (partly) beyond the end of the file: a truncated file.
    pub(crate) fn beyond_end(&self, i: usize) -> bool {
        let s = self.track.samples[i];
        s.offset
            .checked_add(s.size as u64)
            .is_none_or(|e| e > self.file_len)
    }

    /// Reads sample `i` into `buf`.
    pub(crate) fn read_sample(
        &self,
        reader: &mut dyn ReadSeek,
        i: usize,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let s = self.check_sample(i)?;
        buf.clear();
        buf.resize(s.size as usize, 0);
        reader
            .seek(SeekFrom::Start(s.offset))
            .and_then(|_| reader.read_exact(buf))
            .map_err(|e| {
                Error::from(
                    VideoError::new(VideoErrorKind::Io, "reading a frame").with_source(Box::new(e)),
                )
            })
    }

    /// Walks the NAL unit headers of sample `i` without reading the payloads: the type of its
    /// first slice (`None` without one) and whether it carries parameter sets. `None` if the
    /// sample cannot be read (the decode reports that later).
    pub(crate) fn scan(&self, reader: &mut dyn ReadSeek, i: usize) -> Option<(Option<u8>, bool)> {
        let s = self.check_sample(i).ok()?;
        let ls = self.length_size;
        let mut pos = 0u64;
        let mut has_ps = false;
        let mut hdr = [0u8; 5];
        reader.seek(SeekFrom::Start(s.offset)).ok()?;
        let mut at = 0u64; // reader position relative to the sample
        while pos + (ls as u64) < s.size as u64 {
            if at != pos {
                reader.seek(SeekFrom::Current((pos - at) as i64)).ok()?;
            }
            reader.read_exact(&mut hdr[..ls + 1]).ok()?;
            at = pos + ls as u64 + 1;
            let len = hdr[..ls].iter().fold(0u64, |a, &b| (a << 8) | b as u64);
            let kind = hdr[ls] & 0x1f;
            match kind {
                1 | 5 => return Some((Some(kind), has_ps)),
                7 | 8 => has_ps = true,
                _ => {}
            }
            if len == 0 {
                break;
            }
            pos += ls as u64 + len;
        }
        Some((None, has_ps))
    }
}

impl Stream {
    /// Reads the container of an H.264 MP4/MOV file; also returns how to open its bytes
    /// again and a reader positioned anywhere.
    pub(crate) fn open_file(
        path: &Path,
        limits: VideoLimits,
    ) -> Result<(Stream, Opener, Windowed<File>)> {
        let f = File::open(path).map_err(|e| Error::io(Some(path.to_path_buf()), e))?;
        let len = f
            .metadata()
            .map_err(|e| Error::io(Some(path.to_path_buf()), e))?
            .len();
        let mut reader = Windowed::new(f);
        let stream = Stream::from_reader(&mut reader, len, limits)?;
        Ok((stream, Opener::File(path.to_path_buf()), reader))
    }

    /// Reads the container from `reader` (`len` bytes): refuses codecs other than H.264,
    /// finds the NAL length size and orders the samples for display.
    pub(crate) fn from_reader<R: Read + Seek>(
        reader: &mut R,
        len: u64,
        limits: VideoLimits,
    ) -> Result<Stream> {
        let track = read_video_track(reader, len, &limits)?;
        let codec_name = track.codec.name();
        if !matches!(&track.codec.fourcc, b"avc1" | b"avc3") {
            return Err(VideoError::new(
                VideoErrorKind::UnsupportedCodec,
                format!(
                    "{codec_name} is not decoded by the built-in backend (H.264 only); {FEATURE_HINT}"
                ),
            )
            .into());
        }
        let length_size = match &track.codec.avcc {
            // AVCDecoderConfigurationRecord: version 1, ..., lengthSizeMinusOne in byte 4
            Some(avcc) if avcc.len() >= 7 && avcc[0] == 1 => (avcc[4] & 3) as usize + 1,
            Some(_) => {
                return Err(VideoError::new(VideoErrorKind::Container, "bad avcC box").into())
            }
            None if track.codec.fourcc == *b"avc1" => {
                return Err(VideoError::new(
                    VideoErrorKind::Container,
                    "H.264 track without its avcC configuration",
                )
                .into());
            }
            None => 4,
        };
        limits.check_size(track.width.max(1), track.height.max(1))?;

        // display order: composition time, among the samples inside an edit's window (edits
        // in media-time order, as cuts are, give FFmpeg's order; a sample that several edits
        // show, or edits out of order, are shown once, in composition order)
        let n = track.samples.len();
        // the windows sorted and merged, so each sample is one binary search (a hostile edit
        // list of many entries costs O(log n) per sample)
        let mut win: Vec<(i64, i64)> = track
            .edit
            .iter()
            .map(|&(a, b)| (a, b.unwrap_or(i64::MAX)))
            .filter(|w| w.0 < w.1)
            .collect();
        win.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(win.len());
        for w in win {
            match merged.last_mut() {
                Some(m) if w.0 <= m.1 => m.1 = m.1.max(w.1),
                _ => merged.push(w),
            }
        }
        let shown = |c: i64| {
            if track.edit.is_empty() {
                return true;
            }
            let k = merged.partition_point(|w| w.0 <= c);
            k > 0 && c < merged[k - 1].1
        };
        let mut order: Vec<usize> = (0..n).filter(|&i| shown(track.samples[i].cts)).collect();
        order.sort_by_key(|&i| (track.samples[i].cts, i));
        let mut display = vec![None; n];
        for (rank, &i) in order.iter().enumerate() {
            display[i] = Some(rank as u64);
        }
        let frame_rate =
            FrameRate::from_count(track.fps_basis.1, track.fps_basis.0, track.timescale);
        let info = VideoInfo {
            width: track.width,
            height: track.height,
            frame_rate,
            frame_count: Some(order.len() as u64),
            codec: codec_name,
        };
        Ok(Stream {
            info,
            limits,
            file_len: len,
            track,
            display,
            length_size,
        })
    }

    /// [`Stream::from_reader`] over shared bytes, with their opener.
    pub(crate) fn from_bytes(bytes: Arc<[u8]>, limits: VideoLimits) -> Result<(Stream, Opener)> {
        let len = bytes.len() as u64;
        let stream = Stream::from_reader(&mut Cursor::new(&bytes[..]), len, limits)?;
        Ok((stream, Opener::Bytes(bytes)))
    }
}

/// The NAL units (header byte first) of a sample whose units are prefixed by their
/// `length_size`-byte big-endian lengths; stops at the first inconsistent length.
pub(crate) fn raw_nals(buf: &[u8], length_size: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() <= length_size {
            return None;
        }
        let (len, tail) = rest.split_at(length_size);
        let len = len.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        if len == 0 || len > tail.len() {
            return None;
        }
        let (nal, next) = tail.split_at(len);
        rest = next;
        Some(nal)
    })
}

/// Bytes read ahead at once by [`Windowed`].
const WINDOW: usize = 256 << 10;

/// A reader that reads `WINDOW` bytes at a time and serves seeks and reads inside the
/// window from memory, so runs of adjacent samples (and their NAL headers) cost one read,
/// not a seek and a read each. Memory stays one window.
pub(crate) struct Windowed<R> {
    inner: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// The logical position.
    pos: u64,
    /// Where `inner` is, when known.
    inner_pos: Option<u64>,
}

impl<R: Read + Seek> Windowed<R> {
    pub(crate) fn new(inner: R) -> Self {
        Windowed {
            inner,
            buf: Vec::new(),
            start: 0,
            pos: 0,
            inner_pos: None,
        }
    }

    fn inner_to(&mut self, pos: u64) -> std::io::Result<()> {
        if self.inner_pos != Some(pos) {
            self.inner.seek(SeekFrom::Start(pos))?;
            self.inner_pos = Some(pos);
        }
        Ok(())
    }
}

impl<R: Read + Seek> Read for Windowed<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let end = self.start + self.buf.len() as u64;
        if !(self.start..end).contains(&self.pos) {
            if out.len() >= WINDOW {
                self.inner_to(self.pos)?;
                let n = self.inner.read(out)?;
                self.pos += n as u64;
                self.inner_pos = Some(self.pos);
                return Ok(n);
            }
            self.inner_to(self.pos)?;
            self.buf.resize(WINDOW, 0);
            let mut filled = 0;
            while filled < WINDOW {
                match self.inner.read(&mut self.buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.buf.clear();
                        self.inner_pos = None;
                        return Err(e);
                    }
                }
            }
            self.buf.truncate(filled);
            self.start = self.pos;
            self.inner_pos = Some(self.pos + filled as u64);
            if filled == 0 {
                return Ok(0);
            }
        }
        let at = (self.pos - self.start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Windowed<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before 0");
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(bad)?,
            SeekFrom::End(d) => {
                let p = self.inner.seek(SeekFrom::End(d))?;
                self.inner_pos = Some(p);
                p
            }
        };
        Ok(self.pos)
    }
}
