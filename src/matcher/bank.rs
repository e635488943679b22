//! Banking side: extra PDQ hashes of derived views of an original we hold (centre crops, cuts
//! from one side, small rotations), stored as extra entries of the same content so that a
//! cropped, zoomed or tilted repost meets one of them. They are ordinary PDQ hashes, so a bank
//! shared with others carries the gain to every member.

use serde::{Deserialize, Serialize};

use super::cut::Cut;
use crate::hash::PdqHash;
use crate::luma::LumaImage;
use crate::pdq::PdqHasher;
use crate::region::{find_content, warp_into, Edge, LetterboxConfig, Quad};

/// Which derived views [`bank_views`] hashes. `Default` is the measured set (see the README's
/// robustness section); [`BankViews::none`] banks the original only.
///
/// ```
/// use mediamatch::matcher::{bank_views, BankViews};
/// use mediamatch::{LumaImage, PdqHasher};
/// let w = 120;
/// let px: Vec<f32> = (0..w * 90).map(|k| ((k % w) * (k / w) % 251) as f32).collect();
/// let img = LumaImage::from_f32(w, 90, px)?;
/// let views = bank_views(&PdqHasher::new(), &img, &BankViews::default());
/// assert_eq!(views.len(), BankViews::default().count());
/// assert!(views.iter().any(|v| v.how == "crop-l5-t5-r5-b5"));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankViews {
    /// Centre crops: the kept fraction of each side (0.9 keeps the middle 90 % of the width
    /// and of the height).
    pub centre_crops: Vec<f32>,
    /// Cuts from one side: the fraction removed, applied to each of the four sides in turn.
    pub side_cuts: Vec<f32>,
    /// Rotations about the centre, degrees counter-clockwise; same canvas, uncovered corners
    /// black.
    pub rotations: Vec<f32>,
    /// Rotations about the centre, cropped to the largest centred rectangle of the same aspect
    /// that has no uncovered corner (a phone editor's "straighten").
    pub zoomed_rotations: Vec<f32>,
    /// Centre crops of one axis only: the kept fraction of the width (then of the height).
    pub axis_crops: Vec<f32>,
    /// Cuts of this fraction from two adjacent sides (top-left, top-right, bottom-left,
    /// bottom-right).
    pub corner_cuts: Vec<f32>,
    /// Arbitrary cuts from the four sides (uneven crops); the default is the lattice of 5 %
    /// per side up to 20 % of the area ([`Cut::lattice`]), which the query-side
    /// [`super::CropGuesses`] meet to within about 1 % per side.
    pub crop_lattice: Vec<Cut>,
    /// The picture inside its own uniform bars (letterbox, pillarbox, padding), when it has
    /// them (`None`: not banked): a copy that shows the content without the bars, or puts it
    /// where the bars merge with what is around (a picture-in-picture window over a dark
    /// background, a re-frame), meets it. Not counted by [`BankViews::count`]: a frame
    /// without bars has no such view.
    #[serde(default)]
    pub unletterboxed: Option<LetterboxConfig>,
    /// Videos only ([`super::bank_video_file`]): the plain hashes of this many frames before
    /// and after every stored frame, as views `frame-1`, `frame+1`, … of it (0: none). A copy
    /// that dropped the stored frame (a GIF at a third of the frame rate, a frame-rate
    /// change) has only its neighbours, and on footage that moves they are often more than the
    /// match distance from it. A neighbour within [`NEIGHBOUR_SAME_BITS`] bits of the stored
    /// frame (still footage) is not stored. Not counted by [`BankViews::count`].
    #[serde(default)]
    pub neighbour_frames: u32,
    /// Videos only ([`super::bank_video_file`]): for a stored frame whose quality is below
    /// [`STAND_IN_BELOW`] (a fade, a blurred pan: no member matches it), the nearest frame
    /// within this many milliseconds whose quality is at least [`STAND_IN_QUALITY`] is banked
    /// as its *stand-in*: the frame's plain hash and its views, all marked derived
    /// (`stand-in+8`: eight frames after the stored one), at the stand-in's own time (0:
    /// none). A short clip whose stored seconds are mostly unusable otherwise leaves a copy
    /// too few usable frames for a verdict. In a verdict a matched stand-in counts as a known
    /// frame; one not matched counts against nothing (the frames a segment is expected to
    /// show are the stored ones). Costs a second decode of a video that has such a
    /// frame (only the frames near those seconds are hashed). Not counted by
    /// [`BankViews::count`].
    #[serde(default)]
    pub stand_in_ms: u32,
    /// Keystones: the picture as a photo of a screen or a print taken off-axis shows it, one
    /// side shortened by this fraction of its length (0.1: 10 % shorter) with perspective
    /// foreshortening ([`crate::region::Quad::keystone`]), on the same canvas, the corners the
    /// short side leaves black (a screen's bezel); each fraction applied to the four sides in
    /// turn, views `key-t10` (top side 10 % shorter), `key-l10`, ….
    #[serde(default)]
    pub keystones: Vec<f32>,
}

