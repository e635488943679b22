//! Database: file round trip, corruption, the committed fixture, and real hash lists.

use std::path::PathBuf;

use mediamatch::db::format::FORMAT_VERSION;
use mediamatch::db::{Database, ImportOptions, ListFormat, MediaKind, Metadata, OnBadLine};
use mediamatch::error::{FormatErrorKind, ParseErrorKind};
use mediamatch::index::{IndexConfig, Match, Strategy};
use mediamatch::{Error, Hash256};

use crate::rng::rng;

mod defects;
mod live;
mod signals;
mod store;

fn sample_db() -> Database {
    let mut next = rng(42);
    let mut db = Database::new();
    let shared = Hash256::from_limbs([next(), next(), next(), next()]);
    db.insert(
        shared,
        Some(100),
        Metadata::new("bank-a").content_id("a-1").label("terror"),
    )
    .unwrap();
    db.insert(shared, None, Metadata::new("bank-b").content_id("b-9"))
        .unwrap();
    for i in 0..40u64 {
        let h = Hash256::from_limbs([next(), next(), next(), next()]);
        let meta = if i % 2 == 0 {
            Metadata::new("videos").media(MediaKind::VideoFrame {
                video_id: format!("v{}", i / 10),
                timestamp_ms: i * 1000,
            })
        } else {
            Metadata::new("bank-a")
        };
        db.insert(
            h,
            if i % 3 == 0 {
                None
            } else {
                Some((i * 2) as u8)
            },
            meta,
        )
        .unwrap();
    }
    assert!(db.remove(5));
    assert!(db.remove(6));
    db
}

