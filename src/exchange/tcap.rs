//! Tech Against Terrorism (TCAP) hash-list pages.
//!
//! A page is `{"count", "next", "previous", "checkpoint", "results": [entry, ...]}`; each
//! entry has `id`, `hash_digest`, `algorithm` (`MD5`, `SHA256`, `SHA512`, `PDQ`), `ideology`,
//! `file_type`, `deleted` and `updated_on` (Unix seconds, possibly fractional). The client
//! follows `next`, and later resumes from the last `checkpoint`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::{
    page_records, record_error, record_id, required_str, SignalRecord, SignalType,
};
use crate::error::Result;

/// Where a TCAP import stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcapCheckpoint {
    /// The service's checkpoint token of the last page read (pass it back to resume).
    pub checkpoint: Option<String>,
    /// The next page (`next`), `None` after the last one.
    pub next_url: Option<String>,
    /// Records imported so far.
    pub records: u64,
}

/// One parsed page.
#[derive(Debug, Clone, PartialEq)]
pub struct TcapPage {
    /// The entries in page order (deletions have `deleted: true`).
    pub records: Vec<SignalRecord>,
    /// The checkpoint after this page.
    pub checkpoint: TcapCheckpoint,
    /// The list's total `count`, when given.
    pub count: Option<u64>,
}

/// The signal type of a TCAP `algorithm`.
pub fn signal_type(algorithm: &str) -> SignalType {
    SignalType::from_name(algorithm)
}

/// Parses one hash-list page; `previous` is the checkpoint before it.
///
/// Errors name the record: missing `hash_digest`/`algorithm`, a digest of the wrong form for
/// its algorithm, a non-boolean `deleted`, a non-numeric `updated_on`.
pub fn parse_page(bytes: &[u8], previous: Option<&TcapCheckpoint>) -> Result<TcapPage> {
    let mut page = Value::Null;
    let results = page_records(bytes, &mut page, "results", "TCAP")?;
    let mut cp = previous.cloned().unwrap_or_default();
    let mut records = Vec::with_capacity(results.len());
    for (i, e) in results.iter().enumerate() {
        let id = record_id(e);
        let err = |what: &str| record_error(i, id.as_deref(), what);
        let alg = required_str(e, "algorithm", err)?;
        let digest = required_str(e, "hash_digest", err)?;
        let st = signal_type(alg);
        let value = st.normalise(digest).map_err(|m| err(&m))?;
        let deleted = match e.get("deleted") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err("\"deleted\" is not a boolean")),
        };
        let updated = match e.get("updated_on") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64().map(|f| f.floor() as i64),
            Some(_) => return Err(err("\"updated_on\" is not a number")),
        };
        let mut labels = Vec::new();
        for key in ["ideology", "file_type"] {
            if let Some(v) = e.get(key).and_then(Value::as_str) {
                labels.push(format!("{key}:{v}"));
            }
        }
        records.push(SignalRecord {
            signal_type: st,
            value,
            source: "tcap".into(),
            id,
            bank: None,
            content_id: None,
            labels,
            deleted,
            updated,
        });
    }
    if let Some(c) = page.get("checkpoint").and_then(Value::as_str) {
        cp.checkpoint = Some(c.to_owned());
    }
    cp.next_url = page.get("next").and_then(Value::as_str).map(str::to_owned);
    cp.records += records.len() as u64;
    Ok(TcapPage {
        records,
        checkpoint: cp,
        count: page.get("count").and_then(Value::as_u64),
    })
}
