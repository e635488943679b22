//! Regression tests for the defects of issue 12 found by probing the database as a platform
//! runs it.

use mediamatch::db::{read_hash_list, Database, ImportOptions, ListFormat, MediaKind, Metadata};
use mediamatch::error::{ParseErrorKind, StoreErrorKind};
use mediamatch::video::{vpdq, FrameHash};
use mediamatch::{Error, Hash256, PdqHash};

use super::temp;
use crate::rng::rng;

const H: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// An empty version-3 file with the given `next_id`, built byte by byte from the layout in
/// `db::format` (independent of the writer).
fn empty_file(next_id: u64) -> Vec<u8> {
    let mut header = vec![0u8, 0]; // count 0, distinct 0 (varints)
    if next_id < 251 {
        header.push(next_id as u8);
    } else {
        header.push(253);
        header.extend_from_slice(&next_id.to_le_bytes());
    }
    header.push(0); // empty metadata table
    let mut b = b"MMHASHDB".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&(header.len() as u32).to_le_bytes());
    b.extend_from_slice(&header);
    while !b.len().is_multiple_of(8) {
        b.push(0);
    }
    b.extend_from_slice(&0u64.to_le_bytes()); // body length
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b.extend_from_slice(b"MMHASHDB");
    b
}

fn is_exhausted(r: Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(r, Err(Error::Store(ref s)) if s.kind() == &StoreErrorKind::IdsExhausted)
}

#[test]
fn ids_never_wrap() {
    let mut db = Database::from_bytes(&empty_file(u64::MAX)).unwrap();
    assert_eq!(db.next_id(), u64::MAX);
    assert!(is_exhausted(db.insert(
        Hash256::ZERO,
        None,
        Metadata::new("a")
    )));
    assert!(db.is_empty());

    let mut db = Database::from_bytes(&empty_file(u64::MAX - 1)).unwrap();
    let two = (0..2).map(|_| (Hash256::ZERO, None, Metadata::new("a")));
    assert!(is_exhausted(db.insert_many(two)));
    assert!(db.is_empty(), "a refused batch adds nothing");
    let id = db
        .insert(Hash256::ZERO, Some(50), Metadata::new("a"))
        .unwrap();
    assert_eq!(id, u64::MAX - 1);
    assert!(is_exhausted(db.insert(
        Hash256::ZERO,
        None,
        Metadata::new("b")
    )));
    let path = temp("ids-max.mmdb");
    db.save(&path).unwrap();
    let back = Database::open(&path).unwrap();
    assert_eq!((back.len(), back.next_id()), (1, u64::MAX));
    assert_eq!(back.get(u64::MAX - 1).unwrap().quality, Some(50));
}

