//! Index properties: every strategy equals brute force on random and clustered sets.

mod merge;

use mediamatch::index::{Index, IndexConfig, Match, Strategy as Search};
use mediamatch::Hash256;
use proptest::prelude::*;

use crate::rng::rng;

const RADII: [u32; 9] = [0, 1, 8, 16, 31, 32, 52, 64, 128];

fn brute(items: &[(u64, Hash256)], q: &Hash256, r: u32) -> Vec<Match> {
    let mut v: Vec<Match> = items
        .iter()
        .map(|(id, h)| Match {
            id: *id,
            distance: h.distance(q),
        })
        .filter(|m| m.distance <= r)
        .collect();
    v.sort();
    v
}

fn flip(mut h: Hash256, bits: &[usize]) -> Hash256 {
    for &b in bits {
        h.set_bit(b, !h.bit(b));
    }
    h
}

fn hash() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256::from_limbs)
}

/// Clusters of near-duplicates: a centre plus copies 0..=40 bits away.
fn clustered() -> impl Strategy<Value = Vec<Hash256>> {
    prop::collection::vec(
        (
            hash(),
            prop::collection::vec(prop::collection::vec(0usize..256, 0..=40), 1..12),
        ),
        1..25,
    )
    .prop_map(|clusters| {
        clusters
            .into_iter()
            .flat_map(|(c, copies)| copies.into_iter().map(move |bits| flip(c, &bits)))
            .collect()
    })
}

fn random_set() -> impl Strategy<Value = Vec<Hash256>> {
    prop::collection::vec(hash(), 0..200)
}

/// Queries: copies of stored hashes at small distances, plus random ones.
fn queries(set: &[Hash256], extra: Vec<(usize, Vec<usize>)>, random: Vec<Hash256>) -> Vec<Hash256> {
    let mut q: Vec<Hash256> = extra
        .into_iter()
        .filter(|_| !set.is_empty())
        .map(|(i, bits)| flip(set[i % set.len()], &bits))
        .collect();
    q.extend(random);
    q
}

/// The configurations under test: every strategy, and `Auto` both within the default memory
/// budget (flat scan, batches cache-blocked) and with room for the multi-index tables.
fn configs() -> [IndexConfig; 4] {
    // Small delta limit and MIH on every size, so that base, delta, tables and removals all play.
    let base = IndexConfig::default().mih_min_len(1).delta_limit(16);
    [
        base.clone().strategy(Search::Flat),
        base.clone().strategy(Search::MultiIndex),
        base.clone(),
        base.max_bytes_per_hash(1 << 30),
    ]
}

