//! Region recovery on generated layouts whose true content rectangle is known: the
//! localisation error of the best candidate (PDQ loses a match beyond about 2 % of a side), and
//! the match it wins back.

use image::imageops::{self, FilterType};
use image::{DynamicImage, Rgb, RgbImage};
use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{CropGuesses, MatchOptions, Matcher, QueryPlan, View};
use mediamatch::region::{find_regions, find_regions_with_colour, Rect, RegionConfig, RegionKind};
use mediamatch::robustness::{text_mask, Repost};
use mediamatch::LumaImage;

use super::picture;

fn caption(c: &mut RgbImage, y: u32, h: u32, ink: Rgb<u8>) {
    let (tw, th, mask) = text_mask("WHEN YOU SEE IT", 3);
    for ty in 0..th {
        for tx in 0..tw {
            let (x, yy) = (10 + tx as u32, y + (h - th as u32) / 2 + ty as u32);
            if mask[ty * tw + tx] && x < c.width() && yy < c.height() {
                c.put_pixel(x, yy, ink);
            }
        }
    }
}

/// (name, layout, true rectangle of the picture in it); `pic` is 256x192.
fn layouts(pic: &RgbImage, seed: u64) -> Vec<(&'static str, RgbImage, Rect)> {
    let (w, h) = pic.dimensions();
    let rect = |l: u32, t: u32, w: u32, h: u32| Rect {
        left: l as usize,
        top: t as usize,
        width: w as usize,
        height: h as usize,
    };
    let mut out = Vec::new();
    // caption bar of an arbitrary colour with text, above
    let mut c = RgbImage::from_pixel(w, h + 50, Rgb([250, 200, 40]));
    imageops::replace(&mut c, pic, 0, 50);
    caption(&mut c, 0, 50, Rgb([20, 20, 20]));
    out.push(("caption-top", c, rect(0, 50, w, h)));
    // meme: bars above and below, dark
    let mut c = RgbImage::from_pixel(w, h + 80, Rgb([30, 30, 60]));
    imageops::replace(&mut c, pic, 0, 40);
    caption(&mut c, 0, 40, Rgb([240, 240, 240]));
    caption(&mut c, h + 40, 40, Rgb([240, 240, 240]));
    out.push(("caption-both", c, rect(0, 40, w, h)));
    // a coloured frame with a thin inner line
    let mut c = RgbImage::from_pixel(w + 40, h + 40, Rgb([180, 60, 90]));
    for y in 17..h + 23 {
        for x in 17..w + 23 {
            c.put_pixel(x, y, Rgb([10, 10, 10]));
        }
    }
    imageops::replace(&mut c, pic, 20, 20);
    out.push(("frame", c, rect(20, 20, w, h)));
    // pasted at 60 % of the width of another picture
    let mut bg = super::picture(seed + 1000, 400, 300).to_rgb8();
    let small = imageops::resize(pic, 240, 180, FilterType::Triangle);
    imageops::replace(&mut bg, &small, 100, 70);
    out.push(("pip-60", bg, rect(100, 70, 240, 180)));
    // 2-up collage with a white gutter, ours on the right
    let other = imageops::resize(
        &super::picture(seed + 2000, 300, 192).to_rgb8(),
        300,
        192,
        FilterType::Triangle,
    );
    let mut c = RgbImage::from_pixel(300 + w + 18, h + 12, Rgb([255, 255, 255]));
    imageops::replace(&mut c, &other, 6, 6);
    imageops::replace(&mut c, pic, 312, 6);
    out.push(("collage-2h", c, rect(312, 6, w, h)));
    // screenshot chrome: white page, header with a name, footer with icons
    let mut c = RgbImage::from_pixel(w, h + 110, Rgb([255, 255, 255]));
    caption(&mut c, 0, 40, Rgb([20, 20, 20]));
    imageops::replace(&mut c, pic, 0, 40);
    for k in 0..4 {
        for y in h + 50..h + 62 {
            for x in 10 + 30 * k..22 + 30 * k {
                c.put_pixel(x, y, Rgb([120, 120, 120]));
            }
        }
    }
    caption(&mut c, h + 70, 30, Rgb([20, 20, 20]));
    out.push(("screenshot", c, rect(0, 40, w, h)));
    // 9:16 story: blurred stretched copy behind, picture centred
    let ch = w * 16 / 9;
    let mut c = imageops::fast_blur(&imageops::resize(pic, w, ch, FilterType::Triangle), 10.0);
    let top = (ch - h) / 2;
    imageops::replace(&mut c, pic, 0, i64::from(top));
    out.push(("story", c, rect(0, top, w, h)));
    out
}

