//! The store-of-record trait: what a durable, shared home for the entries must provide so
//! that [`Store`](super::Store) and [`StoreReader`](super::StoreReader) can keep an
//! in-memory index in step with it. [`SqliteRecord`](super::SqliteRecord) implements it; a
//! networked store (PostgreSQL) would implement the same.

use std::ops::Range;

use crate::db::Metadata;
use crate::error::{Error, Result};
use crate::filehash::ExactAlg;
use crate::hash::Hash256;

/// What kind of signal an entry's value is (the `signal` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignalType {
    /// A 256-bit PDQ hash (the value is its 32 bytes, limb 0 first, little-endian).
    Pdq,
    /// MD5 of a file's bytes (the value is the 16-byte digest).
    Md5,
    /// SHA-1 of a file's bytes (20 bytes).
    Sha1,
    /// SHA-256 of a file's bytes (32 bytes).
    Sha256,
    /// SHA-512 of a file's bytes (64 bytes).
    Sha512,
    /// A TMK+PDQF video feature (the value is the `.tmk` file's bytes).
    Tmk,
}

impl SignalType {
    /// Every stored signal type.
    pub const ALL: [SignalType; 6] = [
        SignalType::Pdq,
        SignalType::Md5,
        SignalType::Sha1,
        SignalType::Sha256,
        SignalType::Sha512,
        SignalType::Tmk,
    ];

    /// The name stored in the `signal` column.
    pub fn name(self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Md5 => "md5",
            SignalType::Sha1 => "sha1",
            SignalType::Sha256 => "sha256",
            SignalType::Sha512 => "sha512",
            SignalType::Tmk => "tmk",
        }
    }

    /// The type stored under a `signal` column name.
    pub fn from_name(name: &str) -> Option<SignalType> {
        SignalType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The signal type of an exact digest algorithm.
    pub fn of_exact(alg: ExactAlg) -> SignalType {
        match alg {
            ExactAlg::Md5 => SignalType::Md5,
            ExactAlg::Sha1 => SignalType::Sha1,
            ExactAlg::Sha256 => SignalType::Sha256,
            ExactAlg::Sha512 => SignalType::Sha512,
        }
    }

    /// The exact digest algorithm of the exact types.
    pub fn exact_alg(self) -> Option<ExactAlg> {
        match self {
            SignalType::Md5 => Some(ExactAlg::Md5),
            SignalType::Sha1 => Some(ExactAlg::Sha1),
            SignalType::Sha256 => Some(ExactAlg::Sha256),
            SignalType::Sha512 => Some(ExactAlg::Sha512),
            SignalType::Pdq | SignalType::Tmk => None,
        }
    }
}

/// A stored entry of any signal type, with its value's bytes (see [`SignalType`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignalEntry {
    /// Stable id (never reused; shared by all signal types).
    pub id: u64,
    /// What kind of signal.
    pub signal: SignalType,
    /// The value's bytes.
    pub value: Vec<u8>,
    /// Quality 0..=100, if known.
    pub quality: Option<u8>,
    /// What is known about the content.
    pub metadata: Metadata,
}

/// One entry to insert with [`StoreOfRecord::write_batch`]: signal type, value bytes,
/// quality, metadata.
pub type NewSignal = (SignalType, Vec<u8>, Option<u8>, Metadata);

/// The visitor of [`StoreOfRecord::for_each_signal`]: `(id, signal, value)`.
pub type SignalVisitor<'a> = dyn FnMut(u64, SignalType, &[u8]) -> Result<()> + 'a;

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
    /// An entry of a signal type other than PDQ was inserted (and is still present); its
    /// value is read with [`StoreOfRecord::get_signal`].
    Signal {
        /// The batch's change sequence number.
        seq: u64,
        /// The entry's id.
        id: u64,
        /// Its signal type.
        signal: SignalType,
    },
}

impl Change {
    /// The change sequence number of the batch this change belongs to.
    pub fn seq(&self) -> u64 {
        match *self {
            Change::Insert { seq, .. }
            | Change::Remove { seq, .. }
            | Change::Signal { seq, .. } => seq,
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
    /// Inserts entries of any signal type and removes ids, all in one atomic batch (removals
    /// first); returns the ids given (consecutive), the ids removed and the batch's sequence.
    /// A batch that changes nothing gets no new sequence number. Stores that only hold PDQ
    /// return an error.
    fn write_batch(
        &mut self,
        inserts: &[NewSignal],
        removes: &[u64],
    ) -> Result<(Range<u64>, Vec<u64>, u64)> {
        let _ = (inserts, removes);
        Err(Error::invalid(
            "this store of record holds only PDQ entries",
        ))
    }
    /// One entry of any signal type with its value. Stores that only hold PDQ return it
    /// through [`StoreOfRecord::get`].
    fn get_signal(&self, id: u64) -> Result<Option<SignalEntry>> {
        Ok(self.get(id)?.map(|e| SignalEntry {
            id: e.id,
            signal: SignalType::Pdq,
            value: e
                .hash
                .limbs()
                .iter()
                .flat_map(|l| l.to_le_bytes())
                .collect(),
            quality: e.quality,
            metadata: e.metadata,
        }))
    }
    /// Calls `f(id, signal, value)` for every present entry that is not PDQ, ascending by
    /// id, and returns the sequence they reflect. A TMK value may be cut after its pure
    /// average (header, periods, coefficients and average are all the index needs).
    fn for_each_signal(&self, f: &mut SignalVisitor<'_>) -> Result<u64> {
        let _ = f;
        self.seq()
    }
    /// Ids of the entries of this signal type and value, optionally only of one source,
    /// ascending.
    fn find_value(
        &self,
        signal: SignalType,
        value: &[u8],
        source: Option<&str>,
    ) -> Result<Vec<u64>> {
        let _ = (signal, value, source);
        Ok(Vec::new())
    }
    /// Moves the store's log into its main file and truncates the log (a no-op for stores
    /// without one).
    fn checkpoint(&self) -> Result<()> {
        Ok(())
    }
    /// Inserts several batches in one atomic, durable write (group commit: one `fsync` for
    /// all); each batch gets its own consecutive ids and the next sequence number, in order.
    /// Returns them per batch.
    ///
    /// Required, with no default: a default that wrote each batch on its own would make a
    /// [`GroupCommit`](super::GroupCommit) pay one commit per caller, one after the other,
    /// and silently lose what group commit is for (a wrapper that forgot to forward it made
    /// every grouped caller wait for all the commits of its group).
    fn insert_batches(
        &mut self,
        batches: &[&[(Hash256, Option<u8>, Metadata)]],
    ) -> Result<Vec<(Range<u64>, u64)>>;
}
