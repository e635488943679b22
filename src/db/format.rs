//! The database file format: the only code that knows the bytes.
//!
//! # Layout (format version 3)
//!
//! All integers are little-endian. Offsets are from the start of the file. `N` is the number
//! of entries, `U` the number of distinct hashes (`U <= N`: a hash stored under several ids,
//! e.g. the same frame in several videos or the same image in several banks, is written once).
//!
//! | offset | size | content |
//! | --- | --- | --- |
//! | 0 | 8 | magic `MMHASHDB` |
//! | 8 | 4 | `u32` format version (3) |
//! | 12 | 4 | `u32` header length `H` (at most 1 GiB) |
//! | 16 | `H` | header: `count` `N`, `distinct` `U`, `next_id`, the metadata table (each record: source, content id, labels, media kind as an externally tagged enum `Image` / `VideoFrame { video_id, timestamp_ms }`, derived); encoded by bincode 2.0.1, `config::standard()` (varint, little-endian) |
//! | 16 + `H` | 0..7 | zero padding to a multiple of 8: the body starts at `B = align8(16 + H)` |
//! | `B` | `32 U` | the `U` distinct hashes, each as its four 64-bit limbs, limb 0 (bits 0..64) first, in order of first use by the entries below |
//! | `B + 32 U` | `8 N` | `u64` entry ids, strictly increasing, each below `next_id` |
//! | `B + 32 U + 8 N` | `4 N` | `u32` position of each entry's hash among the distinct hashes |
//! | `B + 32 U + 12 N` | `4 N` | `u32` index of each entry's metadata in the header's table |
//! | `B + 32 U + 16 N` | `N` | `u8` quality 0..=100, or 255 for "no quality" |
//! | `B + 32 U + 17 N` | 0..7 | zero padding: the body length is `L = align8(32 U + 17 N)` |
//! | `B + L` | 8 | footer: `u64` body length `L` |
//! | `B + L + 8` | 4 | footer: CRC-32 (IEEE, `crc32fast`) of every byte before this field |
//! | `B + L + 12` | 8 | footer: magic `MMHASHDB` again |
//!
//! "In order of first use" means: walking the entries in id order, each hash position is
//! either one already seen or exactly the next new one, and every distinct hash is used. This
//! is the order in which the [`Index`](crate::index::Index) keeps its distinct hashes, so
//! opening needs neither sorting nor hashing: the hashes are one contiguous, 8-byte aligned
//! block read in bulk and used as they are.
//!
//! # The header limit, by construction
//!
//! bincode's decoder charges every integer it decodes at its full width (8 bytes for a
//! length, 4 for an enum tag) against its limit, however few bytes the varint took, and
//! string bytes one for one. No field of the header takes fewer than one byte per 8 bytes
//! charged, so the decoder runs with a limit of 8 × `H` max (8 GiB) while `encode` refuses
//! (with [`StoreErrorKind::TooLarge`]) a header over
//! 1 GiB: whatever `encode` writes, the reader accepts. The limit still bounds what a hostile
//! header can make the decoder allocate, and a header can only be as long as the file.
//!
//! # Versions 1 and 2 (still read)
//!
//! Version 2 is version 3 without the `derived` field of the metadata records (and with a
//! 64 MiB header limit when it was written).
//!
//! Version 1 stored one hash per entry: header `count`, `next_id`, metadata table; body
//! `32 N` hashes (entry order), `8 N` ids, `4 N` metadata indices, `N` qualities, padded to
//! `align8(45 N)`; same prefix and footer. Opening a version-1 file groups equal hashes
//! while building the index; saving writes version 2.
//!
//! # Reading
//!
//! One parser, `read_stream`, reads files and byte slices alike. It checks, in order: the magic, the version (`OLDEST_SUPPORTED..=FORMAT_VERSION`,
//! else [`FormatErrorKind::UnsupportedVersion`]), the closing magic (else the file was cut:
//! [`FormatErrorKind::Truncated`]), the CRC over everything, the lengths, the header, and every
//! id, hash position, metadata index and quality. Nothing is returned before all checks pass.
//! Any change of layout, header fields or bincode configuration bumps `FORMAT_VERSION`.

use std::io::{self, Read, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};

