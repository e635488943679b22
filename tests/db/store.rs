//! The durable store: writer lock, readers tailing the change sequence, banks, index
//! caches, migration, and the kill test (a writer SIGKILLed at random instants).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mediamatch::db::{Database, Metadata, Selector, Store, StoreReader};
use mediamatch::error::StoreErrorKind;
use mediamatch::index::IndexConfig;
use mediamatch::{Error, Hash256};

use crate::rng::rng;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mm-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The hash the kill-test writer gives id `id` (SplitMix64 of the id: independent of the
/// store, so the parent can check every stored hash).
fn hash_of(id: u64) -> Hash256 {
    let mut next = rng(id ^ 0x5eed);
    Hash256::from_limbs([next(), next(), next(), next()])
}

/// Brute-force oracle: ids within `radius` of `q` among `model`.
fn brute(model: &BTreeMap<u64, Hash256>, q: &Hash256, radius: u32) -> Vec<u64> {
    model
        .iter()
        .filter(|(_, h)| h.distance(q) <= radius)
        .map(|(&id, _)| id)
        .collect()
}

fn hits(m: Vec<mediamatch::index::Match>) -> Vec<u64> {
    let mut v: Vec<u64> = m.into_iter().map(|m| m.id).collect();
    v.sort_unstable();
    v
}

#[test]
fn second_writer_gets_a_typed_error() {
    let dir = fresh_dir("lock");
    let path = dir.join("bank.db");
    let store = Store::open(&path, IndexConfig::default()).unwrap();
    match Store::open(&path, IndexConfig::default()) {
        Err(Error::Store(e)) => {
            assert_eq!(e.kind(), &StoreErrorKind::Locked);
            assert_eq!(e.path(), Some(path.as_path()));
        }
        other => panic!("second writer: {other:?}"),
    }
    drop(store);
    assert!(Store::open(&path, IndexConfig::default()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn readers_tail_inserts_and_removals() {
    let dir = fresh_dir("tail");
    let path = dir.join("bank.db");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut model = BTreeMap::new();
    let batch = |start: u64, n: u64, bank: &str| -> Vec<_> {
        (start..start + n)
            .map(|i| {
                let m = Metadata::new(bank)
                    .content_id(format!("c{i}"))
                    .label(if i % 2 == 0 { "even" } else { "odd" });
                (hash_of(i), Some((i % 101) as u8), m)
            })
            .collect()
    };
    let ids = store.insert_many(batch(0, 100, "a")).unwrap();
    for id in ids {
        model.insert(id, hash_of(id));
    }
    let mut reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    assert_eq!(reader.snapshot().len(), 100);
    let ids = store.insert_many(batch(100, 50, "b")).unwrap();
    assert_eq!(ids, 100..150);
    for id in ids {
        model.insert(id, hash_of(id));
    }
    let removed = store.remove_many(&[3, 4, 200, 3]).unwrap();
    assert_eq!(removed, [3, 4]);
    model.remove(&3);
    model.remove(&4);
    assert_eq!(reader.snapshot().len(), 100, "not refreshed yet");
    assert!(reader.refresh().unwrap() > 0);
    assert_eq!(reader.seq(), store.seq());
    let mut next = rng(9);
    for _ in 0..20 {
        let q = Hash256::from_limbs([next(), next(), next(), next()]);
        assert_eq!(hits(reader.search(&q, 120)), brute(&model, &q, 120));
    }
    for id in [0u64, 120, 149] {
        assert_eq!(hits(reader.search(&hash_of(id), 0)), [id]);
        let e = reader.get(id).unwrap().unwrap();
        assert_eq!((e.hash, e.quality), (hash_of(id), Some((id % 101) as u8)));
        assert_eq!(e.metadata.content_id, Some(format!("c{id}")));
    }
    // Banks: list by source, content id, label; remove a whole bank.
    assert_eq!(
        store.select(&Selector::Source("b".into())).unwrap(),
        (100..150).collect::<Vec<_>>()
    );
    assert_eq!(
        store.select(&Selector::ContentId("c7".into())).unwrap(),
        [7]
    );
    let odd = store.select(&Selector::Label("odd".into())).unwrap();
    assert_eq!(odd.len(), 74); // 75 odd ids, minus the removed 3
    let checkpoint = store.seq();
    let gone = store
        .remove_selected(&Selector::Source("a".into()))
        .unwrap();
    assert_eq!(gone.len(), 98);
    let c = store.changes_since(checkpoint).unwrap();
    assert!(!c.reload);
    assert_eq!(c.changes.len(), 98);
    reader.refresh().unwrap();
    assert_eq!(reader.snapshot().len(), 50);
    assert!(reader.get(0).unwrap().is_none());
    // Pruning the removal log past the reader makes it reload fully, to the same state.
    let more = store.insert_many(batch(150, 5, "c")).unwrap();
    store.remove_many(&[more.start]).unwrap();
    store.prune_changes(store.seq()).unwrap();
    assert!(reader.refresh().unwrap() >= 54);
    assert_eq!(reader.snapshot().len(), 54);
    assert!(reader.search(&hash_of(more.start), 0).is_empty());
    store.checkpoint().unwrap();
    // A reader cannot write.
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Open from the index cache plus the changes after it gives the same index as a full
/// load; older caches are removed.
#[test]
fn index_cache_plus_tail_equals_full_load() {
    let dir = fresh_dir("cache");
    let path = dir.join("bank.db");
    let mut model = BTreeMap::new();
    {
        let mut store = Store::open(&path, IndexConfig::default()).unwrap();
        let ids = store
            .insert_many(
                (0..500)
                    .map(|i| (hash_of(i), None, Metadata::new("a")))
                    .collect(),
            )
            .unwrap();
        ids.for_each(|id| {
            model.insert(id, hash_of(id));
        });
        let first = store.save_index_cache().unwrap();
        store.remove_many(&[1, 2]).unwrap();
        let second = store.save_index_cache().unwrap();
        assert!(!first.exists() && second.exists());
        let ids = store
            .insert_many(
                (500..520)
                    .map(|i| (hash_of(i), None, Metadata::new("b")))
                    .collect(),
            )
            .unwrap();
        ids.for_each(|id| {
            model.insert(id, hash_of(id));
        });
        store.remove_many(&[7]).unwrap();
    }
    for id in [1, 2, 7] {
        model.remove(&id);
    }
    let reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    let got: BTreeMap<u64, Hash256> = reader.snapshot().index().iter().collect();
    assert_eq!(got, model);
    assert_eq!(reader.snapshot().next_id(), 520);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mmdb_fixtures_migrate_into_a_store() {
    let dir = fresh_dir("migrate");
    for name in ["db-v1.mmdb", "db-v2.mmdb", "db-v3.mmdb"] {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let old = Database::open(&fixture).unwrap();
        let path = dir.join(format!("{name}.db"));
        let mut store = Store::open(&path, IndexConfig::default()).unwrap();
        let ids = store.import_database(&old).unwrap();
        assert_eq!(ids.end - ids.start, old.len() as u64);
        for (new_id, e) in ids.zip(old.iter()) {
            let s = store.get(new_id).unwrap().unwrap();
            assert_eq!(
                (s.hash, s.quality, &s.metadata),
                (e.hash, e.quality, e.metadata)
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- the kill test -------------------------------------------------------------------

const CHILD_ENV: &str = "MM_KILL_CHILD_STORE";

/// The child half of the kill test: not a test on its own (it returns at once unless the
/// kill test started it). It opens the store and inserts and removes in batches forever,
/// printing each batch before (`try`) and after (`ack`) it is acknowledged.
#[test]
fn kill_test_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let seed: u64 = std::env::var("MM_KILL_SEED").unwrap().parse().unwrap();
    let mut next = rng(seed);
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    println!("MMK open");
    loop {
        let r = next() % 100;
        if r < 60 {
            let start = store.snapshot().next_id();
            let n = 1 + next() % 40;
            println!("MMK try ins {start} {}", start + n);
            let entries = (start..start + n)
                .map(|id| {
                    (
                        hash_of(id),
                        Some(50),
                        Metadata::new("k").content_id(id.to_string()),
                    )
                })
                .collect();
            let ids = store.insert_many(entries).unwrap();
            assert_eq!(ids, start..start + n);
            println!("MMK ack ins {start} {}", start + n);
        } else if r < 95 {
            let present: Vec<u64> = store.snapshot().index().iter().map(|(i, _)| i).collect();
            if present.is_empty() {
                continue;
            }
            let k = 1 + next() % 10;
            let mut ids: Vec<u64> = (0..k)
                .map(|_| present[(next() % present.len() as u64) as usize])
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
            println!("MMK try rm {list}");
            store.remove_many(&ids).unwrap();
            println!("MMK ack rm {list}");
        } else {
            store.save_index_cache().unwrap();
        }
    }
}

/// What the parent learned from one child's output.
#[derive(Default)]
struct Log {
    acked: Vec<(bool, Vec<u64>)>,
    in_flight: Option<(bool, Vec<u64>)>,
}

fn parse_ids(kind: &str, rest: &[&str]) -> (bool, Vec<u64>) {
    let nums: Vec<u64> = rest.iter().map(|s| s.parse().unwrap()).collect();
    if kind == "ins" {
        (true, (nums[0]..nums[1]).collect())
    } else {
        (false, nums)
    }
}

fn apply(model: &mut BTreeMap<u64, Hash256>, (ins, ids): &(bool, Vec<u64>)) {
    for &id in ids {
        if *ins {
            model.insert(id, hash_of(id));
        } else {
            model.remove(&id);
        }
    }
}

/// Files a store may leave: the database, SQLite's WAL and shared memory, the lock file and
/// one index cache.
fn check_no_leftovers(dir: &Path) {
    let mut caches = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let ok = matches!(
            name.as_str(),
            "bank.db" | "bank.db-wal" | "bank.db-shm" | "bank.db.lock"
        );
        let cache = name.starts_with("bank.db.index.") && name.ends_with(".mmdb");
        caches += usize::from(cache);
        assert!(ok || cache, "leftover file {name}");
    }
    assert!(caches <= 1, "{caches} index caches left");
}

/// Runs `cycles` kill cycles; returns (acknowledged batches, in-flight batches found
/// committed, in-flight batches found absent).
pub(crate) fn kill_cycles(cycles: usize, seed: u64) -> (usize, usize, usize) {
    let dir = fresh_dir(&format!("kill-{seed}"));
    let path = dir.join("bank.db");
    let exe = std::env::current_exe().unwrap();
    let mut next = rng(seed);
    let mut model: BTreeMap<u64, Hash256> = BTreeMap::new();
    let (mut acked, mut committed, mut absent) = (0, 0, 0);
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "db::store::kill_test_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .env("MM_KILL_SEED", (seed * 1000 + cycle as u64).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest's "test … " prefix may share the first line.
                if let Some(at) = line.find("MMK ") {
                    if tx.send(line[at..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        // Wait for the open, then kill at a random instant 0..60 ms later.
        let opened = rx.recv_timeout(Duration::from_secs(60));
        assert_eq!(
            opened.as_deref(),
            Ok("MMK open"),
            "cycle {cycle}: the child did not open"
        );
        std::thread::sleep(Duration::from_micros(next() % 60_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let mut log = Log::default();
        for line in rx.try_iter() {
            let f: Vec<&str> = line.split(' ').collect();
            match f[1] {
                "try" => log.in_flight = Some(parse_ids(f[2], &f[3..])),
                "ack" => {
                    let b = parse_ids(f[2], &f[3..]);
                    assert_eq!(log.in_flight.take().as_ref(), Some(&b));
                    log.acked.push(b);
                }
                _ => {}
            }
        }
        acked += log.acked.len();
        for b in &log.acked {
            apply(&mut model, b);
        }
        // Reopen as the writer: must never fail; the content is every acknowledged change,
        // plus at most the one batch in flight (committed but not yet printed), nothing else.
        let store = Store::open(&path, IndexConfig::default())
            .unwrap_or_else(|e| panic!("cycle {cycle}: open failed: {e}"));
        let got: BTreeMap<u64, Hash256> = store.snapshot().index().iter().collect();
        if got != model {
            let b = log
                .in_flight
                .take()
                .unwrap_or_else(|| panic!("cycle {cycle}: store differs from acknowledged"));
            apply(&mut model, &b);
            assert_eq!(
                got, model,
                "cycle {cycle}: not acknowledged + in-flight batch"
            );
            committed += 1;
        } else if log.in_flight.is_some() {
            absent += 1;
        }
        // The store of record agrees with its index.
        for (&id, h) in got.iter().take(3) {
            assert_eq!(store.get(id).unwrap().unwrap().hash, *h);
        }
        drop(store);
        check_no_leftovers(&dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    (acked, committed, absent)
}

/// ≥ 20 SIGKILLs at random instants (the large run: `scripts/kill-test.sh`).
#[test]
fn kill_test_acknowledged_changes_survive() {
    let cycles = std::env::var("MM_KILL_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(20);
    let (acked, committed, absent) = kill_cycles(cycles, 1);
    println!(
        "kill test: {cycles} kills, {acked} acknowledged batches, in-flight batches found \
         committed {committed}, absent {absent}, 0 failed opens, no leftover files"
    );
    assert!(acked > 0);
}