fn same(a: &Database, b: &Database) {
    assert_eq!(a.len(), b.len());
    assert_eq!(a.next_id(), b.next_id());
    let ea: Vec<_> = a.iter().collect();
    let eb: Vec<_> = b.iter().collect();
    assert_eq!(ea, eb);
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mediamatch-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn round_trip_is_lossless() {
    let db = sample_db();
    let path = temp("round.mmdb");
    db.save(&path).unwrap();
    let back = Database::open(&path).unwrap();
    same(&db, &back);
    // Duplicates of one hash keep both sources.
    let first = db.get(0).unwrap().hash;
    let hits = back.search(&first, 0);
    let sources: Vec<_> = hits
        .iter()
        .map(|m| back.get(m.id).unwrap().metadata.source.clone())
        .collect();
    assert_eq!(sources, ["bank-a", "bank-b"]);
    assert_eq!(back.get(1).unwrap().quality, None);
    assert!(back.get(5).is_none());
    // New ids continue after the old ones.
    let mut back = back;
    assert_eq!(
        back.insert(first, Some(1), Metadata::default()).unwrap(),
        db.next_id()
    );
    let mut bytes = Vec::new();
    db.write_to(&mut bytes).unwrap();
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    let empty = Database::new();
    let mut e = Vec::new();
    empty.write_to(&mut e).unwrap();
    assert!(Database::from_bytes(&e).unwrap().is_empty());
}

#[test]
fn truncated_and_flipped_files_give_typed_errors() {
    let mut bytes = Vec::new();
    sample_db().write_to(&mut bytes).unwrap();
    let mut next = rng(7);
    for _ in 0..50 {
        let cut = (next() % bytes.len() as u64) as usize;
        match Database::from_bytes(&bytes[..cut]) {
            Err(Error::Format(_)) => {}
            other => panic!("truncated at {cut}: {other:?}"),
        }
    }
    for _ in 0..50 {
        let mut b = bytes.clone();
        let at = (next() % b.len() as u64) as usize;
        b[at] ^= 1 << (next() % 8);
        match Database::from_bytes(&b) {
            Err(Error::Format(_)) => {}
            other => panic!("bit flipped at {at}: {other:?}"),
        }
    }
    // Every prefix, too (the file is small).
    for cut in 0..bytes.len() {
        assert!(Database::from_bytes(&bytes[..cut]).is_err());
    }
}

#[test]
fn versions_and_magic_are_checked() {
    let mut bytes = Vec::new();
    sample_db().write_to(&mut bytes).unwrap();
    assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
    for v in [0, FORMAT_VERSION + 1] {
        let mut other_version = bytes.clone();
        other_version[8..12].copy_from_slice(&v.to_le_bytes());
        match Database::from_bytes(&other_version) {
            Err(Error::Format(f)) => assert_eq!(
                f.kind(),
                &FormatErrorKind::UnsupportedVersion {
                    supported: FORMAT_VERSION,
                    found: v
                }
            ),
            other => panic!("{other:?}"),
        }
    }
    let mut foreign = bytes.clone();
    foreign[0] = b'X';
    assert!(
        matches!(Database::from_bytes(&foreign), Err(Error::Format(f)) if f.kind() == &FormatErrorKind::BadMagic)
    );
    let cut = &bytes[..bytes.len() - 3];
    assert!(
        matches!(Database::from_bytes(cut), Err(Error::Format(f)) if f.kind() == &FormatErrorKind::Truncated)
    );
    let mut flipped = bytes.clone();
    let mid = bytes.len() / 2;
    flipped[mid] ^= 4;
    assert!(
        matches!(Database::from_bytes(&flipped), Err(Error::Format(f)) if matches!(f.kind(), FormatErrorKind::ChecksumMismatch { .. }))
    );
    assert!(matches!(
        Database::open(temp("missing.mmdb")),
        Err(Error::Io(_))
    ));
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn check_fixture(db: &Database) {
    same(db, &sample_db());
    assert_eq!(db.len(), 40);
    assert_eq!(db.next_id(), 42);
    let e = db.get(12).unwrap();
    assert_eq!(
        e.metadata.media,
        MediaKind::VideoFrame {
            video_id: "v1".into(),
            timestamp_ms: 10_000
        }
    );
    assert_eq!(e.quality, Some(20));
    assert_eq!(db.get(1).unwrap().quality, None);
    // Ids 0 and 1 share one hash, stored once.
    assert_eq!(db.index().distinct_hashes(), 39);
}

/// The version-1 fixture must open forever (it cannot be regenerated: this build writes
/// version 2).
#[test]
fn fixture_v1_opens() {
    let path = fixture_path("db-v1.mmdb");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[8..12], 1u32.to_le_bytes());
    let db = Database::open(&path).expect("tests/data/db-v1.mmdb must open");
    check_fixture(&db);
    // Saving upgrades to the current version, losslessly.
    let mut v2 = Vec::new();
    db.write_to(&mut v2).unwrap();
    assert_eq!(v2[8..12], FORMAT_VERSION.to_le_bytes());
    check_fixture(&Database::from_bytes(&v2).unwrap());
}

/// The version-2 fixture must open forever (it cannot be regenerated: this build writes
/// version 3).
#[test]
fn fixture_v2_opens() {
    let path = fixture_path("db-v2.mmdb");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[8..12], 2u32.to_le_bytes());
    let db = Database::open(&path).expect("tests/data/db-v2.mmdb must open");
    check_fixture(&db);
    let mut v3 = Vec::new();
    db.write_to(&mut v3).unwrap();
    assert_eq!(v3[8..12], FORMAT_VERSION.to_le_bytes());
    check_fixture(&Database::from_bytes(&v3).unwrap());
}

/// The version-3 fixture must open forever. `REGENERATE=1` rewrites it (only when the
/// writer of version 3 is being changed on purpose, which should never happen).
#[test]
fn fixture_v3_opens() {
    let path = fixture_path("db-v3.mmdb");
    if std::env::var_os("REGENERATE").is_some() {
        sample_db().save(&path).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[8..12], 3u32.to_le_bytes());
    let db = Database::open(&path).expect("tests/data/db-v3.mmdb must open");
    check_fixture(&db);
    let mut again = Vec::new();
    db.write_to(&mut again).unwrap();
    assert_eq!(again, bytes);
}

