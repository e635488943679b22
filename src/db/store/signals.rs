//! Exact file digests and TMK features in the store: their in-memory indexes (an
//! [`ExactIndex`] hash map and a [`TmkIndex`] of pure averages, the full features staying in
//! the store of record) and the [`Store`] / [`StoreReader`] calls that use them.
//!
//! ```
//! use mediamatch::db::{Metadata, Store, StoreReader};
//! use mediamatch::filehash::{ExactAlg, FileDigests};
//! use mediamatch::index::IndexConfig;
//! let dir = std::env::temp_dir().join(format!("signals-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("bank.db");
//! let mut store = Store::open(&path, IndexConfig::default())?;
//! let banked = FileDigests::of_bytes(b"the banked file's bytes");
//! let ids = store.insert_file_digests(&banked, Metadata::new("bank"))?;
//! let mut matcher = StoreReader::open(&path, IndexConfig::default())?;
//! // An unmodified re-upload: found before any decoding.
//! let upload = FileDigests::of_bytes(b"the banked file's bytes");
//! assert_eq!(matcher.lookup_exact(&upload), Some((ExactAlg::Md5, vec![ids.start])));
//! store.remove_many(&ids.collect::<Vec<_>>())?;
//! matcher.refresh()?;
//! assert_eq!(matcher.lookup_exact(&upload), None);
//! # drop((store, matcher)); std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), mediamatch::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use super::record::{Change, NewSignal, SignalType, StoreOfRecord};
use super::Store;
use crate::db::Metadata;
use crate::error::{Error, Result};
use crate::exchange::{self, SignalRecord};
use crate::filehash::{ExactAlg, ExactDigest, ExactIndex, FileDigests};
use crate::tmk::{TmkFeatures, TmkIndex, TmkMatch, TmkThresholds};

/// The non-PDQ entries in memory.
#[derive(Debug, Default)]
pub(super) struct Signals {
    pub(super) exact: ExactIndex<u64>,
    pub(super) exact_of: HashMap<u64, ExactDigest>,
    tmk: TmkIndex<u64>,
    pub(super) tmk_ids: HashSet<u64>,
    /// The store sequence the initial load reflects.
    pub(super) loaded_at: u64,
}

impl Signals {
    /// Every exact and TMK entry of the store (TMK: only its pure average is kept).
    pub(super) fn load(rec: &dyn StoreOfRecord) -> Result<Signals> {
        let mut s = Signals::default();
        s.loaded_at = rec.for_each_signal(&mut |id, signal, value| s.add(id, signal, value))?;
        Ok(s)
    }

    /// Adds one entry (a no-op when the id is already there).
    pub(super) fn add(&mut self, id: u64, signal: SignalType, value: &[u8]) -> Result<()> {
        if let Some(alg) = signal.exact_alg() {
            if self.exact_of.contains_key(&id) {
                return Ok(());
            }
            let d = ExactDigest::from_bytes(alg, value).ok_or_else(|| {
                Error::invalid(format!(
                    "entry {id}: a {} value of {} bytes",
                    alg,
                    value.len()
                ))
            })?;
            self.exact.insert(d, id);
            self.exact_of.insert(id, d);
        } else if signal == SignalType::Tmk {
            if self.tmk_ids.contains(&id) {
                return Ok(());
            }
            let avg = tmk_average(value)
                .ok_or_else(|| Error::invalid(format!("entry {id}: not a standard .tmk value")))?;
            self.tmk.insert_average(id, &avg)?;
            self.tmk_ids.insert(id);
        }
        Ok(())
    }

    /// Forgets an id (a no-op when it is not an exact or TMK entry).
    pub(super) fn remove(&mut self, id: u64) {
        if let Some(d) = self.exact_of.remove(&id) {
            self.exact.remove(&d, &id);
        }
        if self.tmk_ids.remove(&id) {
            self.tmk.remove(&id);
        }
    }

    /// Applies a store's changes (inserts read from the store; idempotent).
    pub(super) fn apply_changes(
        &mut self,
        rec: &dyn StoreOfRecord,
        changes: &[Change],
    ) -> Result<()> {
        for ch in changes {
            match *ch {
                Change::Signal { id, .. } => {
                    if self.exact_of.contains_key(&id) || self.tmk_ids.contains(&id) {
                        continue;
                    }
                    // Removed since: its removal follows in the log.
                    if let Some(e) = rec.get_signal(id)? {
                        self.add(id, e.signal, &e.value)?;
                    }
                }
                Change::Remove { id, .. } => self.remove(id),
                Change::Insert { .. } => {}
            }
        }
        Ok(())
    }

