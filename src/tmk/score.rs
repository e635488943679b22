//! TMK scoring: level 1 (cosine of the pure averages) and level 2 (the TMK kernel, maximised
//! over time offsets and periods), in the reference's float32 arithmetic and order.

use super::format::TmkFeatures;

/// The reference's default level-1 threshold (`tmk_default_thresholds.h`).
pub const DEFAULT_LEVEL1_THRESHOLD: f32 = 0.7;
/// The reference's default level-2 threshold.
pub const DEFAULT_LEVEL2_THRESHOLD: f32 = 0.7;
/// Level-1 threshold that disables the pre-filter ("full scan").
pub const FULL_SCAN_LEVEL1: f32 = -1.0;
/// Level-2 threshold that accepts everything ("full scan").
pub const FULL_SCAN_LEVEL2: f32 = 0.0;

/// Match thresholds; a pair matches when level 1 ≥ `level1` and level 2 ≥ `level2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TmkThresholds {
    /// Minimum level-1 score.
    pub level1: f32,
    /// Minimum level-2 score.
    pub level2: f32,
}

impl Default for TmkThresholds {
    /// The reference's defaults, 0.7 and 0.7. Upstream suggests 0.9 for near-identical only.
    fn default() -> Self {
        TmkThresholds {
            level1: DEFAULT_LEVEL1_THRESHOLD,
            level2: DEFAULT_LEVEL2_THRESHOLD,
        }
    }
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        s += x * y;
    }
    s
}

pub(crate) fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

