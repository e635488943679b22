//! The write transactions of [`SqliteRecord`]: each batch is one `BEGIN IMMEDIATE … COMMIT`
//! that also moves the `seq` (and `next_id`) counters of the `meta` table, durable on return.

use std::ops::Range;

use rusqlite::{params, CachedStatement, Connection, Transaction, TransactionBehavior};

use super::{backend, hash_blob, SqliteRecord, ID_LIMIT};
use crate::db::store::record::{NewSignal, SignalType};
use crate::db::{MediaKind, Metadata};
use crate::error::{Error, Result};
use crate::hash::Hash256;

/// The two prepared statements that write entry rows and their labels in a transaction.
struct RowWriter<'t> {
    ins: CachedStatement<'t>,
    lab: CachedStatement<'t>,
}

impl<'t> RowWriter<'t> {
    fn new(tx: &'t Transaction<'_>) -> rusqlite::Result<RowWriter<'t>> {
        Ok(RowWriter {
            ins: tx.prepare_cached(
                "INSERT INTO entries(id, signal, value, quality, source, content_id, media,
                 video_id, timestamp_ms, derived, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?,
            lab: tx.prepare_cached("INSERT INTO labels(entry, label) VALUES (?1, ?2)")?,
        })
    }

    /// Writes one entry row and its labels.
    fn row(
        &mut self,
        id: u64,
        signal: SignalType,
        value: &[u8],
        quality: Option<u8>,
        m: &Metadata,
        seq: u64,
    ) -> rusqlite::Result<()> {
        let (media, vid, ts) = match &m.media {
            MediaKind::Image => ("image", None, None),
            MediaKind::VideoFrame {
                video_id,
                timestamp_ms,
            } => (
                "video_frame",
                Some(video_id.as_str()),
                Some(*timestamp_ms as i64),
            ),
        };
        let id = id as i64;
        self.ins.execute(params![
            id,
            signal.name(),
            value,
            quality.map(i64::from),
            m.source,
            m.content_id,
            media,
            vid,
            ts,
            m.derived,
            seq as i64
        ])?;
        for l in &m.labels {
            self.lab.execute(params![id, l])?;
        }
        Ok(())
    }
}

fn check_quality<'a>(mut qualities: impl Iterator<Item = &'a Option<u8>>) -> Result<()> {
    if qualities.any(|q| q.is_some_and(|q| q > 100)) {
        return Err(Error::invalid("quality must be 0..=100"));
    }
    Ok(())
}

/// Starts a write transaction (taking SQLite's write lock at once).
fn begin<'c>(
    conn: &'c mut Connection,
    be: &impl Fn(rusqlite::Error) -> Error,
) -> Result<Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(be)
}

/// Sets the counters (`next_id` when given) and commits: the batch is durable on return.
fn finish(
    tx: Transaction<'_>,
    be: &impl Fn(rusqlite::Error) -> Error,
    next_id: Option<u64>,
    seq: u64,
) -> Result<()> {
    if let Some(next) = next_id {
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'next_id'",
            [next as i64],
        )
        .map_err(be)?;
    }
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'seq'", [seq as i64])
        .map_err(be)?;
    tx.commit().map_err(be)
}

impl SqliteRecord {
    /// Deletes the entries (and their labels) of `ids` that exist, logging each removal under
    /// `seq`; returns the ids removed. Runs inside the caller's transaction.
    fn remove_rows(conn: &Connection, seq: u64, ids: &[u64]) -> rusqlite::Result<Vec<u64>> {
        let mut del = conn.prepare_cached("DELETE FROM entries WHERE id = ?1")?;
        let mut dl = conn.prepare_cached("DELETE FROM labels WHERE entry = ?1")?;
        let mut log = conn.prepare_cached("INSERT INTO removed(seq, id) VALUES (?1, ?2)")?;
        let mut removed = Vec::new();
        for &id in ids {
            if id < ID_LIMIT && del.execute([id as i64])? == 1 {
                dl.execute([id as i64])?;
                log.execute(params![seq as i64, id as i64])?;
                removed.push(id);
            }
        }
        Ok(removed)
    }

