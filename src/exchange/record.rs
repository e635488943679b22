//! The common record every importer produces.

use std::collections::HashMap;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ParseError, ParseErrorKind, Result};
use crate::filehash::{ExactAlg, ExactDigest};
use crate::hash::Hash256;
use crate::tmk::TmkFeatures;

/// The kind of hash a record carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    /// PDQ image hash (64 hex digits).
    Pdq,
    /// MD5 of the file (any content type).
    Md5,
    /// MD5 of a video file (HMA's `video_md5`, ThreatExchange's `HASH_VIDEO_MD5`).
    VideoMd5,
    /// SHA-1 of the file.
    Sha1,
    /// SHA-256 of the file.
    Sha256,
    /// SHA-512 of the file.
    Sha512,
    /// TMK+PDQF video hash (a `.tmk` file, base64 in one of the two forms of
    /// [`SignalType::normalise`]).
    Tmk,
    /// vPDQ video hash (frame hashes).
    Vpdq,
    /// Anything else, by the exchange's own name (kept, not matched).
    Other(String),
}

impl SignalType {
    /// The exact-hash algorithm of the exact types (`VideoMd5` is MD5).
    pub fn exact_alg(&self) -> Option<ExactAlg> {
        match self {
            SignalType::Md5 | SignalType::VideoMd5 => Some(ExactAlg::Md5),
            SignalType::Sha1 => Some(ExactAlg::Sha1),
            SignalType::Sha256 => Some(ExactAlg::Sha256),
            SignalType::Sha512 => Some(ExactAlg::Sha512),
            _ => None,
        }
    }

    /// The python-threatexchange / HMA name (`pdq`, `video_md5`, `md5`, `tmk`, ...).
    pub fn name(&self) -> &str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Md5 => "md5",
            SignalType::VideoMd5 => "video_md5",
            SignalType::Sha1 => "sha1",
            SignalType::Sha256 => "sha256",
            SignalType::Sha512 => "sha512",
            SignalType::Tmk => "tmk",
            SignalType::Vpdq => "vpdq",
            SignalType::Other(s) => s,
        }
    }

    /// Parses a python-threatexchange / HMA name (case-insensitive; `sha-256` accepted).
    pub fn from_name(s: &str) -> SignalType {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "pdq" => SignalType::Pdq,
            "md5" => SignalType::Md5,
            "video_md5" | "videomd5" => SignalType::VideoMd5,
            "sha1" => SignalType::Sha1,
            "sha256" => SignalType::Sha256,
            "sha512" => SignalType::Sha512,
            "tmk" | "tmk_pdqf" | "tmkpdqf" => SignalType::Tmk,
            "vpdq" => SignalType::Vpdq,
            _ => SignalType::Other(s.to_owned()),
        }
    }

    /// Checks and normalises a value of this type: hex to lower case and of the right length,
    /// a TMK value must decode to a valid `.tmk`, either as ThreatExchange writes `HASH_TMK`
    /// (`TMK1FVECPDQF|` then the base64 of the rest of the file) or as TCAP takes it (the
    /// base64 of the whole file). `Other`/`Vpdq` values are kept
    /// trimmed.
    pub fn normalise(&self, value: &str) -> std::result::Result<String, String> {
        let v = value.trim();
        if let Some(alg) = self.exact_alg() {
            return ExactDigest::parse(alg, v)
                .map(|d| d.to_string())
                .map_err(|e| format!("bad {} value: {e}", self.name()));
        }
        match self {
            SignalType::Pdq => Hash256::from_hex(v)
                .map(|h| h.to_string())
                .map_err(|e| format!("bad pdq value: {e}")),
            SignalType::Tmk => decode_tmk(v)
                .map(|_| v.to_owned())
                .map_err(|e| format!("bad tmk value: {e}")),
            _ if v.is_empty() => Err("empty signal value".into()),
            _ => Ok(v.to_owned()),
        }
    }
}

/// The 12 ASCII magic bytes every standard `.tmk` starts with.
const TMK_MAGIC: &str = "TMK1FVECPDQF";

/// Decodes a TMK value in either form the exchanges use:
///
/// * ThreatExchange `HASH_TMK`: the file's first 12 bytes as they are (`TMK1FVECPDQF`), a
///   `|`, then the base64 of the rest of the file ([`crate::exchange::threatexchange::encode_tmk`]);
/// * TCAP's Hash Verification API: the base64 of the whole `.tmk` file
///   ([`crate::exchange::tcap::encode_tmk`]).
///
/// Standard or URL-safe alphabet, padding optional, whitespace ignored.
pub(crate) fn decode_tmk(v: &str) -> Result<TmkFeatures> {
    // A standard .tmk is 263,344 bytes; refuse values that could not be one of the limits.
    if v.len() as u64 > crate::tmk::MAX_FILE_BYTES / 3 * 4 + 4 {
        return Err(Error::invalid("base64 TMK value is too long"));
    }
    let cleaned: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    let cfg = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
    let std = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let url = base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
    let decode = |s: &str| {
        std.decode(s)
            .or_else(|_| url.decode(s))
            .map_err(|e| Error::invalid(format!("not base64: {e}")))
    };
    let bytes = match cleaned
        .strip_prefix(TMK_MAGIC)
        .and_then(|r| r.strip_prefix('|'))
    {
        Some(rest) => {
            let mut b = TMK_MAGIC.as_bytes().to_vec();
            b.extend(decode(rest)?);
            b
        }
        None => decode(&cleaned)?,
    };
    TmkFeatures::from_bytes(&bytes)
}

