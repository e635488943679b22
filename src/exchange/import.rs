//! Importing one fetched page (or file) into a store, with its deletions applied and the
//! import's checkpoint kept in the store, so that a re-run resumes: [`import_page`].
//!
//! Unlike the parsers of this module, which sit below the store (the store reads their
//! [`SignalRecord`]s), this is the step above both: parse, apply to a [`Store`], record the
//! checkpoint ([`Store::set_source_checkpoint`]).
//!
//! Formats ([`Format`], or sniffed from the content by [`Format::sniff`]):
//!
//! * [`Format::ThreatExchange`]: a `threat_updates` page ([`super::threatexchange`]);
//! * [`Format::Tcap`]: a TCAP hash-list page ([`super::tcap`]);
//! * [`Format::Hma`]: an HMA bank export / python-threatexchange CSV ([`super::hma`]);
//! * [`Format::List`]: a hex list or CSV/TSV ([`crate::db::read_hash_list`]);
//! * [`Format::Vpdq`]: a vPDQ text file ([`crate::video::vpdq::parse_lines`]), one video's
//!   frames, stored as video-frame entries of the video `template.content_id` (else the
//!   source name).
//!
//! Resuming: the checkpoint ([`ImportCheckpoint`], JSON in the store under the source's key)
//! keeps the exchange's own checkpoint, the largest `last_updated` / `updated_on` applied
//! (`since`, with the ids of the records applied at that second) and, for files read top to
//! bottom, the rows read. A page's records updated before `since`, or at `since` with an id
//! applied then, were applied by an earlier run and are skipped (counted in
//! [`ImportCounts::older`]); records without an update time are applied again, which changes
//! nothing (applying is idempotent). CSV and list files skip the rows an earlier run read, so
//! a file that grew by appending imports only its new rows.

use serde::{Deserialize, Serialize};

use super::hma;
use super::record::SignalRecord;
use super::tcap::{self, TcapCheckpoint};
use super::threatexchange::{self, TeCheckpoint};
use crate::db::{read_hash_list, ImportOptions, MediaKind, Metadata, Store};
use crate::error::{Error, Result};

/// A page format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// ThreatExchange `threat_updates` JSON page.
    ThreatExchange,
    /// TCAP hash-list JSON page.
    Tcap,
    /// HMA / python-threatexchange CSV (`signal_type,signal_value,...` header).
    Hma,
    /// Hex list or CSV/TSV `hash,quality,...`.
    List,
    /// vPDQ text (`frame_number,quality,hash,seconds` per line): one video's frames.
    Vpdq,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [
        Format::ThreatExchange,
        Format::Tcap,
        Format::Hma,
        Format::List,
    ];

    /// The format's name (`threatexchange`, `tcap`, `hma`, `list`).
    pub fn name(self) -> &'static str {
        match self {
            Format::ThreatExchange => "threatexchange",
            Format::Tcap => "tcap",
            Format::Hma => "hma",
            Format::List => "list",
            Format::Vpdq => "vpdq",
        }
    }

    /// Parses a name ([`Format::name`]; also `te`, `csv`, `hex`, `vpdq`).
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "threatexchange" | "te" | "threat_updates" => Format::ThreatExchange,
            "tcap" => Format::Tcap,
            "hma" | "pytx" => Format::Hma,
            "list" | "hex" | "csv" => Format::List,
            "vpdq" => Format::Vpdq,
            _ => return None,
        })
    }

    /// The format of some content: a JSON object with a `data` list is a ThreatExchange page,
    /// one with a `results` list a TCAP page; text whose first non-empty line names a
    /// `signal_type` column an HMA CSV; one of four fields `integer,integer,64 hex
    /// digits,number` a vPDQ file; anything else a list.
    ///
    /// ```
    /// use mediamatch::exchange::import::Format;
    /// assert_eq!(Format::sniff(br#"{"data": []}"#), Format::ThreatExchange);
    /// assert_eq!(Format::sniff(br#"{"count": 0, "results": []}"#), Format::Tcap);
    /// assert_eq!(Format::sniff(b"signal_type,signal_value\npdq,00"), Format::Hma);
    /// assert_eq!(Format::sniff(b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"), Format::List);
    /// let vpdq = format!("0,100,{},0.000\n", "ab".repeat(32));
    /// assert_eq!(Format::sniff(vpdq.as_bytes()), Format::Vpdq);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Format {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
        let t = text.trim_start();
        if t.starts_with('{') {
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(bytes) {
                if o.get("data").is_some_and(|v| v.is_array()) {
                    return Format::ThreatExchange;
                }
                if o.get("results").is_some_and(|v| v.is_array()) {
                    return Format::Tcap;
                }
            }
        }
        let first = t.lines().next().unwrap_or("").to_ascii_lowercase();
        if first
            .split(',')
            .any(|c| c.trim().trim_matches('"') == "signal_type")
        {
            return Format::Hma;
        }
        let f: Vec<&str> = first.split(',').map(str::trim).collect();
        if f.len() == 4
            && f[0].parse::<u64>().is_ok()
            && f[1].parse::<u8>().is_ok()
            && f[2].len() == 64
            && f[2].bytes().all(|b| b.is_ascii_hexdigit())
            && f[3].parse::<f64>().is_ok()
        {
            return Format::Vpdq;
        }
        Format::List
    }
}