/// A stored video frame of quality below this is given a stand-in
/// ([`BankViews::stand_in_ms`]): the quality below which the consortium rule does not match a
/// stored hash.
pub const STAND_IN_BELOW: u8 = 50;

/// The least quality of a stand-in frame ([`BankViews::stand_in_ms`]): a margin over
/// [`STAND_IN_BELOW`], so that a re-encoded copy of it still shows a usable frame.
pub const STAND_IN_QUALITY: u8 = 60;

/// A temporal neighbour ([`BankViews::neighbour_frames`]) at most this many bits from its
/// stored frame adds nothing a query would not meet through the frame itself.
pub const NEIGHBOUR_SAME_BITS: u32 = 4;

impl Default for BankViews {
    fn default() -> Self {
        // the centre 90 %, the side cuts up to 20 %, the one-axis crop of 80 % and the corner
        // cuts of 10 % of the previous set are points of the lattice
        BankViews {
            centre_crops: vec![0.95, 0.85, 0.8],
            side_cuts: vec![0.25, 0.3],
            rotations: vec![-5.0, -3.5, -2.0, 2.0, 3.5, 5.0],
            zoomed_rotations: vec![-5.0, -3.5, -2.0, 2.0, 3.5, 5.0],
            axis_crops: Vec::new(),
            corner_cuts: Vec::new(),
            crop_lattice: Cut::lattice(0.05, 0.2),
            unletterboxed: None,
            neighbour_frames: 0,
            stand_in_ms: 0,
            keystones: KEYSTONES.to_vec(),
        }
    }
}

/// The default [`BankViews::keystones`].
const KEYSTONES: [f32; 3] = [0.06, 0.12, 0.18];

impl BankViews {
    /// No derived views.
    pub fn none() -> Self {
        BankViews {
            centre_crops: Vec::new(),
            side_cuts: Vec::new(),
            rotations: Vec::new(),
            zoomed_rotations: Vec::new(),
            axis_crops: Vec::new(),
            corner_cuts: Vec::new(),
            crop_lattice: Vec::new(),
            unletterboxed: None,
            neighbour_frames: 0,
            stand_in_ms: 0,
            keystones: Vec::new(),
        }
    }

