//! A small ISO-BMFF (MP4/MOV) demuxer for the first video track: sample tables of plain files
//! and `moof`/`traf`/`trun` fragments, codec configuration, edit list.
//!
//! Written for hostile input: every count is checked against the bytes that carry it, every
//! offset against the file length, every sum for overflow, so a corrupt or lying header gives
//! a typed error (or a short, correct sample list), never a panic or an allocation the file
//! does not justify. Sample *data* is not read here; [`Mp4Track::samples`] gives offsets.

use std::io::{Read, Seek, SeekFrom};

use crate::error::{VideoError, VideoErrorKind};

use super::VideoLimits;

type Res<T> = std::result::Result<T, VideoError>;

fn corrupt(detail: impl Into<String>) -> VideoError {
    VideoError::new(VideoErrorKind::Container, detail.into())
}

/// One sample (an access unit for video) of the track.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Absolute byte offset in the file.
    pub offset: u64,
    /// Size in bytes.
    pub size: u32,
    /// Decode time in media timescale units.
    pub dts: i64,
    /// Composition (presentation) time in media timescale units.
    pub cts: i64,
    /// Duration in media timescale units.
    pub duration: u32,
    /// A sync sample (random access point).
    pub sync: bool,
}

/// The codec configuration of the track's first sample description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Codec {
    /// The sample entry's four-character code (`avc1`, `hvc1`, `vp09`...).
    pub fourcc: [u8; 4],
    /// The body of the `avcC` box, for H.264.
    pub avcc: Option<Vec<u8>>,
}

impl Codec {
    /// A human-readable codec name for error messages.
    pub(crate) fn name(&self) -> String {
        let cc = String::from_utf8_lossy(&self.fourcc).into_owned();
        let known = match &self.fourcc {
            b"avc1" | b"avc3" => "H.264",
            b"hvc1" | b"hev1" => "HEVC/H.265",
            b"vp09" => "VP9",
            b"vp08" => "VP8",
            b"av01" => "AV1",
            b"mp4v" => "MPEG-4 Part 2",
            b"encv" => "encrypted video",
            b"jpeg" | b"mjpa" | b"mjpb" => "Motion JPEG",
            b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" => "Apple ProRes",
            b"s263" | b"h263" => "H.263",
            _ => return format!("'{}'", cc.escape_default()),
        };
        format!("{known} ('{cc}')")
    }
}

/// The first video track of a file.
#[derive(Clone, Debug)]
pub(crate) struct Mp4Track {
    pub codec: Codec,
    pub width: u32,
    pub height: u32,
    pub timescale: u32,
    /// Samples in decode order.
    pub samples: Vec<Sample>,
    /// Presentation windows from the edit list, in media timescale, in edit order: `[start,
    /// end)` each (`None`: to the end); samples whose composition time falls outside every
    /// window are decoded (when referenced) but not output, as FFmpeg's MOV demuxer does.
    /// Empty: no edit list (every sample is output).
    pub edit: Vec<(i64, Option<i64>)>,
    /// Sum of the sample durations and their count, FFmpeg's basis for `avg_frame_rate`.
    pub fps_basis: (u64, u64),
}

/// Raw box header.
#[derive(Clone, Copy, Debug)]
struct BoxHdr {
    kind: [u8; 4],
    /// Offset of the payload (after the header).
    payload: u64,
    /// Payload length.
    len: u64,
}

/// Reads a box header at the reader's position, bounded by `end`.
fn read_header<R: Read + Seek>(r: &mut R, pos: u64, end: u64) -> Res<Option<BoxHdr>> {
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

fn io_err(e: std::io::Error) -> VideoError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        corrupt("file ends inside a box")
    } else {
        VideoError::new(VideoErrorKind::Io, "").with_source(Box::new(e))
    }
}

