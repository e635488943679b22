//! Query-side robust matching (`VideoQueryOptions`, `QueryVideo`) on videos the tests make: a
//! mirrored copy is found only with the dihedral transforms (and under the mirror), letterbox
//! removal in addition to the plain hashes finds a letterboxed copy *and* a plain copy of an
//! original that has bars of its own, distinct videos stay apart with every option on.

use std::sync::{Arc, OnceLock};

use mediamatch::letterbox::LetterboxConfig;
use mediamatch::video::{
    AlignConfig, FrameHash, MatchRule, Mp4H264Source, QueryAlignment, QueryMatch, QueryVideo,
    VideoConfig, VideoHasher, VideoLimits, VideoQueryOptions,
};
use mediamatch::Dihedral;

use super::make::{encode_mp4, synth, Clip};

const W: usize = 320;
const H: usize = 240;
const FPS: u32 = 15;

fn stored(mp4: &[u8]) -> Vec<FrameHash> {
    VideoHasher::new().hash_bytes(mp4).unwrap()
}

fn query(mp4: &[u8], opts: &VideoQueryOptions) -> QueryVideo {
    let src = Mp4H264Source::from_bytes(Arc::from(mp4), VideoLimits::default()).unwrap();
    VideoHasher::new().hash_query_source(src, opts).unwrap()
}

/// (pytx decision, alignment) of a query against stored hashes.
fn judge(q: &QueryVideo, known: &[FrameHash]) -> (QueryMatch, QueryAlignment) {
    (
        q.match_percentages(known, MatchRule::pytx()),
        q.align(known, &AlignConfig::default()),
    )
}

fn matched(m: &QueryMatch) -> bool {
    m.percentages.query >= 80.0
}

/// Left and right swapped in every plane.
fn mirrored(c: &Clip) -> Clip {
    let (w, h) = (c.width, c.height);
    let (cw, ch) = (w / 2, h / 2);
    let flip = |plane: &[u8], pw: usize| -> Vec<u8> {
        plane
            .chunks(pw)
            .flat_map(|row| row.iter().rev().copied())
            .collect()
    };
    let frames = c
        .frames
        .iter()
        .map(|f| {
            let mut out = flip(&f[..w * h], w);
            out.extend(flip(&f[w * h..w * h + cw * ch], cw));
            out.extend(flip(&f[w * h + cw * ch..w * h + 2 * cw * ch], cw));
            out
        })
        .collect();
    Clip {
        width: w,
        height: h,
        fps: c.fps,
        frames,
    }
}

struct Fixture {
    clip: Clip,
    stored: Vec<FrameHash>,
}

fn original() -> &'static Fixture {
    static O: OnceLock<Fixture> = OnceLock::new();
    O.get_or_init(|| {
        let clip = synth(21, W, H, FPS, 10.0);
        let stored = stored(&encode_mp4(&clip, 24));
        Fixture { clip, stored }
    })
}

#[test]
fn plain_query_equals_plain_vpdq() {
    let o = original();
    let mp4 = encode_mp4(&o.clip, 30);
    let plain = stored(&mp4);
    let q = query(&mp4, &VideoQueryOptions::robust());
    assert_eq!(q.plain(), plain);
    assert_eq!(q.transforms, Dihedral::ALL.to_vec());
    assert!(q
        .frames
        .iter()
        .all(|f| f.hashes.len() == 8 && f.hashes.iter().all(|a| a.len() == 1)));
    // (no bars in these frames: letterbox removal adds no second alternative)
    // the FlipY hash of a frame is the plain hash of the mirrored frame, up to re-encoding
    let m = stored(&encode_mp4(&mirrored(&o.clip), 30));
    let flipy = 5;
    assert_eq!(Dihedral::ALL[flipy], Dihedral::FlipY);
    for (f, g) in q.frames.iter().zip(&m) {
        let d = f.hashes[flipy][0].hash.distance(&g.hash.hash);
        assert!(d <= 16, "frame {}: {d}", f.frame_number);
    }
}

