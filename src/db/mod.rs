//! The hash database: entries (hash, quality, metadata about the known content) under stable
//! ids, an exact search [`Index`](crate::index::Index) over them, a checked file format, and hash-list import.
//!
//! # Two ways to keep a bank
//!
//! * [`Store`] (in [`store`]) — the **store of record** for production: SQLite in WAL mode
//!   as the source of truth, every acknowledged insert and removal durable on return, atomic
//!   batches, one writer (a second gets [`StoreErrorKind::Locked`](crate::error::StoreErrorKind::Locked)) and any number of
//!   read-only [`StoreReader`]s in other processes that tail the change sequence
//!   ([`StoreReader::refresh`]) instead of reloading. No header limit: metadata lives in
//!   SQLite, the search index in memory, with a cache file of the index for fast opens.
//!   Banks: [`Selector`] lists or removes by source, content id or label;
//!   [`Store::changes_since`] gives what changed after a checkpoint. The store of record is
//!   behind the [`StoreOfRecord`] trait so a networked one can follow.
//! * [`Database`] — an in-memory database saved as one `.mmdb` file ([`format`](mod@format)): for
//!   tools, tests and snapshots. Changes since the last [`Database::save`] are lost in a
//!   crash. [`Store::import_database`] migrates a `.mmdb` file into a store.
//!
//! A fleet: one writer process (the ingestion service: imports, exchange sync, removals)
//! owns the store; every matcher process on the same host opens a [`StoreReader`], calls
//! [`StoreReader::refresh`] every second or so (a committed insert is searchable within
//! that), searches through [`StoreReader::reader`] snapshots on its request threads, and
//! reads the metadata of hits with [`StoreReader::get`].
//!
//! # Model
//!
//! Every inserted hash is an *entry* with a new id (0, 1, 2, … never reused), an optional
//! quality (hashes imported from lists may have none) and [`Metadata`]: the bank or source,
//! the external content id, labels, and the media kind (image, or video frame with the video
//! id and timestamp). The same hash from several sources is several entries, each with its own
//! metadata, so nothing is lost; [`Snapshot::search`] returns all of them. The index and the
//! file store such a hash once, however many entries share it (see [`crate::index`]).
//!
//! # Memory
//!
//! Per entry, a snapshot holds about 45 bytes on the heap: the index (32-byte hash and 8-byte
//! id per distinct hash, one removal bit; see [`crate::index`] for the opt-in multi-index
//! tables), the quality byte and a 4-byte reference into a table of distinct metadata records
//! ([`Snapshot::heap_bytes`]).
//!
//! # Readers and the writer (in one process)
//!
//! A [`Database`] is the single writer. Its changes are visible to its own searches at once,
//! and to [`Reader`]s after [`Database::commit`], which publishes an immutable [`Snapshot`]
//! through an `ArcSwap`: readers on any thread take the current snapshot without locking and
//! keep searching it while the writer goes on. Snapshots share all unchanged data with the
//! writer (see [`crate::index`] for how updates avoid full rebuilds).
//!
//! # Files
//!
//! [`Database::save`] writes the format described in [`format`](mod@format) atomically
//! (temporary file, `fsync`, read back and verified, rename, directory `fsync`; temporary
//! files of killed saves are removed at the next open); [`Database::open`] checks magic,
//! version, lengths and a CRC-32 of the whole file before returning anything. Files of format
//! versions 2 and 3 (the current one) hold each distinct hash once, in the order the index keeps
//! them, so an opened database is ready to search without building anything; version-1
//! files are still read (equal hashes are then grouped while opening).
//!
//! ```
//! use mediamatch::{Hash256, db::{Database, Metadata}};
//! let h: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
//! let mut db = Database::new();
//! let id = db.insert(h, Some(100), Metadata::new("bank-a").content_id("case-17"))?;
//! db.insert(h, None, Metadata::new("bank-b").label("imported"))?;
//! let reader = db.reader();
//! db.commit();
//! let snap = reader.snapshot();
//! let hits = snap.search(&h, 31);
//! assert_eq!(hits.len(), 2);
//! assert_eq!(snap.get(id).unwrap().metadata.content_id.as_deref(), Some("case-17"));
//!
//! let path = std::env::temp_dir().join(format!("doc-{}.mmdb", std::process::id()));
//! db.save(&path)?;
//! let back = Database::open(&path)?;
//! assert_eq!(back.len(), 2);
//! # std::fs::remove_file(&path)?;
//! Ok::<(), mediamatch::Error>(())
//! ```

mod atomic;
mod database;
mod file;
pub mod format;
mod import;
mod metadata;
mod slots;
mod snapshot;
pub mod store;

pub use database::Database;
pub use metadata::{MediaKind, Metadata};
pub use snapshot::{Entry, Reader, Snapshot};
pub use store::{
    Applied, Change, Changes, Committer, GroupCommit, NewSignal, Refresher, Selector, SignalEntry,
    SignalType, SqliteRecord, Store, StoreOfRecord, StoreReader, StoredEntry,
};

pub use import::{
    read_hash_list, write_entry_list, write_hash_list, HashList, ImportOptions, ImportReport,
    ListFormat, ListRow, OnBadLine,
};