#[test]
fn candidates_localise_the_picture_within_two_percent() {
    let cfg = RegionConfig::default();
    let mut worst: Vec<(String, f32)> = Vec::new();
    for seed in 1..=3 {
        let pic = picture(seed, 256, 192).to_rgb8();
        for (name, layout, truth) in layouts(&pic, seed) {
            let regions = find_regions(
                &LumaImage::from_image(&DynamicImage::ImageRgb8(layout)),
                &cfg,
            );
            let best = regions
                .iter()
                .map(|r| r.rect.side_error(&truth))
                .fold(f32::INFINITY, f32::min);
            eprintln!("{name} seed {seed}: best side error {:.2} %", 100.0 * best);
            worst.push((format!("{name}/{seed}"), best));
        }
    }
    let bad: Vec<_> = worst.iter().filter(|(_, e)| *e > 0.02).collect();
    assert!(bad.is_empty(), "off by more than 2 %: {bad:?}");
}

#[test]
fn layouts_match_with_the_robust_default_and_not_with_plain() {
    let robust = Matcher::new(MatchOptions::default());
    let regions_only = Matcher::new(MatchOptions::default().with_quads(None));
    let plain = Matcher::new(MatchOptions::plain());
    for seed in 1..=2 {
        let img = picture(seed, 256, 192);
        let mut db = Database::new();
        robust
            .bank_image(&mut db, &img, Metadata::new("t").content_id("p"), None)
            .unwrap();
        db.commit();
        let snap = db.reader().snapshot();
        for (name, layout, _) in layouts(&img.to_rgb8(), seed) {
            let copy = DynamicImage::ImageRgb8(layout);
            let r = robust.match_image(&snap, &copy);
            assert_eq!(r.images.len(), 1, "{name} seed {seed}: not found");
            let m = &r.images[0];
            // a screenshot's picture is also a (near-rectangular) quadrilateral, which may be
            // the nearer view; the regions alone must find every layout too
            assert!(
                matches!(m.derivation.view, View::Region { .. } | View::Quad { .. }),
                "{name}: matched by {}",
                m.derivation
            );
            let by_regions = regions_only.match_image(&snap, &copy);
            assert!(
                by_regions.is_match()
                    && matches!(by_regions.images[0].derivation.view, View::Region { .. }),
                "{name} seed {seed}: not found by its region"
            );
            assert!(
                !plain.match_image(&snap, &copy).is_match(),
                "{name}: plain matched"
            );
        }
    }
}

/// Every layout style of the benchmark ([`Repost::standard_set`]) on generated pictures, the
/// truth from the generator itself: the best candidate is within 1 % of a side (the
/// full-resolution refinement; PDQ already loses matches at 1–2 %), and the query plan stays
/// within its bound of (1 + 2 `max_regions` + `max_quads`) views × 8 transforms (a small
/// region is hashed as cut and enlarged).
#[test]
fn every_layout_style_is_localised_within_one_percent_and_the_plan_is_bounded() {
    let opts = MatchOptions::default();
    let cfg = opts.regions.unwrap();
    let hasher = mediamatch::PdqHasher::new();
    let mut bad = Vec::new();
    for seed in 1..=2u64 {
        let img = picture(seed, 320, 240);
        let others = [picture(seed + 100, 300, 220), picture(seed + 200, 240, 320)];
        let others: Vec<&DynamicImage> = others.iter().collect();
        for style in Repost::standard_set().into_iter().filter(|r| r.is_layout()) {
            let p = style.apply_located(&img, &others, seed).unwrap();
            let truth = p.rect.expect("layout styles know their rectangle");
            let luma = LumaImage::from_image(&p.image);
            let regions = find_regions(&luma, &cfg);
            assert!(regions.len() <= cfg.max_regions);
            let best = regions
                .iter()
                .map(|r| r.rect.side_error(&truth))
                .fold(f32::INFINITY, f32::min);
            eprintln!(
                "{} seed {seed}: best side error {:.2} %",
                style.name(),
                100.0 * best
            );
            if best > 0.01 {
                bad.push((style.name(), seed, best));
            }
            let plan = QueryPlan::image(&hasher, &luma, &opts);
            assert!(
                plan.hashes.len()
                    <= 8 * (1 + 2 * cfg.max_regions + opts.quads.map_or(0, |q| q.max_quads))
                        + CropGuesses::default().cuts().len()
            );
        }
    }
    assert!(bad.is_empty(), "off by more than 1 %: {bad:?}");
}

