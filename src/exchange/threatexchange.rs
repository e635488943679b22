//! Meta ThreatExchange `threat_updates` pages, as the Graph API returns them, and the
//! descriptor form that submits a hash.
//!
//! A page is `{"data": [update, ...], "paging": {"cursors": {"before", "after"}, "next"}}`;
//! each update has `id`, `indicator`, `type` (`HASH_PDQ`, `HASH_MD5`, `HASH_VIDEO_MD5`,
//! `HASH_TMK`, ...), `last_updated` (Unix seconds, number or numeric string),
//! `should_delete` and `tags` (strings, or objects with a `text`/`name`). The client keeps
//! fetching `paging.next` until a page has none, then later asks for updates `since` the
//! largest `last_updated` seen; [`TeCheckpoint`] holds both and serialises, so an interrupted
//! import resumes where it stopped.
//!
//! **`HASH_TMK` values.** A `.tmk` file is binary and ThreatExchange's string fields are not
//! 8-bit clean, so the indicator of a `HASH_TMK` descriptor is the file's first 12 bytes as
//! they are (the ASCII magic `TMK1FVECPDQF`), a `|`, then the standard base64 of the rest of
//! the file. Source: Meta's reference client, `hashing/te-tag-query-java/com/facebook/
//! threatexchange/Utils.java` in <https://github.com/facebook/ThreatExchange>
//! (`readTMKHashFromFile` builds that string for `submit -t HASH_TMK`, `outputTMKHashToFile`
//! undoes it), and its pull request #188
//! (<https://github.com/facebook/ThreatExchange/pull/188>), whose test plan posts a sample
//! `.tmk`, reads it back and gets a file with the same MD5. [`encode_tmk`] writes that form;
//! the importers also accept the plain base64 of the whole file (TCAP's form).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::{
    page_records, record_error, record_id, required_str, SignalRecord, SignalType,
};
use crate::error::Result;
use crate::tmk::TmkFeatures;

/// Where a ThreatExchange import stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeCheckpoint {
    /// The next page to fetch (`paging.next`), `None` once the last page was read.
    pub next_url: Option<String>,
    /// The `after` cursor of the last page read.
    pub after: Option<String>,
    /// The largest `last_updated` seen so far: the `since` of the next incremental fetch.
    pub since: i64,
    /// Records imported so far.
    pub records: u64,
}

/// One parsed page.
#[derive(Debug, Clone, PartialEq)]
pub struct TePage {
    /// The updates, in page order (deletions have `deleted: true`).
    pub records: Vec<SignalRecord>,
    /// The checkpoint after this page.
    pub checkpoint: TeCheckpoint,
}

/// The signal type of a ThreatExchange indicator type name.
pub fn signal_type(te_type: &str) -> SignalType {
    match te_type {
        "HASH_PDQ" => SignalType::Pdq,
        "HASH_MD5" => SignalType::Md5,
        "HASH_VIDEO_MD5" => SignalType::VideoMd5,
        "HASH_TMK" => SignalType::Tmk,
        "HASH_SHA1" => SignalType::Sha1,
        "HASH_SHA256" => SignalType::Sha256,
        "HASH_SHA512" => SignalType::Sha512,
        other => SignalType::Other(other.to_owned()),
    }
}

/// The ThreatExchange indicator type of a signal type (`None` for `Vpdq` / `Other`).
pub fn te_type(t: &SignalType) -> Option<&'static str> {
    Some(match t {
        SignalType::Pdq => "HASH_PDQ",
        SignalType::Md5 => "HASH_MD5",
        SignalType::VideoMd5 => "HASH_VIDEO_MD5",
        SignalType::Tmk => "HASH_TMK",
        SignalType::Sha1 => "HASH_SHA1",
        SignalType::Sha256 => "HASH_SHA256",
        SignalType::Sha512 => "HASH_SHA512",
        SignalType::Vpdq | SignalType::Other(_) => return None,
    })
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" || s == "1" => Some(true),
        Value::String(s) if s == "false" || s == "0" => Some(false),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

fn tags(v: Option<&Value>) -> std::result::Result<Vec<String>, String> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        // Some API versions wrap edges as {"data": [...]}.
        Some(Value::Object(o)) => match o.get("data") {
            Some(Value::Array(a)) => a,
            _ => return Err("tags must be a list".into()),
        },
        Some(_) => return Err("tags must be a list".into()),
    };
    list.iter()
        .map(|t| match t {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o
                .get("text")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| "tag object without text".to_owned()),
            _ => Err("tag is not a string".into()),
        })
        .collect()
}

