//! The index returns exactly what brute-force two-level scoring returns.

use mediamatch::tmk::{level1, level2, TmkBuilder, TmkFeatures, TmkIndex, TmkThresholds};

/// A synthetic "video": a random walk over PDQF-like frames, so neighbours in `seed` space
/// differ by how far their walks diverge.
fn video(seed: u64, base: u64, frames: usize) -> TmkFeatures {
    let mut shared = crate::rng::rng(base);
    let mut own = crate::rng::rng(seed);
    let mut f = [0.0f32; 256];
    for (k, x) in f.iter_mut().enumerate() {
        *x = (shared() % 2000) as f32 - 1000.0 + k as f32;
    }
    let mut b = TmkBuilder::new();
    for _ in 0..frames {
        for x in f.iter_mut() {
            *x += ((shared() % 200) as f32 - 100.0) + ((own() % 60) as f32 - 30.0);
        }
        b.push(&f);
    }
    b.finish()
}

#[test]
fn search_equals_brute_force() {
    let mut index = TmkIndex::new();
    let mut all = Vec::new();
    for id in 0..24u64 {
        let v = video(100 + id, id % 4, 20 + (id as usize % 3) * 5);
        index.insert(id, v.clone()).unwrap();
        all.push((id, v));
    }
    assert_eq!(index.len(), 24);
    for q in 0..4u64 {
        let query = video(900 + q, q, 25);
        for t in [
            TmkThresholds::default(),
            TmkThresholds {
                level1: 0.9,
                level2: 0.9,
            },
            TmkThresholds {
                level1: -1.0,
                level2: 0.0,
            },
        ] {
            let hits = index.search(&query, &t);
            let mut want: Vec<(u64, f32, f32)> = all
                .iter()
                .map(|(id, v)| (*id, level1(&query, v), level2(&query, v)))
                .filter(|(_, l1, l2)| *l1 >= t.level1 && *l2 >= t.level2)
                .collect();
            want.sort_by(|a, b| b.2.total_cmp(&a.2));
            let got: Vec<(u64, f32, f32)> =
                hits.iter().map(|m| (m.id, m.level1, m.level2)).collect();
            assert_eq!(got, want, "query {q} thresholds {t:?}");
        }
        // The same base walk should be found at the default thresholds.
        let hits = index.search(&query, &TmkThresholds::default());
        assert!(
            hits.iter().any(|m| m.id % 4 == q),
            "query {q} found nothing of its own"
        );
    }
    assert_eq!(index.remove(&3), 1);
    assert_eq!(index.len(), 23);
    let q = video(3 + 100, 3, 20);
    assert!(index
        .search(&q, &TmkThresholds::default())
        .iter()
        .all(|m| m.id != 3));
}

/// Averages-only entries with a loader give the same results as full entries, and the loader
/// is called only for level-1 candidates.
#[test]
fn averages_only_entries_load_full_features_for_candidates_only() {
    let all: Vec<(u64, std::sync::Arc<TmkFeatures>)> = (0..16u64)
        .map(|id| (id, std::sync::Arc::new(video(200 + id, id % 4, 20))))
        .collect();
    let mut full = TmkIndex::new();
    let mut light = TmkIndex::new();
    for (id, v) in &all {
        full.insert(*id, v.clone()).unwrap();
        light.insert_average(*id, &v.pure_average).unwrap();
    }
    assert!(light.insert_average(99, &[1.0; 10]).is_err());
    let query = video(999, 1, 22);
    let t = TmkThresholds::default();
    let mut loads = 0;
    let got = light.search_with(&query, &t, |_, id| {
        loads += 1;
        Some(all[*id as usize].1.clone())
    });
    assert_eq!(got, full.search(&query, &t));
    let candidates = full.level1_candidates(&query, t.level1).len();
    assert_eq!(loads, candidates);
    assert!(
        candidates < all.len(),
        "the level-1 filter should exclude some entries"
    );
    // Without a loader, averages-only entries are not reported.
    assert!(light.search(&query, &t).is_empty());
}
