//! Movie fragments: `moof`/`traf`/`trun` samples appended to the track read from `moov`
//! (defaults from `tfhd` and `mvex/trex`, decode times from `tfdt` or running on).

use super::boxes::{child, children, corrupt, Cur, Res};
use super::{Sample, TrakInfo, Trex};
use crate::error::{VideoError, VideoErrorKind};
use crate::video::VideoLimits;

#[allow(clippy::too_many_arguments)]
pub(super) fn parse_moof(
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
