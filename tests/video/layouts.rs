//! Per-frame layouts on the query side ([`VideoQueryOptions::dense_layouts`]): the known video
//! shown as a picture-in-picture window at half the width over other footage is found, with
//! its segment at the true times, through the frames' candidate rectangles.

use mediamatch::video::{VideoHasher, VideoQueryOptions};

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

/// The original's seconds 2–10 at half width over 8 s of another landscape.
#[test]
fn picture_in_picture_found_with_layouts() {
    let fg = synth_at(SEED, W, H, FPS, &times(2.0, 1.0, FPS, 8.0));
    let bg = synth(SEED + 60, W, H, FPS, 8.0);
    let mp4 = encode_mp4(&picture_in_picture(&bg, &fg, 24, 60), 24);
    let hasher = VideoHasher::new();
    let q = hasher
        .hash_query_bytes(&mp4, &VideoQueryOptions::dense_layouts())
        .unwrap();
    let v = q.verdict(stored());
    assert!(v.matched, "{v:#?}");
    // every accepted segment lies on the true timeline (known = 2 s + query), ±1 s at both
    // ends, at speed 1 ± 5 %; together they cover at least half of the 8 known seconds
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
    // the whole frame alone does not show it
    let plain = hasher
        .hash_query_bytes(&mp4, &VideoQueryOptions::dense())
        .unwrap();
    let p = plain.verdict(stored());
    assert!(!p.matched, "{p:#?}");
}
