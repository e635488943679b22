//! Resource bounds on the upload path: pixel cap, allocation limit checked from the header,
//! cancellation and time limit, and every input kind reaching the same hash.

use std::time::Duration;

use image::{DynamicImage, RgbImage};
use mediamatch::error::DecodeErrorKind;
use mediamatch::{
    CancelToken, ClassicAlg, ClassicHasher, DecodeLimits, Error, ImageInput, LumaImage, PdqHasher,
    PdqMode, PixelFormat, RawFrame,
};

/// The decompression bomb of issue 14: a 1-bit grey PNG of `side` x `side` pixels, all black
/// (a few hundred KB on disk, `side`² bytes once decoded to 8-bit grey).
pub(crate) fn one_bit_png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().unwrap();
        let mut s = w.stream_writer().unwrap();
        let row = vec![0u8; side.div_ceil(8) as usize];
        for _ in 0..side {
            std::io::Write::write_all(&mut s, &row).unwrap();
        }
        s.finish().unwrap();
    }
    out
}

fn kind(r: Result<impl std::fmt::Debug, Error>) -> DecodeErrorKind {
    match r {
        Err(Error::Decode(d)) => d.kind(),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x as f32 * 0.07).sin() * 90.0 + (y as f32 * 0.05).cos() * 60.0 + 128.0) as u8;
        image::Rgb([
            v,
            (x * 3 % 256) as u8,
            if (x / 17 + y / 13) % 2 == 0 { 200 } else { 30 },
        ])
    })
}

fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn twenty_thousand_squared_one_bit_png_bomb_refused_by_default() {
    let bomb = one_bit_png(20_000);
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    // 400 M pixels: over the default pixel cap, refused from the header.
    let err = PdqHasher::new().hash_bytes(&bomb).unwrap_err();
    assert!(err.to_string().contains("max_pixels"), "{err}");
    assert_eq!(
        kind(PdqHasher::new().hash_input(&bomb)),
        DecodeErrorKind::LimitsExceeded
    );
    assert_eq!(
        kind(mediamatch::decode_image(
            &bomb,
            DecodeLimits::default(),
            false
        )),
        DecodeErrorKind::LimitsExceeded
    );
    assert_eq!(
        kind(ClassicHasher::new(ClassicAlg::PHash).hash_bytes(&bomb)),
        DecodeErrorKind::LimitsExceeded
    );
    // With the pixel cap lifted, the allocation limit still refuses the 400 MB grey buffer
    // before it exists (the decoded buffer is compared with max_alloc).
    let lifted = DecodeLimits::default()
        .with_max_pixels(u64::MAX)
        .with_max_alloc(256 << 20);
    let err = PdqHasher::new()
        .with_limits(lifted)
        .hash_bytes(&bomb)
        .unwrap_err();
    assert!(err.to_string().contains("decoded image"), "{err}");
}

#[test]
fn pixel_cap_and_alloc_limit_are_exact_at_the_boundary() {
    let img = DynamicImage::ImageRgb8(photo(300, 200));
    let bytes = png(&img);
    let expected = PdqHasher::new().hash_image(&img);
    let at = |limits: DecodeLimits| PdqHasher::new().with_limits(limits).hash_bytes(&bytes);
    assert_eq!(
        at(DecodeLimits::default().with_max_pixels(60_000)).unwrap(),
        expected
    );
    assert_eq!(
        kind(at(DecodeLimits::default().with_max_pixels(59_999))),
        DecodeErrorKind::LimitsExceeded
    );
    // 300 x 200 x 3 = 180 000 bytes decoded.
    assert_eq!(
        kind(at(DecodeLimits::default().with_max_alloc(179_999))),
        DecodeErrorKind::LimitsExceeded
    );
    assert_eq!(
        at(DecodeLimits::default().with_max_alloc(400_000)).unwrap(),
        expected
    );
    // A 16-bit grey image needs an 8-bit RGB copy too (2 bytes per pixel decoded, 3 for
    // the copy): the copy is checked from the header as well.
    let grey16 = DynamicImage::ImageLuma16(img.to_luma16());
    let grey_png = png(&grey16);
    let want = PdqHasher::new().hash_image(&grey16);
    let h = PdqHasher::new().with_limits(DecodeLimits::default().with_max_alloc(180_000));
    assert_eq!(h.hash_bytes(&grey_png).unwrap(), want);
    let h = PdqHasher::new().with_limits(DecodeLimits::default().with_max_alloc(150_000));
    let err = h.hash_bytes(&grey_png).unwrap_err();
    assert!(err.to_string().contains("8-bit conversion"), "{err}");
}