    /// The set banked before the crop lattice (48 views: centre crops of 95–80 %, side cuts of
    /// 5–30 %, rotations of ±2, ±3.5, ±5° with and without zoom, one-axis crops of 90 and 80 %,
    /// corner cuts of 10 %), for comparisons.
    pub fn previous() -> Self {
        BankViews {
            centre_crops: vec![0.95, 0.9, 0.85, 0.8],
            side_cuts: vec![0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
            axis_crops: vec![0.9, 0.8],
            corner_cuts: vec![0.1],
            crop_lattice: Vec::new(),
            keystones: Vec::new(),
            ..BankViews::default()
        }
    }

    /// The views banked for every stored frame (one per second) of a video we hold: centre
    /// crops keeping 96, 92, 88, 84 and 80 % of each side (zoomed re-uploads up to a 20 %
    /// crop: no zoom is more than 2 % of a side from a view; at steps of 6–7 % a 10 % zoom
    /// was found in 3 of 10 real clips, at 4 % in 9) and rotations of ±2, ±3.5 and ±5° on the
    /// same canvas (tilted re-uploads), 11 views, and the picture inside its own bars when
    /// the frame has them ([`BankViews::unletterboxed`], a 12th), and the frames just before
    /// and after it ([`BankViews::neighbour_frames`] 1: GIF copies at 10 fps of 30 fps
    /// footage keep one frame in three), and a stand-in within 450 ms for each stored frame
    /// of quality below 50 ([`BankViews::stand_in_ms`]). Smaller than the image set:
    /// a video stores a frame per second, and its verdict needs a run of matching frames, not
    /// every frame.
    pub fn video() -> Self {
        BankViews {
            centre_crops: vec![0.96, 0.92, 0.88, 0.84, 0.8],
            rotations: vec![-5.0, -3.5, -2.0, 2.0, 3.5, 5.0],
            unletterboxed: Some(LetterboxConfig::default()),
            neighbour_frames: 1,
            stand_in_ms: 450,
            ..BankViews::none()
        }
    }

    /// The number of views (entries added per banked image).
    pub fn count(&self) -> usize {
        self.centre_crops.len()
            + 4 * self.side_cuts.len()
            + self.rotations.len()
            + self.zoomed_rotations.len()
            + 2 * self.axis_crops.len()
            + 4 * self.corner_cuts.len()
            + self.crop_lattice.len()
            + 4 * self.keystones.len()
    }
}

/// One derived view's hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankedView {
    /// How it was derived, for [`crate::db::Metadata::derived`]: `crop-c90` (centre 90 %),
    /// `cut-l15` (15 % cut from the left; `t`, `r`, `b` for the other sides), `rot+2`/`rot-4`,
    /// `rotz+2` (rotated and cropped), `crop-l5-t10` (a lattice cut, [`Cut::name`]),
    /// `bars-off` (inside its own bars), `key-t10` (a keystone: the top side 10 % shorter).
    pub how: String,
    /// Its PDQ hash.
    pub hash: PdqHash,
}

impl BankedView {
    /// A view's name and hash.
    pub fn new(how: impl Into<String>, hash: PdqHash) -> Self {
        BankedView {
            how: how.into(),
            hash,
        }
    }
}

fn pct(f: f32) -> u32 {
    (f * 100.0).round() as u32
}

