//! A decode plan cut into independent tasks for a parallel decode of one H.264 track, used by
//! both backends (each task run by a decoder of its own).

use std::ops::Range;
use std::sync::Arc;

use super::plan::{cuts, find_idr, Action, Cuts};
use super::stream::{raw_nals, Opener, ReadSeek, Stream};
use crate::error::Result;
use crate::video::sample::Sampler;

/// A parallel task decodes at least this many samples (fewer, larger tasks for short GOPs).
pub(crate) const MIN_TASK_SAMPLES: usize = 48;

/// In-band parameter sets carried into parallel tasks at most (beyond: decode sequentially).
const MAX_PRELUDE_BYTES: usize = 4 << 20;

/// A decode plan cut into independent tasks (at IDR pictures and exact open-GOP recovery
/// points, see [`Splitter::plan`]), for [`crate::video::VideoHasher`] to run
/// in parallel. `Sync`: each task opens its own reader and decoder.
#[derive(Debug)]
pub(crate) struct Splitter {
    pub(crate) stream: Arc<Stream>,
    pub(crate) opener: Opener,
    pub(crate) sampler: Sampler,
    pub(crate) action: Arc<Vec<Action>>,
    pub(crate) skip_non_reference: bool,
    /// In-band parameter sets, each with the sample that carries it, length-prefixed (4).
    pub(crate) parameter_sets: Vec<(usize, Vec<u8>)>,
    tasks: Vec<Range<usize>>,
    /// Per task: the samples decoded after its range (an open-GOP recovery point that starts
    /// the next task and its hashed leading pictures; empty otherwise).
    overhang: Vec<Range<usize>>,
    /// Per task: the display indices it returns, `[lo, hi)`.
    bounds: Vec<(u64, u64)>,
}

/// What another decoder (the FFmpeg backend) needs to run a [`Splitter`]'s tasks itself.
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
impl Splitter {
    /// A reader of the file's bytes of its own.
    pub(crate) fn open_reader(&self) -> Result<Box<dyn ReadSeek>> {
        self.opener.open()
    }

    /// Reads sample `i` (bounds and size limits checked) into `buf`.
    pub(crate) fn read_sample(
        &self,
        reader: &mut dyn ReadSeek,
        i: usize,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.stream.read_sample(reader, i, buf)
    }

    /// What is done with sample `i`.
    pub(crate) fn action(&self, i: usize) -> Action {
        self.action[i]
    }

    /// Whether sample `i`'s frame is hashed.
    pub(crate) fn wanted(&self, i: usize) -> bool {
        self.stream.wanted(&self.sampler, i)
    }

    /// Display index of sample `i` (`None`: outside the edit list).
    pub(crate) fn display(&self, i: usize) -> Option<u64> {
        self.stream.display[i]
    }

    /// Byte offset and size of sample `i`.
    pub(crate) fn sample(&self, i: usize) -> Option<(u64, u32)> {
        self.stream.track.samples.get(i).map(|s| (s.offset, s.size))
    }

    /// Number of samples.
    pub(crate) fn sample_count(&self) -> usize {
        self.stream.track.samples.len()
    }

    /// Bytes of the NAL unit length prefix of the samples.
    pub(crate) fn length_size(&self) -> usize {
        self.stream.length_size
    }

    /// Samples decoded after task `t`'s range: the recovery point starting the next task and
    /// its leading pictures, when some of those are hashed (open GOP); else empty.
    pub(crate) fn overhang(&self, t: usize) -> Range<usize> {
        self.overhang[t].clone()
    }

    /// The display indices task `t` returns: `lo..hi`.
    pub(crate) fn bounds(&self, t: usize) -> (u64, u64) {
        self.bounds[t]
    }

    /// The in-band parameter set NAL units (header byte first) that samples before task `t`
    /// carry, in decode order.
    pub(crate) fn prelude(&self, t: usize) -> impl Iterator<Item = &[u8]> {
        let start = self.tasks[t].start;
        self.parameter_sets
            .iter()
            .filter(move |(i, _)| *i < start)
            .flat_map(|(_, ps)| raw_nals(ps, 4))
    }
}

impl Splitter {
    /// The sample ranges, in decode order.
    pub(crate) fn tasks(&self) -> &[Range<usize>] {
        &self.tasks
    }

    /// Tasks start at IDR access units and at open-GOP recovery points (see
    /// [`Stream::recovery_point`]): the task before such a point also decodes the point and its
    /// leading pictures when one of those is hashed, and the task starting there does not
    /// return them. Each task has at least `min_task` decoded samples; `None` when there
    /// would be fewer than two tasks.
    pub(crate) fn plan(
        stream: Arc<Stream>,
        opener: Opener,
        reader: &mut dyn ReadSeek,
        sampler: Sampler,
        skip_gop_tails: bool,
        skip_non_reference: bool,
        min_task: usize,
    ) -> Option<Splitter> {
        let n = stream.track.samples.len();
        let (idr, ps) = find_idr(&stream, reader, true);
        let Cuts {
            cut,
            carry,
            leading_of,
        } = cuts(&stream, reader, &sampler, &idr);
        let action = stream.plan_cuts(&sampler, &cut, &carry, skip_gop_tails, true);
        // group segments into tasks of at least `min_task` decoded samples
        let mut tasks: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        let mut work = 0;
        for i in 0..n {
            if cut[i] && i > start && work >= min_task {
                tasks.push(start..i);
                start = i;
                work = 0;
            }
            if action[i] == Action::Decode {
                work += 1;
            }
        }
        if work > 0 || tasks.is_empty() {
            tasks.push(start..n);
        } else if let Some(last) = tasks.last_mut() {
            last.end = n;
        }
        if tasks.len() < 2 {
            return None;
        }
        // at a recovery point: the task starting there returns frames shown from it on, and
        // the task before decodes it and its leading pictures if one of those is hashed
        let shown_from = |i: usize| {
            leading_of
                .contains_key(&i)
                .then(|| stream.display[i])
                .flatten()
        };
        let bounds: Vec<(u64, u64)> = tasks
            .iter()
            .enumerate()
            .map(|(t, r)| {
                let hi = tasks.get(t + 1).and_then(|next| shown_from(next.start));
                (shown_from(r.start).unwrap_or(0), hi.unwrap_or(u64::MAX))
            })
            .collect();
        let overhang: Vec<Range<usize>> = tasks
            .iter()
            .map(|r| match leading_of.get(&r.end) {
                Some(leading) if carry[r.end] => {
                    r.end..leading.iter().max().map_or(r.end + 1, |&j| j + 1)
                }
                _ => r.end..r.end,
            })
            .collect();
        let mut parameter_sets = Vec::new();
        let mut buf = Vec::new();
        let mut bytes = 0;
        let last_start = tasks.last().map_or(0, |r| r.start);
        for i in (0..last_start).filter(|&i| ps[i]) {
            stream.check_sample(i).ok()?;
            stream.read_sample(reader, i, &mut buf).ok()?;
            let mut out = Vec::new();
            for raw in raw_nals(&buf, stream.length_size) {
                if matches!(raw[0] & 0x1f, 7 | 8) {
                    out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
                    out.extend_from_slice(raw);
                }
            }
            bytes += out.len();
            if bytes > MAX_PRELUDE_BYTES {
                return None;
            }
            parameter_sets.push((i, out));
        }
        Some(Splitter {
            stream,
            opener,
            sampler,
            action: Arc::new(action),
            skip_non_reference,
            parameter_sets,
            tasks,
            overhang,
            bounds,
        })
    }
}
