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
