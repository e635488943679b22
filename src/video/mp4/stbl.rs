//! Sample tables of a plain (unfragmented) track: `stsz`/`stz2`, `stco`/`co64`, `stsc`,
//! `stts`, `ctts`, `stss` combined into samples in decode order, and the edit list (`elst`).

use super::boxes::{child, corrupt, Cur, Res};
use super::Sample;
use crate::error::{VideoError, VideoErrorKind};
use crate::video::VideoLimits;

/// Sample tables → samples in decode order.
pub(super) fn parse_stbl(
    stbl: &[u8],
    file_len: u64,
    limits: &VideoLimits,
) -> Res<(Vec<Sample>, (u64, u64))> {
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
pub(super) fn parse_elst(b: &[u8], movie_ts: u32, media_ts: u32) -> Res<Vec<(i64, Option<i64>)>> {
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