/// A save killed between creating its temporary file and the rename leaves the file behind;
/// the next open removes it (the process that wrote it is gone).
#[test]
fn killed_save_temp_files_are_cleaned_at_open() {
    let path = temp("stale/bank.mmdb");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut db = Database::new();
    db.insert(Hash256::ZERO, None, Metadata::new("a")).unwrap();
    db.save(&path).unwrap();
    // A process id above the kernel's pid_max (4 194 304) never runs.
    let stale = path.with_file_name(format!(".bank.mmdb.{}.3.tmp", u32::MAX - 1));
    let other = path.with_file_name(".other.mmdb.1.0.tmp");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    std::fs::write(&other, b"x").unwrap();
    assert_eq!(Database::open(&path).unwrap().len(), 1);
    assert!(!stale.exists(), "stale temporary file left behind");
    assert!(other.exists(), "another database's file was touched");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// 2 M entries, each with its own content id: the file that broke (bincode's decoder
/// charged more than the header limit the writer checked). Save, then open, must work.
#[test]
fn two_million_distinct_content_ids_save_and_open() {
    let mut next = rng(12);
    let n = 2_000_000u64;
    let mut db = Database::new();
    db.insert_many((0..n).map(|i| {
        let h = Hash256::from_limbs([next(), next(), next(), next()]);
        let m = Metadata::new("bank").content_id(format!("case-{i:08}"));
        (h, Some((i % 101) as u8), m)
    }))
    .unwrap();
    let path = temp("two-million.mmdb");
    db.save(&path).unwrap();
    drop(db);
    let back = Database::open(&path).unwrap();
    assert_eq!(back.len(), n as usize);
    let e = back.get(1_234_567).unwrap();
    assert_eq!(e.metadata.content_id.as_deref(), Some("case-01234567"));
    assert_eq!(e.quality, Some((1_234_567 % 101) as u8));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn signal_type_rows_are_data_not_a_header() {
    let text = format!("pdq {H}\npdq {H} 80 case-2\n");
    let list = read_hash_list(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(list.rows.len(), 2);
    assert_eq!(list.rows[0].hash, H.parse().unwrap());
    assert_eq!(list.rows[1].quality, Some(80));
    assert_eq!(list.rows[1].content_id.as_deref(), Some("case-2"));
    // A first line that is neither a header nor a row is an error naming line 1.
    for bad in ["type value\nxx\n", "md5 abc\n", "banana,cherry\n"] {
        let e = read_hash_list(bad.as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(
            matches!(e, Error::Parse(ref p) if p.line() == Some(1)),
            "{bad:?}: {e:?}"
        );
    }
}

fn frames() -> Vec<FrameHash> {
    let mut next = rng(3);
    (0..5u64)
        .map(|i| FrameHash {
            frame_number: i * 30,
            timestamp_ms: i * 1000,
            hash: PdqHash {
                hash: Hash256::from_limbs([next(), next(), next(), next()]),
                quality: 60 + i as u8,
            },
        })
        .collect()
}

#[test]
fn vpdq_files_import_as_video_frames() {
    let frames = frames();
    let text = vpdq::write_lines(&frames);
    let mut db = Database::new();
    let ids = db
        .import_vpdq(&text, "vid-42", &Metadata::new("bank").label("x"))
        .unwrap();
    assert_eq!(ids, 0..5);
    for (id, f) in ids.zip(&frames) {
        let e = db.get(id).unwrap();
        assert_eq!((e.hash, e.quality), (f.hash.hash, Some(f.hash.quality)));
        assert_eq!(
            e.metadata.media,
            MediaKind::VideoFrame {
                video_id: "vid-42".into(),
                timestamp_ms: f.timestamp_ms
            }
        );
        assert_eq!(e.metadata.labels, ["x"]);
    }
    // Given to the hash-list reader, a vPDQ file is an error naming line 1, not rows.
    let e = db
        .import_list(
            text.as_bytes(),
            &ImportOptions::default(),
            &Metadata::new("b"),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Parse(ref p) if p.line() == Some(1)));
    assert_eq!(db.len(), 5);
    // A bad vPDQ line adds nothing.
    let bad = format!("{text}oops\n");
    assert!(db.import_vpdq(&bad, "v", &Metadata::new("b")).is_err());
    assert_eq!(db.len(), 5);
}

#[test]
fn export_import_round_trips_all_metadata() {
    let mut db = super::sample_db();
    let h = Hash256::from_limbs([9, 8, 7, 6]);
    let odd = Metadata::new("bank, \"quoted\"")
        .content_id("id|with|pipes")
        .label("a|b")
        .label("back\\slash")
        .label("")
        .derived("crop-c90");
    db.insert(h, Some(0), odd).unwrap();
    db.insert(h, None, Metadata::new("s").label("only"))
        .unwrap();
    let mut csv = Vec::new();
    db.export_list(&mut csv, ListFormat::Csv).unwrap();
    let mut back = Database::new();
    let template = Metadata::new("template").label("template-label");
    let report = back
        .import_list(&csv[..], &ImportOptions::default(), &template)
        .unwrap();
    assert!(report.skipped.is_empty());
    let strip = |d: &Database| {
        d.iter()
            .map(|e| (e.hash, e.quality, e.metadata.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&back), strip(&db));
    assert!(strip(&back)
        .iter()
        .any(|(_, _, m)| matches!(m.media, MediaKind::VideoFrame { .. })));
    // The hex form holds hashes only; every hash comes back.
    let mut hex = Vec::new();
    db.export_list(&mut hex, ListFormat::Hex).unwrap();
    let list = read_hash_list(&hex[..], &ImportOptions::default()).unwrap();
    assert_eq!(list.rows.len(), db.len());
}

#[test]
fn bad_media_rows_name_their_line() {
    let text = format!(
        "hash,media,video_id,timestamp_ms\n{H},image,,\n{H},video_frame,v,12\n{H},video_frame,,5\n"
    );
    let e = read_hash_list(text.as_bytes(), &ImportOptions::default()).unwrap_err();
    match e {
        Error::Parse(p) => {
            assert_eq!(p.line(), Some(4));
            assert!(matches!(p.kind(), ParseErrorKind::Field(_)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn media_kind_serialises_internally_tagged() {
    let v = MediaKind::VideoFrame {
        video_id: "v9".into(),
        timestamp_ms: 12_000,
    };
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"video_frame","video_id":"v9","timestamp_ms":12000}"#
    );
    assert_eq!(serde_json::from_str::<MediaKind>(&json).unwrap(), v);
    assert_eq!(
        serde_json::to_string(&MediaKind::Image).unwrap(),
        r#"{"kind":"image"}"#
    );
}

/// `open` honours the caller's index configuration, and a small `insert_many` into a large
/// database adds to it (same results as the brute-force oracle either way).
#[test]
fn open_with_config_and_small_batches() {
    use mediamatch::index::{IndexConfig, Strategy};
    let mut next = rng(21);
    let mut db = Database::new();
    let mut all = Vec::new();
    let batch: Vec<_> = (0..50_000)
        .map(|_| Hash256::from_limbs([next(), next(), next(), next()]))
        .collect();
    db.insert_many(batch.iter().map(|h| (*h, None, Metadata::new("a"))))
        .unwrap();
    all.extend(batch);
    let path = temp("config.mmdb");
    db.save(&path).unwrap();
    let config = IndexConfig::default().strategy(Strategy::MultiIndex);
    let mut opened = Database::open_with_config(&path, config.clone()).unwrap();
    assert_eq!(opened.index().config(), &config);
    let small: Vec<_> = (0..20).map(|i| flip(all[i * 97], 5 + i as u32)).collect();
    let ids = opened
        .insert_many(small.iter().map(|h| (*h, Some(1), Metadata::new("b"))))
        .unwrap();
    assert_eq!(ids, 50_000..50_020);
    all.extend(small);
    for q in all.iter().step_by(2_501).take(20) {
        let mut got: Vec<u64> = opened.search(q, 31).iter().map(|m| m.id).collect();
        got.sort_unstable();
        let want: Vec<u64> = (0..all.len() as u64)
            .filter(|&i| all[i as usize].distance(q) <= 31)
            .collect();
        assert_eq!(got, want);
    }
    std::fs::remove_file(&path).unwrap();
}

fn flip(mut h: Hash256, bits: u32) -> Hash256 {
    for b in 0..bits as usize {
        h.set_bit(b * 7, !h.bit(b * 7));
    }
    h
}
