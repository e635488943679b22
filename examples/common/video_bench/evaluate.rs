//! Judging every copy against every original by each method ([`evaluate`]): located segments,
//! bag-of-frames decisions, frame distances, false matches among distinct originals.

use mediamatch::robustness::Placement;
use mediamatch::video::{AlignConfig, FrameHash, MatchRule, QueryVideo, Segment};

use rayon::prelude::*;

use super::{variants, BenchConfig, Original, METHODS, VARIANTS};

/// Whether alignment located the original in a copy (see the module docs).
pub fn located(segs: &[Segment], p: &Placement, excerpt: bool) -> bool {
    let near = |a: u64, b: u64| a.abs_diff(b) <= 1000;
    let truth_offset = p.copy_start_ms as i64 - p.original_start_ms as i64;
    segs.iter().any(|s| {
        if excerpt {
            let last = p.duration_ms.saturating_sub(1000);
            near(s.query_start_ms, p.copy_start_ms)
                && near(s.known_start_ms, p.original_start_ms)
                && near(s.query_end_ms, p.copy_start_ms + last)
                && near(s.known_end_ms, p.original_start_ms + last)
        } else {
            (s.offset_ms() - truth_offset).abs() <= 1000
        }
    })
}

/// Location error of the segment with most frames, ms (largest of its start errors).
fn location_error(segs: &[Segment], p: &Placement) -> Option<u32> {
    let s = segs.iter().max_by_key(|s| s.frames_matched)?;
    Some(
        s.query_start_ms
            .abs_diff(p.copy_start_ms)
            .max(s.known_start_ms.abs_diff(p.original_start_ms))
            .min(u32::MAX as u64) as u32,
    )
}

/// Nearest-neighbour distance of each usable query frame among the usable known frames (the
/// smallest over the frame's usable hashes: alternatives and transforms).
fn frame_distances(
    query: &QueryVideo,
    known: &[FrameHash],
    window: Option<&Placement>,
) -> Vec<u32> {
    let known: Vec<_> = known.iter().filter(|f| f.hash.quality >= 50).collect();
    if known.is_empty() {
        return Vec::new();
    }
    query
        .frames
        .iter()
        .filter(|f| {
            window.is_none_or(|p| {
                f.timestamp_ms >= p.copy_start_ms
                    && f.timestamp_ms < p.copy_start_ms + p.duration_ms
            })
        })
        .filter_map(|q| {
            q.hashes
                .iter()
                .flatten()
                .filter(|h| h.quality >= 50)
                .flat_map(|h| known.iter().map(|k| h.hash.distance(&k.hash.hash)))
                .min()
        })
        .collect()
}

/// Results of one (transformation, method) cell.
#[derive(Default, Clone)]
pub struct Cell {
    /// True pairs evaluated.
    pub pairs: usize,
    /// True pairs matched (located, for alignment).
    pub matched: usize,
    /// Query % of the true pairs (vPDQ methods).
    pub query_pct: Vec<f64>,
    /// Known % of the true pairs (vPDQ methods).
    pub known_pct: Vec<f64>,
    /// Location error of the best segment, ms (alignment methods).
    pub loc_err: Vec<u32>,
    /// Distinct pairs (copy of one original against another original).
    pub distinct_pairs: usize,
    /// Distinct pairs that matched.
    pub false_matches: usize,
    /// Highest query % among distinct pairs (vPDQ methods).
    pub max_distinct_query_pct: f64,
}

impl Cell {
    /// Share of true pairs matched.
    pub fn recall(&self) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            self.matched as f64 / self.pairs as f64
        }
    }
}

/// Everything the report needs.
pub struct Report {
    /// Transformation names, in row order.
    pub transforms: Vec<String>,
    /// `cells[t][m]`, `m` indexing [`METHODS`].
    pub cells: Vec<Vec<Cell>>,
    /// Per transformation, true-pair frame distances per query variant.
    pub frame_dist: Vec<[Vec<u32>; VARIANTS]>,
    /// Distinct-pair frame distances over all transformations per query variant.
    pub distinct_frame_dist: [Vec<u32>; VARIANTS],
    /// Per method, the pairs of distinct originals (originals themselves as queries).
    pub originals: Vec<Cell>,
    /// Mean size of the copies per transformation, bytes.
    pub mean_bytes: Vec<f64>,
    /// Copies that failed.
    pub failures: usize,
    /// Originals taking part.
    pub videos: usize,
    /// Ordered pairs of different originals left out as versions of the same footage.
    pub related_pairs: usize,
}

/// The content group of each original (see [`BenchConfig::group_by_prefix`]).
fn groups(originals: &[Original], by_prefix: bool) -> Vec<String> {
    originals
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let stem = o
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match stem.split_once('-') {
                Some((prefix, _)) if by_prefix => prefix.to_string(),
                _ => format!("{i}:{stem}"),
            }
        })
        .collect()
}