use super::{MediaKind, Metadata};
use crate::error::{FormatError, FormatErrorKind, Result, StoreError, StoreErrorKind};
use crate::index::Limbs;

/// First and last 8 bytes of a database file.
pub const MAGIC: [u8; 8] = *b"MMHASHDB";
/// The version this build writes.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest version this build reads.
pub const OLDEST_SUPPORTED: u32 = 1;
/// Largest header written and accepted.
const HEADER_LIMIT: usize = 1 << 30;
/// bincode's limit while decoding a header (see "The header limit, by construction").
const DECODE_LIMIT: usize = HEADER_LIMIT.saturating_mul(8);
const PREFIX: usize = 16;
const FOOTER: usize = 20;
/// Bytes per entry in a version-1 body.
const ENTRY_BYTES_V1: u64 = 32 + 8 + 4 + 1;
/// Bytes per entry (besides its distinct hash) in a version-2 body.
const ENTRY_BYTES: u64 = 8 + 4 + 4 + 1;
/// Quality byte meaning "none".
pub(crate) const NO_QUALITY: u8 = 255;

/// The media kind as the file stores it (independent of `MediaKind`'s serde form).
#[derive(Debug, Serialize, Deserialize)]
enum FileMedia {
    Image,
    VideoFrame { video_id: String, timestamp_ms: u64 },
}

/// The media kind as written (borrowed).
#[derive(Serialize)]
enum FileMediaRef<'a> {
    Image,
    VideoFrame {
        video_id: &'a str,
        timestamp_ms: u64,
    },
}

/// A metadata record of versions 1 and 2.
#[derive(Debug, Serialize, Deserialize)]
struct FileMetaV2 {
    source: String,
    content_id: Option<String>,
    labels: Vec<String>,
    media: FileMedia,
}

/// A metadata record of version 3.
#[derive(Debug, Serialize, Deserialize)]
struct FileMeta {
    source: String,
    content_id: Option<String>,
    labels: Vec<String>,
    media: FileMedia,
    derived: Option<String>,
}

/// A metadata record of version 3 as written (borrowed).
#[derive(Serialize)]
struct FileMetaRef<'a> {
    source: &'a str,
    content_id: Option<&'a str>,
    labels: &'a [String],
    media: FileMediaRef<'a>,
    derived: Option<&'a str>,
}

impl FileMedia {
    fn into_kind(self) -> MediaKind {
        match self {
            FileMedia::Image => MediaKind::Image,
            FileMedia::VideoFrame {
                video_id,
                timestamp_ms,
            } => MediaKind::VideoFrame {
                video_id,
                timestamp_ms,
            },
        }
    }
}

impl FileMeta {
    fn into_meta(self) -> Metadata {
        Metadata {
            source: self.source,
            content_id: self.content_id,
            labels: self.labels,
            media: self.media.into_kind(),
            derived: self.derived,
        }
    }
}

impl FileMetaV2 {
    fn into_meta(self) -> Metadata {
        FileMeta {
            source: self.source,
            content_id: self.content_id,
            labels: self.labels,
            media: self.media,
            derived: None,
        }
        .into_meta()
    }
}

fn meta_ref(m: &Metadata) -> FileMetaRef<'_> {
    FileMetaRef {
        source: &m.source,
        content_id: m.content_id.as_deref(),
        labels: &m.labels,
        media: match &m.media {
            MediaKind::Image => FileMediaRef::Image,
            MediaKind::VideoFrame {
                video_id,
                timestamp_ms,
            } => FileMediaRef::VideoFrame {
                video_id,
                timestamp_ms: *timestamp_ms,
            },
        },
        derived: m.derived.as_deref(),
    }
}

/// The bincode-encoded header of version 1.
#[derive(Debug, Deserialize)]
struct HeaderV1 {
    count: u64,
    next_id: u64,
    metas: Vec<FileMetaV2>,
}

/// The bincode-encoded header of version 2.
#[derive(Debug, Deserialize)]
struct HeaderV2 {
    count: u64,
    distinct: u64,
    next_id: u64,
    metas: Vec<FileMetaV2>,
}

/// The bincode-encoded header of version 3.
#[derive(Debug, Deserialize)]
struct Header {
    count: u64,
    distinct: u64,
    next_id: u64,
    metas: Vec<FileMeta>,
}

