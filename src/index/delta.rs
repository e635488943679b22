//! Live updates: recent inserts in a small sorted delta, removals as bits, and the merge
//! of both into a new segment.

use std::sync::Arc;

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

impl Index {
    /// Adds `hash` under `id`; visible to the next search. Fails if `id` is already present.
    ///
    /// The hash joins the small set of recent inserts; when that set is merged (see the
    /// [module documentation](super)) a hash already stored is not stored again.
    pub fn insert(&mut self, id: u64, hash: Hash256) -> Result<()> {
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
            self.compact();
        }
        Ok(())
    }

    /// Removes the hash stored under `id`; returns whether there was one. Other ids stored
    /// with the same hash keep it.
    pub fn remove(&mut self, id: u64) -> bool {
        if let Some((slot, _)) = self.base_slot(id) {
            Arc::make_mut(&mut self.dead)[slot / 64] |= 1 << (slot % 64);
            self.dead_count += 1;
            if self.dead_count > self.config.delta_limit
                && self.dead_count * 4 > self.base.entries()
            {
                self.compact();
            }
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

    /// Merges recent inserts and removals into a new base now (storing each distinct hash
    /// once, and building the tables if the strategy uses them). Searches give the same
    /// results before and after.
    pub fn compact(&mut self) {
        if self.is_compact() {
            self.prepare();
        } else {
            *self = self.merged(true);
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
