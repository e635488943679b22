//! Per-id quality and metadata references ([`Slots`]), in chunks of 256 consecutive ids,
//! grouped 256 chunks to a page, every level shared through `Arc`s.
//!
//! A [`Database`](super::Database) publishes a clone of its state to readers after every
//! commit, so cloning must not grow with the number of entries: a clone copies one `Arc`
//! per page (one per 65 536 ids), and an update copies one page's chunk list and one chunk
//! (copy on write), whatever the size of the database.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::format::NO_QUALITY;

/// Ids per chunk.
pub(super) const SLOT_CHUNK: u64 = 256;
/// Chunks per page.
const PAGE: u64 = 256;
/// No metadata: the slot is empty.
pub(super) const EMPTY: u32 = u32::MAX;

/// Quality and metadata reference of 256 consecutive ids.
#[derive(Clone, Debug)]
pub(super) struct SlotChunk {
    pub(super) quality: [u8; SLOT_CHUNK as usize],
    pub(super) meta: [u32; SLOT_CHUNK as usize],
    pub(super) used: u32,
}

impl SlotChunk {
    pub(super) fn empty() -> Self {
        SlotChunk {
            quality: [NO_QUALITY; SLOT_CHUNK as usize],
            meta: [EMPTY; SLOT_CHUNK as usize],
            used: 0,
        }
    }
}

type Page = BTreeMap<u64, Arc<SlotChunk>>;

/// Chunks by chunk key (`id / 256`), in pages of 256 chunks.
#[derive(Clone, Debug, Default)]
pub(super) struct Slots {
    pages: BTreeMap<u64, Arc<Page>>,
    chunks: usize,
}

impl Slots {
    /// Number of chunks.
    pub(super) fn len(&self) -> usize {
        self.chunks
    }

    /// Number of pages (each costs one `Arc` per clone).
    pub(super) fn pages(&self) -> usize {
        self.pages.len()
    }

    pub(super) fn get(&self, key: u64) -> Option<&SlotChunk> {
        self.pages.get(&(key / PAGE))?.get(&key).map(|c| &**c)
    }

    /// The chunk of `key`, copied first if shared.
    pub(super) fn get_mut(&mut self, key: u64) -> Option<&mut SlotChunk> {
        let page = Arc::make_mut(self.pages.get_mut(&(key / PAGE))?);
        page.get_mut(&key).map(Arc::make_mut)
    }

    /// The chunk of `key`, created empty if absent, copied first if shared.
    pub(super) fn get_or_empty(&mut self, key: u64) -> &mut SlotChunk {
        let page = Arc::make_mut(self.pages.entry(key / PAGE).or_default());
        let chunks = &mut self.chunks;
        let c = page.entry(key).or_insert_with(|| {
            *chunks += 1;
            Arc::new(SlotChunk::empty())
        });
        Arc::make_mut(c)
    }

    /// Sets (or replaces) the chunk of `key`.
    pub(super) fn insert(&mut self, key: u64, chunk: SlotChunk) {
        let page = Arc::make_mut(self.pages.entry(key / PAGE).or_default());
        if page.insert(key, Arc::new(chunk)).is_none() {
            self.chunks += 1;
        }
    }

    /// Removes the chunk of `key`.
    pub(super) fn remove(&mut self, key: u64) {
        let p = key / PAGE;
        let Some(page) = self.pages.get_mut(&p) else {
            return;
        };
        let page = Arc::make_mut(page);
        if page.remove(&key).is_some() {
            self.chunks -= 1;
        }
        if page.is_empty() {
            self.pages.remove(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_are_unchanged_by_later_updates() {
        let mut s = Slots::default();
        for key in [0, 1, 255, 256, 70_000, 1 << 40] {
            s.get_or_empty(key).used = key as u32 % 7 + 1;
        }
        assert_eq!((s.len(), s.pages()), (6, 4));
        let snap = s.clone();
        s.get_mut(256).unwrap().used = 99;
        s.remove(1 << 40);
        s.remove(12345); // absent: no change
        s.insert(3, SlotChunk::empty());
        assert_eq!((s.len(), s.pages()), (6, 3));
        assert_eq!(snap.get(256).unwrap().used, 256 % 7 + 1);
        assert_eq!(s.get(256).unwrap().used, 99);
        assert!(snap.get(1 << 40).is_some() && s.get(1 << 40).is_none());
        assert!(snap.get(3).is_none() && s.get(3).is_some());
        assert!(s.get_mut(12345).is_none());
    }
}
