//! `matcher::UploadChecker` on bytes in memory against a store with TMK entries: the TMK
//! check runs (built-in decoder) and finds the clip's reference `.tmk`; after the writer
//! banks the file's digests, `refresh` makes the next check an exact hit that decodes nothing.

use mediamatch::db::{Metadata, Store};
use mediamatch::filehash::FileDigests;
use mediamatch::index::IndexConfig;
use mediamatch::matcher::{MatchOptions, Matcher, UploadChecker, UploadOptions};
use mediamatch::tmk::{level1, level2, TmkFeatures};

use super::vectors;

#[test]
fn upload_check_of_bytes_finds_tmk_then_exact_after_refresh() {
    let Some(v) = vectors() else { return };
    let clip = "test-padded-dimensions";
    let bytes = std::fs::read(v.join(format!("videos/{clip}.mp4"))).unwrap();
    let reference =
        TmkFeatures::read_file(v.join(format!("tmk-regenerated-ffmpeg5.1/{clip}.tmk"))).unwrap();
    let dir = std::env::temp_dir().join(format!("mediamatch-tmk-upload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bank.db");
    let mut store = Store::open(&path, IndexConfig::default()).unwrap();
    let id = store
        .insert_tmk(&reference, Metadata::new("gifct").content_id(clip))
        .unwrap();
    // The plain vPDQ query keeps the test short; TMK is what is checked here.
    let matcher = Matcher::new(MatchOptions::plain());
    let mut checker = UploadChecker::open_store(
        &path,
        IndexConfig::default(),
        matcher,
        UploadOptions::default(),
    )
    .unwrap();
    assert!(checker.checks_tmk());
    let r = checker.check_bytes(&bytes).unwrap();
    assert!(r.exact.is_empty() && r.tmk_checked && r.perceptual.is_some());
    assert_eq!(r.tmk.len(), 1);
    let hit = &r.tmk[0];
    assert_eq!(
        (hit.entry_id, hit.metadata.content_id.as_deref()),
        (id, Some(clip))
    );
    // The scores are the scorer's on our features of the same bytes (built-in path).
    let mut src = mediamatch::video::Mp4H264Source::from_bytes(
        bytes.clone().into(),
        mediamatch::video::VideoLimits::default(),
    )
    .unwrap();
    let ours = mediamatch::tmk::hash_frame_source(&mut src).unwrap();
    assert_eq!(
        (hit.level1, hit.level2),
        (level1(&ours, &reference), level2(&ours, &reference))
    );
    assert!(hit.level1 >= 0.99 && hit.level2 >= 0.99, "{hit:?}");
    // Without TMK: not checked.
    let plain = UploadChecker::open_store(
        &path,
        IndexConfig::default(),
        Matcher::new(MatchOptions::plain()),
        UploadOptions::default().with_tmk(false),
    )
    .unwrap();
    assert!(!plain.checks_tmk());

    // The writer banks the file's digests; the checker sees them after a refresh.
    store
        .insert_file_digests(
            &FileDigests::of_bytes(&bytes),
            Metadata::new("gifct").content_id(clip),
        )
        .unwrap();
    assert!(checker.check_bytes(&bytes).unwrap().exact.is_empty());
    assert!(checker.refresh().unwrap() > 0);
    let r = checker.check_bytes(&bytes).unwrap();
    assert_eq!(r.exact.len(), 1);
    assert_eq!(r.exact[0].signal.name(), "md5");
    assert!(!r.tmk_checked && r.perceptual.is_none(), "nothing decoded");
    // Not an upload at all: an unknown-format error, not a panic.
    assert!(checker.check_bytes(b"not media").is_err());
    drop((store, checker, plain));
    let _ = std::fs::remove_dir_all(&dir);
}
