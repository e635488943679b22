//! Which samples of an H.264 track are decoded for a sampling, found from the container and
//! the NAL unit headers alone: IDR access units (closed GOPs), exact open-GOP recovery points
//! (with their leading pictures), and the GOP tails after the last hashed frame of each
//! independent segment, which need not be decoded. Shared by both backends.

use std::collections::BTreeMap;

use super::sei::{is_i_slice, sei_exact_recovery};
#[cfg(feature = "ffmpeg")]
use super::stream::Opener;
use super::stream::{raw_nals, ReadSeek, Stream};
use crate::video::sample::Sampler;
#[cfg(feature = "ffmpeg")]
use crate::video::VideoLimits;

/// What is done with a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Not read at all (keyframes mode: not a sync sample).
    Skip,
    /// Read; only its non-slice NAL units (parameter sets, SEI) go to the decoder.
    Drop,
    /// Decoded (its slices too, unless it is neither hashed nor referenced).
    Decode,
}

impl Stream {
    /// Which samples are decoded, given the sampling and which samples start a closed GOP
    /// (`idr[i]`). Every sample after the last wanted one of its IDR segment is dropped.
    pub(crate) fn plan(&self, sampler: &Sampler, idr: &[bool], skip_tails: bool) -> Vec<Action> {
        self.plan_cuts(sampler, idr, &[], skip_tails, true)
    }

    /// [`Stream::plan`] where `cut[i]` starts an independent segment, and the segment before
    /// it is needed to its end when `carry[i]` (an open-GOP recovery point whose leading
    /// pictures, decoded after it but shown before it, are hashed). With
    /// [`Sampling::Keyframes`], the other samples are not read when `keyframes_alone`.
    pub(crate) fn plan_cuts(
        &self,
        sampler: &Sampler,
        cut: &[bool],
        carry: &[bool],
        skip_tails: bool,
        keyframes_alone: bool,
    ) -> Vec<Action> {
        let idr = cut;
        let n = self.track.samples.len();
        let mut action: Vec<Action> = (0..n)
            .map(|i| {
                if keyframes_alone && sampler.keyframes_only() && !self.track.samples[i].sync {
                    Action::Skip
                } else {
                    Action::Decode
                }
            })
            .collect();
        if !skip_tails {
            return action;
        }
        // walk backwards: a sample is dropped until a wanted sample is met, and the state
        // resets at each IDR (the start of an independent segment)
        let mut needed = false;
        for i in (0..n).rev() {
            needed |= self.wanted(sampler, i);
            if !needed && action[i] == Action::Decode {
                action[i] = Action::Drop;
            }
            if idr[i] {
                needed = carry.get(i).copied().unwrap_or(false);
            }
        }
        action
    }

    /// Whether sample `i` is an open-GOP recovery point that decoding may start from with
    /// exact results: its first slice is an I slice and it carries a recovery point SEI with
    /// `recovery_frame_cnt` 0 and `exact_match_flag` 1 (the encoder's promise that decoding
    /// from here gives, at and after this picture in display order, the pictures of a decode
    /// from the start).
    pub(crate) fn recovery_point(
        &self,
        reader: &mut dyn ReadSeek,
        i: usize,
        buf: &mut Vec<u8>,
    ) -> bool {
        if self.read_sample(reader, i, buf).is_err() {
            return false;
        }
        let mut exact = false;
        for nal in raw_nals(buf, self.length_size) {
            match nal[0] & 0x1f {
                6 => exact |= sei_exact_recovery(&nal[1..]),
                1 => return exact && is_i_slice(&nal[1..]),
                5 => return false,
                _ => {}
            }
        }
        false
    }
}

/// Where a decode may be cut into independent segments (see [`cuts`]).
pub(crate) struct Cuts {
    /// Sample `i` starts a segment.
    pub(crate) cut: Vec<bool>,
    /// The segment before recovery point `i` is needed to its end (a leading picture of `i`
    /// is hashed).
    pub(crate) carry: Vec<bool>,
    /// The leading pictures of each recovery point used as a cut.
    pub(crate) leading_of: BTreeMap<usize, Vec<usize>>,
}

/// `idr[i]`: sample `i` starts a closed GOP. Only sync samples are looked at, unless
/// `all`; also returns which samples carry parameter sets when `all`.
pub(crate) fn find_idr(
    stream: &Stream,
    reader: &mut dyn ReadSeek,
    all: bool,
) -> (Vec<bool>, Vec<bool>) {
    let n = stream.track.samples.len();
    let mut idr = vec![false; n];
    let mut ps = vec![false; n];
    for i in 0..n {
        if !all && !stream.track.samples[i].sync {
            continue;
        }
        if let Some((kind, has_ps)) = stream.scan(reader, i) {
            idr[i] = stream.track.samples[i].sync && kind == Some(5);
            ps[i] = has_ps;
        } else if all {
            // unreadable: treat as a parameter-set carrier so that it is looked at again
            ps[i] = true;
        }
    }
    (idr, ps)
}

