//! HMA bank exports and python-threatexchange dataset files: CSV with a header row naming the
//! columns `signal_type`, `signal_value` (or `signal`), `bank` (or `bank_name`),
//! `content_id` (or `bank_content_id`), and optionally `labels` (or `tags`; `;`-separated)
//! and `deleted`. Signal types use pytx names (`pdq`, `video_md5`, `md5`, `tmk`, ...).
//! Fields may be double-quoted (`""` inside quotes is a quote). The checkpoint is the number
//! of data rows already imported, so a file that grows by appending resumes where it stopped.

use super::record::{page_error, record_error, SignalRecord, SignalType};
use crate::error::Result;

/// Splits one CSV line; `None` on an unterminated quote.
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The result of [`parse_csv`].
#[derive(Debug, Clone, PartialEq)]
pub struct HmaImport {
    /// The records after the checkpoint, in file order.
    pub records: Vec<SignalRecord>,
    /// Data rows read in total (pass back as `skip_rows` to resume).
    pub rows: u64,
}

/// Parses a bank export; the first `skip_rows` data rows (a previous checkpoint) are skipped.
/// Errors name the record (data row number) and its content id.
pub fn parse_csv(bytes: &[u8], skip_rows: u64) -> Result<HmaImport> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| page_error(format!("bank export is not UTF-8: {e}")))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| page_error("bank export is empty (no header row)"))?;
    let header = split_csv(header.trim_start_matches('\u{feff}'))
        .ok_or_else(|| page_error("bank export header has an unterminated quote"))?;
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let c_type =
        col(&["signal_type"]).ok_or_else(|| page_error("bank export has no signal_type column"))?;
    let c_value = col(&["signal_value", "signal"])
        .ok_or_else(|| page_error("bank export has no signal_value column"))?;
    let c_bank = col(&["bank", "bank_name"]);
    let c_content = col(&["content_id", "bank_content_id"]);
    let c_labels = col(&["labels", "tags"]);
    let c_deleted = col(&["deleted", "should_delete"]);
    let mut records = Vec::new();
    let mut rows = 0u64;
    for (i, line) in lines.enumerate() {
        rows += 1;
        if (i as u64) < skip_rows {
            continue;
        }
        let f = split_csv(line).ok_or_else(|| record_error(i, None, "unterminated quote"))?;
        let get = |c: Option<usize>| {
            c.and_then(|c| f.get(c))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let content_id = get(c_content);
        let err = |what: &str| record_error(i, content_id.as_deref(), what);
        let st = SignalType::from_name(&get(Some(c_type)).ok_or_else(|| err("no signal_type"))?);
        let raw = get(Some(c_value)).ok_or_else(|| err("no signal_value"))?;
        let value = st.normalise(&raw).map_err(|e| err(&e))?;
        let deleted = match get(c_deleted).as_deref() {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(_) => return Err(err("deleted must be true/false")),
        };
        let labels = get(c_labels)
            .map(|l| {
                l.split(';')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        records.push(SignalRecord {
            signal_type: st,
            value,
            source: "hma".into(),
            id: None,
            bank: get(c_bank),
            content_id,
            labels,
            deleted,
            updated: None,
        });
    }
    Ok(HmaImport { records, rows })
}

/// Writes records as a bank export that [`parse_csv`] (and a spreadsheet) reads back.
pub fn write_csv(records: &[SignalRecord]) -> String {
    let mut out = String::from("signal_type,signal_value,bank,content_id,labels,deleted\n");
    for r in records {
        let row = [
            quote(r.signal_type.name()),
            quote(&r.value),
            quote(r.bank.as_deref().unwrap_or("")),
            quote(r.content_id.as_deref().unwrap_or("")),
            quote(&r.labels.join(";")),
            r.deleted.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
