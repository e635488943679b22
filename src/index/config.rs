//! Search results, strategies and the index configuration.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One search result: the id of a stored hash and its distance to the query.
///
/// Results are sorted by `(distance, id)`, so they do not depend on how work was split.
///
/// ```
/// use mediamatch::index::Match;
/// let m = Match { id: 3, distance: 12 };
/// assert!(m < Match { id: 1, distance: 13 });
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Match {
    /// The id the hash was inserted with.
    pub id: u64,
    /// Hamming distance to the query, 0..=256.
    pub distance: u32,
}

impl PartialOrd for Match {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Match {
    /// By distance, then id.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.distance, self.id).cmp(&(other.distance, other.id))
    }
}

/// How an [`Index`](super::Index) answers a radius search. All strategies return the same results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Strategy {
    /// Multi-index hashing below radius 32 on large sets when the tables fit
    /// [`IndexConfig::max_bytes_per_hash`], flat scan otherwise.
    #[default]
    Auto,
    /// Always the flat scan (and never build the multi-index tables: about 40 bytes per hash).
    Flat,
    /// Always multi-index hashing for single queries, whatever the memory budget (exact at
    /// every radius, but slow above ~47).
    MultiIndex,
}

/// Settings of an [`Index`](super::Index). `Default` is the recommended behaviour.
///
/// ```
/// use mediamatch::index::{Index, IndexConfig, Strategy};
/// let index = Index::with_config(IndexConfig::default().strategy(Strategy::Flat))?;
/// assert!(index.is_empty());
/// assert!(Index::with_config(IndexConfig::default().delta_limit(0)).is_err());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IndexConfig {
    /// Search strategy.
    pub strategy: Strategy,
    /// Under [`Strategy::Auto`], the multi-index tables are used (and built) only for a base
    /// of at least this many hashes; below it the flat scan is as fast. Default 32 768.
    pub mih_min_len: usize,
    /// Recent inserts kept outside the base before a merge; at least 1. Default 16 384.
    pub delta_limit: usize,
    /// Memory budget of [`Strategy::Auto`], in heap bytes per entry (hashes, ids, removal
    /// bitmap and tables together): the multi-index tables are only built if the total then
    /// stays within it. Default 48, which the flat scan (about 40 bytes per entry) always
    /// meets and the 16 tables (64 more bytes per distinct hash, plus 4 MiB) never do; raise
    /// it (to about 110 for a million hashes or more) to let `Auto` trade memory for
    /// single-query latency.
    pub max_bytes_per_hash: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            strategy: Strategy::Auto,
            mih_min_len: 1 << 15,
            delta_limit: 1 << 14,
            max_bytes_per_hash: 48,
        }
    }
}

impl IndexConfig {
    /// Sets [`IndexConfig::strategy`].
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }
    /// Sets [`IndexConfig::mih_min_len`].
    #[must_use]
    pub fn mih_min_len(mut self, n: usize) -> Self {
        self.mih_min_len = n;
        self
    }
    /// Sets [`IndexConfig::delta_limit`].
    #[must_use]
    pub fn delta_limit(mut self, n: usize) -> Self {
        self.delta_limit = n;
        self
    }
    /// Sets [`IndexConfig::max_bytes_per_hash`].
    #[must_use]
    pub fn max_bytes_per_hash(mut self, n: usize) -> Self {
        self.max_bytes_per_hash = n;
        self
    }
    pub(super) fn validate(&self) -> Result<()> {
        if self.delta_limit == 0 {
            return Err(Error::invalid(
                "IndexConfig::delta_limit must be at least 1",
            ));
        }
        Ok(())
    }
}
