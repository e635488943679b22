//! The `.mmdb` file of a [`Database`]: atomic save of a snapshot, checked open (the format
//! itself is in [`format`](super::format)).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::format::{self, Layout, NO_QUALITY};
use super::slots::{SlotChunk, EMPTY, SLOT_CHUNK};
use super::snapshot::META_CHUNK;
use super::{atomic, Database, Metadata, Snapshot};
use crate::error::{Error, Result};
use crate::index::{Index, IndexConfig};

impl Snapshot {
    /// Runs `f` on the file layout of this snapshot (entries in id order, each distinct
    /// hash once).
    fn with_layout<R>(&self, f: impl FnOnce(&Layout<'_>) -> R) -> R {
        self.index.with_parts(|entries, hashes| {
            let n = entries.len();
            let mut c = Layout {
                next_id: self.next_id,
                metas: Vec::new(),
                hashes,
                ids: Vec::with_capacity(n),
                hash_ref: Vec::with_capacity(n),
                meta_ref: Vec::with_capacity(n),
                quality: Vec::with_capacity(n),
            };
            // Compact the metadata table: only referenced records, in order of first use.
            let mut remap = vec![EMPTY; self.meta_len];
            let mut orphan = EMPTY;
            for &(id, pos) in entries {
                let r = match self.slot(id) {
                    Some((q, m)) => {
                        c.quality.push(q);
                        let r = &mut remap[m as usize];
                        if *r == EMPTY {
                            *r = c.metas.len() as u32;
                            c.metas.push(self.meta(m).clone());
                        }
                        *r
                    }
                    None => {
                        // Not reachable through the public API (every entry has a slot);
                        // written with empty metadata rather than breaking the layout.
                        c.quality.push(NO_QUALITY);
                        if orphan == EMPTY {
                            orphan = c.metas.len() as u32;
                            c.metas.push(Metadata::default());
                        }
                        orphan
                    }
                };
                c.ids.push(id);
                c.hash_ref.push(pos);
                c.meta_ref.push(r);
            }
            f(&c)
        })
    }

    /// Writes the database file format to `w` (not atomic; see [`Database::save`]).
    pub fn write_to(&self, mut w: impl Write) -> Result<()> {
        self.with_layout(|c| {
            let h = format::encode_header(c)?;
            format::encode(c, &h, &mut w)?;
            Ok(())
        })
    }

    /// Saves atomically to `path` (see the [module documentation](crate::db)).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_inner(path.as_ref(), None)
    }

    fn save_inner(&self, path: &Path, fail_after: Option<u64>) -> Result<()> {
        self.with_layout(|c| {
            let h = format::encode_header(c)?;
            atomic::write_atomic(
                path,
                fail_after,
                |w| format::encode(c, &h, w),
                // Read the new file back through the parser before it replaces the old one.
                |tmp| read_file(tmp, true).map(drop),
            )
        })
    }
}

/// Reads and verifies a database file into columns.
fn read_file(path: &Path, check_crc: bool) -> Result<format::Columns> {
    let io = |e| Error::io(path.to_path_buf(), e);
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    format::read_stream(std::io::BufReader::new(file), len, check_crc, path)
}