/// The sharp-band detector on its own: a picture whose top fifth is a smooth sky (flat along
/// the rows, a gradient down to the horizon), placed off centre over a blurred stretched copy
/// of itself (a story), is found within 1 %.
#[test]
fn a_story_with_a_smooth_sky_is_found_by_its_sharp_band() {
    let mut cfg = RegionConfig::default();
    cfg.edges = false;
    cfg.letterbox = None;
    // (seed 3 of the generator gives no band at all: a known miss, see the README)
    for seed in 1..=2u64 {
        let mut pic = picture(seed, 270, 200).to_rgb8();
        for y in 0..40 {
            for x in 0..270 {
                // smooth along the rows, a gradient down to the horizon
                let v = 230 - 3 * y as u8;
                pic.put_pixel(x, y, Rgb([v - 20, v - 10, v]));
            }
        }
        let (w, h) = pic.dimensions();
        let ch = w * 16 / 9;
        let mut c = imageops::fast_blur(&imageops::resize(&pic, w, ch, FilterType::Triangle), 12.0);
        let top = ch * 35 / 100 - h / 2;
        imageops::replace(&mut c, &pic, 0, i64::from(top));
        let truth = Rect {
            left: 0,
            top: top as usize,
            width: w as usize,
            height: h as usize,
        };
        let regions = find_regions(&LumaImage::from_image(&DynamicImage::ImageRgb8(c)), &cfg);
        assert!(
            regions
                .iter()
                .any(|r| r.kind == RegionKind::Sharp && r.rect.side_error(&truth) <= 0.01),
            "seed {seed}: {regions:?}"
        );
    }
}

/// A picture pasted onto a background of exactly its brightness, in another colour: the
/// luma is one continuous texture across the picture's sides (no luma step anywhere), so only
/// the colour shows the rectangle. Found exactly with the colour, not without it; and the
/// plan of the decoded image (`QueryPlan::from_image`) matches the picture's own hash.
#[test]
fn a_picture_visible_only_in_colour_is_found_through_the_chroma() {
    let (w, h) = (400u32, 300u32);
    let (l, t, pw, ph) = (90u32, 60u32, 240u32, 180u32);
    // one luma texture everywhere: smooth waves, no straight lines
    let luma = |x: u32, y: u32| {
        let (x, y) = (x as f32, y as f32);
        128.0 + 40.0 * (x * 0.071 + y * 0.023).sin() + 30.0 * (y * 0.053 - x * 0.031).cos()
    };
    let rgb = |y: f32, cb: f32, cr: f32| {
        let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
        Rgb([
            c(y + 1.402 * cr),
            c(y - 0.344_136 * cb - 0.714_136 * cr),
            c(y + 1.772 * cb),
        ])
    };
    let img = RgbImage::from_fn(w, h, |x, y| {
        let inside = (l..l + pw).contains(&x) && (t..t + ph).contains(&y);
        let (cb, cr) = if inside { (25.0, -20.0) } else { (-20.0, 25.0) };
        rgb(luma(x, y), cb, cr)
    });
    let img = DynamicImage::ImageRgb8(img);
    let truth = Rect {
        left: l as usize,
        top: t as usize,
        width: pw as usize,
        height: ph as usize,
    };
    let cfg = RegionConfig::default();
    let grey = LumaImage::from_image(&img);
    let with = find_regions_with_colour(&grey, Some(&img), &cfg);
    let best = with
        .iter()
        .map(|r| r.rect.side_error(&truth))
        .fold(f32::INFINITY, f32::min);
    assert!(best <= 0.01, "best side error with colour {best}: {with:?}");
    let without = find_regions(&grey, &cfg);
    let best_grey = without
        .iter()
        .map(|r| r.rect.side_error(&truth))
        .fold(f32::INFINITY, f32::min);
    assert!(best_grey > 0.05, "found without colour: {without:?}");
    // a weight of 0 is the luma-only detector
    let mut off = cfg;
    off.chroma = 0.0;
    assert_eq!(find_regions_with_colour(&grey, Some(&img), &off), without);
    // the decoded image's plan holds the region
    let plan = QueryPlan::from_image(
        &mediamatch::PdqHasher::new(),
        &img,
        &MatchOptions::default(),
    );
    assert!(plan.hashes.iter().any(|p| matches!(
        p.derivation.view,
        View::Region { rect, .. } if rect.side_error(&truth) <= 0.01
    )));
}

