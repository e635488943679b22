//! [`Refresher`]: a [`StoreReader`] kept current by a background thread, so that a matcher
//! sees what the writer commits without calling [`StoreReader::refresh`] itself.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::StoreReader;
use crate::db::Reader;
use crate::error::{Error, Result};
use crate::hash::Hash256;
use crate::index::Match;

/// What the refresh thread and the handle share.
#[derive(Debug, Default)]
struct Shared {
    stop: Mutex<bool>,
    wake: Condvar,
    /// Refreshes that failed, and the latest failure not yet taken.
    failures: Mutex<(u64, Option<Error>)>,
}

/// A [`StoreReader`] that a background thread refreshes every `interval` (see
/// [`StoreReader::spawn_refresher`]); the thread stops when this is dropped.
///
/// Searches go through [`Refresher::reader`] (lock-free snapshots, each one the state after
/// a refresh), so a request thread never waits for a refresh; [`Refresher::lock`] gives the
/// reader itself for metadata look-ups (`get`, `select`), waiting for a refresh in progress.
/// A committed insert or removal is searchable at most about one `interval` (plus the time
/// to read it) after its commit. A refresh that fails (e.g. the disk is unreadable for a
/// moment) is retried on the next tick and counted ([`Refresher::failures`]).
///
/// ```
/// use std::time::{Duration, Instant};
/// use mediamatch::{Hash256, db::{Metadata, Store, StoreReader}, index::IndexConfig};
/// let dir = std::env::temp_dir().join(format!("refresher-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bank.db");
/// let mut store = Store::open(&path, IndexConfig::default())?;
/// let matcher = StoreReader::open(&path, IndexConfig::default())?
///     .spawn_refresher(Duration::from_millis(50))?;
/// let h = Hash256::from_limbs([9, 9, 9, 9]);
/// let id = store.insert(h, Some(80), Metadata::new("bank"))?;
/// let t = Instant::now();
/// while matcher.search(&h, 0).is_empty() && t.elapsed() < Duration::from_secs(30) {
///     std::thread::sleep(Duration::from_millis(10)); // no refresh() call: the thread does it
/// }
/// assert_eq!(matcher.search(&h, 0)[0].id, id);
/// assert!(matcher.lock().get(id)?.is_some());
/// # drop((store, matcher)); std::fs::remove_dir_all(&dir)?;
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
pub struct Refresher {
    inner: Arc<Mutex<StoreReader>>,
    reader: Reader,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

fn unpoison<T>(r: std::result::Result<T, PoisonError<T>>) -> T {
    r.unwrap_or_else(PoisonError::into_inner)
}

impl StoreReader {
    /// Moves this reader behind a [`Refresher`]: a thread that calls
    /// [`StoreReader::refresh`] every `interval` (at least 1 ms) until the refresher is
    /// dropped. A fleet's matcher processes each run one (e.g. with a 1 s interval).
    pub fn spawn_refresher(self, interval: Duration) -> Result<Refresher> {
        let interval = interval.max(Duration::from_millis(1));
        let reader = self.reader();
        let inner = Arc::new(Mutex::new(self));
        let shared = Arc::new(Shared::default());
        let (r, s) = (inner.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("mediamatch-store-refresh".into())
            .spawn(move || loop {
                {
                    let stop = unpoison(s.stop.lock());
                    let (stop, _) = unpoison(s.wake.wait_timeout_while(stop, interval, |st| !*st));
                    if *stop {
                        return;
                    }
                }
                if let Err(e) = unpoison(r.lock()).refresh() {
                    let mut f = unpoison(s.failures.lock());
                    f.0 += 1;
                    f.1 = Some(e);
                }
            })
            .map_err(|e| Error::io(None, e))?;
        Ok(Refresher {
            inner,
            reader,
            shared,
            thread: Some(thread),
        })
    }
}

impl Refresher {
    /// A handle for search threads: each snapshot is the index after the latest refresh.
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// Exact radius search over the index after the latest refresh (lock-free).
    pub fn search(&self, query: &Hash256, max_distance: u32) -> Vec<Match> {
        self.reader.snapshot().search(query, max_distance)
    }

    /// The reader itself (metadata look-ups, `seq`); a refresh in progress finishes first.
    pub fn lock(&self) -> MutexGuard<'_, StoreReader> {
        unpoison(self.inner.lock())
    }

    /// How many refreshes have failed so far.
    pub fn failures(&self) -> u64 {
        unpoison(self.shared.failures.lock()).0
    }

    /// The latest refresh failure not yet taken, if any.
    pub fn take_error(&self) -> Option<Error> {
        unpoison(self.shared.failures.lock()).1.take()
    }

    /// Stops the thread, waiting for a refresh in progress (as dropping does).
    fn halt(&mut self) {
        *unpoison(self.shared.stop.lock()) = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.halt();
    }
}