/// The ThreatExchange `HASH_TMK` form of a `.tmk`: magic, `|`, base64 of the rest.
pub(crate) fn encode_tmk_te(t: &TmkFeatures) -> String {
    let b = t.to_bytes();
    let (head, rest) = b.split_at(TMK_MAGIC.len().min(b.len()));
    format!(
        "{}|{}",
        String::from_utf8_lossy(head),
        base64::engine::general_purpose::STANDARD.encode(rest)
    )
}

/// The base64 of a whole `.tmk` file (TCAP's form).
pub(crate) fn encode_tmk_base64(t: &TmkFeatures) -> String {
    base64::engine::general_purpose::STANDARD.encode(t.to_bytes())
}

/// One hash shared by an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalRecord {
    /// What kind of hash.
    pub signal_type: SignalType,
    /// The value, normalised ([`SignalType::normalise`]).
    pub value: String,
    /// Which exchange or file it came from (`"threatexchange"`, `"tcap"`, `"hma"`).
    pub source: String,
    /// The exchange's own id of the record, if any.
    pub id: Option<String>,
    /// The bank (HMA) or collaboration it belongs to.
    pub bank: Option<String>,
    /// The content id (HMA bank content id) the signal belongs to.
    pub content_id: Option<String>,
    /// Labels / tags (ThreatExchange tags; TCAP ideology and file type as `key:value`).
    pub labels: Vec<String>,
    /// True when the exchange says this signal was withdrawn: remove it locally.
    pub deleted: bool,
    /// Last update time, Unix seconds, when the exchange gives one.
    pub updated: Option<i64>,
}

impl SignalRecord {
    /// The exact digest, for the exact signal types.
    pub fn exact_digest(&self) -> Option<ExactDigest> {
        ExactDigest::parse(self.signal_type.exact_alg()?, &self.value).ok()
    }
    /// The PDQ hash, for PDQ records.
    pub fn pdq(&self) -> Option<Hash256> {
        (self.signal_type == SignalType::Pdq)
            .then(|| Hash256::from_hex(&self.value).ok())
            .flatten()
    }
    /// The TMK features, for TMK records.
    pub fn tmk(&self) -> Option<Result<TmkFeatures>> {
        (self.signal_type == SignalType::Tmk).then(|| decode_tmk(&self.value))
    }
}

/// A parse error for record `index` (0-based, reported 1-based) of a page.
pub(crate) fn record_error(index: usize, id: Option<&str>, what: impl std::fmt::Display) -> Error {
    let who = match id {
        Some(id) => format!("record {} (id {id}): {what}", index + 1),
        None => format!("record {}: {what}", index + 1),
    };
    Error::Parse(ParseError::at_line(
        index + 1,
        ParseErrorKind::Field(who.into()),
    ))
}

/// A page-level parse error (not valid JSON, missing `data`...).
pub(crate) fn page_error(what: impl std::fmt::Display) -> Error {
    Error::Parse(ParseError {
        line: None,
        kind: ParseErrorKind::Field(what.to_string().into()),
    })
}

/// The records of a JSON page: the array under `key` (`exchange` names the format in errors).
pub(crate) fn page_records<'a>(
    bytes: &[u8],
    page: &'a mut serde_json::Value,
    key: &str,
    exchange: &str,
) -> Result<&'a [serde_json::Value]> {
    *page = serde_json::from_slice(bytes)
        .map_err(|e| page_error(format!("{exchange} page is not JSON: {e}")))?;
    page.get(key)
        .and_then(serde_json::Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| page_error(format!("{exchange} page has no \"{key}\" list")))
}

/// A record's `id` (string or number), for error messages.
pub(crate) fn record_id(record: &serde_json::Value) -> Option<String> {
    match record.get("id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A required string field of a record, or the error `err` makes of `missing "key"`.
pub(crate) fn required_str<'a>(
    record: &'a serde_json::Value,
    key: &str,
    err: impl Fn(&str) -> Error,
) -> Result<&'a str> {
    record
        .get(key)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| err(&format!("missing \"{key}\"")))
}

/// A local mirror of an exchange: (type, value) → record, with deletions applied.
#[derive(Debug, Clone, Default)]
pub struct SignalSet {
    map: HashMap<(SignalType, String), SignalRecord>,
}

impl SignalSet {
    /// Applies records in order: a deletion removes the signal, anything else inserts or
    /// replaces it.
    pub fn apply(&mut self, records: &[SignalRecord]) {
        for r in records {
            let key = (r.signal_type.clone(), r.value.clone());
            if r.deleted {
                self.map.remove(&key);
            } else {
                self.map.insert(key, r.clone());
            }
        }
    }
    /// Number of live signals.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// The record of a signal, if live.
    pub fn get(&self, t: &SignalType, value: &str) -> Option<&SignalRecord> {
        self.map.get(&(t.clone(), value.to_owned()))
    }
    /// All live records (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = &SignalRecord> {
        self.map.values()
    }
}
