//! Animated PNGs (APNG) are videos too: an APNG the test makes from a clip's frames is hashed
//! as a frame sequence with its delays (the same timeline as a GIF of those frames) and
//! matched against the MP4 of the same content, with the segment at the true times, by the
//! library and through the matcher (sniffed from its bytes, read from a file without an
//! extension).

use mediamatch::db::{Database, MediaKind, Metadata};
use mediamatch::matcher::{MatchOptions, Matcher, MediaType};
use mediamatch::video::{FrameSource, GifSource, VideoHasher, VideoLimits, VideoQueryOptions};

use super::dense::expect_segment;
use super::gif::{gif_of, rgba};
use super::make::{encode_mp4, synth, synth_at, Clip};

const W: usize = 160;
const H: usize = 120;

/// An APNG of `c`'s frames, each shown `delay_ms`, looping forever.
fn apng_of(c: &Clip, delay_ms: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, c.width as u32, c.height as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_animated(c.frames.len() as u32, 0).unwrap();
        enc.set_frame_delay(delay_ms, 1000).unwrap();
        let mut w = enc.write_header().unwrap();
        for k in 0..c.frames.len() {
            w.write_image_data(rgba(c, k).as_raw()).unwrap();
        }
        w.finish().unwrap();
    }
    out
}

#[test]
fn apng_copy_matches_the_mp4() {
    let stored = VideoHasher::new()
        .hash_bytes(&encode_mp4(&synth(61, W, H, 10, 10.0), 24))
        .unwrap();
    let times: Vec<f32> = (0..60).map(|j| 2.0 + j as f32 / 10.0).collect();
    let clip = synth_at(61, W, H, 10, &times);
    let apng = apng_of(&clip, 100);
    // read as an animation: codec `apng`, the same frames on the same timeline as a GIF
    let src = GifSource::from_bytes(apng.clone(), VideoLimits::default()).unwrap();
    assert_eq!(src.info().codec, "apng");
    let h = VideoHasher::new();
    let plain = h.hash_bytes(&apng).unwrap();
    assert_eq!(
        plain.iter().map(|f| f.timestamp_ms).collect::<Vec<_>>(),
        [0, 1000, 2000, 3000, 4000, 5000]
    );
    let from_gif = h.hash_bytes(&gif_of(&clip, 100)).unwrap();
    assert_eq!(
        plain.iter().map(|f| f.frame_number).collect::<Vec<_>>(),
        from_gif.iter().map(|f| f.frame_number).collect::<Vec<_>>()
    );
    // the dense query matches the stored MP4 at the true times
    let q = h
        .hash_query_bytes(&apng, &VideoQueryOptions::dense())
        .unwrap();
    expect_segment(&q.verdict(&stored), (0.0, 5.9), (2.0, 7.9), 1.0);
    // another clip's APNG does not match
    let other = h
        .hash_query_bytes(
            &apng_of(&synth(62, W, H, 10, 6.0), 100),
            &VideoQueryOptions::dense(),
        )
        .unwrap();
    assert!(!other.verdict(&stored).matched);

    // through the matcher: sniffed as an animated image, matched as a video, from a file
    // without an extension too
    let mut db = Database::new();
    for f in &stored {
        db.insert_pdq(
            f.hash,
            Metadata::new("bank").media(MediaKind::VideoFrame {
                video_id: "v".into(),
                timestamp_ms: f.timestamp_ms,
            }),
        )
        .unwrap();
    }
    db.commit();
    let snap = db.reader().snapshot();
    let m = Matcher::new(MatchOptions::default());
    let r = m.match_bytes(&snap, &apng).unwrap();
    assert_eq!(r.media, MediaType::AnimatedImage);
    assert!(
        r.videos
            .first()
            .is_some_and(|v| v.matched && v.video_id == "v"),
        "{r:#?}"
    );
    let path = std::env::temp_dir().join(format!("mm-apng-{}", std::process::id()));
    std::fs::write(&path, &apng).unwrap();
    let rf = m.match_file(&snap, &path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(rf.unwrap().videos, r.videos);
}
