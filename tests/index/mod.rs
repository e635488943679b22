//! Index properties: every strategy equals brute force on random and clustered sets.

use mediamatch::index::{Index, IndexConfig, Match, Strategy as Search};
use mediamatch::Hash256;
use proptest::prelude::*;

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

fn check(set: Vec<Hash256>, qs: Vec<Hash256>, removed: Vec<usize>) -> Result<(), TestCaseError> {
    let mut items: Vec<(u64, Hash256)> = set
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64 * 2 + 1, *h))
        .collect();
    // Small delta limit and MIH on every size, so that base, delta, tables and removals all play.
    let cfg = IndexConfig::default().mih_min_len(1).delta_limit(16);
    let half = items.len() / 2;
    let mut index = Index::build_with_config(items[..half].to_vec(), cfg).unwrap();
    for (id, h) in &items[half..] {
        index.insert(*id, *h).unwrap();
    }
    for r in removed {
        if !items.is_empty() {
            let (id, _) = items.remove(r % items.len());
            prop_assert!(index.remove(id));
        }
    }
    let many = index.search_many(&qs, 31);
    for (i, q) in qs.iter().enumerate() {
        for r in RADII {
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
        }
        prop_assert_eq!(&many[i], &brute(&items, q, 31));
        for k in [1, 5, 50] {
            let mut want = brute(&items, q, 256);
            want.truncate(k);
            prop_assert_eq!(index.k_nearest(q, k), want);
        }
    }
    // Dihedral-style merge over all queries at once.
    let merged = index.search_dihedral(&qs, 31);
    let mut want: Vec<Match> = items
        .iter()
        .filter_map(|(id, h)| {
            let d = qs.iter().map(|q| h.distance(q)).min()?;
            (d <= 31).then_some(Match {
                id: *id,
                distance: d,
            })
        })
        .collect();
    want.sort();
    prop_assert_eq!(merged, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sets_equal_brute_force(
        set in random_set(),
        near in prop::collection::vec((any::<usize>(), prop::collection::vec(0usize..256, 0..40)), 0..4),
        random in prop::collection::vec(hash(), 1..3),
        removed in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let qs = queries(&set, near, random);
        check(set, qs, removed)?;
    }

    #[test]
    fn clustered_sets_equal_brute_force(
        set in clustered(),
        near in prop::collection::vec((any::<usize>(), prop::collection::vec(0usize..256, 0..40)), 1..5),
        random in prop::collection::vec(hash(), 0..2),
        removed in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let qs = queries(&set, near, random);
        check(set, qs, removed)?;
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
