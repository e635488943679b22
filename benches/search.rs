//! Search benchmark on a clustered synthetic set (issue 3).
//!
//! Environment:
//! * `MM_BENCH_N` — database size (default 1 000 000; 20 000 under `cargo bench -- --test`);
//! * `MM_BENCH_Q` — number of queries (default 1 000: FAISS's script times whole batches of
//!   1 000, so its `pairs_found` then covers exactly these queries);
//! * `MM_BENCH_DIR` — where `db.bin` / `queries.bin` (raw 32-byte hashes) and `db.mmdb` are
//!   written (default `$CARGO_TARGET_DIR/bench-data`, else `target/bench-data`);
//! * `MM_BENCH_SECONDS` — time budget per throughput figure (default 5, like the FAISS script);
//! * `MM_BENCH_STORE=1` — also the durable store (`db::Store`, SQLite): import of `N` entries
//!   with distinct content ids and labels, index-cache save, reader open to first query, and
//!   the latency of durable inserts (each committed, then visible) while 2 threads search, in
//!   single entries and batches (`MM_BENCH_INSERTS`, `MM_BENCH_BATCHES`), split into the
//!   store of record's part (SQLite's transaction and WAL `fsync`) and ours;
//! * `MM_BENCH_ONLY_STORE=1` — only that;
//! * `MM_BENCH_REUSE_STORE=1` — reuse the store the last run left (no import: open figures);
//! * `MM_BENCH_SEARCHERS` — threads searching during the insert-latency run (default 2);
//! * `MM_BENCH_SLOW_MS` — print each insert of that run slower than this many ms, with the
//!   wall-clock time it ended (to line up with `strace -f -tt -T` of the run);
//! * `MM_BENCH_MEM_INSERTS` — single inserts timed on an in-memory `Database` of `N` entries
//!   (the index side without the `fsync`; default 50 000, past the delta limit, so merges run).
//!
//! Prints one JSON line per figure to stdout (build time, heap bytes per hash, radius-31
//! queries/s on 1 thread and on all cores per strategy, for batches of 100 queries and for
//! single queries, pairs found, open time and open-to-first-query time), then runs criterion's
//! per-query latency groups. Compare with
//! `python ../shared/bench/faiss_reference.py DIR/db.bin DIR/queries.bin`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use mediamatch::db::store::SignalVisitor;
use mediamatch::db::{
    Changes, Database, Metadata, NewSignal, Selector, SignalEntry, SignalType, SqliteRecord, Store,
    StoreOfRecord, StoreReader, StoredEntry,
};
use mediamatch::index::{Index, IndexConfig, Strategy};
use mediamatch::Hash256;

#[path = "../tests/rng.rs"]
mod rng;
use rng::rng;

fn flip_random(mut h: Hash256, bits: u64, next: &mut impl FnMut() -> u64) -> Hash256 {
    for _ in 0..bits {
        let b = (next() % 256) as usize;
        h.set_bit(b, !h.bit(b));
    }
    h
}

/// Clusters of 1..=8 near-duplicates (0..=40 bits from a random centre), like real banks;
/// queries: 10 % copies of stored hashes at distance <= 25, 90 % unrelated hashes.
fn data(n: usize, q: usize) -> (Vec<Hash256>, Vec<Hash256>) {
    let mut next = rng(0x5eed);
    let mut db = Vec::with_capacity(n);
    while db.len() < n {
        let centre = Hash256::from_limbs([next(), next(), next(), next()]);
        let size = 1 + next() % 8;
        for _ in 0..size.min((n - db.len()) as u64) {
            let bits = next() % 41;
            db.push(flip_random(centre, bits, &mut next));
        }
    }
    let queries = (0..q)
        .map(|i| {
            if i % 10 == 0 {
                let src = db[(next() % n as u64) as usize];
                let bits = next() % 26;
                flip_random(src, bits, &mut next)
            } else {
                Hash256::from_limbs([next(), next(), next(), next()])
            }
        })
        .collect();
    (db, queries)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn out_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MM_BENCH_DIR") {
        return d.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data")
}

