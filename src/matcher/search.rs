//! Searching a query plan on a database snapshot, one result per known item.

use std::collections::BTreeMap;

use super::options::MatchOptions;
use super::plan::{PlannedHash, QueryPlan};
use super::result::{ImageMatch, Item};
use crate::db::{Entry, Snapshot};

/// Whether a stored entry may match under the consortium rule of `opts`.
pub(crate) fn entry_usable(e: &Entry<'_>, opts: &MatchOptions) -> bool {
    e.quality.is_none_or(|q| q >= opts.min_stored_quality)
}

/// Searches every usable hash of `plan` and merges the hits per known item (smallest distance
/// first; ties: the earlier query hash of the plan, then the entry found first). Results are sorted by
/// distance, then item.
pub fn search_plan(snap: &Snapshot, plan: &QueryPlan, opts: &MatchOptions) -> Vec<ImageMatch> {
    let usable: Vec<&PlannedHash> = plan
        .hashes
        .iter()
        .filter(|h| h.hash.quality >= opts.min_query_quality)
        .collect();
    search_hashes(snap, &usable, opts)
}

pub(crate) fn search_hashes(
    snap: &Snapshot,
    usable: &[&PlannedHash],
    opts: &MatchOptions,
) -> Vec<ImageMatch> {
    if usable.is_empty() {
        return Vec::new();
    }
    let hashes: Vec<_> = usable.iter().map(|h| h.hash.hash).collect();
    let found = snap.search_many(&hashes, opts.max_distance);
    let mut per_item: BTreeMap<Item, (ImageMatch, Vec<u64>)> = BTreeMap::new();
    for (q, matches) in usable.iter().zip(&found) {
        for m in matches {
            let Some(e) = snap.get(m.id) else { continue };
            if !entry_usable(&e, opts) {
                continue;
            }
            let item = Item::of(&e);
            let candidate = || ImageMatch {
                item: item.clone(),
                distance: m.distance,
                derivation: q.derivation,
                query_quality: q.hash.quality,
                entry_id: e.id,
                stored_hash: e.hash,
                stored_quality: e.quality,
                metadata: e.metadata.clone(),
                derived_entry: e.metadata.derived.is_some(),
                entries_matched: 1,
            };
            match per_item.get_mut(&item) {
                None => {
                    per_item.insert(item.clone(), (candidate(), vec![e.id]));
                }
                Some((best, ids)) => {
                    if !ids.contains(&e.id) {
                        ids.push(e.id);
                    }
                    if m.distance < best.distance {
                        *best = candidate();
                    }
                }
            }
        }
    }
    let mut out: Vec<ImageMatch> = per_item
        .into_values()
        .map(|(mut m, ids)| {
            m.entries_matched = ids.len();
            m
        })
        .collect();
    out.sort_by(|a, b| a.distance.cmp(&b.distance).then(a.item.cmp(&b.item)));
    out
}