/// The PDQ hashes of the derived views of `luma` (not of the original itself), in the order
/// centre crops, side cuts (left, top, right, bottom per fraction), rotations, zoomed rotations,
/// one-axis crops, corner cuts, lattice cuts, keystones. Views that would
/// be smaller than 8 pixels on a side are skipped; no view allocates more than the image.
pub fn bank_views(hasher: &PdqHasher, luma: &LumaImage, views: &BankViews) -> Vec<BankedView> {
    let (w, h) = (luma.width(), luma.height());
    let mut out = Vec::with_capacity(views.count());
    let mut push = |how: String, img: Option<LumaImage>| {
        if let Some(img) = img {
            out.push(BankedView {
                how,
                hash: hasher.hash(&img),
            });
        }
    };
    let crop = |l: usize, t: usize, cw: usize, ch: usize| {
        if cw < 8 || ch < 8 {
            None
        } else {
            luma.crop(l, t, cw, ch).ok()
        }
    };
    for &keep in &views.centre_crops {
        if !(keep > 0.0 && keep < 1.0) {
            continue;
        }
        let cw = (w as f32 * keep).round() as usize;
        let ch = (h as f32 * keep).round() as usize;
        push(
            format!("crop-c{}", pct(keep)),
            crop(
                (w - cw.min(w)) / 2,
                (h - ch.min(h)) / 2,
                cw.min(w),
                ch.min(h),
            ),
        );
    }
    for &cut in &views.side_cuts {
        if !(cut > 0.0 && cut < 1.0) {
            continue;
        }
        let cx = ((w as f32 * cut).round() as usize).min(w);
        let cy = ((h as f32 * cut).round() as usize).min(h);
        let p = pct(cut);
        push(format!("cut-l{p}"), crop(cx, 0, w - cx, h));
        push(format!("cut-t{p}"), crop(0, cy, w, h - cy));
        push(format!("cut-r{p}"), crop(0, 0, w - cx, h));
        push(format!("cut-b{p}"), crop(0, 0, w, h - cy));
    }
    for &deg in &views.rotations {
        if !deg.is_finite() || deg == 0.0 {
            continue;
        }
        push(format!("rot{deg:+}"), Some(rotate(luma, deg)));
    }
    for &deg in &views.zoomed_rotations {
        if !deg.is_finite() || deg == 0.0 || deg.abs() >= 45.0 {
            continue;
        }
        let r = rotate(luma, deg);
        let (s, c) = deg.abs().to_radians().sin_cos();
        let (wf, hf) = (w as f32, h as f32);
        let k = (hf / (wf * s + hf * c)).min(wf / (wf * c + hf * s));
        let (cw, ch) = ((wf * k) as usize, (hf * k) as usize);
        let img = if cw < 8 || ch < 8 {
            None
        } else {
            r.crop((w - cw) / 2, (h - ch) / 2, cw, ch).ok()
        };
        push(format!("rotz{deg:+}"), img);
    }
    for &keep in &views.axis_crops {
        if !(keep > 0.0 && keep < 1.0) {
            continue;
        }
        let cw = ((w as f32 * keep).round() as usize).min(w);
        let ch = ((h as f32 * keep).round() as usize).min(h);
        let p = pct(keep);
        push(format!("crop-w{p}"), crop((w - cw) / 2, 0, cw, h));
        push(format!("crop-h{p}"), crop(0, (h - ch) / 2, w, ch));
    }
    for &cut in &views.corner_cuts {
        if !(cut > 0.0 && cut < 1.0) {
            continue;
        }
        let cx = ((w as f32 * cut).round() as usize).min(w);
        let cy = ((h as f32 * cut).round() as usize).min(h);
        let p = pct(cut);
        push(format!("cut-tl{p}"), crop(cx, cy, w - cx, h - cy));
        push(format!("cut-tr{p}"), crop(0, cy, w - cx, h - cy));
        push(format!("cut-bl{p}"), crop(cx, 0, w - cx, h - cy));
        push(format!("cut-br{p}"), crop(0, 0, w - cx, h - cy));
    }
    for cut in &views.crop_lattice {
        push(format!("crop-{}", cut.name()), cut.apply(luma));
    }
    for &k in &views.keystones {
        if !(k > 0.0 && k < 1.0) {
            continue;
        }
        for edge in Edge::ALL {
            let q = Quad::keystone(w as f32, h as f32, edge, k);
            push(
                format!("key-{}{}", edge.letter(), pct(k)),
                warp_into(luma, &q, w, h, 0.0),
            );
        }
    }
    if let Some(cfg) = &views.unletterboxed {
        let r = find_content(luma, cfg);
        if (r.width, r.height) != (w, h) {
            push("bars-off".into(), crop(r.left, r.top, r.width, r.height));
        }
    }
    out
}

