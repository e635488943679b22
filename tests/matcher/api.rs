//! The one-call API: evidence per known item, the consortium rule on the stored side, sniffing
//! from bytes, typed errors, banked derived views, videos per known video.

use std::io::Cursor;

use mediamatch::db::{Database, MediaKind, Metadata};
use mediamatch::matcher::{bank_views, BankViews, Item, MatchOptions, Matcher, MediaType, View};
use mediamatch::video::{FrameHash, QueryVideo};
use mediamatch::{Dihedral, Error, Hash256, LumaImage, PdqHash, PdqHasher};

use super::{picture, scratch};

fn png(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn stored_entries_below_quality_50_do_not_match_by_default() {
    let img = picture(3, 200, 150);
    let h = PdqHasher::new().hash_image(&img);
    let mut db = Database::new();
    // the same hash, stored with a known low quality, and once without a quality
    db.insert(h.hash, Some(34), Metadata::new("low").content_id("a"))
        .unwrap();
    db.commit();
    let snap = db.reader().snapshot();
    let default = Matcher::new(MatchOptions::default());
    assert!(!default.match_image(&snap, &img).is_match());
    let lenient = Matcher::new(MatchOptions::default().with_min_stored_quality(0));
    let r = lenient.match_image(&snap, &img);
    assert_eq!(r.images.len(), 1);
    assert_eq!(r.images[0].distance, 0);
    assert_eq!(r.images[0].stored_quality, Some(34));
    db.insert(h.hash, None, Metadata::new("unknown").content_id("b"))
        .unwrap();
    db.commit();
    let r = default.match_image(&db.reader().snapshot(), &img);
    assert_eq!(r.images.len(), 1, "unknown quality is matched");
    assert_eq!(r.images[0].metadata.source, "unknown");
}

#[test]
fn one_result_per_item_with_the_evidence() {
    let img = picture(5, 240, 180);
    let m = Matcher::new(MatchOptions::default());
    let mut db = Database::new();
    let ids = m
        .bank_image(
            &mut db,
            &img,
            Metadata::new("bank").content_id("c5").label("x"),
            Some(&BankViews::default()),
        )
        .unwrap();
    assert_eq!(ids.len(), 1 + BankViews::default().count());
    let other = picture(6, 240, 180);
    m.bank_image(
        &mut db,
        &other,
        Metadata::new("bank").content_id("c6"),
        None,
    )
    .unwrap();
    db.commit();
    let snap = db.reader().snapshot();
    // the original itself: one item, matched at 0 by its own (not derived) entry, plain view
    let r = m.match_image(&snap, &img);
    assert_eq!(r.images.len(), 1);
    let hit = &r.images[0];
    assert_eq!(
        hit.item,
        Item::Content {
            source: "bank".into(),
            content_id: "c5".into()
        }
    );
    assert_eq!(
        (hit.distance, hit.entry_id, hit.derived_entry),
        (0, ids[0], false)
    );
    assert_eq!(hit.derivation.view, View::Plain);
    assert_eq!(hit.derivation.transform, Dihedral::Original);
    assert!(hit.entries_matched >= 1);
    assert_eq!(hit.metadata.labels, ["x"]);
    // a 30 % cut from the left: the derived view banked for it is the same crop
    let (w, h) = (img.width(), img.height());
    let cut = img.crop_imm(w * 3 / 10, 0, w - w * 3 / 10, h);
    let r = m.match_image(&snap, &cut);
    assert_eq!(r.images.len(), 1);
    assert!(r.images[0].derived_entry);
    assert_eq!(r.images[0].metadata.derived.as_deref(), Some("cut-l30"));
    // and the banked views are what bank_views computes
    let views = bank_views(
        &PdqHasher::new(),
        &LumaImage::from_image(&img),
        &BankViews::default(),
    );
    for (v, id) in views.iter().zip(&ids[1..]) {
        assert_eq!(snap.get(*id).unwrap().hash, v.hash.hash);
    }
}

#[test]
fn media_type_comes_from_the_bytes_not_the_name() {
    let img = picture(7, 200, 150);
    let m = Matcher::new(MatchOptions::plain());
    let mut db = Database::new();
    m.bank_image(&mut db, &img, Metadata::new("s"), None)
        .unwrap();
    db.commit();
    let snap = db.reader().snapshot();
    let dir = scratch("sniff");
    let path = dir.join("holiday.mp4"); // a PNG, whatever the name says
    std::fs::write(&path, png(&img)).unwrap();
    let r = m.match_file(&snap, &path).unwrap();
    assert_eq!(r.media, MediaType::Image);
    assert_eq!(r.images.len(), 1);
    let r = m.match_bytes(&snap, &png(&img)).unwrap();
    assert_eq!((r.media, r.images[0].distance), (MediaType::Image, 0));
    // unknown bytes and truncated images: typed errors
    assert!(matches!(
        m.match_bytes(&snap, b"not media at all"),
        Err(Error::Decode(_))
    ));
    let bytes = png(&img);
    for n in [9, 40, bytes.len() / 2] {
        assert!(m.match_bytes(&snap, &bytes[..n]).is_err(), "{n} bytes");
    }
    let junk = dir.join("junk.jpg");
    std::fs::write(&junk, b"\0\0\0\0garbage").unwrap();
    match m.match_file(&snap, &junk) {
        Err(Error::Decode(d)) => assert_eq!(d.path(), Some(junk.as_path())),
        other => panic!("{other:?}"),
    }
    // an MP4 signature with garbage behind it: a typed error, not a panic
    assert!(m
        .match_bytes(&snap, b"\0\0\0\x18ftypmp42\0\0\0\0garbage")
        .is_err());
}

#[test]
fn a_query_video_is_matched_per_known_video() {
    let frame = |s: u64, seed: u64| {
        let img = picture(seed * 100 + s, 96, 72);
        FrameHash {
            frame_number: s * 25,
            timestamp_ms: s * 1000,
            hash: PdqHasher::new().hash_image(&img),
        }
    };
    let known: Vec<FrameHash> = (0..6).map(|s| frame(s, 1)).collect();
    let mut db = Database::new();
    for f in &known {
        db.insert_pdq(
            f.hash,
            Metadata::new("v").media(MediaKind::VideoFrame {
                video_id: "v1".into(),
                timestamp_ms: f.timestamp_ms,
            }),
        )
        .unwrap();
    }
    // an unrelated still image
    db.insert_pdq(
        PdqHash {
            hash: Hash256::from_bytes([0xa5; 32]),
            quality: 100,
        },
        Metadata::new("img"),
    )
    .unwrap();
    db.commit();
    let snap = db.reader().snapshot();
    // the query shows known seconds 2..6 from its own second 0
    let q: Vec<FrameHash> = known[2..]
        .iter()
        .enumerate()
        .map(|(k, f)| FrameHash {
            frame_number: k as u64 * 25,
            timestamp_ms: k as u64 * 1000,
            hash: f.hash,
        })
        .collect();
    let r =
        Matcher::new(MatchOptions::default()).match_query_video(&snap, &QueryVideo::from_plain(&q));
    assert_eq!(r.media, MediaType::Video);
    assert_eq!(r.videos.len(), 1);
    let v = &r.videos[0];
    assert_eq!(
        (v.video_id.as_str(), v.frames_matched, v.query_frames),
        ("v1", 4, 4)
    );
    assert_eq!(v.query_pct, 100.0);
    assert!((v.known_pct - 100.0 * 4.0 / 6.0).abs() < 1e-9);
    assert_eq!(v.segments.len(), 1);
    assert_eq!(v.segments[0].offset_ms(), -2000);
    assert!(r.frame_hits.is_empty());
}

#[test]
fn the_library_never_imports_the_benchmark() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut offenders = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p != src.join("robustness") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") && p != src.join("lib.rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                if text.contains("crate::robustness") || text.contains("super::robustness") {
                    offenders.push(p);
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}
