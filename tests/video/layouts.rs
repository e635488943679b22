//! Layouts on the query side: the known video shown as a picture-in-picture window at half the
//! width over other footage is found, with its segment at the true times, by the default dense
//! query's whole-video layouts (the window's border found as a boundary of independent motion,
//! [`VideoQueryOptions::layouts`]) and by the per-frame candidate rectangles
//! ([`VideoQueryOptions::dense_layouts`]); the whole frame alone does not show it.

use mediamatch::region::{Rect, RegionKind};
use mediamatch::video::{QueryVideo, VideoHasher, VideoQueryOptions, VideoVerdict};

use super::dense::{stored, times, FPS, H, SEED, W};
use super::make::{encode_mp4, synth, synth_at, Clip};

/// `fg`'s frames halved (2×2 means) and pasted at (`x`, `y`) (even) over `bg`'s frames.
fn picture_in_picture(bg: &Clip, fg: &Clip, x: usize, y: usize) -> Clip {
    let (w, h) = (bg.width, bg.height);
    let mut out = bg.clone();
    for (o, f) in out.frames.iter_mut().zip(&fg.frames) {
        // planes: (offset, width, height, scale) of Y, U, V in I420
        let planes = [
            (0, w, h, fg.width, fg.height, 0, 1),
            (
                w * h,
                w / 2,
                h / 2,
                fg.width / 2,
                fg.height / 2,
                fg.width * fg.height,
                2,
            ),
            (
                w * h + w * h / 4,
                w / 2,
                h / 2,
                fg.width / 2,
                fg.height / 2,
                fg.width * fg.height * 5 / 4,
                2,
            ),
        ];
        for (off, pw, _ph, fw, fh, foff, sub) in planes {
            let (px, py) = (x / sub, y / sub);
            for yy in 0..fh / 2 {
                for xx in 0..fw / 2 {
                    let at =
                        |dx: usize, dy: usize| f[foff + (2 * yy + dy) * fw + 2 * xx + dx] as u32;
                    let m = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) / 4;
                    o[off + (py + yy) * pw + px + xx] = m as u8;
                }
            }
        }
    }
    out
}

/// The original's seconds 2–10 at half width over 8 s of another landscape, pasted at `(x, y)`.
fn pip_copy(x: usize, y: usize) -> Vec<u8> {
    let fg = synth_at(SEED, W, H, FPS, &times(2.0, 1.0, FPS, 8.0));
    let bg = synth(SEED + 60, W, H, FPS, 8.0);
    encode_mp4(&picture_in_picture(&bg, &fg, x, y), 24)
}

/// Every accepted segment lies on the true timeline (known = 2 s + query), ±1 s at both ends,
/// at speed 1 ± 5 %; together they hold at least 4 matched frames.
fn assert_true_segments(v: &VideoVerdict) {
    assert!(v.matched, "{v:#?}");
    for s in &v.segments {
        for (q, k) in [
            (s.query_start_ms, s.known_start_ms),
            (s.query_end_ms, s.known_end_ms),
        ] {
            assert!((k as f64 - (q as f64 + 2000.0)).abs() <= 1000.0, "{s:?}");
        }
        assert!((s.speed - 1.0).abs() <= 0.05, "{s:?}");
    }
    let covered: usize = v.segments.iter().map(|s| s.frames_matched).sum();
    assert!(covered >= 4, "{v:#?}");
}

/// The query without any layouts.
fn without_layouts(hasher: &VideoHasher, mp4: &[u8]) -> QueryVideo {
    hasher
        .hash_query_bytes(mp4, &VideoQueryOptions::dense().with_layouts(None))
        .unwrap()
}

#[test]
fn picture_in_picture_found_with_per_frame_layouts() {
    let mp4 = pip_copy(24, 60);
    let hasher = VideoHasher::new();
    let opts = VideoQueryOptions::dense_layouts().with_layouts(None);
    let q = hasher.hash_query_bytes(&mp4, &opts).unwrap();
    assert!(q.layouts.is_empty());
    assert_true_segments(&q.verdict(stored()));
    let p = without_layouts(&hasher, &mp4).verdict(stored());
    assert!(!p.matched, "{p:#?}");
}

/// The default dense query finds the window as a boundary of independent motion, within a
/// pixel of where it was pasted, at two places, and matches through it.
#[test]
fn picture_in_picture_found_by_the_default_whole_video_layouts() {
    let hasher = VideoHasher::new();
    for (x, y) in [(24, 60), (136, 100)] {
        let mp4 = pip_copy(x, y);
        let q = hasher
            .hash_query_bytes(&mp4, &VideoQueryOptions::dense())
            .unwrap();
        let truth = Rect {
            left: x,
            top: y,
            width: W / 2,
            height: H / 2,
        };
        let near = |r: &Rect| {
            r.left.abs_diff(truth.left) <= 1
                && r.top.abs_diff(truth.top) <= 1
                && (r.left + r.width).abs_diff(truth.left + truth.width) <= 1
                && (r.top + r.height).abs_diff(truth.top + truth.height) <= 1
        };
        assert!(
            q.layouts
                .iter()
                .any(|l| l.kind == RegionKind::Motion && near(&l.rect)),
            "({x}, {y}): {:?}",
            q.layouts
        );
        assert_true_segments(&q.verdict(stored()));
        let p = without_layouts(&hasher, &mp4).verdict(stored());
        assert!(!p.matched, "({x}, {y}): {p:#?}");
    }
}

/// A plain copy of the original (no window) has no motion layout: the layouts cost it nothing
/// but the search of the working copies.
#[test]
fn a_plain_copy_has_no_motion_layout() {
    let mp4 = encode_mp4(&synth_at(SEED, W, H, FPS, &times(2.0, 1.0, FPS, 8.0)), 24);
    let q = VideoHasher::new()
        .hash_query_bytes(&mp4, &VideoQueryOptions::dense())
        .unwrap();
    assert!(
        q.layouts.iter().all(|l| l.kind != RegionKind::Motion),
        "{:?}",
        q.layouts
    );
    assert_true_segments(&q.verdict(stored()));
}
