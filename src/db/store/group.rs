//! Group commit: many threads inserting into one [`Store`], each insert acknowledged only
//! once it is durable, several callers' batches sharing one transaction and one `fsync`.
//!
//! A [`Store`] has one writer (`&mut self`); callers on several threads would otherwise queue
//! behind a lock, each paying a whole `fsync` after the ones before it. Here one commit thread
//! owns the store: it takes every request waiting when it is free (up to
//! [`GroupCommit::MAX_GROUP_ENTRIES`] entries), writes the inserts among them in one atomic
//! transaction ([`Store::insert_batches`]: each caller's batch still gets its own ids and
//! sequence number), and answers each caller after the commit. A caller thus waits for at
//! most the write in progress and its own, however many callers there are.

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use super::Store;
use crate::db::{Metadata, Reader};
use crate::error::{Error, Result, StoreError, StoreErrorKind};
use crate::hash::Hash256;

type Entries = Vec<(Hash256, Option<u8>, Metadata)>;

#[derive(Debug)]
enum Request {
    Insert(Entries, SyncSender<Result<Range<u64>>>),
    Remove(Vec<u64>, SyncSender<Result<Vec<u64>>>),
}

/// A [`Store`] moved to a commit thread, for many threads inserting at once (group commit);
/// make [`Committer`]s for the threads that insert. Dropping it (or [`GroupCommit::finish`])
/// commits what was asked before and stops the thread.
///
/// The commit thread takes every request waiting when it is free (up to
/// [`GroupCommit::MAX_GROUP_ENTRIES`] entries), writes the inserts among them in one atomic
/// transaction with one `fsync` ([`Store::insert_batches`]: each caller's batch still gets
/// its own ids and sequence number), and answers each caller once that is durable. A batch
/// with an invalid quality is refused alone, before it joins a group. A caller waits for at
/// most the write in progress and its own, instead of one `fsync` per caller ahead of it.
///
/// ```
/// use mediamatch::{Hash256, db::{Metadata, Store}, index::IndexConfig};
/// let dir = std::env::temp_dir().join(format!("group-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let group = Store::open(dir.join("bank.db"), IndexConfig::default())?.into_group_commit()?;
/// let threads: Vec<_> = (0..4u64)
///     .map(|t| {
///         let c = group.committer();
///         std::thread::spawn(move || c.insert(Hash256::from_limbs([t, 1, 2, 3]), Some(90), Metadata::new("bank")))
///     })
///     .collect();
/// for t in threads {
///     let id = t.join().unwrap()?; // durable here
///     assert!(group.reader().snapshot().index().contains(id));
/// }
/// let store = group.finish()?;
/// assert_eq!(store.snapshot().len(), 4);
/// # drop(store); std::fs::remove_dir_all(&dir)?;
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
pub struct GroupCommit {
    committer: Committer,
    reader: Reader,
    thread: Option<JoinHandle<Store>>,
}

/// A handle through which one thread inserts into a [`GroupCommit`]'s store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Committer {
    tx: Sender<Option<Request>>,
}

fn stopped() -> Error {
    StoreError::new(StoreErrorKind::Backend, "the group commit has been stopped").into()
}

impl Store {
    /// Moves the store to a commit thread for concurrent callers (group commit).
    pub fn into_group_commit(self) -> Result<GroupCommit> {
        let reader = self.reader();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("mediamatch-group-commit".into())
            .spawn(move || run(self, rx))
            .map_err(|e| Error::io(None, e))?;
        Ok(GroupCommit {
            committer: Committer { tx },
            reader,
            thread: Some(thread),
        })
    }
}

impl GroupCommit {
    /// The most entries one group transaction takes (further requests wait for the next).
    pub const MAX_GROUP_ENTRIES: usize = 10_000;

    /// A handle for a thread that inserts or removes.
    pub fn committer(&self) -> Committer {
        self.committer.clone()
    }

    /// A handle for search threads: the index after each group.
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// Commits every request made before this call, stops the thread and returns the
    /// store. Later requests through committers get an error.
    pub fn finish(mut self) -> Result<Store> {
        self.stop().ok_or_else(stopped)
    }

    fn stop(&mut self) -> Option<Store> {
        let _ = self.committer.tx.send(None);
        self.thread.take()?.join().ok()
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Committer {
    /// Inserts a batch atomically; returns once it is durable (see [`Store::insert_many`]).
    pub fn insert_many(&self, entries: Vec<(Hash256, Option<u8>, Metadata)>) -> Result<Range<u64>> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx
            .send(Some(Request::Insert(entries, tx)))
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }

    /// Inserts one entry; returns its id once it is durable.
    pub fn insert(&self, hash: Hash256, quality: Option<u8>, metadata: Metadata) -> Result<u64> {
        Ok(self.insert_many(vec![(hash, quality, metadata)])?.start)
    }

    /// Removes entries atomically (in order with this committer's other requests); returns
    /// the ids that existed, once durable.
    pub fn remove_many(&self, ids: &[u64]) -> Result<Vec<u64>> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx
            .send(Some(Request::Remove(ids.to_vec(), tx)))
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }
}

/// The commit thread: takes what is waiting, commits inserts in groups (removals on their
/// own, in order), answers, until asked to stop.
fn run(mut store: Store, rx: Receiver<Option<Request>>) -> Store {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(r) => r,
            None => match rx.recv() {
                Ok(Some(r)) => r,
                Ok(None) | Err(_) => return store,
            },
        };
        match first {
            Request::Remove(ids, reply) => {
                let _ = reply.send(store.remove_many(&ids));
            }
            Request::Insert(entries, reply) => {
                let mut total = 0;
                let mut group = Vec::new();
                admit(&mut group, &mut total, entries, reply);
                let mut stop = false;
                while total < GroupCommit::MAX_GROUP_ENTRIES {
                    match rx.try_recv() {
                        Ok(Some(Request::Insert(e, r))) => admit(&mut group, &mut total, e, r),
                        Ok(Some(other)) => {
                            next = Some(other);
                            break;
                        }
                        Ok(None) => {
                            stop = true;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_group(&mut store, group);
                if stop {
                    return store;
                }
            }
        }
    }
}

type Group = Vec<(Entries, SyncSender<Result<Range<u64>>>)>;

/// Adds a request to the group, or refuses it at once if it is invalid (so that one
/// caller's bad batch never fails the others').
fn admit(
    group: &mut Group,
    total: &mut usize,
    entries: Entries,
    reply: SyncSender<Result<Range<u64>>>,
) {
    if entries.iter().any(|(_, q, _)| q.is_some_and(|q| q > 100)) {
        let _ = reply.send(Err(Error::invalid("quality must be 0..=100")));
        return;
    }
    *total += entries.len();
    group.push((entries, reply));
}

fn commit_group(store: &mut Store, group: Group) {
    if group.is_empty() {
        return;
    }
    let (batches, replies): (Vec<Entries>, Vec<_>) = group.into_iter().unzip();
    match store.insert_batches(batches) {
        Ok(ids) => {
            for (r, ids) in replies.into_iter().zip(ids) {
                let _ = r.send(Ok(ids));
            }
        }
        Err(e) => {
            // The group is one transaction: every caller gets the failure.
            let detail = format!("the group commit of this batch failed: {e}");
            let mut first = Some(e);
            for r in replies {
                let err = first.take().unwrap_or_else(|| {
                    StoreError::new(StoreErrorKind::Backend, detail.clone()).into()
                });
                let _ = r.send(Err(err));
            }
        }
    }
}