#[test]
fn mirrored_copy_matches_with_transforms_only() {
    let o = original();
    let mp4 = encode_mp4(&mirrored(&o.clip), 30);
    let (m, a) = judge(&query(&mp4, &VideoQueryOptions::default()), &o.stored);
    eprintln!("mirror, plain: {m:?}, {} segments", a.segments.len());
    assert!(!matched(&m), "{m:?}");
    assert!(a.segments.is_empty(), "{a:?}");

    let (m, a) = judge(&query(&mp4, &VideoQueryOptions::robust()), &o.stored);
    eprintln!("mirror, robust: {m:?}, {a:?}");
    assert_eq!(m.transform, Dihedral::FlipY);
    assert!(matched(&m) && m.percentages.target >= 80.0, "{m:?}");
    assert_eq!(a.transform, Dihedral::FlipY);
    let s = a
        .segments
        .iter()
        .max_by_key(|s| s.frames_matched)
        .expect("a segment");
    assert!(
        s.offset_ms().abs() <= 1000 && s.frames_matched >= 7,
        "{s:?}"
    );
    // mirror only (no letterbox removal) is enough
    let only = VideoQueryOptions::default().with_transforms(&[Dihedral::Original, Dihedral::FlipY]);
    let (m, _) = judge(&query(&mp4, &only), &o.stored);
    assert!(matched(&m) && m.transform == Dihedral::FlipY, "{m:?}");
}

#[test]
fn unletterbox_is_added_to_the_plain_hashes() {
    let lb = VideoQueryOptions::default().with_unletterbox(Some(LetterboxConfig::default()));
    let o = original();
    // a letterboxed copy of a plain original: found by the unletterboxed alternative only
    let boxed = encode_mp4(&o.clip.letterboxed(40), 30);
    let (m, _) = judge(&query(&boxed, &VideoQueryOptions::default()), &o.stored);
    assert!(!matched(&m), "plain: {m:?}");
    let (m, a) = judge(&query(&boxed, &lb), &o.stored);
    eprintln!("letterboxed copy, +unlb: {m:?}, {a:?}");
    assert!(matched(&m) && m.transform == Dihedral::Original, "{m:?}");
    assert!(a.segments.iter().any(|s| s.offset_ms().abs() <= 1000));

    // an original with bars of its own, stored as is (plain vPDQ), and a plain re-encode of it:
    // hashing the copy only after bar removal (the old `+unlb`) loses it, the union keeps it
    let barred = o.clip.letterboxed(40);
    let stored_barred = stored(&encode_mp4(&barred, 24));
    let copy = encode_mp4(&barred, 30);
    let only_unlb = VideoHasher::with_config(
        VideoConfig::default().with_letterbox(Some(LetterboxConfig::default())),
    )
    .hash_bytes(&copy)
    .unwrap();
    let (m, _) = judge(&QueryVideo::from_plain(&only_unlb), &stored_barred);
    eprintln!("barred original, bar removal only: {m:?}");
    assert!(!matched(&m), "{m:?}");
    let (m, a) = judge(&query(&copy, &lb), &stored_barred);
    eprintln!("barred original, union: {m:?}");
    assert!(matched(&m) && m.percentages.target >= 80.0, "{m:?}");
    assert!(a.segments.iter().any(|s| s.offset_ms().abs() <= 1000));
}

#[test]
fn distinct_videos_do_not_match_with_every_option() {
    let o = original();
    let robust = VideoQueryOptions::robust();
    let others = [synth(22, W, H, FPS, 10.0), synth(23, W, H, FPS, 10.0)];
    for (k, other) in others.iter().enumerate() {
        for (name, clip) in [
            ("plain", other.clone()),
            ("mirrored", mirrored(other)),
            ("letterboxed", other.letterboxed(40)),
        ] {
            let q = query(&encode_mp4(&clip, 30), &robust);
            let (m, a) = judge(&q, &o.stored);
            assert!(
                m.percentages.query < 20.0 && m.percentages.target < 20.0,
                "{k} {name}: {m:?}"
            );
            assert!(a.segments.is_empty(), "{k} {name}: {a:?}");
        }
    }
}

#[test]
fn query_file_plain_hashes_equal_hash_file() {
    let path = super::fixture::data("gops-high-320x180.mp4");
    let hasher = VideoHasher::new();
    let plain = hasher.hash_file(&path).unwrap();
    let q = hasher
        .hash_query_file(&path, &VideoQueryOptions::robust())
        .unwrap();
    assert!(!plain.is_empty());
    assert_eq!(q.plain(), plain);
    // the same under the sequential decode
    let seq = VideoHasher::with_config(VideoConfig::default().with_parallel(false))
        .hash_query_file(&path, &VideoQueryOptions::robust())
        .unwrap();
    assert_eq!(seq, q);
}