fn write_raw(path: &PathBuf, hashes: &[Hash256]) {
    let mut bytes = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        bytes.extend_from_slice(&h.to_bytes());
    }
    // Synced, so that the kernel's writeback of these files (320 MB at 10 M) does not land
    // in the timed store inserts below and queue their WAL syncs behind it.
    let mut f = std::fs::File::create(path).expect("create bench data");
    std::io::Write::write_all(&mut f, &bytes).expect("write bench data");
    f.sync_all().expect("sync bench data");
}

/// Queries per second over the queries (until the budget is spent): `batch` = `search_many`
/// in chunks of 100 queries, else one `search` per query (spread over the pool's threads).
fn throughput(
    index: &Index,
    queries: &[Hash256],
    threads: usize,
    batch: bool,
    budget: Duration,
) -> (f64, usize, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let run = |chunk: &[Hash256]| -> usize {
        if batch {
            index.search_many(chunk, 31).iter().map(Vec::len).sum()
        } else {
            use rayon::prelude::*;
            chunk.par_iter().map(|q| index.search(q, 31).len()).sum()
        }
    };
    pool.install(|| {
        // Warm-up: page in the tables and the look-up structures.
        run(&queries[..queries.len().min(8)]);
        let (mut done, mut pairs) = (0, 0);
        let t0 = Instant::now();
        let step = if batch { 100 } else { 4 * threads };
        for chunk in queries.chunks(step) {
            pairs += run(chunk);
            done += chunk.len();
            if t0.elapsed() > budget {
                break;
            }
        }
        (done as f64 / t0.elapsed().as_secs_f64(), done, pairs)
    })
}

