//! Live updates across processes: a matcher process whose `Refresher` thread picks up the
//! writer's commits without being asked, and the writer's background WAL checkpoints.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mediamatch::db::{Metadata, Store, StoreReader};
use mediamatch::index::IndexConfig;
use mediamatch::Hash256;

use crate::rng::rng;

const CHILD_ENV: &str = "MM_LIVE_CHILD_STORE";
/// Generous: a liveness bound on a loaded machine, not a speed claim (the bench measures it).
const DEADLINE: Duration = Duration::from_secs(60);

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mm-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The matcher process: a reader behind a 100 ms refresher. For each line `seen ID HEX` or
/// `gone ID HEX` from stdin it waits (never calling `refresh`) until a search for HEX at
/// radius 0 does or does not report ID, and answers `MML ok ID MS` with the wait in ms.
#[test]
fn live_matcher_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let matcher = StoreReader::open(&path, IndexConfig::default())
        .unwrap()
        .spawn_refresher(Duration::from_millis(100))
        .unwrap();
    println!("MML ready");
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        let [what, id, hex] = f[..] else { break };
        let (id, h): (u64, Hash256) = (id.parse().unwrap(), hex.parse().unwrap());
        let want = what == "seen";
        let t = Instant::now();
        while matcher.search(&h, 0).iter().any(|m| m.id == id) != want && t.elapsed() < DEADLINE {
            std::thread::sleep(Duration::from_millis(2));
        }
        let ok = matcher.search(&h, 0).iter().any(|m| m.id == id) == want;
        let meta = matcher.lock().get(id).unwrap().is_some();
        println!(
            "MML {} {id} {} {}",
            if ok { "ok" } else { "timeout" },
            t.elapsed().as_millis(),
            meta
        );
        std::io::stdout().flush().unwrap();
    }
    assert_eq!(matcher.failures(), 0);
}