/// The plan of a sequential decode: GOP tails skipped before IDR pictures and exact recovery
/// points when `skip_gop_tails`, else every sample decoded.
pub(crate) fn sequential_plan(
    stream: &Stream,
    reader: &mut dyn ReadSeek,
    sampler: &Sampler,
    skip_gop_tails: bool,
) -> Vec<Action> {
    let n = stream.track.samples.len();
    if skip_gop_tails {
        let idr = find_idr(stream, reader, false).0;
        let cuts = cuts(stream, reader, sampler, &idr);
        stream.plan_cuts(sampler, &cuts.cut, &cuts.carry, true, true)
    } else {
        stream.plan(sampler, &vec![false; n], false)
    }
}

/// Where independent segments start (IDR pictures and exact recovery points) and, per
/// recovery point, its leading pictures and whether one of those is hashed.
pub(crate) fn cuts(
    stream: &Stream,
    reader: &mut dyn ReadSeek,
    sampler: &Sampler,
    idr: &[bool],
) -> Cuts {
    let mut cuts = Cuts {
        cut: idr.to_vec(),
        carry: vec![false; idr.len()],
        leading_of: BTreeMap::new(),
    };
    for (i, leading) in recovery_cuts(stream, reader, idr) {
        cuts.cut[i] = true;
        cuts.carry[i] = leading.iter().any(|&j| stream.wanted(sampler, j));
        cuts.leading_of.insert(i, leading);
    }
    cuts
}

/// Open-GOP recovery points usable as cuts: `(sample, leading pictures)` in decode order.
/// A point is used only if every sample before it (back to the previous sync sample) is
/// shown before it and every sample after it (to the next sync sample) that is shown
/// before it is one of its leading pictures.
fn recovery_cuts(
    stream: &Stream,
    reader: &mut dyn ReadSeek,
    idr: &[bool],
) -> Vec<(usize, Vec<usize>)> {
    let samples = &stream.track.samples;
    let n = samples.len();
    let syncs: Vec<usize> = (0..n).filter(|&i| samples[i].sync).collect();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for (k, &i) in syncs.iter().enumerate() {
        if i == 0 || idr[i] || !stream.recovery_point(reader, i, &mut buf) {
            continue;
        }
        let Some(d) = stream.display[i] else { continue };
        let before = syncs[k.saturating_sub(1)]..i;
        let after = i + 1..syncs.get(k + 1).copied().unwrap_or(n);
        let shown_before = |j: &usize| stream.display[*j].is_some_and(|e| e < d);
        if !before
            .clone()
            .all(|j| stream.display[j].is_none_or(|e| e < d))
        {
            continue;
        }
        let leading: Vec<usize> = after.filter(shown_before).collect();
        out.push((i, leading));
    }
    out
}

/// Which samples of an H.264 MP4 another decoder (the FFmpeg backend, reading the same file)
/// must decode for a sampling: GOP tails and unsampled non-reference frames are not needed.
#[derive(Debug)]
#[cfg(feature = "ffmpeg")]
pub(crate) struct SkipPlan {
    /// Byte offset and size per sample (decode order), to check that the other demuxer's
    /// packets are these samples.
    pub samples: Vec<(u64, u32)>,
    /// Display index per sample.
    pub display: Vec<Option<u64>>,
    /// What to do with each sample.
    pub action: Vec<Action>,
    /// Whether each sample's frame is hashed.
    pub wanted: Vec<bool>,
    /// Bytes of the NAL unit length prefix.
    pub length_size: usize,
}

/// The [`SkipPlan`] of an H.264 MP4/MOV file; `None` if the built-in demuxer does not read it
/// (another container or codec), so the caller decodes everything.
#[cfg(feature = "ffmpeg")]
pub(crate) fn skip_plan(
    origin: &Opener,
    limits: VideoLimits,
    sampler: Sampler,
) -> Option<SkipPlan> {
    let (stream, mut reader) = origin.stream(limits).ok()?;
    let (idr, _) = find_idr(&stream, &mut *reader, false);
    let n = stream.track.samples.len();
    // libav, fed non-IDR keyframes alone (frame-number gaps), drops and misorders frames:
    // then the samples between keyframes are decoded too (unsampled non-reference ones and
    // GOP tails are still withheld)
    let alone = (0..n).all(|i| !stream.track.samples[i].sync || idr[i]);
    Some(SkipPlan {
        samples: stream
            .track
            .samples
            .iter()
            .map(|s| (s.offset, s.size))
            .collect(),
        display: stream.display.clone(),
        action: stream.plan_cuts(&sampler, &idr, &[], true, alone),
        wanted: (0..n).map(|i| stream.wanted(&sampler, i)).collect(),
        length_size: stream.length_size,
    })
}