/// The version-3 header as written (borrowed).
#[derive(Serialize)]
struct HeaderRef<'a> {
    count: u64,
    distinct: u64,
    next_id: u64,
    metas: Vec<FileMetaRef<'a>>,
}

/// What [`encode`] writes: entries in id order, borrowing the distinct hashes.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    pub(crate) next_id: u64,
    pub(crate) metas: Vec<Metadata>,
    /// Distinct hashes, in order of first use.
    pub(crate) hashes: &'a [Limbs],
    pub(crate) ids: Vec<u64>,
    pub(crate) hash_ref: Vec<u32>,
    pub(crate) meta_ref: Vec<u32>,
    pub(crate) quality: Vec<u8>,
}

/// A decoded database as columns, in id order.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) next_id: u64,
    pub(crate) metas: Vec<Metadata>,
    pub(crate) ids: Vec<u64>,
    /// Version 2: the distinct hashes; version 1: one hash per entry.
    pub(crate) hashes: Vec<Limbs>,
    /// Version 2: position of each entry's hash in `hashes` (in order of first use, not yet
    /// checked: the index checks it); version 1: `None`.
    pub(crate) hash_ref: Option<Vec<u32>>,
    pub(crate) meta_ref: Vec<u32>,
    pub(crate) quality: Vec<u8>,
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

fn align8(x: u64) -> u64 {
    x.div_ceil(8) * 8
}

fn err(kind: FormatErrorKind, detail: &'static str) -> crate::Error {
    FormatError::new(kind, detail).into()
}

/// Writes CRC-tracked bytes.
struct CrcWriter<'a> {
    inner: &'a mut dyn Write,
    crc: crc32fast::Hasher,
}

impl CrcWriter<'_> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.inner.write_all(b)
    }
}

/// Encodes the header of `c`; a header over the limit is [`StoreErrorKind::TooLarge`].
pub(crate) fn encode_header(c: &Layout<'_>) -> Result<Vec<u8>> {
    let header = HeaderRef {
        count: c.ids.len() as u64,
        distinct: c.hashes.len() as u64,
        next_id: c.next_id,
        metas: c.metas.iter().map(meta_ref).collect(),
    };
    let too_large = || {
        StoreError::new(
            StoreErrorKind::TooLarge,
            "the metadata table exceeds the 1 GiB header limit of the .mmdb format; \
             keep large banks in a db::Store",
        )
    };
    let hbytes = bincode::serde::encode_to_vec(&header, bincode::config::standard())
        .map_err(|e| too_large().with_source(Box::new(e)))?;
    if hbytes.len() > HEADER_LIMIT {
        return Err(too_large().into());
    }
    Ok(hbytes)
}

/// Writes `c` in the format above (version 3), with its header from [`encode_header`].
pub(crate) fn encode(c: &Layout<'_>, hbytes: &[u8], w: &mut dyn Write) -> io::Result<()> {
    let n = c.ids.len();
    let u = c.hashes.len();
    let mut w = CrcWriter {
        inner: w,
        crc: crc32fast::Hasher::new(),
    };
    w.put(&MAGIC)?;
    w.put(&FORMAT_VERSION.to_le_bytes())?;
    w.put(&(hbytes.len() as u32).to_le_bytes())?;
    w.put(hbytes)?;
    let pad = (align8((PREFIX + hbytes.len()) as u64) as usize) - PREFIX - hbytes.len();
    w.put(&[0u8; 8][..pad])?;
    let mut buf = Vec::with_capacity(1 << 16);
    let flush = |w: &mut CrcWriter<'_>, buf: &mut Vec<u8>, force: bool| {
        if force || buf.len() >= 1 << 16 {
            w.put(buf)?;
            buf.clear();
        }
        io::Result::Ok(())
    };
    for h in c.hashes {
        for l in h {
            buf.extend_from_slice(&l.to_le_bytes());
        }
        flush(&mut w, &mut buf, false)?;
    }
    for id in &c.ids {
        buf.extend_from_slice(&id.to_le_bytes());
        flush(&mut w, &mut buf, false)?;
    }
    for column in [&c.hash_ref, &c.meta_ref] {
        for m in column {
            buf.extend_from_slice(&m.to_le_bytes());
            flush(&mut w, &mut buf, false)?;
        }
    }
    buf.extend_from_slice(&c.quality);
    let body = 32 * u as u64 + n as u64 * ENTRY_BYTES;
    let body_len = align8(body);
    buf.resize(buf.len() + (body_len - body) as usize, 0);
    flush(&mut w, &mut buf, true)?;
    w.put(&body_len.to_le_bytes())?;
    let crc = w.crc.clone().finalize();
    w.inner.write_all(&crc.to_le_bytes())?;
    w.inner.write_all(&MAGIC)?;
    w.inner.flush()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The magic, version and closing-magic checks, from the first `min(len, 16)` bytes and the