/// `set` (ids 1, 3, 5, ...) plus copies of some of its hashes under further ids (the same
/// hash from several sources), half built, half inserted, then some removed.
fn check(
    set: Vec<Hash256>,
    copies: Vec<usize>,
    qs: Vec<Hash256>,
    removed: Vec<usize>,
) -> Result<(), TestCaseError> {
    let mut items: Vec<(u64, Hash256)> = set
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64 * 2 + 1, *h))
        .collect();
    if !set.is_empty() {
        for (k, c) in copies.iter().enumerate() {
            items.push((1000 + k as u64, set[c % set.len()]));
        }
    }
    let half = items.len() / 2;
    let mut indexes = Vec::new();
    for cfg in configs() {
        let mut index = Index::build_with_config(items[..half].to_vec(), cfg).unwrap();
        for (id, h) in &items[half..] {
            index.insert(*id, *h).unwrap();
        }
        indexes.push(index);
    }
    for r in removed {
        if !items.is_empty() {
            let (id, _) = items.remove(r % items.len());
            for index in &mut indexes {
                prop_assert!(index.remove(id));
            }
        }
    }
    for index in &indexes {
        prop_assert_eq!(index.len(), items.len());
        for r in RADII {
            let many = index.search_many(&qs, r);
            for (i, q) in qs.iter().enumerate() {
                let want = brute(&items, q, r);
                for s in [Search::Flat, Search::MultiIndex, Search::Auto] {
                    prop_assert_eq!(
                        &index.search_with(s, q, r),
                        &want,
                        "strategy {:?} radius {}",
                        s,
                        r
                    );
                }
                prop_assert_eq!(&many[i], &want, "batch, radius {}", r);
            }
        }
        for q in &qs {
            for k in [1, 5, 50] {
                let mut want = brute(&items, q, 256);
                want.truncate(k);
                prop_assert_eq!(index.k_nearest(q, k), want);
            }
        }
        // Dihedral-style merge over all queries at once.
        for r in [31, 64] {
            let merged = index.search_dihedral(&qs, r);
            let mut want: Vec<Match> = items
                .iter()
                .filter_map(|(id, h)| {
                    let d = qs.iter().map(|q| h.distance(q)).min()?;
                    (d <= r).then_some(Match {
                        id: *id,
                        distance: d,
                    })
                })
                .collect();
            want.sort();
            prop_assert_eq!(merged, want);
        }
        // After merging, each distinct hash is stored once.
        let mut compacted = index.clone();
        compacted.compact();
        let mut distinct: Vec<Hash256> = items.iter().map(|x| x.1).collect();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(compacted.distinct_hashes(), distinct.len());
        let mut sorted = items.clone();
        sorted.sort_by_key(|x| x.0);
        prop_assert_eq!(compacted.iter().collect::<Vec<_>>(), sorted);
        for q in &qs {
            prop_assert_eq!(compacted.search(q, 31), brute(&items, q, 31));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sets_equal_brute_force(
        set in random_set(),
        near in prop::collection::vec((any::<usize>(), prop::collection::vec(0usize..256, 0..40)), 0..4),
        random in prop::collection::vec(hash(), 1..3),
        copies in prop::collection::vec(any::<usize>(), 0..8),
        removed in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let qs = queries(&set, near, random);
        check(set, copies, qs, removed)?;
    }

    #[test]
    fn clustered_sets_equal_brute_force(
        set in clustered(),
        near in prop::collection::vec((any::<usize>(), prop::collection::vec(0usize..256, 0..40)), 1..5),
        random in prop::collection::vec(hash(), 0..2),
        copies in prop::collection::vec(any::<usize>(), 0..8),
        removed in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let qs = queries(&set, near, random);
        check(set, copies, qs, removed)?;
    }

    #[test]
    fn parallel_equals_sequential(set in random_set(), qs in prop::collection::vec(hash(), 0..40)) {
        let index = Index::build(set.iter().enumerate().map(|(i, h)| (i as u64, *h))).unwrap();
        let par = index.search_many(&qs, 120);
        let seq: Vec<_> = qs.iter().map(|q| index.search(q, 120)).collect();
        prop_assert_eq!(par, seq);
    }
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Index>();
    assert_send_sync::<mediamatch::db::Snapshot>();
    assert_send_sync::<mediamatch::db::Reader>();
}

#[test]
fn readers_search_while_writer_inserts() {
    use mediamatch::db::{Database, Metadata};
    let mut db = Database::new();
    let reader = db.reader();
    let q = Hash256::from_limbs([1, 2, 3, 4]);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let reader = reader.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..200 {
                    let snap = reader.snapshot();
                    let n = snap.search(&q, 8).len();
                    assert!(n >= last, "a later snapshot lost entries");
                    assert_eq!(n, snap.len());
                    last = n;
                }
            })
        })
        .collect();
    for i in 0..300u64 {
        let h = flip(q, &[(i % 256) as usize]);
        db.insert(h, Some(100), Metadata::new("w")).unwrap();
        db.commit();
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(reader.snapshot().search(&q, 8).len(), 300);
}

/// A set large enough that batches are split into many cache tiles and shared between
/// threads: every batch result still equals brute force, on 1 and 2 threads.
#[test]
fn batches_over_many_tiles_equal_brute_force() {
    let mut next = rng(99);
    let mut hashes = Vec::new();
    while hashes.len() < 80_000 {
        let centre = Hash256::from_limbs([next(), next(), next(), next()]);
        for _ in 0..1 + next() % 6 {
            let bits: Vec<usize> = (0..next() % 41).map(|_| (next() % 256) as usize).collect();
            hashes.push(flip(centre, &bits));
        }
    }
    let mut items: Vec<(u64, Hash256)> = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64, *h))
        .collect();
    // The same hash under further ids, as from other banks.
    for k in 0..500u64 {
        items.push((1_000_000 + k, hashes[(next() % 80_000) as usize]));
    }
    let qs: Vec<Hash256> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                let bits: Vec<usize> = (0..next() % 30).map(|_| (next() % 256) as usize).collect();
                flip(items[(next() % items.len() as u64) as usize].1, &bits)
            } else {
                Hash256::from_limbs([next(), next(), next(), next()])
            }
        })
        .collect();
    // Built from a part that holds the copies; the rest inserted live.
    let mut index = Index::build(items[10_000..].iter().copied()).unwrap();
    let mut distinct: Vec<Hash256> = items[10_000..].iter().map(|x| x.1).collect();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() <= index.len() - 500);
    assert_eq!(index.distinct_hashes(), distinct.len());
    for (id, h) in &items[..10_000] {
        index.insert(*id, *h).unwrap();
    }
    for k in 0..300 {
        let at = (next() % items.len() as u64) as usize;
        let (id, _) = items.swap_remove(at);
        assert!(index.remove(id), "remove {k}");
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for r in [0, 31, 70] {
            let got = pool.install(|| index.search_many(&qs, r));
            for (q, g) in qs.iter().zip(&got) {
                assert_eq!(g, &brute(&items, q, r), "threads {threads} radius {r}");
            }
        }
    }
    let mut sorted = items.clone();
    sorted.sort_by_key(|x| x.0);
    let dihedral = index.search_dihedral(&qs[..8], 31);
    let mut want: Vec<Match> = items
        .iter()
        .filter_map(|(id, h)| {
            let d = qs[..8].iter().map(|q| h.distance(q)).min()?;
            (d <= 31).then_some(Match {
                id: *id,
                distance: d,
            })
        })
        .collect();
    want.sort();
    assert_eq!(dihedral, want);
    index.compact();
    assert_eq!(index.iter().collect::<Vec<_>>(), sorted);
}