#[test]
fn default_cap_passes_phone_photos_and_refuses_bombs() {
    let d = DecodeLimits::default();
    for (w, h) in [(4032u64, 3024u64), (8160, 6120), (12_000, 9_000)] {
        assert!(w * h <= d.max_pixels, "{w}x{h}");
    }
    for (w, h) in [(18_000u64, 18_000u64), (20_000, 20_000)] {
        assert!(w * h > d.max_pixels, "{w}x{h}");
    }
}

#[test]
fn cancel_token_and_time_limit_stop_every_entry_point() {
    let img = DynamicImage::ImageRgb8(photo(160, 120));
    let bytes = png(&img);
    let dir = std::env::temp_dir().join(format!("mm-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.png");
    std::fs::write(&path, &bytes).unwrap();
    let luma = LumaImage::from_image(&img);
    let inputs = [
        ImageInput::from(&bytes),
        ImageInput::from(&path),
        ImageInput::from(&img),
        ImageInput::from(&luma),
    ];
    let token = CancelToken::new();
    let h = PdqHasher::new().with_cancel(token.clone());
    for i in inputs {
        assert!(h.hash_input(i).is_ok(), "{i:?}");
    }
    token.cancel();
    for i in inputs {
        assert_eq!(kind(h.hash_input(i)), DecodeErrorKind::Cancelled, "{i:?}");
        assert_eq!(
            kind(h.hash_input_dihedral(i)),
            DecodeErrorKind::Cancelled,
            "{i:?}"
        );
    }
    let timed = PdqHasher::new().with_limits(DecodeLimits::default().with_max_time(Duration::ZERO));
    for i in inputs {
        assert_eq!(
            kind(timed.hash_input(i)),
            DecodeErrorKind::TimedOut,
            "{i:?}"
        );
    }
    let generous = DecodeLimits::default().with_max_time(Duration::from_secs(3600));
    assert!(PdqHasher::new()
        .with_limits(generous)
        .hash_input(&bytes)
        .is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_input_kind_gives_the_same_hash() {
    let (w, h) = (317usize, 211usize);
    let rgb = photo(w as u32, h as u32);
    let img = DynamicImage::ImageRgb8(rgb.clone());
    let bytes = png(&img);
    let hasher = PdqHasher::new();
    let want = hasher.hash(&LumaImage::from_rgb8(rgb.as_raw(), w, h, w * 3).unwrap());
    // A padded RGB frame, an RGBA frame, the decoded image, the encoded bytes.
    let stride = w * 3 + 7;
    let mut padded = vec![0xaau8; stride * h];
    for y in 0..h {
        padded[y * stride..y * stride + w * 3].copy_from_slice(&rgb.as_raw()[y * w * 3..][..w * 3]);
    }
    let rgba = DynamicImage::ImageRgb8(rgb.clone()).to_rgba8();
    let frames = [
        RawFrame::new(&padded, w, h, stride, PixelFormat::Rgb8).unwrap(),
        RawFrame::new(rgba.as_raw(), w, h, w * 4, PixelFormat::Rgba8).unwrap(),
    ];
    for f in frames {
        assert_eq!(hasher.hash_input(f).unwrap(), want, "{f:?}");
    }
    assert_eq!(hasher.hash_input(&img).unwrap(), want);
    assert_eq!(hasher.hash_input(&bytes).unwrap(), want);
    assert_eq!(hasher.hash_bytes(&bytes).unwrap(), want);
    let dih = hasher.hash_dihedral(&LumaImage::from_rgb8(rgb.as_raw(), w, h, w * 3).unwrap());
    assert_eq!(hasher.hash_input_dihedral(frames[0]).unwrap(), dih);
    assert_eq!(hasher.hash_input_dihedral(&bytes).unwrap(), dih);
    // Grey frames follow the mode's convention.
    let grey: Vec<u8> = rgb.as_raw().chunks(3).map(|p| p[1]).collect();
    let gf = RawFrame::new(&grey, w, h, w, PixelFormat::Gray8).unwrap();
    assert_eq!(
        hasher.hash_input(gf).unwrap(),
        hasher.hash(&LumaImage::from_gray8_as_rgb(&grey, w, h, w).unwrap())
    );
    let cli = PdqHasher::new().with_mode(PdqMode::Cli512);
    assert_eq!(
        cli.hash_input(gf).unwrap(),
        cli.hash(&LumaImage::from_gray8(&grey, w, h, w).unwrap())
    );
    // Parallel batch, in input order.
    let batch = hasher.hash_inputs(&[ImageInput::from(&bytes), ImageInput::from(&b"junk"[..])]);
    assert_eq!(batch[0].as_ref().unwrap(), &want);
    assert!(batch[1].is_err());
}

#[test]
fn cli512_samples_large_images_like_the_resized_luma_plane() {
    // The C++ tool's squash is now read straight from the pixels; it must equal resizing
    // the full luma plane with `resize_nearest` (the earlier path).
    let cli = PdqHasher::new().with_mode(PdqMode::Cli512);
    for (w, h) in [(700usize, 530usize), (513, 2000), (1500, 400)] {
        let rgb = photo(w as u32, h as u32);
        let plane = LumaImage::from_rgb8(rgb.as_raw(), w, h, w * 3).unwrap();
        let small = plane.resize_nearest(512, 512);
        let full = PdqHasher::new();
        assert_eq!(
            cli.hash_input(&plane).unwrap(),
            full.hash(&small),
            "{w}x{h}"
        );
        let f = RawFrame::new(rgb.as_raw(), w, h, w * 3, PixelFormat::Rgb8).unwrap();
        assert_eq!(cli.hash_input(f).unwrap(), full.hash(&small), "{w}x{h}");
        assert_eq!(
            cli.hash_input_dihedral(f).unwrap(),
            full.hash_dihedral(&small),
            "{w}x{h}"
        );
    }
}

#[test]
fn serde_names_are_snake_case_and_old_names_still_read() {
    use mediamatch::Dihedral;
    let js = |v: &dyn erased::Ser| v.json();
    assert_eq!(js(&PdqMode::Cli512), "\"cli512\"");
    assert_eq!(js(&PdqMode::Full), "\"full\"");
    assert_eq!(js(&Dihedral::FlipY), "\"flip_y\"");
    assert_eq!(js(&Dihedral::FlipMinus1), "\"flip_minus1\"");
    assert_eq!(js(&ClassicAlg::PHash), "\"phash\"");
    assert_eq!(js(&PixelFormat::Gray8), "\"gray8\"");
    let old: PdqMode = serde_json::from_str("\"Cli512\"").unwrap();
    assert_eq!(old, PdqMode::Cli512);
    let old: Dihedral = serde_json::from_str("\"FlipY\"").unwrap();
    assert_eq!(old, Dihedral::FlipY);
    let old: ClassicAlg = serde_json::from_str("\"AHash\"").unwrap();
    assert_eq!(old, ClassicAlg::AHash);
    // Limits saved before max_pixels/max_time existed read with the new defaults.
    let l: DecodeLimits = serde_json::from_str(r#"{"max_side":100,"max_alloc":5}"#).unwrap();
    assert_eq!(
        l,
        DecodeLimits::default().with_max_side(100).with_max_alloc(5)
    );
    for d in Dihedral::ALL {
        let back: Dihedral = serde_json::from_str(&js(&d)).unwrap();
        assert_eq!(back, d);
    }
}

mod erased {
    pub(crate) trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}

#[test]
fn hashers_can_move_across_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<PdqHasher>();
    send_sync::<ClassicHasher>();
    send_sync::<CancelToken>();
    // A hasher used from another thread gives the same hash.
    let img = DynamicImage::ImageRgb8(photo(90, 70));
    let h = PdqHasher::new();
    let here = h.hash_input(&img).unwrap();
    let there = std::thread::scope(|s| s.spawn(|| h.hash_input(&img).unwrap()).join().unwrap());
    assert_eq!(here, there);
}
