//! How each pixel format reaches PDQ: alpha, grey, 16-bit, palette, CMYK, EXIF orientation.
//! Each case is checked against an independently built equivalent image.

use image::{DynamicImage, ImageFormat, RgbImage};
use mediamatch::{PdqHasher, PdqMode};

fn photo_like(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let r = 128.0 + 100.0 * (fx * 7.0 + fy * 2.0).sin();
        let g = 128.0 + 90.0 * (fy * 5.0 - fx * 3.0).cos();
        let b = if (x / 23 + y / 17) % 3 == 0 {
            220.0
        } else {
            40.0
        };
        image::Rgb([r as u8, g as u8, b as u8])
    })
}

fn encode(img: &DynamicImage, fmt: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), fmt)
        .unwrap();
    out
}

#[test]
fn alpha_is_dropped_not_composited() {
    let rgb = photo_like(200, 150);
    let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(200, 150, |x, y| {
        let p = rgb.get_pixel(x, y);
        image::Rgba([p[0], p[1], p[2], ((x * 3 + y) % 256) as u8]) // varying alpha
    }));
    let h = PdqHasher::new();
    let from_png = h.hash_bytes(&encode(&rgba, ImageFormat::Png)).unwrap();
    assert_eq!(from_png, h.hash_image(&DynamicImage::ImageRgb8(rgb)));
}

#[test]
fn grey_is_weighted_like_rgb_in_full_mode_and_direct_in_cli_mode() {
    let grey = image::GrayImage::from_fn(180, 120, |x, y| {
        image::Luma([((x * 2 + y * 3) % 256) as u8])
    });
    let as_rgb = RgbImage::from_fn(180, 120, |x, y| {
        let v = grey.get_pixel(x, y)[0];
        image::Rgb([v, v, v])
    });
    let png = encode(&DynamicImage::ImageLuma8(grey.clone()), ImageFormat::Png);
    let full = PdqHasher::new();
    assert_eq!(
        full.hash_bytes(&png).unwrap(),
        full.hash_image(&DynamicImage::ImageRgb8(as_rgb))
    );
    let cli = PdqHasher::new().with_mode(PdqMode::Cli512);
    let direct = mediamatch::LumaImage::from_f32(
        180,
        120,
        grey.as_raw().iter().map(|&v| v as f32).collect(),
    )
    .unwrap();
    assert_eq!(cli.hash_bytes(&png).unwrap(), cli.hash(&direct));
}

#[test]
fn sixteen_bit_is_scaled_to_eight() {
    let rgb = photo_like(160, 120);
    // 16-bit samples v * 257 scale back exactly to v.
    let wide = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_fn(160, 120, |x, y| {
        let p = rgb.get_pixel(x, y);
        image::Rgb([p[0] as u16 * 257, p[1] as u16 * 257, p[2] as u16 * 257])
    });
    let png = encode(&DynamicImage::ImageRgb16(wide), ImageFormat::Png);
    let h = PdqHasher::new();
    assert_eq!(
        h.hash_bytes(&png).unwrap(),
        h.hash_image(&DynamicImage::ImageRgb8(rgb))
    );
}

#[test]
fn palette_png_is_hashed_on_its_colours() {
    // 4-colour palette image written with the png crate (indexed colour type).
    let palette = [10u8, 20, 30, 200, 40, 40, 30, 180, 60, 250, 250, 240];
    let (w, h) = (120u32, 90u32);
    let idx: Vec<u8> = (0..w * h)
        .map(|k| (((k % w) / 15 + (k / w) / 11) % 4) as u8)
        .collect();
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(palette.to_vec());
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&idx).unwrap();
    }
    let expanded = RgbImage::from_fn(w, h, |x, y| {
        let i = idx[(y * w + x) as usize] as usize * 3;
        image::Rgb([palette[i], palette[i + 1], palette[i + 2]])
    });
    let hasher = PdqHasher::new();
    let got = hasher.hash_bytes(&out).unwrap();
    assert_eq!(got, hasher.hash_image(&DynamicImage::ImageRgb8(expanded)));
    // Hashing the indices (HMA's behaviour) gives something far away.
    let indices =
        mediamatch::LumaImage::from_gray8_as_rgb(&idx, w as usize, h as usize, w as usize).unwrap();
    assert!(got.hash.distance(&hasher.hash(&indices).hash) > 31);
}

