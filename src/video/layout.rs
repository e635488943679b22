//! Layouts found over a whole query video, then hashed on every frame.
//!
//! A re-framed copy keeps its layout for its whole length: a 9:16 story has its picture between
//! the same blurred fills on every frame, a picture-in-picture window stays where it was put.
//! Looking for it on every sampled frame is costly and noisy (a busy frame hides the window, a
//! dark one the story's band); looking once, over the whole video, is cheap and sees more:
//!
//! * **independent motion** ([`crate::region::MotionStats`]): the border of a window of other
//!   footage, where neighbouring pixels stop changing together;
//! * **recurring regions**: [`crate::region::find_regions`] on a few probe frames spread over
//!   the video; a rectangle found on enough of them (a story's sharp band, a frame, bars) is
//!   the video's layout, not one frame's accident.
//!
//! While the video is decoded, every sampled frame's luma as the query hashes it is kept as a
//! small 8-bit working copy (at most [`LayoutConfig::work_side`] on the longer side, within
//! [`LayoutConfig::budget_bytes`]: past it, every other frame is dropped, and so on). Each
//! layout found is then cropped out of every kept frame and hashed as one more alternative of
//! that frame, under every transform of the query.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::query::QueryFrame;
use crate::luma::LumaImage;
use crate::pdq::{Enlarge, PdqHasher};
use crate::region::{
    find_regions, iou, reduce, MotionConfig, MotionStats, Rect, Region, RegionConfig, RegionKind,
};
use crate::Dihedral;

/// Settings of the whole-video layouts of a query ([`super::VideoQueryOptions::layouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LayoutConfig {
    /// Longer side of the kept working copies, in pixels.
    pub work_side: usize,
    /// Most bytes of working copies kept (past it the kept frames are thinned).
    pub budget_bytes: usize,
    /// Independent-motion windows (`None`: off).
    pub motion: Option<MotionConfig>,
    /// Frames searched with [`find_regions`] for recurring regions (0: off).
    pub probes: usize,
    /// The search on each probe frame.
    pub probe_regions: RegionConfig,
    /// Fraction of the probe frames (at least two) a rectangle must be found on.
    pub min_recurrence: f32,
    /// Most layouts hashed per frame.
    pub max_layouts: usize,
    /// Enlarge small layouts before hashing them ([`Enlarge`]; never to more pixels than the
    /// frame as hashed; `None`: hash them as they are, the behaviour before the field).
    #[serde(default)]
    pub enlarge: Option<Enlarge>,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        LayoutConfig {
            work_side: 320,
            budget_bytes: 64 << 20,
            motion: Some(MotionConfig::default()),
            probes: 8,
            probe_regions: RegionConfig {
                max_regions: 6,
                ..RegionConfig::video_frames()
            },
            min_recurrence: 0.4,
            max_layouts: 4,
            enlarge: Some(Enlarge::default()),
        }
    }
}

/// One whole-video layout of a query ([`super::QueryVideo::layouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoLayout {
    /// The rectangle, in pixels of the frames' luma as hashed.
    pub rect: Rect,
    /// How it was found: [`RegionKind::Motion`] for a window of independent motion, else the
    /// kind of the recurring region.
    pub kind: RegionKind,
}

/// One kept working copy.
pub(crate) struct WorkFrame {
    width: usize,
    height: usize,
    /// Size of the luma it was reduced from.
    full: (usize, usize),
    px: Vec<u8>,
}

impl WorkFrame {
    fn luma(&self) -> Option<LumaImage> {
        LumaImage::from_f32(
            self.width,
            self.height,
            self.px.iter().map(|&v| f32::from(v)).collect(),
        )
        .ok()
    }
}

/// The working copies kept while a query video is decoded (shared by the decode tasks).
pub(crate) struct WorkFrames {
    cfg: LayoutConfig,
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// Frames closer than this to a kept one are not kept (0: all).
    gap: u64,
    bytes: usize,
    frames: BTreeMap<u64, WorkFrame>,
}

impl Kept {
    /// Doubles the gap (from the closest spacing of the kept frames) and drops the frames
    /// closer than it to the one kept before them.
    fn thin(&mut self) {
        let keys: Vec<u64> = self.frames.keys().copied().collect();
        let spacing = keys.windows(2).map(|k| k[1] - k[0]).min().unwrap_or(1);
        self.gap = (2 * self.gap).max(2 * spacing.max(1));
        let mut last: Option<u64> = None;
        for k in keys {
            if last.is_some_and(|l| k - l < self.gap) {
                if let Some(f) = self.frames.remove(&k) {
                    self.bytes -= f.px.len();
                }
            } else {
                last = Some(k);
            }
        }
    }
}

