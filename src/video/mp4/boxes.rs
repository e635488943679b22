//! Box-level reading of ISO-BMFF: headers read from the file (bounded by the file length and
//! [`VideoLimits::max_header_bytes`]), child boxes of an in-memory payload, and a
//! bounds-checked big-endian cursor over a payload.

use std::io::{Read, Seek, SeekFrom};

use crate::error::{VideoError, VideoErrorKind};
use crate::video::VideoLimits;

pub(super) type Res<T> = std::result::Result<T, VideoError>;

pub(super) fn corrupt(detail: impl Into<String>) -> VideoError {
    VideoError::new(VideoErrorKind::Container, detail.into())
}

/// Raw box header.
#[derive(Clone, Copy, Debug)]
pub(super) struct BoxHdr {
    pub(super) kind: [u8; 4],
    /// Offset of the payload (after the header).
    pub(super) payload: u64,
    /// Payload length.
    pub(super) len: u64,
}

/// Reads a box header at the reader's position, bounded by `end`.
pub(super) fn read_header<R: Read + Seek>(r: &mut R, pos: u64, end: u64) -> Res<Option<BoxHdr>> {
    if pos >= end {
        return Ok(None);
    }
    if end - pos < 8 {
        // trailing garbage shorter than a header: ignore it, as players do
        return Ok(None);
    }
    let mut h = [0u8; 8];
    r.seek(SeekFrom::Start(pos)).map_err(io_err)?;
    r.read_exact(&mut h).map_err(io_err)?;
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
    let kind = [h[4], h[5], h[6], h[7]];
    let (hdr_len, size) = match size32 {
        0 => (8, end - pos),
        1 => {
            if end - pos < 16 {
                return Err(corrupt("truncated 64-bit box header"));
            }
            let mut l = [0u8; 8];
            r.read_exact(&mut l).map_err(io_err)?;
            (16, u64::from_be_bytes(l))
        }
        s => (8, s),
    };
    if size < hdr_len {
        return Err(corrupt(format!(
            "box '{}' has an impossible size {size}",
            String::from_utf8_lossy(&kind)
        )));
    }
    // A box running past its parent (a truncated file) is cut to what is there; the sample
    // offsets are checked against the file length later.
    let size = size.min(end - pos);
    Ok(Some(BoxHdr {
        kind,
        payload: pos + hdr_len,
        len: size - hdr_len,
    }))
}

pub(super) fn io_err(e: std::io::Error) -> VideoError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        corrupt("file ends inside a box")
    } else {
        VideoError::new(VideoErrorKind::Io, "").with_source(Box::new(e))
    }
}

/// A bounds-checked big-endian cursor over an in-memory box payload.
pub(super) struct Cur<'a> {
    b: &'a [u8],
    /// Position in `b`.
    pub(super) p: usize,
}

impl<'a> Cur<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Cur { b, p: 0 }
    }
    pub(super) fn left(&self) -> usize {
        self.b.len() - self.p
    }
    pub(super) fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        if self.left() < n {
            return Err(corrupt("box shorter than its fields"));
        }
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    pub(super) fn skip(&mut self, n: usize) -> Res<()> {
        self.bytes(n).map(|_| ())
    }
    pub(super) fn u8(&mut self) -> Res<u8> {
        Ok(self.bytes(1)?[0])
    }
    pub(super) fn u16(&mut self) -> Res<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(super) fn u32(&mut self) -> Res<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(super) fn u64(&mut self) -> Res<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    /// version (1 byte) + flags (3 bytes)
    pub(super) fn full(&mut self) -> Res<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }
    /// An entry count that must fit in the remaining bytes at `entry` bytes per entry.
    pub(super) fn count(&mut self, entry: usize) -> Res<usize> {
        let n = self.u32()? as usize;
        if n.checked_mul(entry).is_none_or(|need| need > self.left()) {
            return Err(corrupt("table claims more entries than the box holds"));
        }
        Ok(n)
    }
}

/// Iterates the child boxes of an in-memory payload.
pub(super) fn children(b: &[u8]) -> impl Iterator<Item = Res<([u8; 4], &[u8])>> {
    let mut p = 0usize;
    std::iter::from_fn(move || {
        if b.len().saturating_sub(p) < 8 {
            return None;
        }
        let size32 = u32::from_be_bytes([b[p], b[p + 1], b[p + 2], b[p + 3]]) as u64;
        let kind = [b[p + 4], b[p + 5], b[p + 6], b[p + 7]];
        let rest = (b.len() - p) as u64;
        let (hdr, size) = match size32 {
            0 => (8u64, rest),
            1 => {
                if rest < 16 {
                    p = b.len();
                    return Some(Err(corrupt("truncated 64-bit box header")));
                }
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[p + 8..p + 16]);
                (16, u64::from_be_bytes(a))
            }
            s => (8, s),
        };
        if size < hdr {
            p = b.len();
            return Some(Err(corrupt("box with an impossible size")));
        }
        let size = size.min(rest) as usize;
        let payload = &b[p + hdr as usize..p + size];
        p += size;
        Some(Ok((kind, payload)))
    })
}

pub(super) fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Res<Option<&'a [u8]>> {
    for c in children(b) {
        let (k, p) = c?;
        if &k == kind {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

pub(super) fn read_payload<R: Read + Seek>(
    r: &mut R,
    h: &BoxHdr,
    limits: &VideoLimits,
) -> Res<Vec<u8>> {
    if h.len > limits.max_header_bytes {
        return Err(VideoError::new(
            VideoErrorKind::LimitsExceeded,
            format!(
                "'{}' box of {} bytes exceeds the {}-byte limit",
                String::from_utf8_lossy(&h.kind),
                h.len,
                limits.max_header_bytes
            ),
        ));
    }
    r.seek(SeekFrom::Start(h.payload)).map_err(io_err)?;
    let mut v = Vec::new();
    r.by_ref().take(h.len).read_to_end(&mut v).map_err(io_err)?;
    if (v.len() as u64) < h.len {
        return Err(corrupt(format!(
            "file ends inside the '{}' box",
            String::from_utf8_lossy(&h.kind)
        )));
    }
    Ok(v)
}