impl Database {
    /// Opens a database file, verifying everything (see [`format`](mod@format)). The index
    /// is ready to search at once; multi-index tables, if a configuration set with
    /// [`Database::set_index_config`] wants them, are built by it.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_inner(path.as_ref(), true)
    }

    /// Like [`Database::open`], with the index built for `config` (e.g. the multi-index
    /// tables of [`Strategy::MultiIndex`](crate::index::Strategy::MultiIndex)).
    pub fn open_with_config(path: impl AsRef<Path>, config: IndexConfig) -> Result<Database> {
        let mut db = Self::open_inner(path.as_ref(), true)?;
        if db.state.index.config() != &config {
            db.set_index_config(config)?;
            db.commit();
        }
        Ok(db)
    }

    /// Like [`Database::open`] but skips the CRC over the file (all structural checks still
    /// run). For files you wrote yourself and trust.
    pub fn open_unchecked(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_inner(path.as_ref(), false)
    }

    fn open_inner(path: &Path, check_crc: bool) -> Result<Database> {
        atomic::clean_stale_temps(path);
        Self::from_columns(read_file(path, check_crc)?)
    }

    /// Reads a database from the bytes of a file, verifying everything.
    pub fn from_bytes(bytes: &[u8]) -> Result<Database> {
        Self::decode(bytes, true)
    }

    fn decode(bytes: &[u8], check_crc: bool) -> Result<Database> {
        Self::from_columns(format::decode(bytes, check_crc)?)
    }

    fn from_columns(c: format::Columns) -> Result<Database> {
        let mut state = Snapshot {
            next_id: c.next_id,
            meta_len: c.metas.len(),
            ..Snapshot::default()
        };
        let mut metas = c.metas.into_iter();
        while state.metas.len() * META_CHUNK < state.meta_len {
            state
                .metas
                .push(Arc::new(metas.by_ref().take(META_CHUNK).collect()));
        }
        let mut cur: Option<(u64, SlotChunk)> = None;
        for ((&id, &q), &m) in c.ids.iter().zip(&c.quality).zip(&c.meta_ref) {
            let key = id / SLOT_CHUNK;
            if cur.as_ref().is_none_or(|(k, _)| *k != key) {
                if let Some((k, chunk)) = cur.take() {
                    state.slots.insert(k, chunk);
                }
                cur = Some((key, SlotChunk::empty()));
            }
            if let Some((_, chunk)) = cur.as_mut() {
                let i = (id % SLOT_CHUNK) as usize;
                chunk.quality[i] = q;
                chunk.meta[i] = m;
                chunk.used += 1;
            }
        }
        if let Some((k, chunk)) = cur {
            state.slots.insert(k, chunk);
        }
        let corrupt = |_| {
            crate::error::FormatError::new(
                crate::error::FormatErrorKind::Corrupt,
                "the entries do not form a valid index",
            )
        };
        state.index = match c.hash_ref {
            Some(r) => Index::from_parts(c.ids, &r, c.hashes, IndexConfig::default()),
            None => Index::from_sorted(c.ids, c.hashes, IndexConfig::default(), false),
        }
        .map_err(corrupt)?;
        Ok(Database::from_state(state))
    }

    /// Saves atomically; on error the previous file (if any) is untouched.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.state.save(path)
    }

    /// Test failpoint: a save whose writer fails after `fail_after` bytes.
    #[cfg(test)]
    pub(crate) fn save_failing(&self, path: &Path, fail_after: u64) -> Result<()> {
        self.state.save_inner(path, Some(fail_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash256;

    #[test]
    fn interrupted_save_leaves_previous_file_openable() {
        let dir = std::env::temp_dir().join(format!("mm-db-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bank.mmdb");
        let mut db = Database::new();
        for i in 0..100u64 {
            db.insert(
                Hash256::from_limbs([i, !i, i * 7, 3]),
                Some(90),
                Metadata::new("a"),
            )
            .unwrap();
        }
        db.save(&path).unwrap();
        let before = std::fs::read(&path).unwrap();
        for i in 0..1000u64 {
            db.insert(
                Hash256::from_limbs([i, i, i, i]),
                None,
                Metadata::new("b").content_id(i.to_string()),
            )
            .unwrap();
        }
        for cut in [0, 1, 17, 4096, 20_000] {
            assert!(db.save_failing(&path, cut).is_err());
            assert_eq!(std::fs::read(&path).unwrap(), before);
            assert_eq!(Database::open(&path).unwrap().len(), 100);
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        db.save(&path).unwrap();
        assert_eq!(Database::open(&path).unwrap().len(), 1100);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
