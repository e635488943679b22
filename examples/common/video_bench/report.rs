//! The benchmark's report as Markdown and CSV.

use super::{BenchConfig, Cell, Report, METHODS, VARIANTS};

/// Nearest-rank percentile of percentages.
pub fn pct_percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.saturating_sub(1).min(v.len() - 1)])
}

fn f1(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn u(x: Option<u32>) -> String {
    x.map_or_else(|| "-".into(), |v| v.to_string())
}

fn pctl(v: &[u32], p: f64) -> Option<u32> {
    mediamatch::robustness::percentile(v, p)
}

impl Report {
    /// The Markdown tables.
    pub fn markdown(&self, cfg: &BenchConfig) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "## Video robustness: {} originals (first {} s of each), {} transformations\n\n",
            self.videos,
            cfg.max_seconds,
            self.transforms.len()
        ));
        s.push_str(&format!(
            "Recall in %. vPDQ: one frame per second; a copy matches when query % ≥ {} and known % ≥ {} \
             (`cpp`: distance < 31; `pytx`: de-duplicated, distance ≤ 31; both quality ≥ 50). \
             `align`: the original located by temporal alignment (excerpts: start and end within ±1 s; \
             others: the true time offset ±1 s). `+unlb`: each copy frame hashed as is and after letterbox \
             removal, a frame matching if either does; `+dih`: matched under each of the 8 dihedral \
             transforms of the copy's frames, the best transform kept per pair (stored hashes stay plain vPDQ).\n\n",
            cfg.query_pct, cfg.known_pct
        ));
        s.push_str("| transformation |");
        for m in METHODS {
            s.push_str(&format!(" {m} |"));
        }
        s.push_str("\n|---|");
        for _ in METHODS {
            s.push_str("---:|");
        }
        s.push('\n');
        for (t, name) in self.transforms.iter().enumerate() {
            s.push_str(&format!("| {name} |"));
            for c in &self.cells[t] {
                s.push_str(&format!(" {:.1} |", 100.0 * c.recall()));
            }
            s.push('\n');
        }
        s.push_str(
            "\nTrue pairs: vPDQ percentages (pytx rule) as median / 5th percentile (the low tail is \
             what misses), nearest-neighbour frame distance (copy frame showing the original → closest \
             stored frame, quality ≥ 50) as median / 95th percentile, alignment's location error of the \
             best segment (ms, median / 95th percentile), mean size of the copy.\n\n",
        );
        s.push_str("| transformation | query % | known % | +unlb query % | +dih+unlb query % | frame distance | +unlb frame distance | +dih+unlb frame distance | location error ms | copy KB |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (t, name) in self.transforms.iter().enumerate() {
            let c = &self.cells[t];
            let fd = &self.frame_dist[t];
            s.push_str(&format!(
                "| {name} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} | {:.0} |\n",
                f1(pct_percentile(&c[1].query_pct, 50.0)),
                f1(pct_percentile(&c[1].query_pct, 5.0)),
                f1(pct_percentile(&c[1].known_pct, 50.0)),
                f1(pct_percentile(&c[1].known_pct, 5.0)),
                f1(pct_percentile(&c[4].query_pct, 50.0)),
                f1(pct_percentile(&c[4].query_pct, 5.0)),
                f1(pct_percentile(&c[10].query_pct, 50.0)),
                f1(pct_percentile(&c[10].query_pct, 5.0)),
                u(pctl(&fd[0], 50.0)),
                u(pctl(&fd[0], 95.0)),
                u(pctl(&fd[1], 50.0)),
                u(pctl(&fd[1], 95.0)),
                u(pctl(&fd[3], 50.0)),
                u(pctl(&fd[3], 95.0)),
                u(pctl(&c[2].loc_err, 50.0)),
                u(pctl(&c[2].loc_err, 95.0)),
                self.mean_bytes[t] / 1000.0
            ));
        }
        s.push_str(
            "\nFalse matches (ordered pairs of distinct originals: the originals themselves, and every \
             copy against the other originals):\n\n",
        );
        if self.related_pairs > 0 {
            s.push_str(&format!(
                "{} ordered pairs of originals whose names share the prefix before the first `-` were left \
                 out as versions of the same footage.\n\n",
                self.related_pairs
            ));
        }
        s.push_str("| method | originals: pairs | false | copies: pairs | false | rate | highest distinct query % |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for (m, name) in METHODS.iter().enumerate() {
            let o = &self.originals[m];
            let (mut pairs, mut fm, mut maxq) = (0, 0, o.max_distinct_query_pct);
            for row in &self.cells {
                pairs += row[m].distinct_pairs;
                fm += row[m].false_matches;
                maxq = maxq.max(row[m].max_distinct_query_pct);
            }
            let rate = if pairs > 0 {
                100.0 * fm as f64 / pairs as f64
            } else {
                0.0
            };
            let maxq = if m % 3 == 2 {
                "-".to_string()
            } else {
                format!("{maxq:.1}")
            };
            s.push_str(&format!(
                "| {name} | {} | {} | {pairs} | {fm} | {rate:.2}% | {maxq} |\n",
                o.distinct_pairs, o.false_matches
            ));
        }
        if self.failures > 0 {
            s.push_str(&format!(
                "\n{} copies failed and were left out (see stderr).\n",
                self.failures
            ));
        }
        s
    }

    /// CSV rows (with header) for `video-results.csv`.
    pub fn csv(&self, cfg: &BenchConfig) -> String {
        let mut s = String::from(
            "transformation,method,videos,pairs,matched,recall,query_pct_median,query_pct_p5,known_pct_median,known_pct_p5,frame_dist_median,frame_dist_p95,loc_err_ms_median,loc_err_ms_p95,distinct_pairs,false_matches,false_match_rate,max_distinct_query_pct,mean_copy_bytes,query_pct_min,known_pct_min\n",
        );
        let row = |s: &mut String,
                   t: &str,
                   m: usize,
                   c: &Cell,
                   fd: Option<&[Vec<u32>; VARIANTS]>,
                   bytes: f64| {
            let fd = fd.map(|f| &f[m / 3]);
            let rate = if c.distinct_pairs > 0 {
                c.false_matches as f64 / c.distinct_pairs as f64
            } else {
                0.0
            };
            s.push_str(&format!(
                "{t},{},{},{},{},{:.6},{},{},{},{},{},{},{},{},{},{},{:.8},{:.2},{:.0},{},{}\n",
                METHODS[m],
                self.videos,
                c.pairs,
                c.matched,
                c.recall(),
                f1(pct_percentile(&c.query_pct, 50.0)),
                f1(pct_percentile(&c.query_pct, 5.0)),
                f1(pct_percentile(&c.known_pct, 50.0)),
                f1(pct_percentile(&c.known_pct, 5.0)),
                u(fd.and_then(|f| pctl(f, 50.0))),
                u(fd.and_then(|f| pctl(f, 95.0))),
                u(pctl(&c.loc_err, 50.0)),
                u(pctl(&c.loc_err, 95.0)),
                c.distinct_pairs,
                c.false_matches,
                rate,
                c.max_distinct_query_pct,
                bytes,
                f1(pct_percentile(&c.query_pct, 0.0)),
                f1(pct_percentile(&c.known_pct, 0.0)),
            ));
        };
        let _ = cfg;
        for (t, name) in self.transforms.iter().enumerate() {
            for (m, c) in self.cells[t].iter().enumerate() {
                row(
                    &mut s,
                    name,
                    m,
                    c,
                    Some(&self.frame_dist[t]),
                    self.mean_bytes[t],
                );
            }
        }
        for (m, c) in self.originals.iter().enumerate() {
            row(&mut s, "distinct-originals", m, c, None, 0.0);
        }
        s
    }
}
