//! A small ISO-BMFF (MP4/MOV) demuxer for the first video track: sample tables of plain files
//! and `moof`/`traf`/`trun` fragments, codec configuration, edit list.
//!
//! Written for hostile input: every count is checked against the bytes that carry it, every
//! offset against the file length, every sum for overflow, so a corrupt or lying header gives
//! a typed error (or a short, correct sample list), never a panic or an allocation the file
//! does not justify. Sample *data* is not read here; [`Mp4Track::samples`] gives offsets.

use std::io::{Read, Seek};

use crate::error::{VideoError, VideoErrorKind};

use super::VideoLimits;

mod boxes;
mod fragments;
mod stbl;

use boxes::{child, children, corrupt, read_header, read_payload, Cur, Res};
use fragments::parse_moof;
use stbl::{parse_elst, parse_stbl};

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

/// Whether `head` (a file's first bytes) starts like an ISO-BMFF / QuickTime file (MP4, MOV,
/// 3GP, fragmented MP4): a box size, then a known top-level box type.
pub(crate) fn is_mp4_family(head: &[u8]) -> bool {
    head.get(4..8)
        .and_then(|k| <&[u8; 4]>::try_from(k).ok())
        .is_some_and(is_known_top_level)
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