#[test]
fn a_matcher_process_picks_up_commits_without_polling() {
    let dir = fresh_dir("refresher");
    let path = dir.join("bank.db");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut next = rng(31);
    let mut h = || Hash256::from_limbs([next(), next(), next(), next()]);
    let old = store.insert(h(), Some(90), Metadata::new("bank")).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["db::live::live_matcher_child", "--exact", "--nocapture"])
        .env(CHILD_ENV, &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut to_child = child.stdin.take().unwrap();
    let mut from_child = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut answer = || loop {
        let line = from_child.next().expect("child ended").unwrap();
        if let Some(at) = line.find("MML ") {
            return line[at + 4..].to_string();
        }
    };
    assert_eq!(answer(), "ready");
    let mut waits = Vec::new();
    for round in 0..4 {
        // Inserts (a single one and a batch), then a removal, each committed by the writer
        // and asked of the matcher only afterwards.
        let hs: Vec<Hash256> = (0..1 + 3 * (round % 2)).map(|_| h()).collect();
        let ids = store
            .insert_many(
                hs.iter()
                    .map(|&x| (x, Some(90), Metadata::new("live")))
                    .collect(),
            )
            .unwrap();
        for (id, x) in ids.clone().zip(&hs) {
            writeln!(to_child, "seen {id} {x}").unwrap();
            let a = answer();
            let f: Vec<&str> = a.split_whitespace().collect();
            assert_eq!(f[..2], ["ok", &id.to_string()[..]], "{a}");
            assert_eq!(f[3], "true", "metadata of {id} readable: {a}");
            waits.push(f[2].parse::<u64>().unwrap());
        }
        let gone = ids.start;
        store.remove_many(&[gone]).unwrap();
        writeln!(to_child, "gone {gone} {}", hs[0]).unwrap();
        let a = answer();
        assert!(a.starts_with(&format!("ok {gone} ")), "{a}");
    }
    // An entry committed before the matcher started stays visible.
    assert_eq!(
        store.search(&store.snapshot().index().get(old).unwrap(), 0)[0].id,
        old
    );
    drop(to_child);
    assert!(child.wait().unwrap().success(), "matcher process failed");
    eprintln!("matcher saw each commit after {waits:?} ms (100 ms refresh interval)");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wal_is_written_back_in_the_background() {
    let dir = fresh_dir("checkpoint");
    let path = dir.join("bank.db");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let main_len = || std::fs::metadata(&path).unwrap().len();
    let before = main_len();
    let mut next = rng(5);
    // About 500 WAL pages: below SQLite's own automatic checkpoint (1 000 pages), which
    // the writer turns off, so only the background thread can move them into the file.
    for b in 0..60u64 {
        let batch = (0..10)
            .map(|i| {
                let h = Hash256::from_limbs([next(), next(), next(), next()]);
                let m = Metadata::new("bank")
                    .content_id(format!("c-{b}-{i}"))
                    .label("x");
                (h, Some(80), m)
            })
            .collect();
        store.insert_many(batch).unwrap();
    }
    let t = Instant::now();
    while main_len() <= before && t.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        main_len() > before,
        "no checkpoint: file still {before} bytes"
    );
    // The written-back store reopens with every entry.
    drop(store);
    let reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    assert_eq!(reader.snapshot().len(), 600);
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batches_in_one_write_keep_their_own_ids_and_sequence() {
    let dir = fresh_dir("batches");
    let path = dir.join("bank.db");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut next = rng(8);
    let mut batch = |n: usize, bank: &str, q: u8| -> Vec<_> {
        (0..n)
            .map(|_| {
                let h = Hash256::from_limbs([next(), next(), next(), next()]);
                (h, Some(q), Metadata::new(bank))
            })
            .collect()
    };
    let first = store.insert_many(batch(2, "a", 50)).unwrap();
    let seq = store.seq();
    let group = vec![batch(3, "b", 60), batch(1, "c", 70), batch(4, "d", 80)];
    let ids = store.insert_batches(group.clone()).unwrap();
    assert_eq!(ids, [2..5, 5..6, 6..10]);
    assert_eq!(store.seq(), seq + 3);
    // A reader tailing from before the group sees each batch under its own sequence.
    let changes = store.changes_since(seq).unwrap().changes;
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq()).collect();
    assert_eq!(seqs, [1, 1, 1, 2, 3, 3, 3, 3].map(|k| seq + k));
    // A group with an invalid batch writes nothing of any batch.
    let bad = vec![batch(2, "e", 90), batch(1, "f", 101)];
    assert!(store.insert_batches(bad).is_err());
    assert_eq!(store.seq(), seq + 3);
    drop(store);
    let reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    assert_eq!(reader.snapshot().len(), 10);
    for (b, range) in group.iter().zip(&ids) {
        for ((h, q, m), id) in b.iter().zip(range.clone()) {
            let e = reader.get(id).unwrap().unwrap();
            assert_eq!((e.hash, e.quality, &e.metadata.source), (*h, *q, &m.source));
        }
    }
    assert_eq!(first, 0..2);
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn group_commit_acknowledges_each_callers_insert_durably() {
    let dir = fresh_dir("group");
    let path = dir.join("bank.db");
    let group = Store::open(&path, IndexConfig::default())
        .unwrap()
        .into_group_commit()
        .unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let c = group.committer();
            let search = group.reader();
            std::thread::spawn(move || {
                let mut next = rng(100 + t);
                let mut mine = Vec::new();
                for i in 0..15u64 {
                    let h = Hash256::from_limbs([next(), next(), next(), next()]);
                    let q = if t == 3 && i == 7 { 101 } else { 80 };
                    let m = Metadata::new(format!("bank-{t}")).content_id(format!("{t}-{i}"));
                    match c.insert(h, Some(q), m) {
                        Ok(id) => {
                            // Acknowledged: searchable at once, and kept below.
                            assert!(search.snapshot().search(&h, 0).iter().any(|m| m.id == id));
                            mine.push((id, h));
                        }
                        // Only the invalid one fails, and alone.
                        Err(_) => assert_eq!(q, 101),
                    }
                }
                let gone = mine.remove(0).0;
                assert_eq!(c.remove_many(&[gone]).unwrap(), [gone]);
                mine
            })
        })
        .collect();
    let mut acked: Vec<(u64, Hash256)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    acked.sort_unstable_by_key(|a| a.0);
    let late = group.committer();
    let store = group.finish().unwrap();
    assert!(late
        .insert(Hash256::ZERO, None, Metadata::default())
        .is_err());
    // 59 valid inserts, 4 removed.
    assert_eq!(store.snapshot().len(), 55);
    // 63 acknowledged batches (inserts and removals), each with its own sequence number.
    assert_eq!(store.seq(), 59 + 4);
    drop(store);
    // Everything acknowledged is in the store of record after a reopen, and nothing else.
    let reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    let stored: Vec<(u64, Hash256)> = reader.snapshot().index().iter().collect();
    assert_eq!(stored, acked);
    drop(reader);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A reader opening an index cache many changes old applies them to the index's delta
