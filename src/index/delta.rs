//! Live updates: recent inserts in a small sorted delta, removals as bits, and the merge
//! of both into a new segment — on a background thread, so that no update waits for it.
//!
//! When the delta passes [`IndexConfig::delta_limit`] (or a quarter of the base is removed),
//! the delta is *frozen*: it moves aside, still searched, and a background thread merges a
//! snapshot of the base (without its removed entries) and the frozen delta into a new
//! segment, building its tables if the strategy wants them. New inserts meanwhile go to a
//! fresh delta. Removals meanwhile mark the base's bitmap or leave the frozen delta as usual
//! and are also listed, so that the writer replays them on the merged segment when it swaps
//! it in (on its next update once the merge is done, or on [`Index::try_finish_merge`]).
//! Every search, at any moment, sees exactly the live entries: base minus removals, the
//! frozen delta, and the delta.

use std::sync::{Arc, OnceLock};

use super::simd::Limbs;
use super::*;
use crate::error::{Error, Result};
use crate::hash::Hash256;

/// Recent inserts, sorted by id.
#[derive(Clone, Debug, Default)]
pub(super) struct Delta {
    pub(super) hashes: Vec<Limbs>,
    pub(super) ids: Vec<u64>,
}

/// A merge running on a background thread; the thread sets `result` when it is done.
#[derive(Debug, Default)]
pub(super) struct Merge {
    pub(super) result: OnceLock<Arc<Segment>>,
    thread: OnceLock<std::thread::JoinHandle<()>>,
}

impl Merge {
    /// Whether the thread ended without a result (it panicked: a bug, never expected).
    fn failed(&self) -> bool {
        self.thread.get().is_some_and(|t| t.is_finished()) && self.result.get().is_none()
    }
}

impl Index {
    /// Adds `hash` under `id`; visible to the next search. Fails if `id` is already present.
    ///
    /// The hash joins the small set of recent inserts; when that set is merged (on a
    /// background thread, see the [module documentation](super)) a hash already stored is
    /// not stored again. An insert never waits for a merge.
    pub fn insert(&mut self, id: u64, hash: Hash256) -> Result<()> {
        self.try_finish_merge();
        if self.contains(id) {
            return Err(Error::invalid(format!("id {id} is already in the index")));
        }
        if self.len() >= u32::MAX as usize - 1 {
            return Err(Error::invalid("an index holds at most 2^32 - 2 hashes"));
        }
        let d = Arc::make_mut(&mut self.delta);
        let at = d.ids.partition_point(|&x| x < id);
        d.ids.insert(at, id);
        d.hashes.insert(at, hash.limbs());
        if d.ids.len() > self.config.delta_limit {
            self.start_merge();
        }
        Ok(())
    }

    /// Removes the hash stored under `id`; returns whether there was one. Other ids stored
    /// with the same hash keep it.
    pub fn remove(&mut self, id: u64) -> bool {
        self.try_finish_merge();
        if let Some((slot, _)) = self.base_slot(id) {
            Arc::make_mut(&mut self.dead)[slot / 64] |= 1 << (slot % 64);
            self.dead_count += 1;
            if self.merge.is_some() {
                Arc::make_mut(&mut self.removed_meanwhile).push(id);
            } else if self.dead_count > self.config.delta_limit
                && self.dead_count * 4 > self.base.entries()
            {
                self.start_merge();
            }
            return true;
        }
        if let Ok(i) = self.frozen.ids.binary_search(&id) {
            let f = Arc::make_mut(&mut self.frozen);
            f.ids.remove(i);
            f.hashes.remove(i);
            Arc::make_mut(&mut self.removed_meanwhile).push(id);
            return true;
        }
        if let Ok(i) = self.delta.ids.binary_search(&id) {
            let d = Arc::make_mut(&mut self.delta);
            d.ids.remove(i);
            d.hashes.remove(i);
            return true;
        }
        false
    }

    /// Merges recent inserts and removals into a new base now, on the calling thread
    /// (storing each distinct hash once, and building the tables if the strategy uses them);
    /// a background merge in flight is dropped. Searches give the same results before and
    /// after.
    pub fn compact(&mut self) {
        if self.is_compact() {
            self.merge = None;
            self.removed_meanwhile = Arc::default();
            self.prepare();
        } else {
            *self = self.merged(true);
        }
    }

    /// Whether a background merge is in flight (started, not yet swapped in).
    pub fn merging(&self) -> bool {
        self.merge.is_some()
    }

    /// Swaps in the result of a finished background merge, replaying the removals made while
    /// it ran; returns whether it did. Never waits: a merge still running stays in flight.
    /// Inserts and removals call this themselves.
    pub fn try_finish_merge(&mut self) -> bool {
        if self.merge.as_ref().is_some_and(|m| m.failed()) {
            // Merge here instead, so that the delta cannot grow without bound.
            *self = self.merged(true);
            return true;
        }
        let Some(seg) = self.merge.as_ref().and_then(|m| m.result.get()).cloned() else {
            return false;
        };
        let slots = seg.entries();
        self.base = seg;
        self.dead = Arc::new(vec![0; slots.div_ceil(64)]);
        self.dead_count = 0;
        self.frozen = Arc::default();
        self.merge = None;
        let removed = std::mem::take(&mut self.removed_meanwhile);
        // Each id listed was live in the merge's snapshot, hence is in the merged segment.
        for &id in removed.iter() {
            if let Some((slot, _)) = self.base_slot(id) {
                Arc::make_mut(&mut self.dead)[slot / 64] |= 1 << (slot % 64);
                self.dead_count += 1;
            }
        }
        if self.delta.ids.len() > self.config.delta_limit {
            self.start_merge();
        }
        true
    }

    /// Freezes the delta and merges it with the base on a background thread (on the calling
    /// thread if no thread can be started). Only one merge runs at a time.
    fn start_merge(&mut self) {
        if self.merge.is_some() {
            return;
        }
        self.frozen = std::mem::take(&mut self.delta);
        let snapshot = Index {
            config: self.config.clone(),
            level: self.level,
            base: self.base.clone(),
            dead: self.dead.clone(),
            dead_count: self.dead_count,
            delta: self.frozen.clone(),
            frozen: Arc::default(),
            merge: None,
            removed_meanwhile: Arc::default(),
        };
        let merge = Arc::new(Merge::default());
        let out = merge.clone();
        let spawned = std::thread::Builder::new()
            .name("mediamatch-index-merge".into())
            .spawn(move || {
                let _ = out.result.set(snapshot.merged(true).base);
            });
        match spawned {
            Ok(thread) => {
                let _ = merge.thread.set(thread);
                self.merge = Some(merge);
            }
            Err(_) => *self = self.merged(true),
        }
    }

    pub(super) fn merged(&self, eager_tables: bool) -> Index {
        let n = self.len();
        let mut ids = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for (id, h) in self.iter() {
            ids.push(id);
            hashes.push(h.limbs());
        }
        Index::from_segment(
            Segment::from_entries(ids, hashes),
            self.config.clone(),
            eager_tables,
        )
    }
}
