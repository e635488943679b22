//! The immutable segment: every distinct hash once, with the entries stored under it.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::mih::Mih;
use super::simd::Limbs;
use super::*;
use crate::error::{Error, Result};

/// The immutable part of an index: every distinct hash once, with the entries stored under it.
///
/// Entry *slots* number the entries of a segment for the removal bitmap: slot `p < U` is the
/// first entry (smallest id) of `hashes[p]`, slot `U + k` is the further entry `k`.
#[derive(Debug, Default)]
pub(super) struct Segment {
    /// Distinct hashes, in the order of their smallest id.
    pub(super) hashes: Vec<Limbs>,
    /// `ids[p]`: the smallest id stored under `hashes[p]` (so strictly increasing).
    pub(super) ids: Vec<u64>,
    /// Positions of the further entries of hashes stored more than once, sorted by
    /// `(position, id)`; `dup_ids` holds their ids.
    pub(super) dup_pos: Vec<u32>,
    pub(super) dup_ids: Vec<u64>,
    /// Indices into `dup_pos` / `dup_ids`, sorted by id.
    pub(super) dup_by_id: Vec<u32>,
    pub(super) mih: OnceLock<Mih>,
}

impl Segment {
    /// Number of entries (slots).
    pub(super) fn entries(&self) -> usize {
        self.ids.len() + self.dup_ids.len()
    }

    /// From id-sorted per-entry columns: groups equal hashes (sorting by the first limb, then
    /// comparing whole hashes only within runs of equal first limbs).
    pub(super) fn from_entries(mut ids: Vec<u64>, mut hashes: Vec<Limbs>) -> Segment {
        let n = ids.len();
        let mut keys: Vec<(u64, u32)> = hashes
            .par_iter()
            .enumerate()
            .map(|(i, h)| (h[0], i as u32))
            .collect();
        keys.par_sort_unstable();
        // (entry, first entry with the same hash) for every entry whose hash came earlier.
        let mut dups: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && keys[j].0 == keys[i].0 {
                j += 1;
            }
            if j - i > 1 {
                let run = &mut keys[i..j];
                run.sort_unstable_by(|a, b| {
                    hashes[a.1 as usize]
                        .cmp(&hashes[b.1 as usize])
                        .then(a.1.cmp(&b.1))
                });
                let mut first = run[0].1;
                for &(_, e) in &run[1..] {
                    if hashes[e as usize] == hashes[first as usize] {
                        dups.push((e, first));
                    } else {
                        first = e;
                    }
                }
            }
            i = j;
        }
        drop(keys);
        if dups.is_empty() {
            return Segment {
                hashes,
                ids,
                ..Segment::default()
            };
        }
        dups.sort_unstable();
        // The position of a first entry is its entry index minus the duplicates before it.
        let pos_of = |e: u32| e - dups.partition_point(|d| d.0 < e) as u32;
        let mut list: Vec<(u32, u64)> = dups
            .iter()
            .map(|&(e, f)| (pos_of(f), ids[e as usize]))
            .collect();
        list.sort_unstable();
        let (mut keep, mut d) = (0, 0);
        for e in 0..n {
            if d < dups.len() && dups[d].0 as usize == e {
                d += 1;
                continue;
            }
            hashes[keep] = hashes[e];
            ids[keep] = ids[e];
            keep += 1;
        }
        hashes.truncate(keep);
        hashes.shrink_to_fit();
        ids.truncate(keep);
        ids.shrink_to_fit();
        Segment::with_dups(hashes, ids, list)
    }

    /// From distinct hashes and, for every entry in id order, its id and hash position, where
    /// hashes are numbered in order of first use (the layout of the database file).
    pub(super) fn from_parts(
        mut ids: Vec<u64>,
        hash_ref: &[u32],
        hashes: Vec<Limbs>,
    ) -> Result<Segment> {
        let bad = || Error::invalid("hash references are not in order of first use");
        if ids.len() != hash_ref.len() || ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid("ids must be strictly increasing"));
        }
        // The first entry of each hash keeps its place in `ids` (compacted in place).
        let mut firsts = 0;
        let mut list = Vec::new();
        for i in 0..ids.len() {
            let (id, p) = (ids[i], hash_ref[i]);
            match (p as usize).cmp(&firsts) {
                std::cmp::Ordering::Equal => {
                    ids[firsts] = id;
                    firsts += 1;
                }
                std::cmp::Ordering::Less => list.push((p, id)),
                std::cmp::Ordering::Greater => return Err(bad()),
            }
        }
        if firsts != hashes.len() {
            return Err(bad());
        }
        if !list.is_empty() {
            ids.truncate(firsts);
            ids.shrink_to_fit();
        }
        list.sort_unstable();
        Ok(Segment::with_dups(hashes, ids, list))
    }

    /// `list`: `(position, id)` of the further entries, sorted.
    pub(super) fn with_dups(hashes: Vec<Limbs>, ids: Vec<u64>, list: Vec<(u32, u64)>) -> Segment {
        let (dup_pos, dup_ids): (Vec<u32>, Vec<u64>) = list.into_iter().unzip();
        let mut dup_by_id: Vec<u32> = (0..dup_ids.len() as u32).collect();
        dup_by_id.sort_unstable_by_key(|&k| dup_ids[k as usize]);
        Segment {
            hashes,
            ids,
            dup_pos,
            dup_ids,
            dup_by_id,
            mih: OnceLock::new(),
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * 32
            + self.ids.capacity() * 8
            + self.dup_pos.capacity() * 4
            + self.dup_ids.capacity() * 8
            + self.dup_by_id.capacity() * 4
            + self.mih.get().map_or(0, Mih::heap_bytes)
    }

    /// Range of further entries (indices into `dup_*`) of position `p`.
    #[inline]
    pub(super) fn dups_of(&self, p: u32) -> std::ops::Range<usize> {
        if self.dup_pos.is_empty() {
            return 0..0;
        }
        let s = self.dup_pos.partition_point(|&x| x < p);
        let e = s + self.dup_pos[s..].partition_point(|&x| x == p);
        s..e
    }

    /// Multi-index tables over the distinct hashes: bytes they need.
    pub(super) fn tables_bytes(&self) -> usize {
        mih::TABLES * (self.hashes.len() * 4 + (mih::BUCKETS + 1) * 4)
    }
}
