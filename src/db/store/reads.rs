//! The reads that [`Store`] and [`StoreReader`] share, written once: both hold the store of
//! record (`rec`) and the in-memory side (`live`). The writer's index is current after each
//! batch; a reader's as of its last [`StoreReader::refresh`]. Metadata and signal values are
//! read from the store of record (current for both).

use std::path::PathBuf;

use super::record::{Selector, SignalEntry, StoredEntry};
use super::{Store, StoreReader};
use crate::db::{Reader, Snapshot};
use crate::error::Result;
use crate::filehash::{ExactAlg, ExactDigest, FileDigests};
use crate::hash::Hash256;
use crate::index::Match;
use crate::tmk::{TmkFeatures, TmkMatch, TmkThresholds};

macro_rules! shared_reads {
    ($t:ty) => {
        impl $t {
            /// The change sequence the index reflects.
            pub fn seq(&self) -> u64 {
                self.live.seq
            }

            /// Exact radius search over the index.
            pub fn search(&self, query: &Hash256, max_distance: u32) -> Vec<Match> {
                self.live.db.search(query, max_distance)
            }

            /// The index as a snapshot (search, `search_many`, `k_nearest`, …).
            pub fn snapshot(&self) -> &Snapshot {
                &self.live.db
            }

            /// A handle for search threads, updated after each batch (writer) or refresh
            /// (reader).
            pub fn reader(&self) -> Reader {
                self.live.db.reader()
            }

            /// One entry with its metadata, from the store of record.
            pub fn get(&self, id: u64) -> Result<Option<StoredEntry>> {
                self.rec.get(id)
            }

            /// Ids of the entries a selector matches (by source, content id or label).
            pub fn select(&self, selector: &Selector) -> Result<Vec<u64>> {
                self.rec.select(selector)
            }

            /// Writes the index cache for the current sequence (see the
            /// [module documentation](crate::db::store)) and removes older ones; readers may
            /// share the work of keeping it fresh.
            pub fn save_index_cache(&self) -> Result<PathBuf> {
                self.live.save_cache()
            }

            /// The entries whose digest equals one of a file's (MD5 first, then SHA-1,
            /// SHA-256, SHA-512): a hash-map lookup, no decoding. `None` when the file is not
            /// banked.
            pub fn lookup_exact(&self, digests: &FileDigests) -> Option<(ExactAlg, Vec<u64>)> {
                self.live.signals.lookup(digests)
            }

            /// The ids stored under one digest.
            pub fn lookup_digest(&self, digest: &ExactDigest) -> &[u64] {
                self.live.signals.exact.get(digest)
            }

            /// TMK search: level 1 (pure-average cosine) over all stored videos, then level 2
            /// on the candidates, whose full features are read from the store of record. Best
            /// level 2 first.
            pub fn search_tmk(
                &self,
                query: &TmkFeatures,
                thresholds: &TmkThresholds,
            ) -> Result<Vec<TmkMatch<u64>>> {
                self.live
                    .signals
                    .search_tmk(self.rec.as_ref(), query, thresholds)
            }

            /// Number of exact digests and TMK videos in memory.
            pub fn signal_counts(&self) -> (usize, usize) {
                (
                    self.live.signals.exact_of.len(),
                    self.live.signals.tmk_ids.len(),
                )
            }

            /// One entry of any signal type with its value (PDQ entries included).
            pub fn get_signal(&self, id: u64) -> Result<Option<SignalEntry>> {
                self.rec.get_signal(id)
            }
        }
    };
}

shared_reads!(Store);
shared_reads!(StoreReader);