impl WorkFrames {
    pub(crate) fn new(cfg: LayoutConfig) -> WorkFrames {
        WorkFrames {
            cfg,
            inner: Mutex::new(Kept::default()),
        }
    }

    /// Keeps the working copy of frame `frame_number`'s luma as hashed (unless the kept
    /// frames are being thinned past it).
    pub(crate) fn keep(&self, frame_number: u64, luma: &LumaImage) {
        let side = self.cfg.work_side.max(16);
        // the reduced luma a dense query hashes is usually within the side already: quantise
        // it directly rather than through a copy
        let reduced;
        let work = if luma.width().max(luma.height()) <= side {
            luma
        } else {
            reduced = reduce(luma, side);
            &reduced
        };
        let px: Vec<u8> = work
            .as_slice()
            .iter()
            .map(|&v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        let Ok(mut kept) = self.inner.lock() else {
            return;
        };
        let gap = kept.gap;
        if gap > 0
            && kept
                .frames
                .range(frame_number.saturating_sub(gap - 1)..frame_number.saturating_add(gap))
                .next()
                .is_some()
        {
            return;
        }
        kept.bytes += px.len();
        kept.frames.insert(
            frame_number,
            WorkFrame {
                width: work.width(),
                height: work.height(),
                full: (luma.width(), luma.height()),
                px,
            },
        );
        while kept.bytes > self.cfg.budget_bytes && kept.frames.len() > 1 {
            kept.thin();
        }
    }

    /// Finds the layouts (see the module docs) and hashes them on every kept frame as further
    /// alternatives of the matching query frames. Returns the layouts, in pixels of the luma
    /// as hashed.
    pub(crate) fn apply(
        self,
        frames: &mut [QueryFrame],
        transforms: &[Dihedral],
        pdq: &PdqHasher,
    ) -> Vec<VideoLayout> {
        let cfg = self.cfg;
        let Ok(kept) = self.inner.into_inner() else {
            return Vec::new();
        };
        let (w, h) = layouts_size(&kept.frames);
        let layouts = find_layouts(&kept.frames, (w, h), &cfg);
        if layouts.is_empty() {
            return Vec::new();
        }
        let index: std::collections::HashMap<u64, usize> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| (f.frame_number, i))
            .collect();
        let extra: Vec<(usize, Vec<Vec<crate::PdqHash>>)> = kept
            .frames
            .par_iter()
            .filter(|(_, f)| (f.width, f.height) == (w, h))
            .filter_map(|(n, f)| {
                let i = *index.get(n)?;
                let luma = f.luma()?;
                let alts: Vec<Vec<crate::PdqHash>> = layouts
                    .iter()
                    .filter_map(|r| {
                        let c = r.rect;
                        let crop = luma.crop(c.left, c.top, c.width, c.height).ok()?;
                        Some(match &cfg.enlarge {
                            Some(e) => {
                                let cap = f.full.0 * f.full.1;
                                pdq.hash_transforms(&e.apply(&crop, cap), transforms)
                            }
                            None => pdq.hash_transforms(&crop, transforms),
                        })
                    })
                    .collect();
                Some((i, alts))
            })
            .collect();
        for (i, alts) in extra {
            for a in alts {
                for (t, h) in a.into_iter().enumerate() {
                    if let Some(slot) = frames[i].hashes.get_mut(t) {
                        slot.push(h);
                    }
                }
            }
        }
        let full = kept
            .frames
            .values()
            .find(|f| (f.width, f.height) == (w, h))
            .map_or((w, h), |f| f.full);
        layouts
            .into_iter()
            .map(|r| VideoLayout {
                rect: r.rect.scaled((w, h), full),
                kind: r.kind,
            })
            .collect()
    }
}

/// The most common size of the kept frames (letterbox removal can vary it per frame).
fn layouts_size(frames: &BTreeMap<u64, WorkFrame>) -> (usize, usize) {
    let mut count: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for f in frames.values() {
        *count.entry((f.width, f.height)).or_default() += 1;
    }
    count
        .into_iter()
        .max_by_key(|&(size, n)| (n, std::cmp::Reverse(size)))
        .map_or((0, 0), |(s, _)| s)
}