/// last `min(len, 8)` bytes of a file of `len` bytes. Returns the version.
fn check_ends(head: &[u8], tail: &[u8], len: u64) -> Result<u32> {
    use FormatErrorKind::*;
    if len < MAGIC.len() as u64 {
        return Err(if MAGIC.starts_with(head) {
            err(Truncated, "shorter than the magic")
        } else {
            err(BadMagic, "not a mediamatch database")
        });
    }
    if head[..8] != MAGIC {
        return Err(err(BadMagic, "not a mediamatch database"));
    }
    if len < (PREFIX + FOOTER) as u64 {
        return Err(err(Truncated, "shorter than header and footer"));
    }
    let version = u32_at(head, 8);
    if !(OLDEST_SUPPORTED..=FORMAT_VERSION).contains(&version) {
        return Err(FormatError::new(
            UnsupportedVersion {
                supported: FORMAT_VERSION,
                found: version,
            },
            "",
        )
        .into());
    }
    if tail != MAGIC {
        return Err(err(
            Truncated,
            "the closing magic is missing: the file was cut short or not completely written",
        ));
    }
    Ok(version)
}

/// Where the body starts, from the header length and the footer's body length.
fn body_start(header_len: u64, body_len: u64, len: u64) -> Result<u64> {
    if header_len as usize > HEADER_LIMIT {
        return Err(err(FormatErrorKind::Corrupt, "header longer than 1 GiB"));
    }
    let body_start = align8(PREFIX as u64 + header_len);
    if body_start
        .checked_add(body_len)
        .and_then(|x| x.checked_add(FOOTER as u64))
        != Some(len)
    {
        return Err(err(
            FormatErrorKind::Corrupt,
            "section lengths do not add up to the file length",
        ));
    }
    Ok(body_start)
}

/// The decoded header, whatever the version.
struct Head {
    count: usize,
    /// `Some(U)` for version 2.
    distinct: Option<usize>,
    next_id: u64,
    metas: Vec<Metadata>,
}

fn parse_header(version: u32, hbytes: &[u8], body_len: u64) -> Result<Head> {
    use FormatErrorKind::*;
    let decode_err = |e: bincode::error::DecodeError| {
        FormatError::new(Corrupt, "header does not decode").with_source(Box::new(e))
    };
    let old = |m: Vec<FileMetaV2>| m.into_iter().map(FileMetaV2::into_meta).collect();
    let (count, distinct, next_id, metas, used): (_, _, _, Vec<Metadata>, _) = match version {
        1 => {
            let (h, used): (HeaderV1, usize) =
                bincode::serde::decode_from_slice(hbytes, bincode_config()).map_err(decode_err)?;
            (h.count, None, h.next_id, old(h.metas), used)
        }
        2 => {
            let (h, used): (HeaderV2, usize) =
                bincode::serde::decode_from_slice(hbytes, bincode_config()).map_err(decode_err)?;
            (h.count, Some(h.distinct), h.next_id, old(h.metas), used)
        }
        _ => {
            let (h, used): (Header, usize) =
                bincode::serde::decode_from_slice(hbytes, bincode_config()).map_err(decode_err)?;
            let metas = h.metas.into_iter().map(FileMeta::into_meta).collect();
            (h.count, Some(h.distinct), h.next_id, metas, used)
        }
    };
    if used != hbytes.len() {
        return Err(err(Corrupt, "trailing bytes after the header"));
    }
    let expected_body = match distinct {
        None => count.checked_mul(ENTRY_BYTES_V1),
        Some(u) if u <= count => count
            .checked_mul(ENTRY_BYTES)
            .and_then(|x| x.checked_add(u.checked_mul(32)?)),
        Some(_) => None,
    };
    if expected_body.map(align8) != Some(body_len) {
        return Err(err(Corrupt, "entry count does not match the body length"));
    }
    // The body length bounds both counts by the file length, so they fit in usize.
    Ok(Head {
        count: count as usize,
        distinct: distinct.map(|u| u as usize),
        next_id,
        metas,
    })
}

