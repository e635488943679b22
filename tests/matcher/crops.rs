//! Uneven crops: the banked crop lattice met by the query-side crop guesses. The truth is the
//! known cut; the oracle for "which guess should meet which lattice view" is the geometry.

use mediamatch::db::{Database, Metadata};
use mediamatch::matcher::{BankViews, CropGuesses, Cut, MatchOptions, Matcher, QueryPlan, View};
use mediamatch::robustness::Repost;
use mediamatch::{LumaImage, PdqHash, PdqHasher};

use super::picture;

/// A crop that is on neither the lattice nor the guess grid is found by the robust default
/// against an original banked with the default views, through a crop guess, and is not found
/// by the reference behaviour (plain query, plain stored hash).
#[test]
fn uneven_crops_meet_the_lattice_through_a_guess() {
    let robust = Matcher::new(MatchOptions::default());
    let plain = Matcher::new(MatchOptions::plain());
    let mut found_by_guess = 0;
    let mut cases = 0;
    for seed in 0..6u64 {
        let img = picture(40 + seed, 360, 270);
        let mut db = Database::new();
        robust
            .bank_image(
                &mut db,
                &img,
                Metadata::new("bank").content_id("c"),
                Some(&BankViews::default()),
            )
            .unwrap();
        let mut plain_db = Database::new();
        plain
            .bank_image(
                &mut plain_db,
                &img,
                Metadata::new("bank").content_id("c"),
                None,
            )
            .unwrap();
        db.commit();
        plain_db.commit();
        let (snap, plain_snap) = (db.reader().snapshot(), plain_db.reader().snapshot());
        for (l, t, r, b) in [(6, 1, 3, 9), (2, 7, 11, 1), (8, 3, 1, 6)] {
            let style = Repost::CropSides {
                left: l,
                top: t,
                right: r,
                bottom: b,
            };
            assert!(style.area_removed() <= 0.2);
            let copy = style.apply(&img, &[], 0).unwrap();
            cases += 1;
            let rep = robust.match_image(&snap, &copy);
            assert!(rep.is_match(), "{} seed {seed}", style.name());
            let hit = &rep.images[0];
            assert!(
                hit.derived_entry,
                "{}: a lattice view matched",
                style.name()
            );
            if matches!(hit.derivation.view, View::CropGuess { .. }) {
                found_by_guess += 1;
            }
            assert!(
                !plain.match_image(&plain_snap, &copy).is_match(),
                "{} seed {seed}: the reference misses it",
                style.name()
            );
        }
    }
    assert!(
        found_by_guess * 2 > cases,
        "most are met by a guess: {found_by_guess} of {cases}"
    );
}

/// A guess cut that completes the repost's cut to a lattice point hashes like that lattice
/// view (the geometry is the same up to rounding): the distance is small, and smaller than to
/// the plain original.
#[test]
fn completing_a_cut_to_the_lattice_is_the_lattice_view() {
    let hasher = PdqHasher::new();
    let img = picture(77, 400, 300);
    let luma = LumaImage::from_image(&img);
    // the repost cut 2.5 % from the left and 2.5 % from the bottom (of the original)
    let repost = Cut {
        left: 0.025,
        top: 0.0,
        right: 0.0,
        bottom: 0.025,
    };
    let copy = repost.apply(&luma).unwrap();
    let lattice = Cut {
        left: 0.05,
        top: 0.0,
        right: 0.0,
        bottom: 0.05,
    };
    let banked = hasher.hash(&lattice.apply(&luma).unwrap()).hash;
    let plan = QueryPlan::image(&hasher, &copy, &MatchOptions::default());
    let guess = plan
        .hashes
        .iter()
        .find(|h| {
            matches!(h.derivation.view, View::CropGuess { cut }
                if cut.left > 0.02 && cut.left < 0.03 && cut.bottom > 0.02 && cut.bottom < 0.03
                    && cut.top == 0.0 && cut.right == 0.0)
        })
        .expect("the 2.5 % left+bottom guess is planned");
    let d = guess.hash.hash.distance(&banked);
    let d_plain = plan.hashes[0].hash.hash.distance(&banked);
    assert!(d <= PdqHash::MATCH_THRESHOLD, "guess vs lattice view: {d}");
    assert!(d < d_plain, "{d} vs plain {d_plain}");
}

#[test]
fn guesses_and_lattice_are_bounded_and_well_formed() {
    let g = CropGuesses::default();
    assert_eq!(g.cuts().len(), 80);
    let mut big = g;
    big.steps = 200;
    assert_eq!(big.cuts().len(), 255, "at most 4 steps per side");
    big.step = f32::NAN;
    assert!(big.cuts().is_empty());
    // every lattice cut removes at most the area and is inside the picture
    let l = Cut::lattice(0.05, 0.2);
    assert!(l
        .iter()
        .all(|c| c.area_removed() <= 0.2001 && c.rect(100, 80).is_some()));
    assert!(Cut::lattice(0.0, 0.2).is_empty() && Cut::lattice(0.05, f32::INFINITY).is_empty());
    // bad fractions are no rectangle, not a panic
    let bad = Cut {
        left: -0.1,
        ..Cut::NONE
    };
    assert!(bad.rect(100, 100).is_none());
    let all = Cut {
        left: 0.6,
        right: 0.6,
        ..Cut::NONE
    };
    assert!(all.rect(100, 100).is_none());
    assert!(Cut {
        left: f32::NAN,
        ..Cut::NONE
    }
    .rect(10, 10)
    .is_none());
    // a picture of 256 × 232: every guess is a distinct window
    let img = LumaImage::from_image(&picture(5, 256, 232));
    let plan = QueryPlan::image(&PdqHasher::new(), &img, &MatchOptions::default());
    let n = plan
        .hashes
        .iter()
        .filter(|h| matches!(h.derivation.view, View::CropGuess { .. }))
        .count();
    assert_eq!(n, 80);
    // the plan of a tiny image holds no guess smaller than 8 pixels
    let tiny = LumaImage::from_f32(9, 9, (0..81).map(|k| k as f32).collect()).unwrap();
    let plan = QueryPlan::image(&PdqHasher::new(), &tiny, &MatchOptions::default());
    assert!(plan
        .hashes
        .iter()
        .all(|h| !matches!(h.derivation.view, View::CropGuess { .. })));
}