#[test]
fn cmyk_jpeg_is_hashed_on_converted_rgb() {
    // A CMYK JPEG (Adobe convention: inverted ink values) of a known RGB picture.
    let rgb = photo_like(160, 120);
    let cmyk: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| {
            let (r, g, b) = (p[0], p[1], p[2]);
            let k = 255 - r.max(g).max(b);
            let f = |c: u8| -> u8 {
                if k == 255 {
                    0
                } else {
                    (((255 - c - k) as u32 * 255) / (255 - k) as u32) as u8
                }
            };
            [f(r), f(g), f(b), k]
        })
        .collect();
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, 100);
    enc.encode(&cmyk, 160, 120, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let hasher = PdqHasher::new();
    let got = hasher.hash_bytes(&out).unwrap();
    let want = hasher.hash_image(&DynamicImage::ImageRgb8(rgb));
    let d = got.hash.distance(&want.hash);
    assert!(d <= 16, "CMYK JPEG is {d} bits from its RGB original");
    // Reading C, M, Y as R, G, B (HMA's bug) inverts the picture: far away.
    let cmy_as_rgb: Vec<u8> = cmyk.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let wrong = hasher.hash_rgb8(&cmy_as_rgb, 160, 120, 480).unwrap();
    assert!(want.hash.distance(&wrong.hash) > 64);
}

/// A minimal little-endian TIFF/EXIF block holding only the Orientation tag.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut v = b"II*\0".to_vec();
    v.extend(8u32.to_le_bytes()); // IFD offset
    v.extend(1u16.to_le_bytes()); // one entry
    v.extend(0x0112u16.to_le_bytes()); // Orientation
    v.extend(3u16.to_le_bytes()); // SHORT
    v.extend(1u32.to_le_bytes()); // count
    v.extend(o.to_le_bytes());
    v.extend([0, 0]);
    v.extend(0u32.to_le_bytes()); // no next IFD
    v
}

#[test]
fn exif_orientation_applied_only_when_asked() {
    let rgb = photo_like(240, 160);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
    enc.add_exif_metadata(&exif_orientation(6)).unwrap(); // "rotate 90° clockwise to display"
    enc.encode(rgb.as_raw(), 240, 160, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let plain = PdqHasher::new();
    let oriented = PdqHasher::new().with_exif_orientation(true);
    let stored = plain.hash_bytes(&out).unwrap();
    let decoded = mediamatch::decode_image(&out, Default::default(), false).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (240, 160));
    assert_eq!(stored, plain.hash_image(&decoded));
    let upright = oriented.hash_bytes(&out).unwrap();
    assert_eq!(upright, plain.hash_image(&decoded.rotate90()));
    assert_ne!(upright.hash, stored.hash);
    // The upright hash is nearest to the rot270 (clockwise) dihedral variant of the stored one
    // (not equal: PDQ's filter grid is not rotation-symmetric).
    let dih = plain.hash_bytes_dihedral(&out).unwrap();
    let all: Vec<u32> = dih.iter().map(|x| x.hash.distance(&upright.hash)).collect();
    let nearest = (0..8).min_by_key(|&i| all[i]).unwrap();
    assert_eq!(nearest, 3, "distances to the 8 variants: {all:?}");
}

/// A format whose cargo feature is off is recognised and refused with a typed error (here
/// TIFF, off by default), never a panic or "unknown format".
#[cfg(not(feature = "tiff"))]
#[test]
fn format_with_its_feature_off_is_unsupported() {
    use mediamatch::error::DecodeErrorKind;
    let mut tiff = b"II*\0\x08\0\0\0".to_vec(); // little-endian TIFF header, IFD at 8
    tiff.extend([0u8; 64]);
    match PdqHasher::new().hash_bytes(&tiff) {
        Err(mediamatch::Error::Decode(d)) => assert_eq!(d.kind(), DecodeErrorKind::Unsupported),
        other => panic!("TIFF without the `tiff` feature: {other:?}"),
    }
    // Random bytes stay "unknown format".
    match PdqHasher::new().hash_bytes(&[7u8; 64]) {
        Err(mediamatch::Error::Decode(d)) => {
            assert_eq!(d.kind(), DecodeErrorKind::UnknownFormat)
        }
        other => panic!("random bytes: {other:?}"),
    }
}