impl Head {
    /// Number of hashes in the body.
    fn hashes(&self) -> usize {
        self.distinct.unwrap_or(self.count)
    }
}

/// Appends the little-endian words in `b` (a multiple of `W` bytes long) to `out`.
fn words<T, const W: usize>(b: &[u8], out: &mut Vec<T>, f: impl Fn(&[u8]) -> T) {
    out.extend(b.chunks_exact(W).map(f));
}

fn limbs(c: &[u8]) -> Limbs {
    [u64_at(c, 0), u64_at(c, 8), u64_at(c, 16), u64_at(c, 24)]
}

/// The checks on values, once every byte has been read (and the CRC checked).
fn finish(
    head: Head,
    hashes: Vec<Limbs>,
    ids: Vec<u64>,
    hash_ref: Option<Vec<u32>>,
    meta_ref: Vec<u32>,
    quality: Vec<u8>,
) -> Result<Columns> {
    use FormatErrorKind::*;
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(err(Corrupt, "ids are not strictly increasing"));
    }
    if ids.last().is_some_and(|&l| l >= head.next_id) {
        return Err(err(Corrupt, "an id is not below next_id"));
    }
    if let Some(r) = &hash_ref {
        // In order of first use: each position is an old one or exactly the next new one.
        let mut seen = 0usize;
        for &p in r {
            match (p as usize).cmp(&seen) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => seen += 1,
                std::cmp::Ordering::Greater => {
                    return Err(err(Corrupt, "hash positions are not in order of first use"))
                }
            }
        }
        if seen != hashes.len() {
            return Err(err(Corrupt, "a distinct hash is not used by any entry"));
        }
    }
    if meta_ref.iter().any(|&m| m as usize >= head.metas.len()) {
        return Err(err(Corrupt, "metadata index out of range"));
    }
    if quality.iter().any(|&q| q > 100 && q != NO_QUALITY) {
        return Err(err(Corrupt, "quality out of range"));
    }
    Ok(Columns {
        next_id: head.next_id,
        metas: head.metas,
        ids,
        hashes,
        hash_ref,
        meta_ref,
        quality,
    })
}

/// Parses and fully validates a database file held in memory (through [`read_stream`], the
/// one parser). With `check_crc == false` the checksum is not computed (every other check
/// still runs).
pub(crate) fn decode(b: &[u8], check_crc: bool) -> Result<Columns> {
    read_stream(
        io::Cursor::new(b),
        b.len() as u64,
        check_crc,
        std::path::Path::new("<memory>"),
    )
}

/// Reads bytes into the CRC as they pass.
struct CrcReader<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> CrcReader<R> {
    fn take(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf)?;
        self.crc.update(buf);
        Ok(())
    }

    /// Reads `count` words of `W` bytes through a small buffer, appending them to `out`.
    fn column<T, const W: usize>(
        &mut self,
        count: usize,
        buf: &mut [u8],
        out: &mut Vec<T>,
        f: impl Fn(&[u8]) -> T + Copy,
    ) -> io::Result<()> {
        out.reserve_exact(count);
        let per = buf.len() / W;
        let mut left = count;
        while left > 0 {
            let k = left.min(per);
            let b = &mut buf[..k * W];
            self.take(b)?;
            words::<_, W>(b, out, f);
            left -= k;
        }
        Ok(())
    }
}

