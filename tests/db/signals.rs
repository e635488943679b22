//! Exact file digests and TMK features in the durable store, beside PDQ.

use std::path::{Path, PathBuf};

use base64::Engine;
use mediamatch::db::{Change, Metadata, Selector, SignalType, Store, StoreReader};
use mediamatch::exchange::{self, SignalRecord};
use mediamatch::filehash::{ExactAlg, ExactDigest, FileDigests};
use mediamatch::index::IndexConfig;
use mediamatch::tmk::{score_pair, TmkBuilder, TmkFeatures, TmkThresholds};
use mediamatch::Hash256;

/// A fresh directory for one test's store.
fn store_path(name: &str) -> PathBuf {
    let dir = super::temp(&format!("signals-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("bank.db")
}

/// The published test vectors of "abc" (RFC 1321, FIPS 180-2).
const ABC: [(ExactAlg, &str); 4] = [
    (ExactAlg::Md5, "900150983cd24fb0d6963f7d28e17f72"),
    (ExactAlg::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
    (
        ExactAlg::Sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        ExactAlg::Sha512,
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
];

/// A synthetic video feature (a random walk over PDQF-like frames).
fn video(seed: u64, frames: usize) -> TmkFeatures {
    let mut r = crate::rng::rng(seed);
    let mut f = [0.0f32; 256];
    for (k, x) in f.iter_mut().enumerate() {
        *x = (r() % 2000) as f32 - 1000.0 + k as f32;
    }
    let mut b = TmkBuilder::new();
    for _ in 0..frames {
        for x in f.iter_mut() {
            *x += (r() % 200) as f32 - 100.0;
        }
        b.push(&f);
    }
    b.finish()
}

#[test]
fn exact_lookup_finds_each_algorithm_and_not_a_one_byte_change() {
    let path = store_path("exact");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut ids = Vec::new();
    for (alg, hex) in ABC {
        let d = ExactDigest::parse(alg, hex).unwrap();
        ids.push(store.insert_exact(d, Metadata::new(alg.name())).unwrap());
    }
    let file = FileDigests::of_bytes(b"abc");
    // MD5 is looked up first.
    assert_eq!(
        store.lookup_exact(&file),
        Some((ExactAlg::Md5, vec![ids[0]]))
    );
    for (k, (alg, _)) in ABC.iter().enumerate() {
        assert_eq!(store.lookup_digest(&file.get(*alg)), &[ids[k]][..]);
        let e = store.get_signal(ids[k]).unwrap().unwrap();
        assert_eq!(e.signal, SignalType::of_exact(*alg));
        assert_eq!(e.value, file.get(*alg).as_bytes());
        assert_eq!(e.metadata.source, alg.name());
        // Not a PDQ entry, and not searchable as one.
        assert!(store.get(ids[k]).unwrap().is_none());
    }
    assert!(store.search(&Hash256::ZERO, 256).is_empty());
    // One byte changed: no digest matches.
    assert_eq!(store.lookup_exact(&FileDigests::of_bytes(b"abd")), None);
    // Each algorithm alone finds the file: remove them one by one.
    for k in 0..4 {
        let (alg, found) = store.lookup_exact(&file).unwrap();
        assert_eq!((alg, found), (ABC[k].0, vec![ids[k]]));
        assert_eq!(store.remove_many(&[ids[k]]).unwrap(), vec![ids[k]]);
    }
    assert_eq!(store.lookup_exact(&file), None);
}

#[test]
fn signals_survive_reopen_with_and_without_index_cache() {
    let path = store_path("reopen");
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let file = FileDigests::of_bytes(&bytes);
    let tmk = video(5, 30);
    let pdq = Hash256::from_limbs([9, 8, 7, 6]);
    let (exact_ids, tmk_id, pdq_id) = {
        let mut store = Store::open(&path, IndexConfig::default()).unwrap();
        let e = store
            .insert_file_digests(&file, Metadata::new("bank").label("l1"))
            .unwrap();
        let t = store.insert_tmk(&tmk, Metadata::new("bank")).unwrap();
        let p = store.insert(pdq, Some(80), Metadata::new("bank")).unwrap();
        (e, t, p)
    };
    assert_eq!(exact_ids.end - exact_ids.start, 4);
    let check = |store: &Store| {
        assert_eq!(
            store.lookup_exact(&file),
            Some((ExactAlg::Md5, vec![exact_ids.start]))
        );
        assert_eq!(store.signal_counts(), (4, 1));
        let hits = store.search_tmk(&tmk, &TmkThresholds::default()).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, tmk_id);
        assert_eq!(store.search(&pdq, 0)[0].id, pdq_id);
        let e = store.get_signal(tmk_id).unwrap().unwrap();
        assert_eq!(TmkFeatures::from_bytes(&e.value).unwrap(), tmk);
    };
    {
        let store = Store::open(&path, IndexConfig::default()).unwrap();
        check(&store);
        store.save_index_cache().unwrap();
    }
    {
        // From the PDQ index cache: the signals still come from the store.
        let mut store = Store::open(&path, IndexConfig::default()).unwrap();
        check(&store);
        let removed = store
            .remove_selected(&Selector::Label("l1".into()))
            .unwrap();
        assert_eq!(removed, exact_ids.clone().collect::<Vec<_>>());
    }
    let store = Store::open(&path, IndexConfig::default()).unwrap();
    assert_eq!(store.lookup_exact(&file), None);
    assert_eq!(store.signal_counts(), (0, 1));
}

#[test]
fn reader_refresh_sees_exact_and_tmk_inserts_and_removals() {
    let path = store_path("reader");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    let file = FileDigests::of_bytes(b"an upload");
    let tmk = video(11, 40);
    let seq0 = store.seq();
    let e = store
        .insert_exact(file.get(ExactAlg::Sha256), Metadata::new("b"))
        .unwrap();
    let t = store.insert_tmk(&tmk, Metadata::new("b")).unwrap();
    // A PDQ entry after them (ids are shared) reaches the reader's PDQ index too.
    let h = Hash256::from_limbs([3, 1, 4, 1]);
    let p = store.insert(h, None, Metadata::new("b")).unwrap();
    assert_eq!(p, t + 1);
    assert_eq!(reader.lookup_exact(&file), None);
    assert!(reader
        .search_tmk(&tmk, &TmkThresholds::default())
        .unwrap()
        .is_empty());
    assert_eq!(reader.refresh().unwrap(), 3);
    assert_eq!(
        reader.lookup_exact(&file),
        Some((ExactAlg::Sha256, vec![e]))
    );
    assert_eq!(reader.search(&h, 0)[0].id, p);
    let hits = reader.search_tmk(&tmk, &TmkThresholds::default()).unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![t]);
    // The changes name the signal types.
    let c = store.changes_since(seq0).unwrap();
    assert_eq!(
        c.changes,
        vec![
            Change::Signal {
                seq: seq0 + 1,
                id: e,
                signal: SignalType::Sha256
            },
            Change::Signal {
                seq: seq0 + 2,
                id: t,
                signal: SignalType::Tmk
            },
            Change::Insert {
                seq: seq0 + 3,
                id: p,
                hash: h
            },
        ]
    );
    store.remove_many(&[e, t]).unwrap();
    reader.refresh().unwrap();
    assert_eq!(reader.lookup_exact(&file), None);
    assert!(reader
        .search_tmk(&tmk, &TmkThresholds::default())
        .unwrap()
        .is_empty());
    assert_eq!(reader.signal_counts(), (0, 0));
    // A reader opened now agrees.
    let fresh = StoreReader::open(&path, IndexConfig::default()).unwrap();
    assert_eq!(fresh.signal_counts(), (0, 0));
}

/// `../shared/vpdq-vectors/tmk-regenerated-ffmpeg5.1`; `None` (with the reason printed)
/// when absent, a failure under `CI=true`.
fn reference_tmk_dir() -> Option<PathBuf> {
    let dir = match std::env::var("MEDIAMATCH_SHARED") {
        Ok(p) => PathBuf::from(p).join("vpdq-vectors"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vpdq-vectors"),
    }
    .join("tmk-regenerated-ffmpeg5.1");
    if dir.join("chair-19-sd-bar.tmk").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "TMK vectors not found at {} (CI=true requires them)",
            dir.display()
        );
    }
    eprintln!("SKIPPED: TMK vectors not found at {}", dir.display());
    None
}

#[test]
fn tmk_search_on_reference_files_equals_brute_force() {
    let Some(dir) = reference_tmk_dir() else {
        return;
    };
    let mut clips: Vec<(String, TmkFeatures)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "tmk"))
        .map(|e| {
            let name = e.path().file_stem().unwrap().to_string_lossy().into_owned();
            (name, TmkFeatures::read_file(e.path()).unwrap())
        })
        .collect();
    clips.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(clips.len() >= 9, "{} reference clips", clips.len());
    let path = store_path("tmk-ref");
    let ids: Vec<u64> = {
        let mut store = Store::open(&path, IndexConfig::default()).unwrap();
        clips
            .iter()
            .map(|(name, f)| {
                store
                    .insert_tmk(f, Metadata::new("ref").content_id(name.clone()))
                    .unwrap()
            })
            .collect()
    };
    // Searched through a reader: averages in memory, full features from SQLite.
    let reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    for t in [
        TmkThresholds::default(),
        TmkThresholds {
            level1: 0.9,
            level2: 0.9,
        },
    ] {
        for (q, (name, query)) in clips.iter().enumerate() {
            let hits = reader.search_tmk(query, &t).unwrap();
            let same = hits.iter().find(|h| h.id == ids[q]).expect("the same clip");
            assert!(same.level2 >= 0.99, "{name}: level 2 {}", same.level2);
            assert!(same.level1 >= 0.99, "{name}: level 1 {}", same.level1);
            // Brute force: every stored clip scored as a pair.
            let mut want: Vec<(u64, u32, u32)> = clips
                .iter()
                .zip(&ids)
                .filter_map(|((_, f), &id)| {
                    let s = score_pair(query, f, &t);
                    s.is_match(&t)
                        .then(|| (id, s.level1.to_bits(), s.level2.unwrap().to_bits()))
                })
                .collect();
            let mut got: Vec<(u64, u32, u32)> = hits
                .iter()
                .map(|h| (h.id, h.level1.to_bits(), h.level2.to_bits()))
                .collect();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "query {name}");
        }
    }
}