/// A version-2 file whose structure is wrong but whose checksum is right (as a buggy writer
/// would produce) is still refused with a typed error.
#[test]
fn v2_structure_is_checked() {
    let db = sample_db();
    let mut bytes = Vec::new();
    db.write_to(&mut bytes).unwrap();
    let n = db.len();
    let u = Database::from_bytes(&bytes)
        .unwrap()
        .index()
        .distinct_hashes();
    assert_eq!((n, u), (40, 39));
    let h = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let body = (16 + h).div_ceil(8) * 8;
    let refs = body + 32 * u + 8 * n;
    let reseal = |b: &mut Vec<u8>| {
        let at = b.len() - 12;
        let crc = crc32fast::hash(&b[..at]);
        b[at..at + 4].copy_from_slice(&crc.to_le_bytes());
    };
    // The unchanged file, resealed, opens; its hash positions start 0, 0 (shared), 1, 2.
    let mut ok = bytes.clone();
    reseal(&mut ok);
    assert!(Database::from_bytes(&ok).is_ok());
    let pos = |b: &[u8], i: usize| {
        u32::from_le_bytes(b[refs + 4 * i..refs + 4 * i + 4].try_into().unwrap())
    };
    assert_eq!([pos(&bytes, 0), pos(&bytes, 1), pos(&bytes, 2)], [0, 0, 1]);
    for (entry, value) in [(2, 2u32), (2, 39), (2, u32::MAX), (39, 40), (39, 0)] {
        let mut b = bytes.clone();
        b[refs + 4 * entry..refs + 4 * entry + 4].copy_from_slice(&value.to_le_bytes());
        reseal(&mut b);
        match Database::from_bytes(&b) {
            Err(Error::Format(f)) => assert_eq!(f.kind(), &FormatErrorKind::Corrupt),
            other => panic!("position {value} at entry {entry}: {other:?}"),
        }
    }
}

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MEDIAMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("pdq-vectors/hash-lists").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{}: shared test data not found (set MEDIAMATCH_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "skipping: {} not found (set MEDIAMATCH_SHARED to the shared data directory)",
        dir.display()
    );
    None
}

#[test]
fn real_hash_lists_load_and_search_exactly() {
    let Some(shared) = shared_dir() else { return };
    let lists = shared.join("pdq-vectors/hash-lists");
    let mut db = Database::with_config(IndexConfig::default().mih_min_len(1)).unwrap();
    let mut all: Vec<(u64, Hash256)> = Vec::new();
    for name in [
        "haystack.txt",
        "needles.txt",
        "long256.dat",
        "short256.dat",
        "order256.dat",
    ] {
        let file = std::fs::File::open(lists.join(name)).unwrap();
        let report = db
            .import_list(
                std::io::BufReader::new(file),
                &ImportOptions::default(),
                &Metadata::new(name),
            )
            .unwrap();
        assert!(report.skipped.is_empty());
        let text = std::fs::read_to_string(lists.join(name)).unwrap();
        let hashes: Vec<Hash256> = text.lines().map(|l| l.trim().parse().unwrap()).collect();
        assert_eq!(
            report.ids.end - report.ids.start,
            hashes.len() as u64,
            "{name}"
        );
        all.extend(report.ids.zip(hashes));
    }
    assert_eq!(db.len(), 1350 + 100 + 50 + 6 + 2);
    let queries: Vec<Hash256> = all.iter().step_by(7).map(|x| x.1).collect();
    for q in &queries {
        for r in [0, 31, 52, 90] {
            let mut want: Vec<Match> = all
                .iter()
                .map(|(id, h)| Match {
                    id: *id,
                    distance: h.distance(q),
                })
                .filter(|m| m.distance <= r)
                .collect();
            want.sort();
            for s in [Strategy::Flat, Strategy::MultiIndex, Strategy::Auto] {
                assert_eq!(db.index().search_with(s, q, r), want);
            }
        }
    }
    // The 64-bit lists are not PDQ lists: rejected with the line number.
    let file = std::fs::File::open(lists.join("short64.dat")).unwrap();
    match Database::new().import_list(
        std::io::BufReader::new(file),
        &ImportOptions::default(),
        &Metadata::default(),
    ) {
        Err(Error::Parse(p)) => {
            assert_eq!(p.line(), Some(1));
            assert!(matches!(p.kind(), ParseErrorKind::Hash(_)));
        }
        other => panic!("{other:?}"),
    }
    let file = std::fs::File::open(lists.join("long64.dat")).unwrap();
    let skip = ImportOptions::default().on_bad_line(OnBadLine::Skip);
    let report = Database::new()
        .import_list(std::io::BufReader::new(file), &skip, &Metadata::default())
        .unwrap();
    assert_eq!(report.skipped.len(), 667);
    // Export and re-import keep every hash and quality.
    let mut csv = Vec::new();
    db.export_list(&mut csv, ListFormat::Csv).unwrap();
    let mut again = Database::new();
    again
        .import_list(&csv[..], &ImportOptions::default(), &Metadata::default())
        .unwrap();
    let a: Vec<_> = db.iter().map(|e| (e.hash, e.quality)).collect();
    let b: Vec<_> = again.iter().map(|e| (e.hash, e.quality)).collect();
    assert_eq!(a, b);
}