    pub(super) fn lookup(&self, digests: &FileDigests) -> Option<(ExactAlg, Vec<u64>)> {
        self.exact.find(digests).map(|(a, ids)| (a, ids.to_vec()))
    }

    pub(super) fn search_tmk(
        &self,
        rec: &dyn StoreOfRecord,
        query: &TmkFeatures,
        thresholds: &TmkThresholds,
    ) -> Result<Vec<TmkMatch<u64>>> {
        let mut err = None;
        let hits = self.tmk.search_with(query, thresholds, |_, &id| {
            let loaded = rec.get_signal(id).and_then(|e| match e {
                Some(e) if e.signal == SignalType::Tmk => {
                    TmkFeatures::from_bytes(&e.value).map(|f| Some(Arc::new(f)))
                }
                _ => Ok(None),
            });
            match loaded {
                Ok(f) => f,
                Err(e) => {
                    err.get_or_insert(e);
                    None
                }
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(hits),
        }
    }
}

/// What [`Store::apply_records`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The ids given to the inserted entries (consecutive, in record order).
    pub inserted: Range<u64>,
    /// The ids removed (by deletions, and older copies of re-sent records).
    pub removed: Vec<u64>,
    /// Records of types the store does not hold (vPDQ, unknown types), ignored.
    pub skipped: usize,
    /// The batch's change sequence (unchanged when nothing changed).
    pub seq: u64,
}

fn tmk_value(tmk: &TmkFeatures) -> Result<Vec<u8>> {
    tmk.validate()?;
    if tmk.dim() != crate::tmk::PDQF_DIM {
        return Err(Error::invalid(format!(
            "TMK dimension {} is not {}",
            tmk.dim(),
            crate::tmk::PDQF_DIM
        )));
    }
    Ok(tmk.to_bytes())
}

/// Bytes of a `.tmk` value up to the end of a standard pure average: all that loading the
/// index needs ([`StoreOfRecord::for_each_signal`] may pass only this prefix).
pub(super) const TMK_PREFIX: usize = crate::tmk::HEADER_LEN
    + 4 * (crate::tmk::MAX_PERIODS + crate::tmk::MAX_COEFFS + crate::tmk::PDQF_DIM);

/// The pure average of a (possibly cut after it) `.tmk` value with the standard dimension.
fn tmk_average(v: &[u8]) -> Option<Vec<f32>> {
    let int = |o: usize| -> Option<usize> {
        let b = v.get(o..o + 4)?;
        usize::try_from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()
    };
    if v.get(..12)? != b"TMK1FVECPDQF" {
        return None;
    }
    let (p, m, d) = (int(16)?, int(20)?, int(24)?);
    if p > crate::tmk::MAX_PERIODS || m > crate::tmk::MAX_COEFFS || d != crate::tmk::PDQF_DIM {
        return None;
    }
    let start = crate::tmk::HEADER_LEN + 4 * (p + m);
    let bytes = v.get(start..start + 4 * d)?;
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

fn pdq_value(h: &crate::hash::Hash256) -> Vec<u8> {
    h.limbs().iter().flat_map(|l| l.to_le_bytes()).collect()
}

/// The stored (signal, value) of an exchange record; `None` for types not stored.
fn record_value(i: usize, r: &SignalRecord) -> Result<Option<(SignalType, Vec<u8>)>> {
    let bad = |what: String| Error::invalid(format!("record {} ({}): {what}", i + 1, r.value));
    Ok(match r.signal_type {
        exchange::SignalType::Pdq => {
            let h = r.pdq().ok_or_else(|| bad("not a PDQ hash".into()))?;
            Some((SignalType::Pdq, pdq_value(&h)))
        }
        exchange::SignalType::Tmk => {
            let f = r
                .tmk()
                .unwrap_or_else(|| Err(Error::invalid("not TMK")))
                .map_err(|e| bad(e.to_string()))?;
            Some((
                SignalType::Tmk,
                tmk_value(&f).map_err(|e| bad(e.to_string()))?,
            ))
        }
        ref t if t.exact_alg().is_some() => {
            let d = r
                .exact_digest()
                .ok_or_else(|| bad(format!("not a {} digest", t.name())))?;
            Some((SignalType::of_exact(d.alg()), d.as_bytes().to_vec()))
        }
        _ => None,
    })
}

impl Store {
    /// Inserts exact file digests (each its own entry, with its metadata) atomically and
    /// durably; returns the ids given. They are found by [`Store::lookup_exact`] on return.
    pub fn insert_exact_many(
        &mut self,
        entries: Vec<(ExactDigest, Metadata)>,
    ) -> Result<Range<u64>> {
        let rows: Vec<NewSignal> = entries
            .into_iter()
            .map(|(d, m)| {
                (
                    SignalType::of_exact(d.alg()),
                    d.as_bytes().to_vec(),
                    None,
                    m,
                )
            })
            .collect();
        self.write(rows, &[]).map(|(ids, _)| ids)
    }

    /// Inserts one exact file digest; returns its id.
    pub fn insert_exact(&mut self, digest: ExactDigest, metadata: Metadata) -> Result<u64> {
        Ok(self.insert_exact_many(vec![(digest, metadata)])?.start)
    }

    /// Inserts all four digests of a file (MD5, SHA-1, SHA-256, SHA-512) with the same
    /// metadata, as one batch; returns their ids.
    pub fn insert_file_digests(
        &mut self,
        digests: &FileDigests,
        metadata: Metadata,
    ) -> Result<Range<u64>> {
        self.insert_exact_many(digests.iter().map(|d| (d, metadata.clone())).collect())
    }

    /// Inserts a TMK+PDQF video feature (a standard 256-dimension one) atomically and
    /// durably; returns its id. Its `.tmk` bytes are stored; its pure average is indexed.
    pub fn insert_tmk(&mut self, tmk: &TmkFeatures, metadata: Metadata) -> Result<u64> {
        let v = tmk_value(tmk)?;
        Ok(self
            .write(vec![(SignalType::Tmk, v, None, metadata)], &[])?
            .0
            .start)
    }

    /// Applies an exchange importer's page in one atomic batch, in record order:
    ///
    /// * every record first removes the entries of its source with the same signal type and
    ///   value (a re-sent record replaces its older copy; a page is idempotent);
    /// * a record that is not `deleted` is then inserted: PDQ, TMK and exact types (a
    ///   `video_md5` is stored as MD5), with metadata `template` whose `source` is the
    ///   record's when the template's is empty, `content_id` the record's if it has one,
    ///   and the record's labels after the template's.
    ///
    /// Records of other types (vPDQ, unknown) are skipped and counted. A record whose value
    /// does not parse gives an error naming it, and nothing is applied.
    pub fn apply_records(
        &mut self,
        records: &[SignalRecord],
        template: &Metadata,
    ) -> Result<Applied> {
        let mut inserts: Vec<(NewSignal, bool)> = Vec::new();
        let mut removes: Vec<u64> = Vec::new();
        let mut skipped = 0;
        for (i, r) in records.iter().enumerate() {
            let Some((signal, value)) = record_value(i, r)? else {
                skipped += 1;
                continue;
            };
            let source = if template.source.is_empty() {
                r.source.clone()
            } else {
                template.source.clone()
            };
            removes.extend(self.rec.find_value(signal, &value, Some(&source))?);
            for (row, live) in &mut inserts {
                if row.0 == signal && row.1 == value && row.3.source == source {
                    *live = false;
                }
            }
            if !r.deleted {
                let mut m = template.clone();
                m.source = source;
                if r.content_id.is_some() {
                    m.content_id = r.content_id.clone();
                }
                m.labels.extend(r.labels.iter().cloned());
                inserts.push(((signal, value, None, m), true));
            }
        }
        removes.sort_unstable();
        removes.dedup();
        let rows: Vec<NewSignal> = inserts
            .into_iter()
            .filter_map(|(row, live)| live.then_some(row))
            .collect();
        let (ids, removed) = self.write(rows, &removes)?;
        Ok(Applied {
            inserted: ids,
            removed,
            skipped,
            seq: self.live.seq,
        })
    }

    /// One batch of any signal types through the store of record, then into memory.
    fn write(&mut self, rows: Vec<NewSignal>, removes: &[u64]) -> Result<(Range<u64>, Vec<u64>)> {
        let (ids, removed, seq) = self.rec.write_batch(&rows, removes)?;
        if seq == self.live.seq {
            return Ok((ids, removed));
        }
        self.apply(seq, |l| {
            for &id in &removed {
                l.db.remove(id);
                l.signals.remove(id);
            }
            let mut pdq = Vec::new();
            for (id, (t, v, _, _)) in ids.clone().zip(&rows) {
                if *t == SignalType::Pdq {
                    let h = super::sqlite::pdq_of(v)
                        .ok_or_else(|| Error::invalid("a PDQ value of the wrong length"))?;
                    pdq.push((id, h));
                } else {
                    l.signals.add(id, *t, v)?;
                }
            }
            l.db.insert_ids(&pdq)
        })?;
        Ok((ids, removed))
    }
}