/// The layouts of a video from its kept working copies of the most common size `(w, h)`: independent-motion windows first,
/// then rectangles recurring on the probe frames, near-duplicates dropped.
fn find_layouts(
    frames: &BTreeMap<u64, WorkFrame>,
    (w, h): (usize, usize),
    cfg: &LayoutConfig,
) -> Vec<Region> {
    let same: Vec<&WorkFrame> = frames
        .values()
        .filter(|f| (f.width, f.height) == (w, h))
        .collect();
    let mut out: Vec<Region> = Vec::new();
    let add = |r: Region, out: &mut Vec<Region>| {
        let whole = r.rect.width == w && r.rect.height == h;
        if !whole
            && out.len() < cfg.max_layouts
            && !out.iter().any(|o| iou(&o.rect, &r.rect) > 0.95)
        {
            out.push(r);
        }
    };
    let motion = match &cfg.motion {
        Some(m) => {
            let refs: Vec<&[u8]> = same.iter().map(|f| f.px.as_slice()).collect();
            MotionStats::from_frames(w, h, &refs)
                .map(|stats| stats.regions(m))
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let recurring = recurring(&same, cfg);
    // in turn: a window of other footage and a recurring region are different layouts, and
    // either may be the one that matches
    let (mut a, mut b) = (motion.into_iter(), recurring.into_iter());
    loop {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            break;
        }
        for r in [x, y].into_iter().flatten() {
            add(r, &mut out);
        }
    }
    out
}

/// Rectangles found by [`find_regions`] on at least [`LayoutConfig::min_recurrence`] of the
/// probe frames (and on two at least), most often found first; each as the median of its
/// finds.
fn recurring(frames: &[&WorkFrame], cfg: &LayoutConfig) -> Vec<Region> {
    let n = frames.len();
    let probes = cfg.probes.min(n);
    if probes < 2 {
        return Vec::new();
    }
    let picks: Vec<&WorkFrame> = (0..probes)
        .map(|k| frames[(2 * k + 1) * n / (2 * probes)])
        .collect();
    let found: Vec<Vec<Region>> = picks
        .par_iter()
        .map(|f| {
            f.luma()
                .map(|l| find_regions(&l, &cfg.probe_regions))
                .unwrap_or_default()
        })
        .collect();
    // clusters of near-equal rectangles, one find per probe at most
    let mut clusters: Vec<(Region, Vec<Rect>, Vec<usize>)> = Vec::new();
    for (p, regions) in found.iter().enumerate() {
        for r in regions {
            match clusters
                .iter_mut()
                .find(|c| !c.2.contains(&p) && iou(&c.0.rect, &r.rect) > 0.9)
            {
                Some(c) => {
                    c.1.push(r.rect);
                    c.2.push(p);
                }
                None => clusters.push((*r, vec![r.rect], vec![p])),
            }
        }
    }
    let need = ((cfg.min_recurrence * probes as f32).ceil() as usize).max(2);
    let mut out: Vec<(usize, Region)> = clusters
        .into_iter()
        .filter(|c| c.1.len() >= need)
        .map(|(first, rects, _)| {
            let med = |f: fn(&Rect) -> usize| {
                let mut v: Vec<usize> = rects.iter().map(f).collect();
                v.sort_unstable();
                v[v.len() / 2]
            };
            let (l, t) = (med(|r| r.left), med(|r| r.top));
            let (r, b) = (med(|r| r.left + r.width), med(|r| r.top + r.height));
            (
                rects.len(),
                Region {
                    rect: Rect {
                        left: l,
                        top: t,
                        width: r.saturating_sub(l).max(1),
                        height: b.saturating_sub(t).max(1),
                    },
                    ..first
                },
            )
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.0));
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luma(w: usize, h: usize, v: f32) -> LumaImage {
        LumaImage::from_f32(w, h, vec![v; w * h]).unwrap()
    }

    #[test]
    fn kept_frames_stay_within_the_budget_and_spread_over_the_video() {
        let cfg = LayoutConfig {
            work_side: 32,
            budget_bytes: 32 * 18 * 40,
            ..LayoutConfig::default()
        };
        let work = WorkFrames::new(cfg);
        // 1000 sampled frames, every 3rd frame number, in the scrambled order of parallel tasks
        for k in 0..1000u64 {
            let k = (k * 617) % 1000;
            work.keep(3 * k, &luma(64, 36, k as f32 % 255.0));
        }
        let kept = work.inner.into_inner().unwrap();
        assert!(kept.bytes <= cfg.budget_bytes, "{}", kept.bytes);
        assert_eq!(kept.bytes, kept.frames.len() * 32 * 18);
        let keys: Vec<u64> = kept.frames.keys().copied().collect();
        assert!(keys.len() >= 10, "{keys:?}");
        // spread: the first and last tenth of the video both keep frames
        assert!(keys[0] < 300 && *keys.last().unwrap() >= 2700, "{keys:?}");
    }

    #[test]
    fn layouts_map_back_to_the_luma_as_hashed() {
        let r = Rect {
            left: 10,
            top: 20,
            width: 100,
            height: 50,
        };
        let s = r.scaled((320, 180), (640, 360));
        assert_eq!((s.left, s.top, s.width, s.height), (20, 40, 200, 100));
    }
}
