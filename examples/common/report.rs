//! The image benchmark's report: Markdown tables and the CSV of recall, distances and false
//! matches per style and method. (Included with `#[path]` by `robustness`.)

use mediamatch::robustness::{DistinctPairStats, TruePair, TruePairStats};

/// The pairs of one (style, method).
pub struct Cell {
    /// Copy of an original vs that original's stored hashes, one per copy.
    pub true_pairs: Vec<TruePair>,
    /// Copy of an original vs each other original (usable queries only).
    pub distinct: Vec<u32>,
}

/// Everything the report needs: `cells[style][method]`; style 0 is `identity`, whose
/// distinct pairs are the false matches among distinct originals.
pub struct Report<'a> {
    pub styles: Vec<String>,
    pub methods: &'a [String],
    pub thresholds: Vec<u32>,
    pub cells: &'a [Vec<Cell>],
}

fn fmt_pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn fmt_opt(x: Option<u32>) -> String {
    x.map_or_else(|| "-".to_string(), |v| v.to_string())
}

impl Report<'_> {
    fn header(&self, first: &str) -> String {
        let mut s = format!("| {first} |");
        for m in self.methods {
            s.push_str(&format!(" {m} |"));
        }
        s.push_str("\n|---|");
        for _ in self.methods {
            s.push_str("---:|");
        }
        s
    }

    fn stats(&self, t: usize, m: usize) -> TruePairStats {
        TruePairStats::new(&self.cells[t][m].true_pairs, self.thresholds[m])
    }

    fn distinct(&self, t: usize, m: usize) -> DistinctPairStats {
        DistinctPairStats::new(&self.cells[t][m].distinct, self.thresholds[m])
    }

    /// The recall table, the distance table, the false matches among distinct originals and
    /// the highest false-match rate of copies per method.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(self.header("transformation"));
        for (t, name) in self.styles.iter().enumerate() {
            let mut row = format!("| {name} |");
            for m in 0..self.methods.len() {
                row.push_str(&format!(" {} |", fmt_pct(self.stats(t, m).recall())));
            }
            line(row);
        }
        line(
            "\nTrue-pair distance, median / 95th percentile (PDQ: of 256 bits; classic: of 64 bits).\n"
                .into(),
        );
        line(self.header("transformation"));
        for (t, name) in self.styles.iter().enumerate() {
            let mut row = format!("| {name} |");
            for m in 0..self.methods.len() {
                let s = self.stats(t, m);
                row.push_str(&format!(" {} / {} |", fmt_opt(s.median), fmt_opt(s.p95)));
            }
            line(row);
        }
        line(
            "\nFalse matches among distinct originals (ordered pairs; query = the original itself):\n"
                .into(),
        );
        line("| method | threshold | pairs | false matches | rate | false matches start at | 1st percentile |".into());
        line("|---|---:|---:|---:|---:|---:|---:|".into());
        for (m, name) in self.methods.iter().enumerate() {
            let d = self.distinct(0, m);
            line(format!(
                "| {name} | {} | {} | {} | {:.4}% | {} | {} |",
                self.thresholds[m],
                d.pairs,
                d.false_matches,
                100.0 * d.false_match_rate(),
                fmt_opt(d.min_distance),
                fmt_opt(d.p1)
            ));
        }
        let worst: Vec<String> = (0..self.methods.len())
            .map(|m| {
                let (t, rate, total) = (0..self.styles.len())
                    .map(|t| {
                        let d = self.distinct(t, m);
                        (t, d.false_match_rate(), d.false_matches)
                    })
                    .fold((0, -1.0, 0), |a, b| {
                        (if b.1 > a.1 { b.0 } else { a.0 }, a.1.max(b.1), a.2 + b.2)
                    });
                format!(
                    "{} {:.4}% ({}; {total} false matches over all styles)",
                    self.methods[m],
                    100.0 * rate,
                    self.styles[t]
                )
            })
            .collect();
        line(format!(
            "\nHighest false-match rate of transformed copies against other originals, per method: {}.",
            worst.join("; ")
        ));
        out
    }

    /// One CSV row per (style, method).
    pub fn csv(&self, originals: usize, excluded: usize) -> String {
        let mut csv = String::from(
            "transformation,method,threshold,originals,excluded_by_quality,pairs,matched,recall,unusable_queries,median,p95,distinct_pairs,false_matches,false_match_rate,false_matches_start\n",
        );
        for (t, tr) in self.styles.iter().enumerate() {
            for (m, name) in self.methods.iter().enumerate() {
                let s = self.stats(t, m);
                let d = self.distinct(t, m);
                csv.push_str(&format!(
                    "{tr},{name},{},{originals},{excluded},{},{},{:.6},{},{},{},{},{},{:.8},{}\n",
                    self.thresholds[m],
                    s.pairs,
                    s.matched,
                    s.recall(),
                    s.unusable,
                    fmt_opt(s.median),
                    fmt_opt(s.p95),
                    d.pairs,
                    d.false_matches,
                    d.false_match_rate(),
                    fmt_opt(d.min_distance)
                ));
            }
        }
        csv
    }
}