    /// [`StoreOfRecord::insert_batches`](crate::db::StoreOfRecord::insert_batches): PDQ
    /// batches in one transaction, each with its own ids and sequence number.
    pub(super) fn write_pdq_batches(
        &mut self,
        batches: &[&[(Hash256, Option<u8>, Metadata)]],
    ) -> Result<Vec<(Range<u64>, u64)>> {
        check_quality(batches.iter().flat_map(|b| b.iter()).map(|(_, q, _)| q))?;
        self.writable()?;
        let be = backend(&self.path);
        let tx = begin(&mut self.conn, &be)?;
        let mut next = Self::meta_value(&tx, "next_id").map_err(&be)?;
        let mut seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let mut done = Vec::with_capacity(batches.len());
        {
            let mut w = RowWriter::new(&tx).map_err(&be)?;
            for entries in batches {
                let start = next;
                seq += 1;
                next = Self::id_end(&self.path, start, entries.len())?;
                for (id, (h, q, m)) in (start..next).zip(entries.iter()) {
                    w.row(id, SignalType::Pdq, &hash_blob(h), *q, m, seq)
                        .map_err(&be)?;
                }
                done.push((start..next, seq));
            }
        }
        finish(tx, &be, Some(next), seq)?;
        self.committed();
        Ok(done)
    }

    /// [`StoreOfRecord::remove_batch`](crate::db::StoreOfRecord::remove_batch).
    pub(super) fn write_removal(&mut self, ids: &[u64]) -> Result<(Vec<u64>, u64)> {
        self.writable()?;
        let be = backend(&self.path);
        let tx = begin(&mut self.conn, &be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)? + 1;
        let removed = Self::remove_rows(&tx, seq, ids).map_err(&be)?;
        if removed.is_empty() {
            // Nothing changed: no new sequence number.
            tx.rollback().map_err(&be)?;
            return Ok((removed, seq - 1));
        }
        finish(tx, &be, None, seq)?;
        self.committed();
        Ok((removed, seq))
    }

    /// [`StoreOfRecord::write_batch`](crate::db::StoreOfRecord::write_batch): entries of any
    /// signal type and removals in one batch.
    pub(super) fn write_signals(
        &mut self,
        inserts: &[NewSignal],
        removes: &[u64],
    ) -> Result<(Range<u64>, Vec<u64>, u64)> {
        check_quality(inserts.iter().map(|(_, _, q, _)| q))?;
        if let Some((t, v, _, _)) = inserts.iter().find(|(t, v, _, _)| match t.exact_alg() {
            Some(alg) => v.len() != alg.digest_len(),
            None => *t == SignalType::Pdq && v.len() != 32,
        }) {
            return Err(Error::invalid(format!(
                "a {} value of {} bytes",
                t.name(),
                v.len()
            )));
        }
        self.writable()?;
        let be = backend(&self.path);
        let tx = begin(&mut self.conn, &be)?;
        let start = Self::meta_value(&tx, "next_id").map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)? + 1;
        let end = Self::id_end(&self.path, start, inserts.len())?;
        let removed = Self::remove_rows(&tx, seq, removes).map_err(&be)?;
        {
            let mut w = RowWriter::new(&tx).map_err(&be)?;
            for (id, (t, v, q, m)) in (start..end).zip(inserts) {
                w.row(id, *t, v, *q, m, seq).map_err(&be)?;
            }
        }
        if removed.is_empty() && inserts.is_empty() {
            tx.rollback().map_err(&be)?;
            return Ok((start..start, removed, seq - 1));
        }
        finish(tx, &be, Some(end), seq)?;
        self.committed();
        Ok((start..end, removed, seq))
    }

    /// [`StoreOfRecord::prune_changes`](crate::db::StoreOfRecord::prune_changes).
    pub(super) fn write_prune(&mut self, through: u64) -> Result<()> {
        self.writable()?;
        let be = backend(&self.path);
        let tx = begin(&mut self.conn, &be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let through = through.min(seq);
        tx.execute("DELETE FROM removed WHERE seq <= ?1", [through as i64])
            .map_err(&be)?;
        tx.execute(
            "UPDATE meta SET value = max(value, ?1) WHERE key = 'pruned'",
            [through as i64],
        )
        .map_err(&be)?;
        tx.commit().map_err(&be)?;
        self.committed();
        Ok(())
    }
}