/// A fine-textured picture (a brick wall, grass) pasted small onto another: PDQ's filter on a
/// picture of under 256 pixels is too narrow and the texture aliases into the hash. The robust
/// default enlarges the small view before hashing it ([`mediamatch::pdq::Enlarge`]); over
/// several seeds the enlarged view lands nearer the stored hash than the view as cut, every
/// one within the match distance, and no view holds more pixels than the query image.
#[test]
fn a_small_pasted_texture_is_hashed_enlarged_and_lands_nearer() {
    let hasher = mediamatch::PdqHasher::new();
    let textured = |seed: u64| {
        let base = picture(seed, 480, 360).to_rgb8();
        DynamicImage::ImageRgb8(RgbImage::from_fn(480, 360, |x, y| {
            let p = base.get_pixel(x, y).0;
            // bricks: 3-pixel mortar lines every 12 × 6 pixels, rows offset by half a brick
            let off = if (y / 6) % 2 == 0 { 0 } else { 6 };
            let mortar = y % 6 < 2 || (x + off) % 12 < 2;
            let d: i32 = if mortar { -60 } else { 25 };
            Rgb(p.map(|v| (i32::from(v) + d).clamp(0, 255) as u8))
        }))
    };
    let style = Repost::PictureInPicture { percent: 40 };
    let (mut near, mut far) = (0u32, 0u32);
    for seed in 1..=6u64 {
        let img = textured(seed);
        let stored = hasher.hash_image(&img).hash;
        let bg = picture(seed + 50, 480, 360);
        let p = style.apply_located(&img, &[&bg], seed).unwrap();
        let truth = p.rect.unwrap();
        assert!(truth.width.max(truth.height) < 256, "{truth:?}");
        let luma = LumaImage::from_image(&p.image);
        let best = |opts: &MatchOptions| {
            QueryPlan::from_image(&hasher, &p.image, opts)
                .hashes
                .iter()
                .filter(|h| match h.derivation.view {
                    View::Region { rect, .. } => rect.side_error(&truth) <= 0.01,
                    _ => false,
                })
                .map(|h| h.hash.hash.distance(&stored))
                .min()
                .expect("the pasted picture is among the regions")
        };
        let robust = MatchOptions::default();
        let (d_big, d_cut) = (best(&robust), best(&robust.clone().with_enlarge(None)));
        eprintln!("seed {seed}: enlarged {d_big}, as cut {d_cut}");
        assert!(d_big <= 31, "seed {seed}: enlarged view {d_big} bits away");
        near += d_big;
        far += d_cut;
        // the cap: an enlarged view never holds more pixels than the image
        let e = robust.enlarge.unwrap();
        let (w, h) = e.size(truth.width, truth.height, luma.width() * luma.height());
        assert!(w * h <= luma.width() * luma.height() && w > truth.width);
    }
    assert!(
        near < far,
        "enlarged {near} vs as cut {far} bits over six seeds"
    );
}
