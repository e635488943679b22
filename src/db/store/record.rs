//! The store-of-record trait: what a durable, shared home for the entries must provide so
//! that [`Store`](super::Store) and [`StoreReader`](super::StoreReader) can keep an
//! in-memory index in step with it. [`SqliteRecord`](super::SqliteRecord) implements it; a
//! networked store (PostgreSQL) would implement the same.

use std::ops::Range;

use crate::db::Metadata;
use crate::error::Result;
use crate::hash::Hash256;

/// What kind of signal an entry's value is. Only PDQ is stored today; the column exists so
/// that exact file digests and TMK features can be added without a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignalType {
    /// A 256-bit PDQ hash (the value is its 32 bytes, limb 0 first, little-endian).
    Pdq,
}

impl SignalType {
    /// The name stored in the `signal` column.
    pub fn name(self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
        }
    }
}

/// A stored entry with its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredEntry {
    /// Stable id (never reused).
    pub id: u64,
    /// The hash.
    pub hash: Hash256,
    /// Quality 0..=100, if known.
    pub quality: Option<u8>,
    /// What is known about the content.
    pub metadata: Metadata,
}

/// One change of the store, in change-sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// An entry was inserted (and is still present).
    Insert {
        /// The batch's change sequence number.
        seq: u64,
        /// The entry's id.
        id: u64,
        /// The entry's hash.
        hash: Hash256,
    },
    /// An entry was removed.
    Remove {
        /// The batch's change sequence number.
        seq: u64,
        /// The id that was removed.
        id: u64,
    },
}

impl Change {
    /// The change sequence number of the batch this change belongs to.
    pub fn seq(&self) -> u64 {
        match *self {
            Change::Insert { seq, .. } | Change::Remove { seq, .. } => seq,
        }
    }
}

/// The changes after a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// The store's change sequence when they were read: pass it as the next checkpoint.
    pub seq: u64,
    /// Inserts of entries still present and removals, ordered by sequence.
    pub changes: Vec<Change>,
    /// The checkpoint is older than the removal log keeps (see
    /// [`StoreOfRecord::prune_changes`]): the caller must reload everything instead.
    pub reload: bool,
}

/// Which entries a query or a bulk removal concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selector {
    /// Every entry of a source (bank).
    Source(String),
    /// Every entry with this content id.
    ContentId(String),
    /// Every entry carrying this label.
    Label(String),
}

/// A durable home for the entries: the source of truth, with a change sequence.
///
/// Every method that changes something is atomic and durable when it returns `Ok`: a crash
/// at any instant leaves either all of a batch or none of it. The change sequence grows by
/// one per batch; readers keep the sequence they have applied and ask for what came after
/// ([`StoreOfRecord::changes_since`]).
pub trait StoreOfRecord: Send + std::fmt::Debug {
    /// The latest change sequence number (0 for a new store).
    fn seq(&self) -> Result<u64>;
    /// The id the next insert will get.
    fn next_id(&self) -> Result<u64>;
    /// Inserts a batch atomically; returns the ids given (consecutive) and the batch's
    /// sequence number.
    fn insert_batch(
        &mut self,
        entries: &[(Hash256, Option<u8>, Metadata)],
    ) -> Result<(Range<u64>, u64)>;
    /// Removes a batch atomically; returns the ids that existed (and are now removed) and
    /// the batch's sequence number.
    fn remove_batch(&mut self, ids: &[u64]) -> Result<(Vec<u64>, u64)>;
    /// Ids of the entries a selector matches, ascending.
    fn select(&self, selector: &Selector) -> Result<Vec<u64>>;
    /// One entry with its metadata.
    fn get(&self, id: u64) -> Result<Option<StoredEntry>>;
    /// Every present entry's id and hash, ascending by id, and the sequence they reflect.
    fn all_hashes(&self) -> Result<(Vec<(u64, Hash256)>, u64)>;
    /// What changed after sequence `after`.
    fn changes_since(&self, after: u64) -> Result<Changes>;
    /// Forgets removal records of batches up to `through` (readers older than that reload
    /// fully). Keeps the log from growing without bound.
    fn prune_changes(&mut self, through: u64) -> Result<()>;
    /// Moves the store's log into its main file and truncates the log (a no-op for stores
    /// without one).
    fn checkpoint(&self) -> Result<()> {
        Ok(())
    }
}
