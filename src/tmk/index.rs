//! [`TmkIndex`]: many stored TMK vectors, searched by pure average first (level 1), with
//! level 2 only on the candidates that pass.

use std::sync::Arc;

use super::format::TmkFeatures;
use super::score::{cosine_from, dot, level2, norm, TmkThresholds};
use crate::error::Result;

/// A dot product with 8 independent partial sums (vectorises); differs from the
/// reference-order [`dot`] only by float rounding, which [`PREFILTER_MARGIN`] covers.
fn dot_fast(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = 0.0f32;
    for (x, y) in a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
    {
        s += x * y;
    }
    acc.iter().sum::<f32>() + s
}

/// How far below the threshold the fast cosine may fall and still be rechecked exactly. The
/// reordering error of a 256-term float sum is below 256 ulp of Σ|xᵢyᵢ| ≤ ‖u‖‖v‖, i.e. a
/// cosine error under 2e-5; the margin is 50 times that.
const PREFILTER_MARGIN: f32 = 1e-3;

/// One result of [`TmkIndex::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct TmkMatch<Id> {
    /// The stored entry's id.
    pub id: Id,
    /// Level-1 score (query as A), bit-identical to [`super::level1`].
    pub level1: f32,
    /// Level-2 score (query as A), bit-identical to [`super::level2`].
    pub level2: f32,
}

/// An in-memory index of TMK vectors.
///
/// The pure averages (256 floats each) and their norms sit in one contiguous array that is
/// scanned first; the full 256 KiB vectors are touched only for level 2 on the candidates.
///
/// ```
/// use mediamatch::tmk::{TmkBuilder, TmkIndex, TmkThresholds};
/// let mut b = TmkBuilder::new();
/// for t in 0..30 { let mut f = [1.0f32; 256]; f[t % 5] = 50.0; b.push(&f); }
/// let tmk = b.finish();
/// let mut index = TmkIndex::new();
/// index.insert("clip-1", tmk.clone())?;
/// let hits = index.search(&tmk, &TmkThresholds::default());
/// assert_eq!(hits[0].id, "clip-1");
/// # Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TmkIndex<Id> {
    ids: Vec<Id>,
    averages: Vec<f32>,
    norms: Vec<f32>,
    features: Vec<Option<Arc<TmkFeatures>>>,
}

impl<Id: Clone + PartialEq> TmkIndex<Id> {
    /// An empty index.
    pub fn new() -> Self {
        TmkIndex {
            ids: Vec::new(),
            averages: Vec::new(),
            norms: Vec::new(),
            features: Vec::new(),
        }
    }
    /// Number of stored vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Adds a vector. It must be a standard PDQF vector (dimension 256).
    pub fn insert(&mut self, id: Id, tmk: impl Into<Arc<TmkFeatures>>) -> Result<()> {
        let tmk = tmk.into();
        tmk.validate()?;
        if tmk.dim() != super::PDQF_DIM {
            return Err(crate::error::Error::invalid(format!(
                "TMK dimension {} is not {}",
                tmk.dim(),
                super::PDQF_DIM
            )));
        }
        self.averages.extend_from_slice(&tmk.pure_average);
        self.norms.push(norm(&tmk.pure_average));
        self.ids.push(id);
        self.features.push(Some(tmk));
        Ok(())
    }