/// Level 1 from a dot product and the two norms, as the reference divides.
pub(crate) fn cosine_from(dot: f32, na: f32, nb: f32) -> f32 {
    if na == 0.0 && nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Level-1 score: cosine similarity of the raw pure averages, −1..1 (the value of
/// `tmk-two-level-score`, `tmk-clusterize`). 0 when both averages are zero, NaN when one is.
pub fn level1(a: &TmkFeatures, b: &TmkFeatures) -> f32 {
    let (u, v) = (&a.pure_average, &b.pure_average);
    cosine_from(dot(u, v), norm(u), norm(v))
}

/// Level-1 score after L2-normalising both averages first (the value `tmk-query` prints; it
/// differs from [`level1`] in the last bits).
pub fn level1_normalised(a: &TmkFeatures, b: &TmkFeatures) -> f32 {
    let mut u = a.pure_average.clone();
    let mut v = b.pure_average.clone();
    super::features::normalise(&mut u);
    super::features::normalise(&mut v);
    cosine_from(dot(&u, &v), norm(&u), norm(&v))
}

/// `a_0 + 2 Σ a_j`, accumulated as the reference does.
fn normaliser(coeffs: &[f32]) -> f32 {
    let mut acc = coeffs.first().copied().unwrap_or(0.0);
    for a in coeffs.iter().skip(1) {
        acc = (acc as f64 + 2.0 * *a as f64) as f32;
    }
    acc
}

/// Level-2 (TMK) score, about 0..1: for every period shared by both vectors and every offset
/// 0..T−1, the kernel of the time-shifted features; the largest over offsets and periods,
/// divided by A's `a_0 + 2 Σ a_j`. Not exactly symmetric (as in the reference).
///
/// Vectors whose periods, coefficient count or dimension differ are scored over the periods
/// they share at the same index (none shared gives 0).
pub fn level2(a: &TmkFeatures, b: &TmkFeatures) -> f32 {
    let m = a.num_coeffs().min(b.num_coeffs());
    if a.dim() != b.dim() || m == 0 {
        return 0.0;
    }
    let mut best_all: Option<f32> = None;
    let mut cc = vec![0.0f32; m];
    let mut ss = vec![0.0f32; m];
    let mut sc = vec![0.0f32; m];
    let mut cs = vec![0.0f32; m];
    for (p, &period) in a.periods.iter().enumerate() {
        if b.periods.get(p) != Some(&period) {
            continue;
        }
        for j in 0..m {
            let (ac, asn) = (a.cos_vec(p, j), a.sin_vec(p, j));
            let (bc, bsn) = (b.cos_vec(p, j), b.sin_vec(p, j));
            cc[j] = dot(ac, bc);
            ss[j] = dot(asn, bsn);
            sc[j] = dot(asn, bc);
            cs[j] = dot(ac, bsn);
        }
        let sum_cs: Vec<f32> = (0..m).map(|j| cc[j] + ss[j]).collect();
        let diff: Vec<f32> = (0..m).map(|j| sc[j] - cs[j]).collect();
        let mut best: Option<f32> = None;
        // Eight offsets at a time, one per lane: every lane performs exactly the reference's
        // sequence of float32 operations for its offset (so results are bit-identical), and
        // the lanes vectorise.
        const L: usize = 8;
        let period_us = period as usize;
        let mut o0 = 0usize;
        while o0 < period_us {
            let lanes = L.min(period_us - o0);
            let mut alpha = [0.0f32; L];
            let mut beta = [0.0f32; L];
            for l in 0..L {
                let o = (o0 + l.min(lanes - 1)) as f64;
                let delta = (2.0 * std::f64::consts::PI * o / period as f64) as f32;
                beta[l] = (delta as f64).sin() as f32;
                let half = ((delta / 2.0) as f64).sin() as f32;
                alpha[l] = 2.0 * half * half;
            }
            let mut c = [1.0f32; L];
            let mut sn = [0.0f32; L];
            let mut k = [cc[0]; L];
            for j in 1..m {
                let (sj, dj) = (sum_cs[j], diff[j]);
                for l in 0..L {
                    let c1 = alpha[l] * c[l] + beta[l] * sn[l];
                    let s1 = alpha[l] * sn[l] - beta[l] * c[l];
                    c[l] -= c1;
                    sn[l] -= s1;
                    k[l] += c[l] * sj;
                    k[l] += sn[l] * dj;
                }
            }
            for &kl in &k[..lanes] {
                if best.is_none_or(|b| kl > b) {
                    best = Some(kl);
                }
            }
            o0 += L;
        }
        if let Some(k) = best {
            if best_all.is_none_or(|b| k > b) {
                best_all = Some(k);
            }
        }
    }
    match best_all {
        Some(k) => k / normaliser(&a.coeffs),
        None => 0.0,
    }
}

/// Both scores of a pair and whether they pass the thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TmkScore {
    /// Level-1 score.
    pub level1: f32,
    /// Level-2 score (computed only when level 1 passed; else `None`).
    pub level2: Option<f32>,
}

impl TmkScore {
    /// True when both levels reach the thresholds.
    pub fn is_match(&self, t: &TmkThresholds) -> bool {
        self.level1 >= t.level1 && self.level2.is_some_and(|l2| l2 >= t.level2)
    }
}

/// Two-level scoring as `tmk-clusterize` does it: level 1 first, level 2 only if level 1
/// reached `thresholds.level1`.
///
/// ```
/// use mediamatch::tmk::{score_pair, TmkBuilder, TmkThresholds};
/// let mut b = TmkBuilder::new();
/// for t in 0..40 {
///     let mut f = [1.0f32; 256];
///     f[t % 9] = 60.0 + t as f32;
///     b.push(&f);
/// }
/// let tmk = b.finish();
/// let s = score_pair(&tmk, &tmk, &TmkThresholds::default());
/// assert!(s.is_match(&TmkThresholds::default()));
/// ```
pub fn score_pair(a: &TmkFeatures, b: &TmkFeatures, thresholds: &TmkThresholds) -> TmkScore {
    let l1 = level1(a, b);
    let level2 = (l1 >= thresholds.level1).then(|| level2(a, b));
    TmkScore { level1: l1, level2 }
}
