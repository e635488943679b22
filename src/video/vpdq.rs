//! The vPDQ text format and the reference's two bag-of-frames match rules.
//!
//! Text format, one line per hashed frame, no header (what `vpdq-hash-video` writes):
//! `frame_number,quality,pdq_hex,timestamp_seconds`, the timestamp with exactly 3 decimals,
//! e.g. `30,100,df83b48f…8154,1.000`.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::FrameHash;
use crate::error::{Error, ParseError, ParseErrorKind, Result};
use crate::hash::{Hash256, PdqHash};

/// Formats frame hashes as vPDQ lines (each ending in `\n`).
///
/// ```
/// use mediamatch::video::{vpdq, FrameHash};
/// use mediamatch::{Hash256, PdqHash};
/// let f = FrameHash { frame_number: 30, timestamp_ms: 1000,
///     hash: PdqHash { hash: Hash256::ZERO, quality: 100 } };
/// let text = vpdq::write_lines(&[f]);
/// assert_eq!(text, format!("30,100,{},1.000\n", "0".repeat(64)));
/// assert_eq!(vpdq::parse_lines(&text)?, vec![f]);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn write_lines(frames: &[FrameHash]) -> String {
    let mut s = String::with_capacity(frames.len() * 80);
    for f in frames {
        let _ = writeln!(
            s,
            "{},{},{},{}.{:03}",
            f.frame_number,
            f.hash.quality,
            f.hash.hash,
            f.timestamp_ms / 1000,
            f.timestamp_ms % 1000
        );
    }
    s
}

/// Writes vPDQ lines to a file.
pub fn write_file(path: impl AsRef<Path>, frames: &[FrameHash]) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, write_lines(frames)).map_err(|e| Error::io(Some(path.to_path_buf()), e))
}

fn field_err(line: usize, what: &'static str) -> Error {
    Error::Parse(ParseError::at_line(
        line,
        ParseErrorKind::Field(what.into()),
    ))
}

/// Parses vPDQ lines. Empty lines are skipped; extra fields after the fourth are ignored (as
/// the reference reader does). The timestamp is read as an exact number of milliseconds.
pub fn parse_lines(text: &str) -> Result<Vec<FrameHash>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut it = line.split(',');
        let (Some(n), Some(q), Some(h), Some(t)) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(field_err(
                ln,
                "expected 4 fields: frame_number,quality,hash,timestamp",
            ));
        };
        let frame_number: u64 = n
            .trim()
            .parse()
            .map_err(|_| field_err(ln, "frame number is not a non-negative integer"))?;
        let quality: u8 = q
            .trim()
            .parse()
            .ok()
            .filter(|&q: &u8| q <= 100)
            .ok_or_else(|| Error::Parse(ParseError::at_line(ln, ParseErrorKind::Quality)))?;
        let hash = Hash256::from_hex(h.trim())
            .map_err(|e| Error::Parse(ParseError::at_line(ln, ParseErrorKind::Hash(e))))?;
        let timestamp_ms = parse_ms(t.trim())
            .ok_or_else(|| field_err(ln, "timestamp is not a non-negative decimal number"))?;
        out.push(FrameHash {
            frame_number,
            timestamp_ms,
            hash: PdqHash { hash, quality },
        });
    }
    Ok(out)
}

/// Reads a vPDQ file.
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<FrameHash>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(Some(path.to_path_buf()), e))?;
    parse_lines(&text)
}

/// `"12.345"` → 12345; digits beyond the third decimal are rounded half up.
fn parse_ms(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut ms = 0u64;
    let fb = frac.as_bytes();
    for k in 0..3 {
        ms = ms * 10 + fb.get(k).map_or(0, |d| (d - b'0') as u64);
    }
    if fb.get(3).is_some_and(|&d| d >= b'5') {
        ms += 1;
    }
    int.checked_mul(1000)?.checked_add(ms)
}

/// One of the reference's bag-of-frames match rules.
///
/// ```
/// use mediamatch::video::MatchRule;
/// let r = MatchRule::cpp();
/// assert!(r.is_match(30) && !r.is_match(31));
/// let p = MatchRule::pytx();
/// assert!(p.is_match(31) && p.dedup);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MatchRule {
    /// Frames with quality below this are dropped from both lists first.
    pub min_quality: u8,
    /// The distance threshold.
    pub distance: u32,
    /// `true`: a match is `distance <= threshold` (pytx); `false`: strictly below (C++).
    pub inclusive: bool,
    /// Remove repeated identical hashes (keeping the first) before the quality filter (pytx).
    pub dedup: bool,
}