/// Where an import of one source stands (stored as JSON by [`import_page`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImportCheckpoint {
    /// The format of the pages imported.
    #[serde(default)]
    pub format: Option<Format>,
    /// The largest update time applied (Unix seconds; 0 when none).
    #[serde(default)]
    pub since: i64,
    /// The ids of the records applied whose update time is `since` (so a re-run skips them,
    /// while a record at the same second that was not applied yet is not skipped).
    #[serde(default)]
    pub at_since: Vec<String>,
    /// Data rows read so far (CSV and list files).
    #[serde(default)]
    pub rows: u64,
    /// ThreatExchange's own checkpoint (the next page, the cursor).
    #[serde(default)]
    pub threatexchange: Option<TeCheckpoint>,
    /// TCAP's own checkpoint (the service's token, the next page).
    #[serde(default)]
    pub tcap: Option<TcapCheckpoint>,
    /// Pages imported.
    #[serde(default)]
    pub pages: u64,
}

/// What [`import_page`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImportCounts {
    /// The format read.
    pub format: Format,
    /// Entries added.
    pub added: usize,
    /// Entries removed (deletions, and older copies of re-sent records).
    pub removed: usize,
    /// Records of types the store does not hold (vPDQ in an exchange page, unknown types).
    pub skipped: usize,
    /// Records or rows an earlier run already applied (before the checkpoint), not applied
    /// again.
    pub older: usize,
    /// The checkpoint after this page, as stored.
    pub checkpoint: ImportCheckpoint,
}

/// The checkpoint key of a source in the store.
fn key(source: &str) -> String {
    format!("import:{source}")
}

/// The checkpoint of `source` in the store (the default when none was stored).
pub fn checkpoint(store: &Store, source: &str) -> Result<ImportCheckpoint> {
    match store.source_checkpoint(&key(source))? {
        None => Ok(ImportCheckpoint::default()),
        Some(s) => serde_json::from_str(&s).map_err(|e| {
            Error::invalid(format!(
                "the stored checkpoint of source {source:?} is corrupt: {e}"
            ))
        }),
    }
}

/// Drops the records an earlier run applied: updated before `cp.since`, or at `cp.since`
/// with an id in `cp.at_since`. Records without an update time are kept.
fn newer(records: Vec<SignalRecord>, cp: &ImportCheckpoint) -> (Vec<SignalRecord>, usize) {
    let before = records.len();
    let kept: Vec<SignalRecord> = records
        .into_iter()
        .filter(|r| match r.updated {
            None => true,
            Some(t) if t > cp.since => true,
            Some(t) if t == cp.since => r.id.as_ref().is_none_or(|id| !cp.at_since.contains(id)),
            Some(_) => false,
        })
        .collect();
    let dropped = before - kept.len();
    (kept, dropped)
}