/// (merged in the background) instead of rebuilding; its results equal brute force before,
/// during and after that merge.
#[test]
fn a_stale_cache_catches_up_without_a_rebuild() {
    let dir = fresh_dir("stale");
    let path = dir.join("bank.db");
    let config = IndexConfig::default().delta_limit(8);
    let mut next = rng(77);
    let mut model = std::collections::BTreeMap::new();
    let mut store = Store::open(&path, config.clone()).unwrap();
    let batch = |n: usize, next: &mut dyn FnMut() -> u64| -> Vec<_> {
        (0..n)
            .map(|_| {
                let h = Hash256::from_limbs([next(), next(), next(), next()]);
                (h, Some(80), Metadata::new("bank"))
            })
            .collect()
    };
    for b in [batch(400, &mut next), batch(30, &mut next)] {
        let hs: Vec<Hash256> = b.iter().map(|e| e.0).collect();
        let ids = store.insert_many(b).unwrap();
        model.extend(ids.zip(hs));
        if model.len() == 400 {
            store.save_index_cache().unwrap();
        }
    }
    // 60 changes after the cache: more than the delta limit, fewer than a quarter of it.
    let late = batch(60, &mut next);
    let hs: Vec<Hash256> = late.iter().map(|e| e.0).collect();
    model.extend(store.insert_many(late).unwrap().zip(hs));
    for id in [3, 401, 455] {
        store.remove_many(&[id]).unwrap();
        model.remove(&id);
    }
    let mut reader = StoreReader::open(&path, config).unwrap();
    fn check(r: &StoreReader, model: &std::collections::BTreeMap<u64, Hash256>) {
        let got: Vec<(u64, Hash256)> = r.snapshot().index().iter().collect();
        assert_eq!(got, model.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>());
        for q in model.values().step_by(37) {
            let mut want: Vec<u64> = model
                .iter()
                .filter(|(_, h)| h.distance(q) <= 60)
                .map(|(&id, _)| id)
                .collect();
            want.sort_unstable();
            let mut hits: Vec<u64> = r.search(q, 60).into_iter().map(|m| m.id).collect();
            hits.sort_unstable();
            assert_eq!(hits, want);
        }
    }
    check(&reader, &model);
    let t = Instant::now();
    while reader.snapshot().index().merging() && t.elapsed() < DEADLINE {
        store
            .insert(Hash256::ZERO, None, Metadata::new("tick"))
            .map(|id| {
                model.insert(id, Hash256::ZERO);
            })
            .unwrap();
        reader.refresh().unwrap();
        check(&reader, &model);
        std::thread::sleep(Duration::from_millis(5));
    }
    check(&reader, &model);
    drop((store, reader));
    std::fs::remove_dir_all(&dir).unwrap();
}