/// The index side of single inserts at `n` entries, without the store's `fsync`: an in-memory
/// `Database`, each `insert` followed by `commit` (publish to readers), no thread searching.
/// More inserts than `IndexConfig::delta_limit` so that delta merges happen meanwhile.
fn memory_insert_figures(db: &[Hash256], inserts: usize) {
    let n = db.len();
    let mut database = Database::new();
    database
        .insert_many(db.iter().map(|h| (*h, Some(100), Metadata::new("bank"))))
        .expect("insert_many");
    database.commit();
    let mut next = rng(78);
    let mut lat = Vec::with_capacity(inserts);
    for i in 0..inserts {
        let h = Hash256::from_limbs([next(), next(), next(), next()]);
        let t = Instant::now();
        database
            .insert(
                h,
                Some(90),
                Metadata::new("live").content_id(format!("live-{i}")),
            )
            .expect("insert");
        database.commit();
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
    println!(
        "{{\"what\":\"memory_insert\",\"n\":{n},\"inserts\":{},\"delta_limit\":{},\"p50_ms\":{:.4},\"p99_ms\":{:.4},\"max_ms\":{:.2},\"over_1ms\":{},\"over_10ms\":{}}}",
        lat.len(),
        database.index().config().delta_limit,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        lat.iter().filter(|&&l| l > 1.0).count(),
        lat.iter().filter(|&&l| l > 10.0).count()
    );
}

/// The durable store at `n` entries: figures as JSON lines.
fn store_figures(db: &[Hash256], queries: &[Hash256], dir: &std::path::Path, inserts: usize) {
    let n = db.len();
    let path = dir.join("store.db");
    // MM_BENCH_REUSE_STORE=1: time the open of the store the last run left (no import).
    let reuse = std::env::var_os("MM_BENCH_REUSE_STORE").is_some() && path.exists();
    if !reuse {
        for suffix in ["", "-wal", "-shm", ".lock"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        for e in std::fs::read_dir(dir).expect("bench dir").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("store.db.index.") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let t = Instant::now();
    let mut store = Store::open(&path, IndexConfig::default()).expect("store");
    for (k, chunk) in db.chunks(1_000_000).enumerate().filter(|_| !reuse) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let id = k * 1_000_000 + i;
                let m = Metadata::new(format!("bank-{}", id % 7))
                    .content_id(format!("content-{id:09}"))
                    .label(format!("label-{}", id % 13));
                (*h, Some(100), m)
            })
            .collect();
        store.insert_many(entries).expect("import");
    }
    let import_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.save_index_cache().expect("cache");
    store.checkpoint().expect("checkpoint");
    let cache_s = t.elapsed().as_secs_f64();
    let store_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let heap = store.snapshot().heap_bytes();
    let rss_before = rss_bytes();
    let t = Instant::now();
    let reader = StoreReader::open(&path, IndexConfig::default()).expect("reader");
    let open_s = t.elapsed().as_secs_f64();
    let hits = reader.search(&queries[0], 31);
    for m in &hits {
        reader.get(m.id).expect("get");
    }
    let first_s = t.elapsed().as_secs_f64();
    // The reader's resident memory: what opening it added to this process.
    let reader_rss = rss_bytes().saturating_sub(rss_before);
    println!(
        "{{\"what\":\"store_reader_memory\",\"n\":{n},\"reader_resident_bytes_per_entry\":{:.1}}}",
        reader_rss as f64 / n as f64
    );
    println!(
        "{{\"what\":\"store\",\"n\":{n},\"import_s\":{import_s:.1},\"cache_save_s\":{cache_s:.2},\"sqlite_bytes_per_entry\":{:.0},\"index_heap_bytes_per_entry\":{:.1},\"reader_open_s\":{open_s:.3},\"open_to_first_answer_with_metadata_s\":{first_s:.3}}}",
        store_bytes as f64 / n as f64,
        heap as f64 / n as f64
    );
    drop(reader);
    drop(store);
    // Durable inserts while 2 threads search the published index, through a store of record
    // that times its own part (SQLite: the transaction and its WAL fsync).
    let timed = TimedRecord::open(&path);
    let sqlite_ms = timed.times.clone();
    let mut store =
        Store::with_record(&path, Box::new(timed), IndexConfig::default()).expect("store");
    let searchers_n = env_usize("MM_BENCH_SEARCHERS", 2);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searchers: Vec<_> = (0..searchers_n)
        .map(|t| {
            let r = store.reader();
            let stop = stop.clone();
            let qs = queries.to_vec();
            std::thread::spawn(move || {
                let mut done = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    r.snapshot().search(&qs[(done * 2 + t) % qs.len()], 31);
                    done += 1;
                }
                done
            })
        })
        .collect();
    // MM_BENCH_SLOW_MS: print each insert slower than this (ms) with its end time.
    let slow_log = std::env::var("MM_BENCH_SLOW_MS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok());
    let mut next = rng(77);
    let mut k = 0usize;
    let t = Instant::now();
    let mut runs = Vec::new();
    let (mut merges, mut merging) = (0, false);
    for (batch, count) in batch_plan(inserts) {
        let mut lat = Vec::with_capacity(count);
        sqlite_ms.lock().expect("times").clear();
        for _ in 0..count {
            let entries = (0..batch)
                .map(|_| {
                    k += 1;
                    let h = Hash256::from_limbs([next(), next(), next(), next()]);
                    let m = Metadata::new("live").content_id(format!("live-{k}"));
                    (h, Some(90), m)
                })
                .collect();
            let t = Instant::now();
            store.insert_many(entries).expect("insert");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            lat.push(ms);
            if slow_log.is_some_and(|l| ms > l) {
                // Wall-clock end, to line up with a system-call trace (`strace -tt`).
                let end = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                eprintln!("slow insert: batch {batch}, {ms:.2} ms, ended at {end:.6}");
            }
            let m = store.snapshot().index().merging();
            merges += usize::from(m && !merging);
            merging = m;
        }
        let sq = std::mem::take(&mut *sqlite_ms.lock().expect("times"));
        runs.push((batch, lat, sq));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?").to_string();
    // Still with the searching threads: concurrent callers.
    let mut store = concurrent_inserts(store, &mut next, n, &load);
    let wall = t.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let searched: usize = searchers.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    for (batch, mut lat, mut sq) in runs {
        // Ours: each call minus its SQLite part (same order), then sorted.
        let mut ours: Vec<f64> = lat.iter().zip(&sq).map(|(a, b)| a - b).collect();
        for v in [&mut lat, &mut sq, &mut ours] {
            v.sort_by(f64::total_cmp);
        }
        let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p) as usize];
        println!(
            "{{\"what\":\"store_insert\",\"n\":{n},\"batch\":{batch},\"searchers\":{searchers_n},\"calls\":{},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"over_10ms\":{},\"sqlite_p50_ms\":{:.2},\"sqlite_p99_ms\":{:.2},\"sqlite_max_ms\":{:.2},\"ours_p50_ms\":{:.3},\"ours_p99_ms\":{:.3},\"ours_max_ms\":{:.2},\"load\":{load}}}",
            lat.len(),
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            lat.iter().filter(|&&l| l > 10.0).count(),
            pct(&sq, 0.5),
            pct(&sq, 0.99),
            pct(&sq, 1.0),
            pct(&ours, 0.5),
            pct(&ours, 0.99),
            pct(&ours, 1.0),
        );
    }
    println!(
        "{{\"what\":\"store_insert_readers\",\"n\":{n},\"searchers\":{searchers_n},\"reader_searches_per_s\":{:.1},\"index_merges_started\":{merges}}}",
        searched as f64 / wall,
    );
    // A reader behind a 1 s refresher: time from each commit until its searches see it.
    let matcher = StoreReader::open(&path, IndexConfig::default())
        .expect("reader")
        .spawn_refresher(Duration::from_secs(1))
        .expect("refresher");
    let mut seen = Vec::new();
    for i in 0..env_usize("MM_BENCH_VISIBLE", if n < 100_000 { 3 } else { 20 }) {
        let h = Hash256::from_limbs([next(), next(), next(), next()]);
        let id = store
            .insert(
                h,
                Some(90),
                Metadata::new("live").content_id(format!("seen-{i}")),
            )
            .expect("insert");
        let t = Instant::now();
        while !matcher.search(&h, 0).iter().any(|m| m.id == id) {
            std::thread::sleep(Duration::from_millis(1));
        }
        seen.push(t.elapsed().as_secs_f64());
        std::thread::sleep(Duration::from_millis(next() % 700));
    }
    seen.sort_by(f64::total_cmp);
    println!(
        "{{\"what\":\"store_visible\",\"n\":{n},\"refresh_interval_s\":1,\"commits\":{},\"p50_s\":{:.3},\"max_s\":{:.3},\"refresh_failures\":{}}}",
        seen.len(),
        seen[seen.len() / 2],
        seen[seen.len() - 1],
        matcher.failures()
    );
}

