//! One row of the robustness benchmark: a classic transformation or a repost style.

use image::DynamicImage;

use super::repost::Repost;
use super::transform::Transform;
use crate::error::Result;

/// A classic transformation ([`Transform`]) or a repost style ([`Repost`]).
///
/// ```
/// use mediamatch::robustness::Style;
/// let all = Style::standard_set(true, false);
/// assert_eq!(all[0].name(), "identity");
/// assert!(all.iter().any(|s| s.name() == "pip-40" && s.others_needed() == 1));
/// assert_eq!(Style::standard_set(true, true).iter().filter(|s| !s.is_repost()).count(), 1);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    /// A classic transformation.
    Classic(Transform),
    /// A repost style.
    Repost(Repost),
}

impl Style {
    /// The benchmark's rows: [`Transform::standard_set`] (only its first, `identity`, when
    /// `identity_only`), then [`Repost::standard_set`] when `reposts`.
    pub fn standard_set(reposts: bool, identity_only: bool) -> Vec<Style> {
        let mut out: Vec<Style> = Transform::standard_set()
            .into_iter()
            .map(Style::Classic)
            .collect();
        if identity_only {
            out.truncate(1);
        }
        if reposts {
            out.extend(Repost::standard_set().into_iter().map(Style::Repost));
        }
        out
    }

    /// The seed of the copy of the `original`-th original in the benchmark's `row`-th row,
    /// from the run's `base` seed (`robustness` and `layout_diag` make the same copies).
    pub fn seed(base: u64, original: usize, row: usize) -> u64 {
        base ^ ((original as u64) << 20) ^ (row as u64).wrapping_mul(0x9E37_79B9)
    }

    /// Short stable name.
    pub fn name(&self) -> String {
        match self {
            Style::Classic(t) => t.name(),
            Style::Repost(r) => r.name(),
        }
    }

    /// Whether it is a repost style.
    pub fn is_repost(&self) -> bool {
        matches!(self, Style::Repost(_))
    }

    /// How many other pictures [`Style::apply`] needs.
    pub fn others_needed(&self) -> usize {
        match self {
            Style::Classic(_) => 0,
            Style::Repost(r) => r.others_needed(),
        }
    }

    /// Makes the copy; `others` must hold [`Style::others_needed`] pictures.
    pub fn apply(
        &self,
        img: &DynamicImage,
        others: &[&DynamicImage],
        seed: u64,
    ) -> Result<DynamicImage> {
        match self {
            Style::Classic(t) => t.apply(img, seed),
            Style::Repost(r) => r.apply(img, others, seed),
        }
    }
}