/// A bounds-checked big-endian cursor over an in-memory box payload.
struct Cur<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, p: 0 }
    }
    fn left(&self) -> usize {
        self.b.len() - self.p
    }
    fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        if self.left() < n {
            return Err(corrupt("box shorter than its fields"));
        }
        let s = &self.b[self.p..self.p + n];
        self.p += n;
        Ok(s)
    }
    fn skip(&mut self, n: usize) -> Res<()> {
        self.bytes(n).map(|_| ())
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.bytes(1)?[0])
    }
    fn u16(&mut self) -> Res<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Res<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Res<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    /// version (1 byte) + flags (3 bytes)
    fn full(&mut self) -> Res<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }
    /// An entry count that must fit in the remaining bytes at `entry` bytes per entry.
    fn count(&mut self, entry: usize) -> Res<usize> {
        let n = self.u32()? as usize;
        if n.checked_mul(entry).is_none_or(|need| need > self.left()) {
            return Err(corrupt("table claims more entries than the box holds"));
        }
        Ok(n)
    }
}

/// Iterates the child boxes of an in-memory payload.
fn children(b: &[u8]) -> impl Iterator<Item = Res<([u8; 4], &[u8])>> {
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

fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Res<Option<&'a [u8]>> {
    for c in children(b) {
        let (k, p) = c?;
        if &k == kind {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// Track-level defaults from `mvex/trex`.
#[derive(Clone, Copy, Debug, Default)]
struct Trex {
    duration: u32,
    size: u32,
    flags: u32,
}

/// What `trak` parsing yields before fragments are added.
struct TrakInfo {
    track_id: u32,
    codec: Codec,
    width: u32,
    height: u32,
    timescale: u32,
    samples: Vec<Sample>,
    edit: Vec<(i64, Option<i64>)>,
    fps_basis: (u64, u64),
}

/// Reads the first video track of an MP4/MOV file.
pub(crate) fn read_video_track<R: Read + Seek>(
    r: &mut R,
    file_len: u64,
    limits: &VideoLimits,
) -> Res<Mp4Track> {
    let mut pos = 0u64;
    let mut track: Option<TrakInfo> = None;
    let mut trex = Trex::default();
    let mut saw_moov = false;
    let mut any_box = false;
    // Fragments seen before the moov (rare) are not supported; they are collected after it.
    let mut frag_dts: Option<i64> = None;
    while let Some(h) = read_header(r, pos, file_len)? {
        if !any_box && !is_known_top_level(&h.kind) {
            return Err(corrupt("not an MP4/MOV file (no known top-level box)"));
        }
        any_box = true;
        match &h.kind {
            b"moov" => {
                if saw_moov {
                    // a second moov: keep the first
                } else {
                    saw_moov = true;
                    let body = read_payload(r, &h, limits)?;
                    let (t, x) = parse_moov(&body, file_len, limits)?;
                    track = Some(t);
                    trex = x;
                }
            }
            b"moof" => {
                if let Some(t) = track.as_mut() {
                    let body = read_payload(r, &h, limits)?;
                    parse_moof(&body, pos, t, trex, &mut frag_dts, file_len, limits)?;
                }
            }
            _ => {}
        }
        pos = h.payload + h.len;
    }
    if !any_box {
        return Err(corrupt("empty file"));
    }
    let t = track.ok_or_else(|| {
        if saw_moov {
            VideoError::new(VideoErrorKind::NoVideoTrack, "the file has no video track")
        } else {
            corrupt("no 'moov' box (truncated or not a playable MP4)")
        }
    })?;
    Ok(Mp4Track {
        codec: t.codec,
        width: t.width,
        height: t.height,
        timescale: t.timescale,
        samples: t.samples,
        edit: t.edit,
        fps_basis: t.fps_basis,
    })
}

fn is_known_top_level(k: &[u8; 4]) -> bool {
    matches!(
        k,
        b"ftyp"
            | b"moov"
            | b"mdat"
            | b"free"
            | b"skip"
            | b"wide"
            | b"uuid"
            | b"pdin"
            | b"styp"
            | b"sidx"
            | b"moof"
            | b"meta"
            | b"pnot"
            | b"PICT"
            | b"junk"
    )
}

fn read_payload<R: Read + Seek>(r: &mut R, h: &BoxHdr, limits: &VideoLimits) -> Res<Vec<u8>> {
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

fn parse_moov(body: &[u8], file_len: u64, limits: &VideoLimits) -> Res<(TrakInfo, Trex)> {
    let mut movie_timescale = 0u32;
    if let Some(mvhd) = child(body, b"mvhd")? {
        let mut c = Cur::new(mvhd);
        let (v, _) = c.full()?;
        c.skip(if v == 1 { 16 } else { 8 })?;
        movie_timescale = c.u32()?;
    }
    let mut found: Option<TrakInfo> = None;
    for ch in children(body) {
        let (k, p) = ch?;
        if &k == b"trak" && found.is_none() {
            if let Some(t) = parse_trak(p, movie_timescale, file_len, limits)? {
                found = Some(t);
            }
        }
    }
    let t = found.ok_or_else(|| {
        VideoError::new(VideoErrorKind::NoVideoTrack, "the file has no video track")
    })?;
    let mut trex = Trex::default();
    if let Some(mvex) = child(body, b"mvex")? {
        for ch in children(mvex) {
            let (k, p) = ch?;
            if &k == b"trex" {
                let mut c = Cur::new(p);
                c.full()?;
                let id = c.u32()?;
                let _desc = c.u32()?;
                let x = Trex {
                    duration: c.u32()?,
                    size: c.u32()?,
                    flags: c.u32()?,
                };
                if id == t.track_id {
                    trex = x;
                }
            }
        }
    }
    Ok((t, trex))
}

/// Returns `None` when the track is not a video track.
fn parse_trak(
    b: &[u8],
    movie_timescale: u32,
    file_len: u64,
    limits: &VideoLimits,
) -> Res<Option<TrakInfo>> {
    let Some(mdia) = child(b, b"mdia")? else {
        return Ok(None);
    };
    let Some(hdlr) = child(mdia, b"hdlr")? else {
        return Ok(None);
    };
    let mut c = Cur::new(hdlr);
    c.full()?;
    c.skip(4)?;
    if c.bytes(4)? != b"vide" {
        return Ok(None);
    }
    let mut track_id = 0;
    if let Some(tkhd) = child(b, b"tkhd")? {
        let mut c = Cur::new(tkhd);
        let (v, _) = c.full()?;
        c.skip(if v == 1 { 16 } else { 8 })?;
        track_id = c.u32()?;
    }
    let mdhd = child(mdia, b"mdhd")?.ok_or_else(|| corrupt("video track without 'mdhd'"))?;
    let mut c = Cur::new(mdhd);
    let (v, _) = c.full()?;
    c.skip(if v == 1 { 16 } else { 8 })?;
    let timescale = c.u32()?;
    if timescale == 0 {
        return Err(corrupt("video track with a zero timescale"));
    }
    let minf = child(mdia, b"minf")?.ok_or_else(|| corrupt("video track without 'minf'"))?;
    let stbl = child(minf, b"stbl")?.ok_or_else(|| corrupt("video track without 'stbl'"))?;
    let stsd = child(stbl, b"stsd")?.ok_or_else(|| corrupt("video track without 'stsd'"))?;
    let (codec, width, height) = parse_stsd(stsd)?;
    let (samples, fps_basis) = parse_stbl(stbl, file_len, limits)?;
    let edit = match child(b, b"edts")? {
        Some(edts) => match child(edts, b"elst")? {
            Some(elst) => parse_elst(elst, movie_timescale, timescale)?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    Ok(Some(TrakInfo {
        track_id,
        codec,
        width,
        height,
        timescale,
        samples,
        edit,
        fps_basis,
    }))
}

fn parse_stsd(b: &[u8]) -> Res<(Codec, u32, u32)> {
    let mut c = Cur::new(b);
    c.full()?;
    let n = c.u32()?;
    if n == 0 {
        return Err(corrupt("empty sample description"));
    }
    let entries = &b[c.p..];
    let (fourcc, entry) = children(entries)
        .next()
        .ok_or_else(|| corrupt("empty sample description"))??;
    // VisualSampleEntry: 6 reserved + 2 data_reference_index + 16 + width + height + 50
    let mut e = Cur::new(entry);
    e.skip(24)?;
    let width = e.u16()? as u32;
    let height = e.u16()? as u32;
    e.skip(50)?;
    let mut avcc = None;
    for ch in children(&entry[e.p..]) {
        // Malformed trailing boxes in a sample entry are tolerated, as players do.
        let Ok((k, p)) = ch else { break };
        if &k == b"avcC" {
            avcc = Some(p.to_vec());
        }
    }
    Ok((Codec { fourcc, avcc }, width, height))
}

/// Sample tables → samples in decode order.
fn parse_stbl(stbl: &[u8], file_len: u64, limits: &VideoLimits) -> Res<(Vec<Sample>, (u64, u64))> {
    // sample sizes
    let mut sizes: Vec<u32> = Vec::new();
    let mut constant: Option<(u32, usize)> = None;
    if let Some(stsz) = child(stbl, b"stsz")? {
        let mut c = Cur::new(stsz);
        c.full()?;
        let size = c.u32()?;
        if size == 0 {
            let n = c.count(4)?;
            sizes.reserve_exact(n);
            for _ in 0..n {
                sizes.push(c.u32()?);
            }
        } else {
            let n = c.u32()? as usize;
            constant = Some((size, n));
        }
    } else if let Some(stz2) = child(stbl, b"stz2")? {
        let mut c = Cur::new(stz2);
        c.full()?;
        c.skip(3)?;
        let field = c.u8()?;
        let n = c.u32()? as usize;
        let bytes = match field {
            4 => n.div_ceil(2),
            8 => n,
            16 => n.checked_mul(2).ok_or_else(|| corrupt("stz2 overflow"))?,
            _ => return Err(corrupt("stz2 with an invalid field size")),
        };
        let raw = c.bytes(bytes)?;
        sizes.reserve_exact(n);
        for i in 0..n {
            sizes.push(match field {
                4 => ((raw[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf) as u32,
                8 => raw[i] as u32,
                _ => u16::from_be_bytes([raw[2 * i], raw[2 * i + 1]]) as u32,
            });
        }
    } else {
        // no sample table: only fragments will give samples
        return Ok((Vec::new(), (0, 0)));
    }
    let count = match constant {
        Some((size, n)) => {
            // every sample must lie inside the file: a constant size bounds the count
            let max = file_len / size as u64;
            if n as u64 > max {
                return Err(corrupt(format!(
                    "sample table claims {n} samples of {size} bytes, more than the file holds"
                )));
            }
            n
        }
        None => sizes.len(),
    };
    if count as u64 > limits.max_frames {
        return Err(VideoError::new(
            VideoErrorKind::LimitsExceeded,
            format!("{count} samples exceed the limit of {}", limits.max_frames),
        ));
    }
    let size_of = |i: usize| -> u32 {
        match constant {
            Some((s, _)) => s,
            None => sizes[i],
        }
    };

    // chunk offsets
    let mut chunk_offsets: Vec<u64> = Vec::new();
    if let Some(stco) = child(stbl, b"stco")? {
        let mut c = Cur::new(stco);
        c.full()?;
        let n = c.count(4)?;
        chunk_offsets.reserve_exact(n);
        for _ in 0..n {
            chunk_offsets.push(c.u32()? as u64);
        }
    } else if let Some(co64) = child(stbl, b"co64")? {
        let mut c = Cur::new(co64);
        c.full()?;
        let n = c.count(8)?;
        chunk_offsets.reserve_exact(n);
        for _ in 0..n {
            chunk_offsets.push(c.u64()?);
        }
    } else if count > 0 {
        return Err(corrupt("sample table without chunk offsets"));
    }

    // sample-to-chunk runs: (first_chunk 1-based, samples_per_chunk)
    let mut stsc: Vec<(u32, u32)> = Vec::new();
    if let Some(b) = child(stbl, b"stsc")? {
        let mut c = Cur::new(b);
        c.full()?;
        let n = c.count(12)?;
        stsc.reserve_exact(n);
        for _ in 0..n {
            let first = c.u32()?;
            let per = c.u32()?;
            c.skip(4)?;
            stsc.push((first, per));
        }
    }
    if count > 0 && stsc.is_empty() {
        return Err(corrupt("sample table without sample-to-chunk entries"));
    }

    // time-to-sample runs
    let mut stts: Vec<(u32, u32)> = Vec::new();
    if let Some(b) = child(stbl, b"stts")? {
        let mut c = Cur::new(b);
        c.full()?;
        let n = c.count(8)?;
        stts.reserve_exact(n);
        for _ in 0..n {
            stts.push((c.u32()?, c.u32()?));
        }
    }
    // composition offsets
    let mut ctts: Vec<(u32, i64)> = Vec::new();
    if let Some(b) = child(stbl, b"ctts")? {
        let mut c = Cur::new(b);
        c.full()?;
        let n = c.count(8)?;
        ctts.reserve_exact(n);
        for _ in 0..n {
            let cnt = c.u32()?;
            let raw = c.u32()?;
            // version 0 is unsigned by the spec, but writers put negative values in it and
            // FFmpeg reads it as signed: do the same
            let off = raw as i32 as i64;
            ctts.push((cnt, off));
        }
    }
    // sync samples (1-based); absent = all sync
    let sync: Option<Vec<u32>> = match child(stbl, b"stss")? {
        Some(b) => {
            let mut c = Cur::new(b);
            c.full()?;
            let n = c.count(4)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(c.u32()?);
            }
            v.sort_unstable();
            Some(v)
        }
        None => None,
    };

    // fps basis as FFmpeg computes it from stts (all entries)
    let mut fps_dur = 0u64;
    let mut fps_n = 0u64;
    for &(n, d) in &stts {
        fps_dur = fps_dur.saturating_add(n as u64 * d as u64);
        fps_n = fps_n.saturating_add(n as u64);
    }

    let mut samples = Vec::with_capacity(count);
    let mut stsc_i = 0usize;
    let mut chunk = 1u64; // 1-based
    let mut in_chunk = 0u32;
    let mut chunk_pos = 0u64;
    let mut stts_i = 0usize;
    let mut stts_left = stts.first().map_or(0, |e| e.0);
    let mut ctts_i = 0usize;
    let mut ctts_left = ctts.first().map_or(0, |e| e.0);
    let mut dts = 0i64;
    let mut sync_i = 0usize;
    for i in 0..count {
        // locate the chunk
        if i == 0 {
            chunk = stsc[0].0.max(1) as u64;
            in_chunk = 0;
            chunk_pos = *chunk_offsets
                .get(chunk as usize - 1)
                .ok_or_else(|| corrupt("sample in a chunk that has no offset"))?;
        } else {
            in_chunk += 1;
            if in_chunk >= stsc[stsc_i].1 {
                chunk += 1;
                in_chunk = 0;
                while stsc_i + 1 < stsc.len() && stsc[stsc_i + 1].0 as u64 <= chunk {
                    stsc_i += 1;
                }
                chunk_pos = *chunk_offsets
                    .get((chunk - 1) as usize)
                    .ok_or_else(|| corrupt("sample in a chunk that has no offset"))?;
            }
        }
        let mut guard = 0;
        while stsc[stsc_i].1 == 0 {
            // a run of empty chunks: move on
            chunk += 1;
            guard += 1;
            if guard > chunk_offsets.len() {
                return Err(corrupt("sample-to-chunk table has no samples"));
            }
            while stsc_i + 1 < stsc.len() && stsc[stsc_i + 1].0 as u64 <= chunk {
                stsc_i += 1;
            }
            chunk_pos = *chunk_offsets
                .get((chunk - 1) as usize)
                .ok_or_else(|| corrupt("sample in a chunk that has no offset"))?;
        }
        let size = size_of(i);
        let offset = chunk_pos;
        chunk_pos = chunk_pos
            .checked_add(size as u64)
            .ok_or_else(|| corrupt("sample offset overflows"))?;
        // duration
        while stts_left == 0 && stts_i + 1 < stts.len() {
            stts_i += 1;
            stts_left = stts[stts_i].0;
        }
        let duration = stts.get(stts_i).map_or(0, |e| e.1);
        stts_left = stts_left.saturating_sub(1);
        // composition offset
        while ctts_left == 0 && ctts_i + 1 < ctts.len() {
            ctts_i += 1;
            ctts_left = ctts[ctts_i].0;
        }
        let off = if ctts_left > 0 {
            ctts_left -= 1;
            ctts[ctts_i].1
        } else {
            0
        };
        let is_sync = match &sync {
            None => true,
            Some(v) => {
                while sync_i < v.len() && (v[sync_i] as u64) < (i as u64 + 1) {
                    sync_i += 1;
                }
                sync_i < v.len() && v[sync_i] as u64 == i as u64 + 1
            }
        };
        samples.push(Sample {
            offset,
            size,
            dts,
            cts: dts.saturating_add(off),
            duration,
            sync: is_sync,
        });
        dts = dts.saturating_add(duration as i64);
    }
    Ok((samples, (fps_dur, fps_n)))
}

/// The presentation windows of an `elst` box (see [`Mp4Track::edit`]), as FFmpeg's MOV
/// demuxer builds its index: empty edits (media time −1) only shift presentation times and
/// hold no frames; every other edit shows the samples whose composition time lies in
/// `[media_time, media_time + duration)` (the duration converted from the movie timescale; 0:
/// to the end). An edit list that is unusable as a whole (a negative media time other than
/// −1, or no real edit) gives no windows: every sample is output.
fn parse_elst(b: &[u8], movie_ts: u32, media_ts: u32) -> Res<Vec<(i64, Option<i64>)>> {
    let mut c = Cur::new(b);
    let (v, _) = c.full()?;
    let n = c.count(if v == 1 { 20 } else { 12 })?;
    let mut windows = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        let (dur, mt) = if v == 1 {
            (c.u64()?, c.u64()? as i64)
        } else {
            (c.u32()? as u64, c.u32()? as i32 as i64)
        };
        c.skip(4)?; // rate
        if mt == -1 {
            continue; // an empty edit: a delay, no frames
        }
        if mt < 0 {
            return Ok(Vec::new());
        }
        let end = if dur == 0 || movie_ts == 0 {
            None
        } else {
            // the segment duration is in the movie timescale
            let d = (dur as u128 * media_ts as u128) / movie_ts as u128;
            i64::try_from(d).ok().map(|d| mt.saturating_add(d))
        };
        windows.push((mt, end));
    }
    Ok(windows)
}

#[allow(clippy::too_many_arguments)]
fn parse_moof(
    body: &[u8],
    moof_start: u64,
    t: &mut TrakInfo,
    trex: Trex,
    next_dts: &mut Option<i64>,
    file_len: u64,
    limits: &VideoLimits,
) -> Res<()> {
    for ch in children(body) {
        let (k, traf) = ch?;
        if &k != b"traf" {
            continue;
        }
        let tfhd = child(traf, b"tfhd")?.ok_or_else(|| corrupt("'traf' without 'tfhd'"))?;
        let mut c = Cur::new(tfhd);
        let (_, flags) = c.full()?;
        let id = c.u32()?;
        if id != t.track_id {
            continue;
        }
        let mut base = moof_start;
        if flags & 0x1 != 0 {
            base = c.u64()?;
        }
        if flags & 0x2 != 0 {
            c.u32()?;
        }
        let def_dur = if flags & 0x8 != 0 {
            c.u32()?
        } else {
            trex.duration
        };
        let def_size = if flags & 0x10 != 0 {
            c.u32()?
        } else {
            trex.size
        };
        let def_flags = if flags & 0x20 != 0 {
            c.u32()?
        } else {
            trex.flags
        };
        let mut dts = match child(traf, b"tfdt")? {
            Some(b) => {
                let mut c = Cur::new(b);
                let (v, _) = c.full()?;
                let d = if v == 1 { c.u64()? } else { c.u32()? as u64 };
                i64::try_from(d).map_err(|_| corrupt("tfdt out of range"))?
            }
            None => next_dts.unwrap_or_else(|| {
                t.samples
                    .last()
                    .map_or(0, |s| s.dts.saturating_add(s.duration as i64))
            }),
        };
        let mut data_pos = base;
        for ch in children(traf) {
            let (k, trun) = ch?;
            if &k != b"trun" {
                continue;
            }
            let mut c = Cur::new(trun);
            let (_, tf) = c.full()?;
            let per = 4
                * ((tf & 0x100 != 0) as usize
                    + (tf & 0x200 != 0) as usize
                    + (tf & 0x400 != 0) as usize
                    + (tf & 0x800 != 0) as usize);
            let n_raw = c.u32()? as usize;
            if tf & 0x1 != 0 {
                let off = c.u32()? as i32 as i64;
                data_pos = base
                    .checked_add_signed(off)
                    .ok_or_else(|| corrupt("trun data offset out of range"))?;
            }
            let first_flags = if tf & 0x4 != 0 { Some(c.u32()?) } else { None };
            if per > 0 && n_raw.checked_mul(per).is_none_or(|x| x > c.left()) {
                return Err(corrupt("trun claims more samples than it holds"));
            }
            if per == 0 && def_size > 0 && n_raw as u64 > file_len / def_size as u64 {
                return Err(corrupt("trun claims more samples than the file holds"));
            }
            if (t.samples.len() + n_raw) as u64 > limits.max_frames {
                return Err(VideoError::new(
                    VideoErrorKind::LimitsExceeded,
                    format!("more than {} samples", limits.max_frames),
                ));
            }
            if per == 0 && def_size == 0 && n_raw > 0 {
                return Err(corrupt("trun of empty samples"));
            }
            t.samples.reserve(n_raw);
            for i in 0..n_raw {
                let dur = if tf & 0x100 != 0 { c.u32()? } else { def_dur };
                let size = if tf & 0x200 != 0 { c.u32()? } else { def_size };
                let sflags = if tf & 0x400 != 0 {
                    c.u32()?
                } else if i == 0 {
                    first_flags.unwrap_or(def_flags)
                } else {
                    def_flags
                };
                let cto = if tf & 0x800 != 0 {
                    let raw = c.u32()?;
                    raw as i32 as i64
                } else {
                    0
                };
                t.samples.push(Sample {
                    offset: data_pos,
                    size,
                    dts,
                    cts: dts.saturating_add(cto),
                    duration: dur,
                    sync: sflags & 0x0001_0000 == 0,
                });
                t.fps_basis.0 = t.fps_basis.0.saturating_add(dur as u64);
                t.fps_basis.1 = t.fps_basis.1.saturating_add(1);
                data_pos = data_pos
                    .checked_add(size as u64)
                    .ok_or_else(|| corrupt("sample offset overflows"))?;
                dts = dts.saturating_add(dur as i64);
            }
        }
        *next_dts = Some(dts);
    }
    Ok(())
}