    /// Adds only the pure average of a vector (1 KiB) whose full 256 KiB features live
    /// elsewhere (a database blob): such entries are scored at level 2 through the loader of
    /// [`TmkIndex::search_with`]. This is the layout the reference's maintainers suggest for
    /// large collections (index the pure averages, fetch the rest for the candidates).
    pub fn insert_average(&mut self, id: Id, pure_average: &[f32]) -> Result<()> {
        if pure_average.len() != super::PDQF_DIM {
            return Err(crate::error::Error::invalid(format!(
                "TMK pure average has {} values, not {}",
                pure_average.len(),
                super::PDQF_DIM
            )));
        }
        self.averages.extend_from_slice(pure_average);
        self.norms.push(norm(pure_average));
        self.ids.push(id);
        self.features.push(None);
        Ok(())
    }
    /// Removes every entry with this id; returns how many.
    pub fn remove(&mut self, id: &Id) -> usize {
        let d = super::PDQF_DIM;
        let mut removed = 0;
        let mut i = 0;
        while i < self.ids.len() {
            if &self.ids[i] == id {
                self.ids.swap_remove(i);
                self.norms.swap_remove(i);
                self.features.swap_remove(i);
                let last = self.averages.len() - d;
                if i * d != last {
                    self.averages.copy_within(last.., i * d);
                }
                self.averages.truncate(last);
                removed += 1;
            } else {
                i += 1;
            }
        }
        removed
    }
    /// The stored vector of entry `i` (insertion order, disturbed by removals).
    pub fn get(&self, i: usize) -> Option<(&Id, Option<&TmkFeatures>)> {
        Some((self.ids.get(i)?, self.features.get(i)?.as_deref()))
    }

    /// Entries whose level 1 ≥ `thresholds.level1` and level 2 ≥ `thresholds.level2`, best
    /// level 2 first.
    pub fn search(&self, query: &TmkFeatures, thresholds: &TmkThresholds) -> Vec<TmkMatch<Id>> {
        self.search_with(query, thresholds, |_, _| None)
    }

    /// [`TmkIndex::search`], with `load(entry, id)` supplying the full features of entries
    /// added by [`TmkIndex::insert_average`] (called only for level-1 candidates; an entry
    /// whose features cannot be loaded is skipped).
    pub fn search_with(
        &self,
        query: &TmkFeatures,
        thresholds: &TmkThresholds,
        mut load: impl FnMut(usize, &Id) -> Option<Arc<TmkFeatures>>,
    ) -> Vec<TmkMatch<Id>> {
        let d = super::PDQF_DIM;
        if query.dim() != d {
            return Vec::new();
        }
        let qn = norm(&query.pure_average);
        let mut out: Vec<TmkMatch<Id>> = Vec::new();
        for (i, avg) in self.averages.chunks_exact(d).enumerate() {
            let fast = cosine_from(dot_fast(&query.pure_average, avg), qn, self.norms[i]);
            if fast < thresholds.level1 - PREFILTER_MARGIN {
                continue;
            }
            let l1 = cosine_from(dot(&query.pure_average, avg), qn, self.norms[i]);
            if l1 >= thresholds.level1 {
                let full = match &self.features[i] {
                    Some(f) => f.clone(),
                    None => match load(i, &self.ids[i]) {
                        Some(f) => f,
                        None => continue,
                    },
                };
                let l2 = level2(query, &full);
                if l2 >= thresholds.level2 {
                    out.push(TmkMatch {
                        id: self.ids[i].clone(),
                        level1: l1,
                        level2: l2,
                    });
                }
            }
        }
        out.sort_by(|a, b| b.level2.total_cmp(&a.level2));
        out
    }

    /// Level-1 candidates only (id, level 1), for callers that score level 2 themselves.
    pub fn level1_candidates(&self, query: &TmkFeatures, threshold: f32) -> Vec<(usize, f32)> {
        let d = super::PDQF_DIM;
        if query.dim() != d {
            return Vec::new();
        }
        let qn = norm(&query.pure_average);
        self.averages
            .chunks_exact(d)
            .enumerate()
            .filter_map(|(i, avg)| {
                let fast = cosine_from(dot_fast(&query.pure_average, avg), qn, self.norms[i]);
                if fast < threshold - PREFILTER_MARGIN {
                    return None;
                }
                let l1 = cosine_from(dot(&query.pure_average, avg), qn, self.norms[i]);
                (l1 >= threshold).then_some((i, l1))
            })
            .collect()
    }
}