/// Parses and fully validates a database file of `len` bytes, reading it section by section
/// straight into the columns through a 1 MiB buffer. Section lengths and the header are
/// checked before the CRC (which needs every byte). Read errors become [`crate::Error::Io`]
/// with `path`.
pub(crate) fn read_stream(
    mut file: impl Read + Seek,
    len: u64,
    check_crc: bool,
    path: &std::path::Path,
) -> Result<Columns> {
    let io = |e: io::Error| crate::Error::io(path.to_path_buf(), e);
    let mut head = vec![0u8; len.min(PREFIX as u64) as usize];
    let mut tail = vec![0u8; len.min(FOOTER as u64) as usize];
    file.read_exact(&mut head).map_err(io)?;
    file.seek(SeekFrom::Start(len - tail.len() as u64))
        .map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    let version = check_ends(&head, &tail[tail.len().saturating_sub(8)..], len)?;
    let header_len = u32_at(&head, 12) as u64;
    let body_len = u64_at(&tail, 0);
    let start = body_start(header_len, body_len, len)?;
    let mut r = CrcReader {
        inner: file,
        crc: crc32fast::Hasher::new(),
    };
    let mut hbytes = vec![0u8; start as usize];
    r.inner.seek(SeekFrom::Start(0)).map_err(io)?;
    r.take(&mut hbytes).map_err(io)?;
    let head = parse_header(
        version,
        &hbytes[PREFIX..PREFIX + header_len as usize],
        body_len,
    )?;
    let (n, u) = (head.count, head.hashes());
    let v2 = head.distinct.is_some();
    let used = 32 * u + 13 * n + if v2 { 4 * n } else { 0 };
    let mut buf = vec![0u8; 1 << 20];
    let (mut hashes, mut ids, mut meta_ref) = (Vec::new(), Vec::new(), Vec::new());
    let mut hash_ref = head.distinct.map(|_| Vec::new());
    let mut quality = vec![0u8; n];
    // Padding and the footer's body length.
    let mut rest = vec![0u8; body_len as usize - used + 8];
    let mut crc_field = [0u8; 4];
    (|| {
        r.column::<_, 32>(u, &mut buf, &mut hashes, limbs)?;
        r.column::<_, 8>(n, &mut buf, &mut ids, |c| u64_at(c, 0))?;
        if let Some(v) = hash_ref.as_mut() {
            r.column::<_, 4>(n, &mut buf, v, |c| u32_at(c, 0))?;
        }
        r.column::<_, 4>(n, &mut buf, &mut meta_ref, |c| u32_at(c, 0))?;
        r.take(&mut quality)?;
        r.take(&mut rest)?;
        r.inner.read_exact(&mut crc_field)
    })()
    .map_err(io)?;
    if check_crc {
        let expected = u32::from_le_bytes(crc_field);
        let found = r.crc.finalize();
        if expected != found {
            return Err(FormatError::new(
                FormatErrorKind::ChecksumMismatch { expected, found },
                "",
            )
            .into());
        }
    }
    finish(head, hashes, ids, hash_ref, meta_ref, quality)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming reader accepts what the in-memory decoder accepts and refuses, with a
    /// typed format error, every truncation and every single-bit flip of a small file.
    #[test]
    fn stream_reader_agrees_with_decode() {
        let metas = vec![Metadata::new("a"), Metadata::new("b").label("x")];
        let hashes: Vec<Limbs> = (0..5u64).map(|i| [i, !i, i * 3, 7]).collect();
        let layout = Layout {
            next_id: 20,
            metas,
            hashes: &hashes,
            ids: vec![1, 2, 4, 8, 9, 11, 15],
            hash_ref: vec![0, 1, 0, 2, 3, 4, 1],
            meta_ref: vec![0, 1, 1, 0, 0, 1, 0],
            quality: vec![100, 255, 3, 50, 60, 70, 0],
        };
        let mut bytes = Vec::new();
        encode(&layout, &encode_header(&layout).unwrap(), &mut bytes).unwrap();
        let path = std::path::Path::new("mem");
        let read = |b: &[u8]| read_stream(io::Cursor::new(b), b.len() as u64, true, path);
        let a = decode(&bytes, true).unwrap();
        let b = read(&bytes).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(b.hashes, hashes);
        assert_eq!(b.hash_ref.as_deref(), Some(&layout.hash_ref[..]));
        for cut in 0..bytes.len() {
            assert!(
                matches!(read(&bytes[..cut]), Err(crate::Error::Format(_))),
                "cut {cut}"
            );
        }
        for at in 0..bytes.len() {
            for bit in [0, 3, 7] {
                let mut f = bytes.clone();
                f[at] ^= 1 << bit;
                assert!(
                    matches!(read(&f), Err(crate::Error::Format(_))),
                    "flip {at}.{bit}"
                );
                assert!(matches!(decode(&f, true), Err(crate::Error::Format(_))));
            }
        }
    }
}