/// Decision of one method for a query against stored hashes: (matched, query %, known %,
/// segments).
fn judge(
    m: usize,
    query: &QueryVideo,
    known: &[FrameHash],
) -> (Option<(f64, f64)>, Option<Vec<Segment>>) {
    match m % 3 {
        0 | 1 => {
            let rule = if m.is_multiple_of(3) {
                MatchRule::cpp()
            } else {
                MatchRule::pytx()
            };
            let p = query.match_percentages(known, rule).percentages;
            (Some((p.query, p.target)), None)
        }
        _ => (
            None,
            Some(query.align(known, &AlignConfig::default()).segments),
        ),
    }
}

/// Compares every copy with every original.
pub fn evaluate(originals: &[Original], cfg: &BenchConfig) -> Report {
    let nt = cfg.transforms.len();
    let n = originals.len();
    let group = groups(originals, cfg.group_by_prefix);
    let related = |i: usize, j: usize| i != j && group[i] == group[j];
    let is_match = |pct: (f64, f64)| pct.0 >= cfg.query_pct && pct.1 >= cfg.known_pct;
    // per transformation: cells, true-pair and distinct-pair frame distances, mean size, failures
    type PerTransform = (
        Vec<Cell>,
        [Vec<u32>; VARIANTS],
        [Vec<u32>; VARIANTS],
        f64,
        usize,
    );
    let per_t: Vec<PerTransform> = (0..nt)
        .into_par_iter()
        .map(|t| {
            let excerpt = cfg.transforms[t].is_excerpt();
            let mut cells = vec![Cell::default(); METHODS.len()];
            let mut fd: [Vec<u32>; VARIANTS] = Default::default();
            let mut dd: [Vec<u32>; VARIANTS] = Default::default();
            let (mut bytes, mut ok, mut failed) = (0.0, 0usize, 0usize);
            for (i, o) in originals.iter().enumerate() {
                let Ok(c) = &o.copies[t] else {
                    failed += 1;
                    continue;
                };
                bytes += c.bytes as f64;
                ok += 1;
                let qv = variants(&c.query);
                for (j, k) in originals.iter().enumerate() {
                    if related(i, j) {
                        continue;
                    }
                    for (v, q) in qv.iter().enumerate() {
                        if i == j {
                            fd[v].extend(frame_distances(q, &k.hashes, Some(&c.placement)));
                        } else {
                            dd[v].extend(frame_distances(q, &k.hashes, None));
                        }
                        for mm in 0..3 {
                            let m = v * 3 + mm;
                            let cell = &mut cells[m];
                            let (pct, segs) = judge(m, q, &k.hashes);
                            if i == j {
                                cell.pairs += 1;
                                if let Some(p) = pct {
                                    cell.query_pct.push(p.0);
                                    cell.known_pct.push(p.1);
                                    cell.matched += usize::from(is_match(p));
                                }
                                if let Some(s) = &segs {
                                    cell.matched += usize::from(located(s, &c.placement, excerpt));
                                    if let Some(e) = location_error(s, &c.placement) {
                                        cell.loc_err.push(e);
                                    }
                                }
                            } else {
                                cell.distinct_pairs += 1;
                                if let Some(p) = pct {
                                    cell.false_matches += usize::from(is_match(p));
                                    cell.max_distinct_query_pct =
                                        cell.max_distinct_query_pct.max(p.0);
                                }
                                if let Some(s) = &segs {
                                    cell.false_matches += usize::from(!s.is_empty());
                                }
                            }
                        }
                    }
                }
            }
            let mean = if ok > 0 { bytes / ok as f64 } else { 0.0 };
            (cells, fd, dd, mean, failed)
        })
        .collect();
    let mut originals_cells = vec![Cell::default(); METHODS.len()];
    for (i, a) in originals.iter().enumerate() {
        let av = variants(&a.query);
        for (j, b) in originals.iter().enumerate() {
            if i == j || related(i, j) {
                continue;
            }
            // the originals as queries (hashed with the same options as the copies) against
            // the others' stored plain hashes
            for (m, cell) in originals_cells.iter_mut().enumerate() {
                let (pct, segs) = judge(m, &av[m / 3], &b.hashes);
                cell.distinct_pairs += 1;
                if let Some(p) = pct {
                    cell.false_matches += usize::from(is_match(p));
                    cell.max_distinct_query_pct = cell.max_distinct_query_pct.max(p.0);
                }
                if let Some(s) = segs {
                    cell.false_matches += usize::from(!s.is_empty());
                }
            }
        }
    }
    let mut report = Report {
        transforms: cfg.transforms.iter().map(|t| t.name()).collect(),
        cells: Vec::new(),
        frame_dist: Vec::new(),
        distinct_frame_dist: Default::default(),
        originals: originals_cells,
        mean_bytes: Vec::new(),
        failures: 0,
        videos: n,
        related_pairs: (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| related(i, j))
            .count(),
    };
    for (cells, fd, dd, mean, failed) in per_t {
        report.cells.push(cells);
        report.frame_dist.push(fd);
        for (all, d) in report.distinct_frame_dist.iter_mut().zip(dd) {
            all.extend(d);
        }
        report.mean_bytes.push(mean);
        report.failures += failed;
    }
    report
}