/// Parses one `threat_updates` page. `previous` is the checkpoint before it (`None` for the
/// first page); the returned checkpoint continues from it.
///
/// Errors: the page is not a JSON object with a `data` list; or a record lacks `indicator` /
/// `type`, has a malformed hash for its type, a non-numeric `last_updated` or a non-boolean
/// `should_delete` — the error names the record's position and id.
pub fn parse_page(bytes: &[u8], previous: Option<&TeCheckpoint>) -> Result<TePage> {
    let mut page = Value::Null;
    let data = page_records(bytes, &mut page, "data", "ThreatExchange")?;
    let mut cp = previous.cloned().unwrap_or_default();
    let mut records = Vec::with_capacity(data.len());
    for (i, u) in data.iter().enumerate() {
        let id = record_id(u);
        let err = |what: &str| record_error(i, id.as_deref(), what);
        let t = required_str(u, "type", err)?;
        let indicator = required_str(u, "indicator", err)?;
        let st = signal_type(t);
        let value = st.normalise(indicator).map_err(|e| err(&e))?;
        let updated = match u.get("last_updated") {
            None | Some(Value::Null) => None,
            Some(v) => Some(as_i64(v).ok_or_else(|| err("\"last_updated\" is not a number"))?),
        };
        let deleted = match u.get("should_delete") {
            None | Some(Value::Null) => false,
            Some(v) => as_bool(v).ok_or_else(|| err("\"should_delete\" is not a boolean"))?,
        };
        let labels = tags(u.get("tags")).map_err(|e| err(&e))?;
        if let Some(t) = updated {
            cp.since = cp.since.max(t);
        }
        records.push(SignalRecord {
            signal_type: st,
            value,
            source: "threatexchange".into(),
            id,
            bank: None,
            content_id: None,
            labels,
            deleted,
            updated,
        });
    }
    let paging = page.get("paging");
    cp.next_url = paging
        .and_then(|p| p.get("next"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(a) = paging
        .and_then(|p| p.get("cursors"))
        .and_then(|c| c.get("after"))
        .and_then(Value::as_str)
    {
        cp.after = Some(a.to_owned());
    }
    cp.records += records.len() as u64;
    Ok(TePage {
        records,
        checkpoint: cp,
    })
}

/// A `.tmk` as a ThreatExchange `HASH_TMK` indicator: `TMK1FVECPDQF|` and the base64 of the
/// rest of the file (see the [module documentation](self)).
///
/// ```
/// use mediamatch::exchange::{threatexchange, SignalType};
/// use mediamatch::tmk::TmkBuilder;
/// let mut b = TmkBuilder::new();
/// for t in 0..20 { let mut f = [1.0f32; 256]; f[t % 7] = 9.0; b.push(&f); }
/// let tmk = b.finish();
/// let v = threatexchange::encode_tmk(&tmk);
/// assert!(v.starts_with("TMK1FVECPDQF|"));
/// // it reads back as the same features
/// assert!(SignalType::Tmk.normalise(&v).is_ok());
/// # Ok::<(), mediamatch::Error>(())
/// ```
pub fn encode_tmk(tmk: &TmkFeatures) -> String {
    super::record::encode_tmk_te(tmk)
}

/// The form fields of a `POST /threat_descriptors` submission of one hash: `indicator`,
/// `type`, `description`, `privacy_type`, `share_level`, `status` and comma-separated
/// `tags`. A TMK indicator is written in ThreatExchange's form ([`encode_tmk`]), whichever
/// form the record holds. `None` for signal types ThreatExchange has no indicator type for,
/// or a TMK record whose value does not decode.
pub fn descriptor_form(
    record: &SignalRecord,
    privacy_type: &str,
    share_level: &str,
    status: &str,
    description: &str,
) -> Option<Vec<(&'static str, String)>> {
    let t = te_type(&record.signal_type)?;
    let indicator = match record.tmk() {
        Some(tmk) => encode_tmk(&tmk.ok()?),
        None => record.value.clone(),
    };
    Some(vec![
        ("indicator", indicator),
        ("type", t.to_owned()),
        ("description", description.to_owned()),
        ("privacy_type", privacy_type.to_owned()),
        ("share_level", share_level.to_owned()),
        ("status", status.to_owned()),
        ("tags", record.labels.join(",")),
    ])
}