/// `MM_BENCH_CALLERS` threads (default 4) inserting single entries at once, each call
/// timed until it is durable: through a `Mutex<Store>` (each caller waits for the commits
/// before its own), then through group commit (callers waiting together share one).
fn concurrent_inserts(store: Store, next: &mut impl FnMut() -> u64, n: usize, load: &str) -> Store {
    use std::sync::{Arc, Mutex};
    let callers = env_usize("MM_BENCH_CALLERS", 4);
    let per = env_usize(
        "MM_BENCH_CALLER_INSERTS",
        if n < 100_000 { 10 } else { 250 },
    );
    let mut work = |tag: &str| -> Vec<Vec<(Hash256, Option<u8>, Metadata)>> {
        (0..callers)
            .map(|c| {
                (0..per)
                    .map(|i| {
                        let h = Hash256::from_limbs([next(), next(), next(), next()]);
                        (
                            h,
                            Some(90),
                            Metadata::new("live").content_id(format!("{tag}-{c}-{i}")),
                        )
                    })
                    .collect()
            })
            .collect()
    };
    let report = |mode: &str, mut lat: Vec<f64>, wall: f64| {
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
        println!(
            "{{\"what\":\"store_concurrent_insert\",\"mode\":\"{mode}\",\"n\":{n},\"callers\":{callers},\"calls\":{},\"inserts_per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"over_10ms\":{},\"load\":{load}}}",
            lat.len(),
            lat.len() as f64 / wall,
            pct(0.5),
            pct(0.99),
            pct(1.0),
            lat.iter().filter(|&&l| l > 10.0).count()
        );
    };
    // A lock around the one writer.
    let shared = Arc::new(Mutex::new(store));
    let t = Instant::now();
    let lat = timed_callers(work("lock"), |e| {
        let s = shared.clone();
        move || {
            s.lock()
                .expect("store")
                .insert_many(vec![e])
                .expect("insert");
        }
    });
    report("mutex", lat, t.elapsed().as_secs_f64());
    let store = Arc::try_unwrap(shared)
        .expect("callers done")
        .into_inner()
        .expect("store");
    // Group commit.
    let group = store.into_group_commit().expect("group commit");
    let t = Instant::now();
    let lat = timed_callers(work("group"), |e| {
        let c = group.committer();
        move || {
            c.insert_many(vec![e]).expect("insert");
        }
    });
    report("group_commit", lat, t.elapsed().as_secs_f64());
    group.finish().expect("finish")
}