/// Moves the checkpoint's `since` to the newest applied record (and its ids at that time).
fn advance(cp: &mut ImportCheckpoint, applied: &[SignalRecord]) {
    for r in applied {
        let Some(t) = r.updated else { continue };
        if t > cp.since {
            cp.since = t;
            cp.at_since.clear();
        }
        if t == cp.since {
            if let Some(id) = &r.id {
                if !cp.at_since.contains(id) {
                    cp.at_since.push(id.clone());
                }
            }
        }
    }
}

/// Imports one page or file of `format` (sniffed when `None`) into `store` under the checkpoint
/// of `source`, then stores the new checkpoint; see the [module documentation](self).
///
/// Entries get `template`'s metadata; an empty `template.source` takes each record's own
/// source (`threatexchange`, `tcap`, `hma`), and a list's entries take `source`. The page is
/// applied as one atomic batch ([`Store::apply_records`] for exchange formats,
/// [`Store::insert_many`] for lists); a bad page changes nothing and its error names the
/// record (or line).
pub fn import_page(
    store: &mut Store,
    source: &str,
    bytes: &[u8],
    format: Option<Format>,
    template: &Metadata,
) -> Result<ImportCounts> {
    let mut cp = checkpoint(store, source)?;
    let format = format.unwrap_or_else(|| Format::sniff(bytes));
    let mut counts = ImportCounts {
        format,
        added: 0,
        removed: 0,
        skipped: 0,
        older: 0,
        checkpoint: ImportCheckpoint::default(),
    };
    let records = match format {
        Format::ThreatExchange => {
            let page = threatexchange::parse_page(bytes, cp.threatexchange.as_ref())?;
            cp.threatexchange = Some(page.checkpoint);
            Some(page.records)
        }
        Format::Tcap => {
            let page = tcap::parse_page(bytes, cp.tcap.as_ref())?;
            cp.tcap = Some(page.checkpoint);
            Some(page.records)
        }
        Format::Hma => {
            let import = hma::parse_csv(bytes, cp.rows)?;
            counts.older = usize::try_from(cp.rows.min(import.rows)).unwrap_or(usize::MAX);
            cp.rows = import.rows;
            Some(import.records)
        }
        Format::List | Format::Vpdq => None,
    };
    match records {
        Some(records) => {
            let (records, older) = newer(records, &cp);
            counts.older += older;
            let applied = store.apply_records(&records, template)?;
            counts.added = applied.inserted.clone().count();
            counts.removed = applied.removed.len();
            counts.skipped = applied.skipped;
            advance(&mut cp, &records);
        }
        None => {
            let mut t = template.clone();
            if t.source.is_empty() {
                t.source = source.to_owned();
            }
            let rows: Vec<_> = if format == Format::Vpdq {
                let text = std::str::from_utf8(bytes)
                    .map_err(|e| Error::invalid(format!("vPDQ file is not UTF-8: {e}")))?;
                let video_id = t.content_id.clone().unwrap_or_else(|| source.to_owned());
                crate::video::vpdq::parse_lines(text)?
                    .into_iter()
                    .map(|f| {
                        let m = t.clone().media(MediaKind::VideoFrame {
                            video_id: video_id.clone(),
                            timestamp_ms: f.timestamp_ms,
                        });
                        (f.hash.hash, Some(f.hash.quality), m)
                    })
                    .collect()
            } else {
                read_hash_list(bytes, &ImportOptions::default())?
                    .rows
                    .into_iter()
                    .map(|r| r.into_entry(&t))
                    .collect()
            };
            let total = rows.len() as u64;
            let skip = usize::try_from(cp.rows.min(total)).unwrap_or(usize::MAX);
            let entries: Vec<_> = rows.into_iter().skip(skip).collect();
            counts.older = skip;
            counts.added = entries.len();
            store.insert_many(entries)?;
            cp.rows = total;
        }
    }
    cp.format = Some(format);
    cp.pages += 1;
    let json = serde_json::to_string(&cp)
        .map_err(|e| Error::invalid(format!("checkpoint does not serialise: {e}")))?;
    store.set_source_checkpoint(&key(source), &json)?;
    counts.checkpoint = cp;
    Ok(counts)
}
