//! The queries of [`SqliteRecord`]: entries with their metadata, the hashes for a load, the
//! changes after a sequence, the non-PDQ signals, and look-ups by selector or value. Reads
//! that need several statements run in one read transaction (one consistent snapshot).

use rusqlite::types::{FromSqlResult, ValueRef};
use rusqlite::{params, OptionalExtension};

use super::{backend, blob_hash, corrupt_row, SqliteRecord, ID_LIMIT};
use crate::db::store::record::{
    Change, Changes, Selector, SignalEntry, SignalType, SignalVisitor, StoredEntry,
};
use crate::db::{MediaKind, Metadata};
use crate::error::{Error, Result};
use crate::hash::Hash256;

/// One entry row as stored: signal, value, quality and metadata.
struct Row {
    signal: String,
    value: Vec<u8>,
    quality: Option<u8>,
    metadata: Metadata,
}

/// Column `i` of a row without copying it (a blob or a text), as `as_type` reads it.
fn column<'r, T: ?Sized>(
    r: &'r rusqlite::Row<'_>,
    i: usize,
    be: &impl Fn(rusqlite::Error) -> Error,
    as_type: impl FnOnce(&ValueRef<'r>) -> FromSqlResult<&'r T>,
) -> Result<&'r T> {
    let v = r.get_ref(i).map_err(be)?;
    as_type(&v).map_err(|e| be(e.into()))
}

