//! The parallel task runner: independent parts of one video decoded and hashed on the rayon
//! pool, results put back in frame order.

use super::{DecodeReport, FrameSource};
use crate::error::Result;

/// The hashes of one part of a video and its decode report.
pub(crate) type Part<T> = Result<(Vec<T>, DecodeReport)>;

/// Hashes the frames of `tasks` independent sources (parts of one video, made by
/// `source`) on the rayon pool with `run`, in frame order (`key` gives the frame number).
///
/// One worker per pool thread takes the tasks in order from a shared counter (so the
/// threads stay busy until the last task), and hands each finished source to `source` for
/// its next task, to reuse its decoder and reader.
pub(crate) fn run_tasks<S, F, T>(
    tasks: usize,
    source: F,
    run: &(dyn Fn(&mut S) -> Part<T> + Sync),
    key: &(dyn Fn(&T) -> u64 + Sync),
) -> Part<T>
where
    S: FrameSource,
    F: Fn(usize, Option<S>) -> Result<S> + Sync,
    T: Send,
{
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, tasks.max(1));
    let done: Vec<Vec<(usize, Part<T>)>> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut parts = Vec::new();
            let mut prev = None;
            loop {
                let t = next.fetch_add(1, Ordering::Relaxed);
                if t >= tasks {
                    break;
                }
                let part = source(t, prev.take()).and_then(|mut src| {
                    let hashes = run(&mut src)?;
                    prev = Some(src);
                    Ok(hashes)
                });
                parts.push((t, part));
            }
            parts
        })
        .collect();
    let mut parts: Vec<(usize, Part<T>)> = done.into_iter().flatten().collect();
    parts.sort_by_key(|(t, _)| *t);
    let mut out = Vec::new();
    let mut report = DecodeReport::default();
    for (_, p) in parts {
        let (hashes, r) = p?;
        out.extend(hashes);
        report = report.merge(r);
    }
    // each part is in display order; parts of a well-formed stream follow each other,
    // and the sequential decode's output is sorted the same way
    out.sort_by_key(|h| key(h));
    Ok((out, report))
}
