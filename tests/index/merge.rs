//! Background merges: inserts, removals and re-inserts interleaved with searches while merges
//! run on their own thread, every answer compared with brute force over the live entries, and
//! snapshots taken mid-merge compared with the entries live when they were taken.

use std::collections::BTreeMap;

use mediamatch::index::{Index, IndexConfig, Strategy};
use mediamatch::Hash256;

use super::{brute, flip};
use crate::rng::rng;

fn live(map: &BTreeMap<u64, Hash256>) -> Vec<(u64, Hash256)> {
    map.iter().map(|(&id, &h)| (id, h)).collect()
}

fn check(index: &Index, items: &[(u64, Hash256)], qs: &[Hash256], what: &str) {
    assert_eq!(index.len(), items.len(), "{what}: len");
    for &r in &[0, 31, 64] {
        for q in qs {
            assert_eq!(index.search(q, r), brute(items, q, r), "{what}: radius {r}");
        }
        let many = index.search_many(qs, r);
        for (q, got) in qs.iter().zip(&many) {
            assert_eq!(got, &brute(items, q, r), "{what}: batch, radius {r}");
        }
    }
    let mut all = brute(items, &qs[0], 256);
    all.truncate(5);
    assert_eq!(index.k_nearest(&qs[0], 5), all, "{what}: k nearest");
}

fn run(config: IndexConfig, seed: u64) {
    let mut next = rng(seed);
    let rand_hash =
        |next: &mut dyn FnMut() -> u64| Hash256::from_limbs([next(), next(), next(), next()]);
    // A base with clusters of near-duplicates and exact copies.
    let centres: Vec<Hash256> = (0..50).map(|_| rand_hash(&mut next)).collect();
    let mut entries = BTreeMap::new();
    for id in 0..4_000u64 {
        let c = centres[(next() % 50) as usize];
        let bits: Vec<usize> = (0..next() % 40).map(|_| (next() % 256) as usize).collect();
        entries.insert(id * 2, flip(c, &bits));
    }
    let mut index = Index::build_with_config(live(&entries), config).unwrap();
    let mut removed: Vec<(u64, Hash256)> = Vec::new();
    let mut snapshots: Vec<(Index, Vec<(u64, Hash256)>)> = Vec::new();
    let (mut seen_merging, mut installs) = (0usize, 0usize);
    let mut next_id = 10_000u64;
    for step in 0..3_000u32 {
        // Half the swaps happen here (counted), the others inside insert and remove.
        if step % 2 == 1 && index.try_finish_merge() {
            installs += 1;
        }
        match next() % 10 {
            // Insert a new id: a near copy of a centre, an exact copy of a live hash, or random.
            0..=4 => {
                let h = match next() % 3 {
                    0 => flip(centres[(next() % 50) as usize], &[(next() % 256) as usize]),
                    1 => *entries
                        .values()
                        .nth((next() % entries.len() as u64) as usize)
                        .unwrap(),
                    _ => rand_hash(&mut next),
                };
                index.insert(next_id, h).unwrap();
                entries.insert(next_id, h);
                next_id += 1;
            }
            // Remove a live id (from the base, the delta being merged, or the delta).
            5..=7 => {
                let &id = entries
                    .keys()
                    .nth((next() % entries.len() as u64) as usize)
                    .unwrap();
                assert!(index.remove(id), "step {step}: remove {id}");
                assert!(!index.remove(id), "step {step}: second remove {id}");
                removed.push((id, entries.remove(&id).unwrap()));
            }
            // Insert a removed id again (possibly removed from the base during this merge).
            _ => {
                if let Some((id, h)) = removed.pop() {
                    let h = if next().is_multiple_of(2) {
                        h
                    } else {
                        flip(h, &[7])
                    };
                    index.insert(id, h).unwrap();
                    entries.insert(id, h);
                }
            }
        }
        let merging = index.merging();
        seen_merging += usize::from(merging);
        if step % 25 == 0 {
            let items = live(&entries);
            let id = items[(next() % items.len() as u64) as usize].0;
            assert_eq!(index.get(id), entries.get(&id).copied());
            assert!(index.insert(id, Hash256::ZERO).is_err());
            let qs = [
                items[(next() % items.len() as u64) as usize].1,
                flip(centres[(next() % 50) as usize], &[1, 2, 3]),
                rand_hash(&mut next),
            ];
            check(&index, &items, &qs, &format!("step {step}"));
            if merging && snapshots.len() < 8 {
                snapshots.push((index.clone(), items));
            }
        }
    }
    // Snapshots taken while a merge ran do not change when the writer swaps merges in.
    for (k, (snap, items)) in snapshots.iter().enumerate() {
        let qs = [items[k].1, items[items.len() / 2].1];
        check(snap, items, &qs, &format!("snapshot {k}"));
        assert_eq!(snap.iter().collect::<Vec<_>>(), *items);
    }
    // Merges were in flight during the updates; whether one also finished among them depends
    // on how fast the merge thread ran (a loaded machine may finish none): checked below.
    assert!(seen_merging > 0, "no merge started");
    assert!(!snapshots.is_empty());
    // The last merge lands without another update.
    for _ in 0..60_000 {
        if !index.merging() {
            break;
        }
        installs += usize::from(index.try_finish_merge());
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(!index.merging());
    assert!(
        seen_merging > 0 && installs > 0,
        "{seen_merging} {installs}"
    );
    let items = live(&entries);
    assert_eq!(index.iter().collect::<Vec<_>>(), items);
    check(
        &index,
        &items,
        &[items[3].1, centres[0]],
        "after the last merge",
    );
    index.compact();
    assert_eq!(index.iter().collect::<Vec<_>>(), items);
    let mut distinct: Vec<Hash256> = items.iter().map(|x| x.1).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(index.distinct_hashes(), distinct.len());
}

#[test]
fn merges_in_flight_keep_results_exact_flat() {
    run(IndexConfig::default().delta_limit(40), 21);
}

#[test]
fn merges_in_flight_keep_results_exact_multi_index() {
    run(
        IndexConfig::default()
            .delta_limit(40)
            .strategy(Strategy::MultiIndex),
        22,
    );
}

#[test]
fn merges_in_flight_keep_results_exact_auto_tables() {
    run(
        IndexConfig::default()
            .delta_limit(25)
            .mih_min_len(1)
            .max_bytes_per_hash(1 << 20),
        23,
    );
}
