//! Animated GIFs are videos: a GIF the test makes from a clip's frames is hashed as a frame
//! sequence with its delays and matched against the MP4 of the same content, with the
//! segment at the true times; media are detected by content, not by file name.

use image::codecs::gif::GifEncoder;
use image::{Delay, Frame, RgbaImage};

use mediamatch::video::{QueryVideo, VideoHasher, VideoQueryOptions};

use super::dense::expect_segment;
use super::make::{encode_mp4, synth, synth_at, Clip};

const W: usize = 160;
const H: usize = 120;

/// RGBA of a clip's YUV 4:2:0 frame (BT.601, limited range).
pub(super) fn rgba(c: &Clip, k: usize) -> RgbaImage {
    let (w, h) = (c.width, c.height);
    let f = &c.frames[k];
    let (cw, ch) = (w / 2, h / 2);
    let mut out = RgbaImage::new(w as u32, h as u32);
    for y in 0..h {
        for x in 0..w {
            let yy = 1.164 * (f[y * w + x] as f32 - 16.0);
            let u = f[w * h + (y / 2) * cw + x / 2] as f32 - 128.0;
            let v = f[w * h + cw * ch + (y / 2) * cw + x / 2] as f32 - 128.0;
            let px = [yy + 1.596 * v, yy - 0.392 * u - 0.813 * v, yy + 2.017 * u]
                .map(|p| p.clamp(0.0, 255.0) as u8);
            out.put_pixel(x as u32, y as u32, image::Rgba([px[0], px[1], px[2], 255]));
        }
    }
    out
}

/// A GIF of `c`'s frames, each shown `delay_ms`.
pub(super) fn gif_of(c: &Clip, delay_ms: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut out, 30);
        for k in 0..c.frames.len() {
            enc.encode_frame(Frame::from_parts(
                rgba(c, k),
                0,
                0,
                Delay::from_numer_denom_ms(delay_ms, 1),
            ))
            .unwrap();
        }
    }
    out
}

/// A GIF copy of seconds 2–8 of a 10 s clip (10 frames per second, 100 ms delays) matches the
/// MP4 of the clip, with the segment at the true times (±1 s) and speed 1; a GIF of another
/// clip does not.
#[test]
fn gif_copy_matches_the_mp4() {
    let stored = VideoHasher::new()
        .hash_bytes(&encode_mp4(&synth(51, W, H, 10, 10.0), 24))
        .unwrap();
    let times: Vec<f32> = (0..60).map(|j| 2.0 + j as f32 / 10.0).collect();
    let gif = gif_of(&synth_at(51, W, H, 10, &times), 100);
    // plain hashing: a frame sequence on the GIF's timeline (50 fps ticks), one per second
    let plain = VideoHasher::new().hash_bytes(&gif).unwrap();
    assert_eq!(
        plain.iter().map(|h| h.timestamp_ms).collect::<Vec<_>>(),
        [0, 1000, 2000, 3000, 4000, 5000]
    );
    let q: QueryVideo = VideoHasher::new()
        .hash_query_bytes(&gif, &VideoQueryOptions::dense())
        .unwrap();
    expect_segment(&q.verdict(&stored), (0.0, 5.9), (2.0, 7.9), 1.0);

    let other = gif_of(&synth(52, W, H, 10, 6.0), 100);
    let q = VideoHasher::new()
        .hash_query_bytes(&other, &VideoQueryOptions::dense())
        .unwrap();
    assert!(!q.verdict(&stored).matched);
}

/// Files are recognised by their content: an MP4 named `.gif` and a GIF named `.mp4` (and
/// one without an extension) hash as what they are.
#[test]
fn media_detected_by_content_not_name() {
    let clip = synth(53, W, H, 10, 3.0);
    let mp4 = encode_mp4(&clip, 24);
    let gif = gif_of(&clip, 100);
    let h = VideoHasher::new();
    let dir = std::env::temp_dir().join(format!("mm-video-gif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("really-an-mp4.gif", &mp4),
        ("really-a-gif.mp4", &gif),
        ("no-extension", &mp4),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(
            h.hash_file(&path).unwrap(),
            h.hash_bytes(bytes).unwrap(),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