/// Rotates about the centre by `deg` degrees counter-clockwise, same canvas, bilinear,
/// uncovered pixels 0 (black).
pub(crate) fn rotate(luma: &LumaImage, deg: f32) -> LumaImage {
    let (w, h) = (luma.width(), luma.height());
    let src = luma.as_slice();
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            // inverse map: a counter-clockwise rotation on screen (y down)
            let sx = c * dx - s * dy + cx;
            let sy = s * dx + c * dy + cy;
            if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f32 || sy > (h - 1) as f32 {
                out.push(0.0);
                continue;
            }
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let p = |x: usize, y: usize| src[y * w + x];
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    LumaImage::from_f32(w, h, out).unwrap_or_else(|_| luma.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_off_is_the_picture_inside_its_bars_and_only_when_there_are_bars() {
        let (w, h, bar) = (120usize, 90usize, 12usize);
        let texture = |x: usize, y: usize| ((x * 37 + y * 91) % 200) as f32 + 30.0;
        let plain =
            LumaImage::from_f32(w, h, (0..w * h).map(|k| texture(k % w, k / w)).collect()).unwrap();
        let barred = LumaImage::from_f32(
            w,
            h,
            (0..w * h)
                .map(|k| {
                    let (x, y) = (k % w, k / w);
                    if y < bar || y >= h - bar {
                        0.0
                    } else {
                        texture(x, y)
                    }
                })
                .collect(),
        )
        .unwrap();
        let hasher = PdqHasher::new();
        let set = BankViews::video();
        let with = bank_views(&hasher, &barred, &set);
        assert_eq!(with.len(), set.count() + 1);
        let off = with.iter().find(|v| v.how == "bars-off").unwrap();
        let inside = barred.crop(0, bar, w, h - 2 * bar).unwrap();
        assert_eq!(off.hash, hasher.hash(&inside));
        let without = bank_views(&hasher, &plain, &set);
        assert_eq!(without.len(), set.count());
        assert!(without.iter().all(|v| v.how != "bars-off"));
    }

    #[test]
    fn views_are_the_crops_they_name() {
        let (w, h) = (100, 80);
        let img = LumaImage::from_f32(w, h, (0..w * h).map(|k| ((k * 37) % 251) as f32).collect())
            .unwrap();
        let hasher = PdqHasher::new();
        let v = bank_views(&hasher, &img, &BankViews::default());
        assert_eq!(v.len(), BankViews::default().count());
        let by = |how: &str| v.iter().find(|b| b.how == how).unwrap().hash;
        let cases = [
            ("crop-c95", (2, 2, 95, 76)),
            ("crop-l5-t5-r5-b5", (5, 4, 90, 72)),
            ("crop-l15", (15, 0, 85, 80)),
            ("cut-b30", (0, 0, 100, 56)),
            ("crop-l10-t10", (10, 8, 90, 72)),
            ("crop-l10-r10", (10, 0, 80, 80)),
            ("crop-t5-r5-b10", (0, 4, 95, 68)),
        ];
        for (how, (l, t, cw, ch)) in cases {
            assert_eq!(
                by(how),
                hasher.hash(&img.crop(l, t, cw, ch).unwrap()),
                "{how}"
            );
        }
        assert!(v.iter().any(|b| b.how == "rot-5") && v.iter().any(|b| b.how == "rotz+3.5"));
        // names are unique
        let mut names: Vec<&str> = v.iter().map(|b| b.how.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), v.len());
        // the previous set's views are the same hashes under their old names
        let p = bank_views(&hasher, &img, &BankViews::previous());
        assert_eq!(p.len(), 48);
        let old = |how: &str| p.iter().find(|b| b.how == how).unwrap().hash;
        assert_eq!(old("crop-c90"), by("crop-l5-t5-r5-b5"));
        assert_eq!(old("cut-tl10"), by("crop-l10-t10"));
        assert_eq!(old("crop-w80"), by("crop-l10-r10"));
        assert!(bank_views(&hasher, &img, &BankViews::none()).is_empty());
    }

    #[test]
    fn rotation_by_zero_is_identity_and_90_moves_pixels() {
        let img = LumaImage::from_f32(3, 3, (0..9).map(|k| k as f32).collect()).unwrap();
        assert_eq!(rotate(&img, 0.0).as_slice(), img.as_slice());
        // 90° counter-clockwise: the top-right pixel goes to the top-left
        let r = rotate(&img, 90.0);
        assert!((r.get(0, 0) - img.get(2, 0)).abs() < 1e-3);
    }
}