/// One thread per caller, each running its inserts one after the other; `call(entry)` makes
/// the insert of one entry (holding what it needs). Returns every call's latency in ms.
fn timed_callers<F, C>(work: Vec<Vec<(Hash256, Option<u8>, Metadata)>>, call: C) -> Vec<f64>
where
    C: Fn((Hash256, Option<u8>, Metadata)) -> F,
    F: FnOnce() + Send + 'static,
{
    let threads: Vec<_> = work
        .into_iter()
        .map(|mine| {
            let calls: Vec<F> = mine.into_iter().map(&call).collect();
            std::thread::spawn(move || {
                calls
                    .into_iter()
                    .map(|f| {
                        let t = Instant::now();
                        f();
                        t.elapsed().as_secs_f64() * 1e3
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|h| h.join().expect("caller"))
        .collect()
}

/// Resident set size of this process (Linux `/proc/self/status`; 0 elsewhere).
fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<usize>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// `MM_BENCH_BATCHES`: `SIZExCOUNT,…` (default: `1x{inserts},10x{inserts/10},100x200`, the
/// last one passing the delta limit so that a background merge runs meanwhile).
fn batch_plan(inserts: usize) -> Vec<(usize, usize)> {
    let spec = std::env::var("MM_BENCH_BATCHES")
        .unwrap_or_else(|_| format!("1x{inserts},10x{},100x200", (inserts / 10).max(1)));
    spec.split(',')
        .filter_map(|p| {
            let (b, c) = p.split_once('x')?;
            Some((b.trim().parse().ok()?, c.trim().parse().ok()?))
        })
        .filter(|&(b, c)| b > 0 && c > 0)
        .collect()
}

/// The SQLite store of record, timing each `insert_batch` (ms) for the latency split.
#[derive(Debug)]
struct TimedRecord {
    inner: SqliteRecord,
    times: std::sync::Arc<std::sync::Mutex<Vec<f64>>>,
}

impl TimedRecord {
    fn open(path: &std::path::Path) -> TimedRecord {
        TimedRecord {
            inner: SqliteRecord::open_writer(path).expect("writer"),
            times: Default::default(),
        }
    }

    /// Runs one write of the inner store, recording its time (ms).
    fn timed<R>(&mut self, f: impl FnOnce(&mut SqliteRecord) -> R) -> R {
        let t = Instant::now();
        let r = f(&mut self.inner);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        self.times.lock().expect("times").push(ms);
        r
    }
}

impl StoreOfRecord for TimedRecord {
    fn seq(&self) -> mediamatch::Result<u64> {
        self.inner.seq()
    }
    fn next_id(&self) -> mediamatch::Result<u64> {
        self.inner.next_id()
    }
    fn insert_batch(
        &mut self,
        entries: &[(Hash256, Option<u8>, Metadata)],
    ) -> mediamatch::Result<(std::ops::Range<u64>, u64)> {
        self.timed(|r| r.insert_batch(entries))
    }
    fn insert_batches(
        &mut self,
        batches: &[&[(Hash256, Option<u8>, Metadata)]],
    ) -> mediamatch::Result<Vec<(std::ops::Range<u64>, u64)>> {
        self.timed(|r| r.insert_batches(batches))
    }
    fn write_batch(
        &mut self,
        inserts: &[NewSignal],
        removes: &[u64],
    ) -> mediamatch::Result<(std::ops::Range<u64>, Vec<u64>, u64)> {
        self.inner.write_batch(inserts, removes)
    }
    fn get_signal(&self, id: u64) -> mediamatch::Result<Option<SignalEntry>> {
        self.inner.get_signal(id)
    }
    fn for_each_signal(&self, f: &mut SignalVisitor<'_>) -> mediamatch::Result<u64> {
        self.inner.for_each_signal(f)
    }
    fn find_value(
        &self,
        signal: SignalType,
        value: &[u8],
        source: Option<&str>,
    ) -> mediamatch::Result<Vec<u64>> {
        self.inner.find_value(signal, value, source)
    }
    fn remove_batch(&mut self, ids: &[u64]) -> mediamatch::Result<(Vec<u64>, u64)> {
        self.inner.remove_batch(ids)
    }
    fn select(&self, selector: &Selector) -> mediamatch::Result<Vec<u64>> {
        self.inner.select(selector)
    }
    fn get(&self, id: u64) -> mediamatch::Result<Option<StoredEntry>> {
        self.inner.get(id)
    }
    fn all_hashes(&self) -> mediamatch::Result<(Vec<(u64, Hash256)>, u64)> {
        self.inner.all_hashes()
    }
    fn changes_since(&self, after: u64) -> mediamatch::Result<Changes> {
        self.inner.changes_since(after)
    }
    fn prune_changes(&mut self, through: u64) -> mediamatch::Result<()> {
        self.inner.prune_changes(through)
    }
    fn checkpoint(&self) -> mediamatch::Result<()> {
        self.inner.checkpoint()
    }
}

fn main() {
    let test_mode = std::env::args().any(|a| a == "--test");
    let n = env_usize("MM_BENCH_N", if test_mode { 20_000 } else { 1_000_000 });
    let q = env_usize("MM_BENCH_Q", if test_mode { 200 } else { 1_000 });
    let budget = Duration::from_secs_f64(if test_mode {
        0.2
    } else {
        env_usize("MM_BENCH_SECONDS", 5) as f64
    });
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());

    let t0 = Instant::now();
    let (db, queries) = data(n, q);
    let dir = out_dir();
    std::fs::create_dir_all(&dir).expect("bench dir");
    write_raw(&dir.join("db.bin"), &db);
    write_raw(&dir.join("queries.bin"), &queries);
    eprintln!(
        "generated {n} hashes and {q} queries in {:.1?} -> {}",
        t0.elapsed(),
        dir.display()
    );

    if std::env::var_os("MM_BENCH_STORE").is_some() || test_mode {
        let inserts = env_usize("MM_BENCH_INSERTS", if test_mode { 50 } else { 2_000 });
        memory_insert_figures(
            &db,
            env_usize("MM_BENCH_MEM_INSERTS", if test_mode { 200 } else { 50_000 }),
        );
        store_figures(&db, &queries, &dir, inserts);
        if std::env::var_os("MM_BENCH_ONLY_STORE").is_some() {
            return;
        }
    }

    let items = || db.iter().enumerate().map(|(i, h)| (i as u64, *h));
    let mut indexes = Vec::new();
    for (name, config) in [
        // The default: Auto within the 48 bytes/hash budget = flat scan, batches cache-blocked.
        ("auto-48B", IndexConfig::default()),
        // Opt-in: the 16 multi-index tables (about 104 bytes/hash).
        (
            "multi-index",
            IndexConfig::default().strategy(Strategy::MultiIndex),
        ),
    ] {
        let t = Instant::now();
        let index = Index::build_with_config(items(), config).expect("build");
        let build_s = t.elapsed().as_secs_f64();
        println!(
            "{{\"what\":\"build\",\"strategy\":\"{name}\",\"n\":{n},\"distinct\":{},\"build_s\":{build_s:.3},\"heap_bytes\":{},\"bytes_per_hash\":{:.1},\"kernel\":\"{}\"}}",
            index.distinct_hashes(),
            index.heap_bytes(),
            index.heap_bytes() as f64 / n as f64,
            index.kernel()
        );
        indexes.push((name, index));
    }
    let mut counts = Vec::new();
    for (name, index) in &indexes {
        for batch in [true, false] {
            for threads in [1, cores] {
                let (qps, done, pairs) = throughput(index, &queries, threads, batch, budget);
                let mode = if batch { "batch100" } else { "single" };
                println!(
                    "{{\"what\":\"search\",\"strategy\":\"{name}\",\"mode\":\"{mode}\",\"n\":{n},\"radius\":31,\"threads\":{threads},\"queries_timed\":{done},\"queries_per_s\":{qps:.1},\"pairs_found\":{pairs}}}"
                );
                if done == queries.len() {
                    counts.push(pairs);
                }
            }
        }
    }
    assert!(
        counts.windows(2).all(|w| w[0] == w[1]),
        "strategies disagree: {counts:?}"
    );

    // Database file: save, then time a checked open and the first search after it.
    let mut database = Database::new();
    database
        .insert_many(db.iter().map(|h| (*h, Some(100), Metadata::new("bench"))))
        .expect("insert");
    let path = dir.join("db.mmdb");
    let t = Instant::now();
    database.save(&path).expect("save");
    let save_s = t.elapsed().as_secs_f64();
    let db_bytes = database.heap_bytes() as f64 / n as f64;
    drop(database);
    let t = Instant::now();
    let opened = Database::open(&path).expect("open");
    let open_s = t.elapsed().as_secs_f64();
    let single = opened.search(&queries[0], 31);
    let first_s = t.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let first = opened.search_many(&queries[..100], 31);
    let batch_s = t1.elapsed().as_secs_f64();
    assert_eq!(first[0], single);
    println!(
        "{{\"what\":\"file\",\"n\":{n},\"file_bytes\":{},\"save_s\":{save_s:.3},\"open_s\":{open_s:.3},\"open_to_first_query_s\":{first_s:.3},\"then_batch100_s\":{batch_s:.3},\"db_bytes_per_hash\":{db_bytes:.1},\"opened_db_bytes_per_hash\":{:.1}}}",
        std::fs::metadata(&path).map_or(0, |m| m.len()),
        opened.heap_bytes() as f64 / n as f64
    );
    drop(opened);

    // Per-query latency with criterion.
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    for (name, index) in &indexes {
        let mut i = 0;
        c.bench_function(&format!("search_r31/{name}/n={n}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                index.search(&queries[i], 31)
            })
        });
        let mut i = 0;
        c.bench_function(&format!("dihedral8_r31/{name}/n={n}"), |b| {
            b.iter(|| {
                i = (i + 8) % (queries.len() - 8);
                index.search_dihedral(&queries[i..i + 8], 31)
            })
        });
    }
    c.final_summary();
}