/// One hash from three banks and two videos: stored once, found under every entry; removing
/// one entry leaves the others; a save and open keeps all of them.
#[test]
fn same_hash_from_several_sources_is_stored_once() {
    use mediamatch::db::{Database, MediaKind, Metadata};
    let mut next = rng(5);
    let h = Hash256::from_limbs([next(), next(), next(), next()]);
    let near = flip(h, &[3, 77, 200]);
    let mut db = Database::new();
    let mut all: Vec<(u64, Hash256)> = Vec::new();
    let others = db
        .insert_many((0..1000).map(|_| {
            (
                Hash256::from_limbs([next(), next(), next(), next()]),
                Some(100),
                Metadata::new("noise"),
            )
        }))
        .unwrap();
    all.extend(others.clone().map(|id| (id, db.get(id).unwrap().hash)));
    let frame = |video: &str, ms| {
        Metadata::new("videos").media(MediaKind::VideoFrame {
            video_id: video.into(),
            timestamp_ms: ms,
        })
    };
    let sources = [
        Metadata::new("bank-a"),
        Metadata::new("bank-b").content_id("b-1"),
        Metadata::new("bank-c"),
        frame("v1", 1000),
        frame("v2", 5000),
    ];
    let ids = db
        .insert_many(sources.iter().map(|m| (h, Some(90), m.clone())))
        .unwrap();
    all.extend(ids.clone().map(|id| (id, h)));
    let near_id = db.insert(near, None, Metadata::new("bank-a")).unwrap();
    all.push((near_id, near));
    // Small batches join the delta (no rebuild); once merged, the five copies take one slot
    // in the hash array.
    assert_eq!(db.index().distinct_hashes(), 1000 + 5 + 1);
    let config = db.index().config().clone();
    db.set_index_config(config).unwrap();
    assert_eq!(db.index().distinct_hashes(), 1000 + 1 + 1);
    let hit_ids = |db: &Database| -> Vec<u64> { db.search(&h, 0).iter().map(|m| m.id).collect() };
    assert_eq!(hit_ids(&db), ids.clone().collect::<Vec<_>>());
    let metas: Vec<_> = db
        .search(&h, 0)
        .iter()
        .map(|m| db.get(m.id).unwrap().metadata.clone())
        .collect();
    assert_eq!(metas, sources);
    let check = |db: &Database, all: &[(u64, Hash256)]| {
        for q in [h, near, all[17].1] {
            for r in [0, 3, 31, 128] {
                assert_eq!(db.search(&q, r), brute(all, &q, r));
            }
            assert_eq!(db.search_many(&[q], 31)[0], brute(all, &q, 31));
        }
    };
    check(&db, &all);
    // Remove the first copy (the one the index keys the hash by) and one video frame.
    let removed = [ids.start, ids.start + 3];
    for id in removed {
        assert!(db.remove(id));
        all.retain(|x| x.0 != id);
    }
    assert_eq!(hit_ids(&db), [ids.start + 1, ids.start + 2, ids.start + 4]);
    check(&db, &all);
    let dir = std::env::temp_dir().join(format!("mm-dups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dups.mmdb");
    db.save(&path).unwrap();
    let back = Database::open(&path).unwrap();
    assert_eq!(back.index().distinct_hashes(), 1000 + 1 + 1);
    assert_eq!(
        hit_ids(&back),
        [ids.start + 1, ids.start + 2, ids.start + 4]
    );
    assert_eq!(back.get(ids.start + 4).unwrap().metadata, &sources[4]);
    check(&back, &all);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `Auto` stays within its memory budget: by default (48 bytes per entry) it never builds the
/// multi-index tables; with a larger budget it does, and both give brute-force results.
#[test]
fn auto_respects_the_memory_budget() {
    let mut next = rng(11);
    let items: Vec<(u64, Hash256)> = (0..40_000u64)
        .map(|i| (i, Hash256::from_limbs([next(), next(), next(), next()])))
        .collect();
    let q = flip(items[123].1, &[1, 50, 100, 150, 200]);
    let want = brute(&items, &q, 31);
    assert_eq!(want.len(), 1);
    let small = Index::build(items.iter().copied()).unwrap();
    assert_eq!(small.config().max_bytes_per_hash, 48);
    assert_eq!(small.search(&q, 31), want);
    assert_eq!(small.search_many(&[q], 31)[0], want);
    assert!(
        small.heap_bytes() <= 48 * items.len(),
        "{}",
        small.heap_bytes()
    );
    let roomy = Index::build_with_config(
        items.iter().copied(),
        IndexConfig::default().max_bytes_per_hash(1 << 20),
    )
    .unwrap();
    assert_eq!(roomy.search(&q, 31), want);
    // The tables were built: 64 more bytes per hash, plus the bucket offsets.
    assert!(roomy.heap_bytes() >= small.heap_bytes() + 64 * items.len());
}