fn record(t: exchange::SignalType, value: String, source: &str, deleted: bool) -> SignalRecord {
    SignalRecord {
        signal_type: t,
        value,
        source: source.into(),
        id: None,
        bank: None,
        content_id: Some("c1".into()),
        labels: vec!["tag".into()],
        deleted,
        updated: None,
    }
}

#[test]
fn apply_records_inserts_and_deletes_in_one_batch() {
    use exchange::SignalType as X;
    let path = store_path("apply");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let pdq = Hash256::from_limbs([0xdead, 0xbeef, 1, 2]);
    let md5 = FileDigests::of_bytes(b"a video").get(ExactAlg::Md5);
    let tmk = video(21, 30);
    let tmk_b64 = base64::engine::general_purpose::STANDARD.encode(tmk.to_bytes());
    let page1 = vec![
        record(X::Pdq, pdq.to_string(), "te", false),
        record(X::VideoMd5, md5.to_string(), "te", false),
        record(X::Tmk, tmk_b64.clone(), "te", false),
        record(X::Md5, md5.to_string(), "other", false),
        record(X::Vpdq, "0,abc,0.0".into(), "te", false),
    ];
    let seq0 = store.seq();
    let a = store.apply_records(&page1, &Metadata::new("")).unwrap();
    assert_eq!(a.seq, seq0 + 1, "one batch");
    assert_eq!(a.skipped, 1);
    assert!(a.removed.is_empty());
    let ids: Vec<u64> = a.inserted.clone().collect();
    assert_eq!(ids.len(), 4);
    let hit = store.search(&pdq, 0);
    assert_eq!(hit[0].id, ids[0]);
    let e = store.get(ids[0]).unwrap().unwrap();
    assert_eq!(e.metadata.source, "te");
    assert_eq!(e.metadata.content_id.as_deref(), Some("c1"));
    assert_eq!(e.metadata.labels, vec!["tag".to_string()]);
    assert_eq!(store.lookup_digest(&md5), &[ids[1], ids[3]][..]);
    let t = store.search_tmk(&tmk, &TmkThresholds::default()).unwrap();
    assert_eq!(t[0].id, ids[2]);

    // Re-sending a record replaces it; deletions remove only that source's entry.
    let mut reader = StoreReader::open(&path, IndexConfig::default()).unwrap();
    let page2 = vec![
        record(X::Pdq, pdq.to_string(), "te", true),
        record(X::Md5, md5.to_string(), "te", true),
        record(X::Tmk, tmk_b64, "te", false),
    ];
    let b = store.apply_records(&page2, &Metadata::new("")).unwrap();
    assert_eq!(b.seq, seq0 + 2, "one batch");
    assert_eq!(b.removed, vec![ids[0], ids[1], ids[2]]);
    assert_eq!(b.inserted.clone().count(), 1);
    assert!(store.search(&pdq, 0).is_empty());
    assert_eq!(store.lookup_digest(&md5), &[ids[3]][..]);
    let t = store.search_tmk(&tmk, &TmkThresholds::default()).unwrap();
    assert_eq!(
        t.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![b.inserted.start]
    );
    reader.refresh().unwrap();
    assert!(reader.search(&pdq, 0).is_empty());
    assert_eq!(reader.lookup_digest(&md5), &[ids[3]][..]);
    assert_eq!(reader.signal_counts(), (1, 1));

    // A bad value names its record and applies nothing.
    let bad = vec![
        record(
            X::Md5,
            FileDigests::of_bytes(b"x").get(ExactAlg::Md5).to_string(),
            "te",
            false,
        ),
        record(X::Sha256, "zz".into(), "te", false),
    ];
    let err = store.apply_records(&bad, &Metadata::new("")).unwrap_err();
    assert!(err.to_string().contains("record 2"), "{err}");
    assert_eq!(store.seq(), seq0 + 2);

    // Within one page, a deletion cancels an earlier insert of the same signal.
    let sha = FileDigests::of_bytes(b"y").get(ExactAlg::Sha256);
    let page3 = vec![
        record(X::Sha256, sha.to_string(), "te", false),
        record(X::Sha256, sha.to_string(), "te", true),
    ];
    let c = store.apply_records(&page3, &Metadata::new("")).unwrap();
    assert_eq!(c.inserted.clone().count(), 0);
    assert!(store.lookup_digest(&sha).is_empty());
    // The template's source wins over the record's.
    let d = store
        .apply_records(&page3[..1], &Metadata::new("mine"))
        .unwrap();
    let e = store.get_signal(d.inserted.start).unwrap().unwrap();
    assert_eq!(e.metadata.source, "mine");
    assert_eq!(e.value, sha.as_bytes());
}

#[test]
fn a_tmk_that_is_not_standard_is_refused() {
    let path = store_path("bad-tmk");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let mut tmk = video(3, 20);
    tmk.pure_average.truncate(10);
    assert!(store.insert_tmk(&tmk, Metadata::new("b")).is_err());
    assert_eq!(store.seq(), 0);
    assert_eq!(store.signal_counts(), (0, 0));
}
