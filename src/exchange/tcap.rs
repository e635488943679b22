//! Tech Against Terrorism (TCAP) hash-list pages.
//!
//! A page is `{"count", "next", "previous", "checkpoint", "results": [entry, ...]}`; each
//! entry has `id`, `hash_digest`, `algorithm` (`MD5`, `SHA256`, `SHA512`, `PDQ`), `ideology`,
//! `file_type`, `deleted` and `updated_on` (Unix seconds, possibly fractional). The client
//! follows `next`, and later resumes from the last `checkpoint`.
//!
//! **Submissions: the Hash Verification API.** TCAP takes hashes to check, not hashes to add
//! to its list: `POST /hash-verification/api/v2` with a JSON list of items
//! `{"hash_value", "hash_type"}` for `MD5` / `SHA256` / `SHA512`, and
//! `{"hash_value", "hash_type", "confidence"}` (confidence 0–1) for `PDQ` (the hex hash) and
//! `TMK` (*"a base-64 encoded TMK file"*); at most 50 items per request for non-TMK hashes.
//! Sources: <https://terrorismanalytics.org/docs/hash-verification-v2>,
//! <https://terrorismanalytics.org/docs/hash-verifier-v1> and
//! <https://docs.terrorismanalytics.org/docs/api-services/hash-verification>. The v1 page and
//! one v2 page wrap the list as `{"body": [...]}`, the other v2 page posts the bare list;
//! [`verification_batches`] returns the lists and leaves that wrapping to the client. The v1
//! page's advice on how many TMK items to send per request is cut off in every copy found,
//! so TMK items go one per request here (the conservative reading).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::{
    page_records, record_error, record_id, required_str, SignalRecord, SignalType,
};
use crate::error::Result;
use crate::tmk::TmkFeatures;

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

/// A `.tmk` as the Hash Verification API takes it: the standard base64 of the whole file.
pub fn encode_tmk(tmk: &TmkFeatures) -> String {
    super::record::encode_tmk_base64(tmk)
}

/// Most non-TMK items one verification request carries (the API's documented limit).
pub const MAX_VERIFY_ITEMS: usize = 50;

/// The Hash Verification API's name of a signal type (`None` for the types it does not check:
/// SHA-1, vPDQ, others). A `video_md5` is an `MD5`.
pub fn verification_type(t: &SignalType) -> Option<&'static str> {
    Some(match t {
        SignalType::Md5 | SignalType::VideoMd5 => "MD5",
        SignalType::Sha256 => "SHA256",
        SignalType::Sha512 => "SHA512",
        SignalType::Pdq => "PDQ",
        SignalType::Tmk => "TMK",
        _ => return None,
    })
}

/// The bodies of Hash Verification requests for `records` (deleted ones and types the API
/// does not check are left out): lists of at most [`MAX_VERIFY_ITEMS`] cryptographic / PDQ
/// items, and one list per TMK item; perceptual items carry `confidence` (0–1). A TMK value
/// is re-encoded as the base64 of the whole file, whatever form the record holds.
///
/// Errors: `confidence` outside 0–1, or a TMK record whose value does not decode (naming it).
///
/// ```
/// use mediamatch::exchange::{tcap, SignalRecord, SignalType};
/// let md5 = SignalRecord {
///     signal_type: SignalType::Md5,
///     value: "d41d8cd98f00b204e9800998ecf8427e".into(),
///     source: "local".into(), id: None, bank: None, content_id: None,
///     labels: vec![], deleted: false, updated: None,
/// };
/// let batches = tcap::verification_batches(&[md5], 0.9)?;
/// assert_eq!(batches[0][0]["hash_type"], "MD5");
/// assert!(batches[0][0].get("confidence").is_none());
/// # Ok::<(), mediamatch::Error>(())
/// ```
pub fn verification_batches(records: &[SignalRecord], confidence: f64) -> Result<Vec<Vec<Value>>> {
    if !(0.0..=1.0).contains(&confidence) {
        return Err(crate::Error::invalid(format!(
            "confidence {confidence} is not within 0-1"
        )));
    }
    let mut plain: Vec<Value> = Vec::new();
    let mut out: Vec<Vec<Value>> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let Some(t) = verification_type(&r.signal_type).filter(|_| !r.deleted) else {
            continue;
        };
        match &r.signal_type {
            SignalType::Tmk => {
                let tmk = r
                    .tmk()
                    .unwrap_or_else(|| Err(crate::Error::invalid("not TMK")))
                    .map_err(|e| record_error(i, r.id.as_deref(), e))?;
                out.push(vec![serde_json::json!({
                    "hash_value": encode_tmk(&tmk),
                    "hash_type": t,
                    "confidence": confidence,
                })]);
            }
            SignalType::Pdq => plain.push(serde_json::json!({
                "hash_value": r.value,
                "hash_type": t,
                "confidence": confidence,
            })),
            _ => plain.push(serde_json::json!({"hash_value": r.value, "hash_type": t})),
        }
    }
    let mut batches: Vec<Vec<Value>> = plain
        .chunks(MAX_VERIFY_ITEMS)
        .map(<[Value]>::to_vec)
        .collect();
    batches.extend(out);
    Ok(batches)
}