impl MatchRule {
    /// The C++ `matchTwoHashBrute` / `match-hashes-brute Q T 31 50`: quality ≥ 50, distance
    /// < 31, no de-duplication.
    pub fn cpp() -> MatchRule {
        MatchRule {
            min_quality: 50,
            distance: 31,
            inclusive: false,
            dedup: false,
        }
    }

    /// python-threatexchange's `match_VPDQ_hash_brute`: de-duplicate identical hashes, quality
    /// ≥ 50, distance ≤ 31.
    pub fn pytx() -> MatchRule {
        MatchRule {
            min_quality: 50,
            distance: 31,
            inclusive: true,
            dedup: true,
        }
    }

    /// Whether two frames at this distance match.
    pub fn is_match(&self, d: u32) -> bool {
        if self.inclusive {
            d <= self.distance
        } else {
            d < self.distance
        }
    }

    /// The frames that take part in matching, in order.
    pub fn filter(&self, frames: &[FrameHash]) -> Vec<Hash256> {
        let mut seen = std::collections::HashSet::new();
        frames
            .iter()
            .filter(|f| !self.dedup || seen.insert(f.hash.hash))
            .filter(|f| f.hash.quality >= self.min_quality)
            .map(|f| f.hash.hash)
            .collect()
    }
}

/// Both percentages of a bag-of-frames comparison.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchPercentages {
    /// Share of the query's kept frames that match some frame of the target, 0–100.
    pub query: f64,
    /// Share of the target's kept frames that match some frame of the query, 0–100
    /// (pytx calls it `compared_match_percent`).
    pub target: f64,
}

/// The reference's video match: both percentages under a rule. Empty after filtering → 0/0.
///
/// ```
/// use mediamatch::video::{match_percentages, FrameHash, MatchRule};
/// use mediamatch::{Hash256, PdqHash};
/// let f = |n: u64, byte: u8| FrameHash { frame_number: n, timestamp_ms: n * 1000,
///     hash: PdqHash { hash: Hash256::from_bytes([byte; 32]), quality: 100 } };
/// let q = [f(0, 0x00), f(1, 0x0f)];
/// let t = [f(0, 0x00), f(1, 0x01), f(2, 0xff)]; // 0x01 is 32 bits from 0x00: no match
/// let p = match_percentages(&q, &t, MatchRule::cpp());
/// assert_eq!((p.query, p.target), (50.0, 100.0 / 3.0));
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn match_percentages(
    query: &[FrameHash],
    target: &[FrameHash],
    rule: MatchRule,
) -> MatchPercentages {
    let q = rule.filter(query);
    let t = rule.filter(target);
    if q.is_empty() || t.is_empty() {
        return MatchPercentages {
            query: 0.0,
            target: 0.0,
        };
    }
    let count = |a: &[Hash256], b: &[Hash256]| {
        a.iter()
            .filter(|x| b.iter().any(|y| rule.is_match(x.distance(y))))
            .count()
    };
    MatchPercentages {
        query: count(&q, &t) as f64 * 100.0 / q.len() as f64,
        target: count(&t, &q) as f64 * 100.0 / t.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_parsing() {
        assert_eq!(parse_ms("1.000"), Some(1000));
        assert_eq!(parse_ms("12.345"), Some(12345));
        assert_eq!(parse_ms("0.5"), Some(500));
        assert_eq!(parse_ms("3"), Some(3000));
        assert_eq!(parse_ms("0.0335"), Some(34));
        assert_eq!(parse_ms("-1.0"), None);
        assert_eq!(parse_ms("1e3"), None);
        assert_eq!(parse_ms(""), None);
    }

    #[test]
    fn bad_lines() {
        let h = "0".repeat(64);
        assert!(parse_lines(&format!("0,100,{h}")).is_err());
        assert!(parse_lines(&format!("0,101,{h},0.000")).is_err());
        assert!(parse_lines(&format!("x,100,{h},0.000")).is_err());
        assert!(parse_lines("0,100,abc,0.000").is_err());
        let e = parse_lines(&format!("0,100,{h},0.000\n1,100,{h},zz")).unwrap_err();
        match e {
            Error::Parse(p) => assert_eq!(p.line(), Some(2)),
            _ => panic!("wrong error kind"),
        }
    }
}