impl SqliteRecord {
    fn labels_of(&self, id: u64) -> rusqlite::Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT label FROM labels WHERE entry = ?1 ORDER BY rowid")?;
        let rows = st.query_map([id as i64], |r| r.get(0))?;
        rows.collect()
    }

    /// The row of `id` with its labels (one read transaction), of any signal type.
    fn row(&self, id: u64) -> Result<Option<Row>> {
        if id >= ID_LIMIT {
            return Ok(None);
        }
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let row = tx
            .prepare_cached(
                "SELECT signal, value, quality, source, content_id, media, video_id,
                 timestamp_ms, derived FROM entries WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.query_row([id as i64], |r| {
                    let media: String = r.get(5)?;
                    let video_id: Option<String> = r.get(6)?;
                    let media = match (media.as_str(), video_id) {
                        ("video_frame", Some(video_id)) => MediaKind::VideoFrame {
                            video_id,
                            timestamp_ms: r.get::<_, Option<i64>>(7)?.unwrap_or(0) as u64,
                        },
                        _ => MediaKind::Image,
                    };
                    let quality = r.get::<_, Option<i64>>(2)?;
                    Ok(Row {
                        signal: r.get(0)?,
                        value: r.get(1)?,
                        quality: quality
                            .and_then(|q| u8::try_from(q).ok())
                            .filter(|&q| q <= 100),
                        metadata: Metadata {
                            source: r.get(3)?,
                            content_id: r.get(4)?,
                            labels: Vec::new(),
                            media,
                            derived: r.get(8)?,
                        },
                    })
                })
                .optional()
            })
            .map_err(&be)?;
        let Some(mut row) = row else {
            return Ok(None);
        };
        row.metadata.labels = self.labels_of(id).map_err(&be)?;
        tx.finish().map_err(&be)?;
        Ok(Some(row))
    }

    /// [`StoreOfRecord::get`](crate::db::StoreOfRecord::get): PDQ entries only.
    pub(super) fn read_entry(&self, id: u64) -> Result<Option<StoredEntry>> {
        let Some(row) = self.row(id)? else {
            return Ok(None);
        };
        if row.signal != SignalType::Pdq.name() {
            return Ok(None);
        }
        let hash = blob_hash(&row.value).ok_or_else(|| corrupt_row(&self.path))?;
        Ok(Some(StoredEntry {
            id,
            hash,
            quality: row.quality,
            metadata: row.metadata,
        }))
    }

    /// [`StoreOfRecord::get_signal`](crate::db::StoreOfRecord::get_signal).
    pub(super) fn read_signal(&self, id: u64) -> Result<Option<SignalEntry>> {
        let Some(row) = self.row(id)? else {
            return Ok(None);
        };
        let Some(signal) = SignalType::from_name(&row.signal) else {
            return Ok(None);
        };
        Ok(Some(SignalEntry {
            id,
            signal,
            value: row.value,
            quality: row.quality,
            metadata: row.metadata,
        }))
    }

    /// [`StoreOfRecord::select`](crate::db::StoreOfRecord::select).
    pub(super) fn read_selected(&self, selector: &Selector) -> Result<Vec<u64>> {
        let (sql, arg) = match selector {
            Selector::Source(s) => ("SELECT id FROM entries WHERE source = ?1 ORDER BY id", s),
            Selector::ContentId(c) => (
                "SELECT id FROM entries WHERE content_id = ?1 ORDER BY id",
                c,
            ),
            Selector::Label(l) => (
                "SELECT DISTINCT entry FROM labels WHERE label = ?1 ORDER BY entry",
                l,
            ),
        };
        let be = backend(&self.path);
        let mut st = self.conn.prepare_cached(sql).map_err(&be)?;
        let rows = st
            .query_map([arg], |r| r.get::<_, i64>(0).map(|v| v as u64))
            .map_err(&be)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&be)
    }

    /// [`StoreOfRecord::all_hashes`](crate::db::StoreOfRecord::all_hashes).
    pub(super) fn read_all_hashes(&self) -> Result<(Vec<(u64, Hash256)>, u64)> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let mut out = Vec::new();
        {
            let mut st = tx
                .prepare("SELECT id, value FROM entries WHERE signal = 'pdq' ORDER BY id")
                .map_err(&be)?;
            let mut rows = st.query([]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let id = r.get::<_, i64>(0).map_err(&be)? as u64;
                let v = column(r, 1, &be, ValueRef::as_blob)?;
                out.push((id, blob_hash(v).ok_or_else(|| corrupt_row(&self.path))?));
            }
        }
        tx.finish().map_err(&be)?;
        Ok((out, seq))
    }

    /// [`StoreOfRecord::changes_since`](crate::db::StoreOfRecord::changes_since).
    pub(super) fn read_changes(&self, after: u64) -> Result<Changes> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        let pruned = Self::meta_value(&tx, "pruned").map_err(&be)?;
        if after < pruned || after > seq {
            return Ok(Changes {
                seq,
                changes: Vec::new(),
                reload: true,
            });
        }
        let mut changes = Vec::new();
        {
            let mut st = tx
                .prepare_cached(
                    "SELECT seq, id, signal, CASE WHEN signal = 'pdq' THEN value END
                     FROM entries WHERE seq > ?1 ORDER BY seq, id",
                )
                .map_err(&be)?;
            let mut rows = st.query([after as i64]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let s = r.get::<_, i64>(0).map_err(&be)? as u64;
                let id = r.get::<_, i64>(1).map_err(&be)? as u64;
                let signal = column(r, 2, &be, ValueRef::as_str)?;
                match SignalType::from_name(signal) {
                    Some(SignalType::Pdq) => {
                        let v = column(r, 3, &be, ValueRef::as_blob)?;
                        let hash = blob_hash(v).ok_or_else(|| corrupt_row(&self.path))?;
                        changes.push(Change::Insert { seq: s, id, hash });
                    }
                    Some(signal) => changes.push(Change::Signal { seq: s, id, signal }),
                    // A signal type of a newer version: not searchable here.
                    None => {}
                }
            }
            let mut st = tx
                .prepare_cached("SELECT seq, id FROM removed WHERE seq > ?1 ORDER BY seq, id")
                .map_err(&be)?;
            let rows = st
                .query_map([after as i64], |r| {
                    Ok(Change::Remove {
                        seq: r.get::<_, i64>(0)? as u64,
                        id: r.get::<_, i64>(1)? as u64,
                    })
                })
                .map_err(&be)?;
            for c in rows {
                changes.push(c.map_err(&be)?);
            }
        }
        tx.finish().map_err(&be)?;
        changes.sort_by_key(Change::seq);
        Ok(Changes {
            seq,
            changes,
            reload: false,
        })
    }

    /// [`StoreOfRecord::for_each_signal`](crate::db::StoreOfRecord::for_each_signal).
    pub(super) fn read_each_signal(&self, f: &mut SignalVisitor<'_>) -> Result<u64> {
        let be = backend(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&be)?;
        let seq = Self::meta_value(&tx, "seq").map_err(&be)?;
        {
            let mut st = tx
                .prepare(&format!(
                    "SELECT id, signal, CASE WHEN signal = 'tmk' THEN substr(value, 1, {})
                     ELSE value END FROM entries WHERE signal <> 'pdq' ORDER BY id",
                    crate::db::store::signals::TMK_PREFIX
                ))
                .map_err(&be)?;
            let mut rows = st.query([]).map_err(&be)?;
            while let Some(r) = rows.next().map_err(&be)? {
                let id = r.get::<_, i64>(0).map_err(&be)? as u64;
                let name = column(r, 1, &be, ValueRef::as_str)?;
                let Some(signal) = SignalType::from_name(name) else {
                    continue;
                };
                let v = column(r, 2, &be, ValueRef::as_blob)?;
                f(id, signal, v)?;
            }
        }
        tx.finish().map_err(&be)?;
        Ok(seq)
    }

    /// [`StoreOfRecord::find_value`](crate::db::StoreOfRecord::find_value).
    pub(super) fn read_value(
        &self,
        signal: SignalType,
        value: &[u8],
        source: Option<&str>,
    ) -> Result<Vec<u64>> {
        let be = backend(&self.path);
        // With a source, the source index narrows the scan to that bank.
        let sql = if source.is_some() {
            "SELECT id FROM entries INDEXED BY entries_source
             WHERE source = ?3 AND signal = ?1 AND value = ?2 ORDER BY id"
        } else {
            "SELECT id FROM entries WHERE signal = ?1 AND value = ?2 ORDER BY id"
        };
        let mut st = self.conn.prepare_cached(sql).map_err(&be)?;
        let id = |r: &rusqlite::Row<'_>| r.get::<_, i64>(0).map(|v| v as u64);
        let rows = match source {
            Some(src) => st.query_map(params![signal.name(), value, src], id),
            None => st.query_map(params![signal.name(), value], id),
        }
        .map_err(&be)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&be)
    }
}
