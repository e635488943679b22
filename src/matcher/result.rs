//! What a search returns: one result per known content item, with the evidence.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::Derivation;
use super::sniff::MediaType;
use crate::db::{Entry, MediaKind, Metadata};
use crate::hash::Hash256;
use crate::pdq::Dihedral;
use crate::video::{Segment, SpeedSegment};

/// A known content item: what several stored entries (the original's hash, its derived banked
/// views, the frames of one video) have in common.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Item {
    /// Entries with this content id at this source.
    Content {
        /// The source ([`Metadata::source`]).
        source: String,
        /// The content id ([`Metadata::content_id`]).
        content_id: String,
    },
    /// The frames of one known video (entries without a content id).
    Video {
        /// The source.
        source: String,
        /// The video's id.
        video_id: String,
    },
    /// One entry with no content id.
    Entry(u64),
}

impl Item {
    /// The item an entry belongs to.
    pub fn of(e: &Entry<'_>) -> Item {
        let m = e.metadata;
        match (&m.content_id, &m.media) {
            (Some(c), _) => Item::Content {
                source: m.source.clone(),
                content_id: c.clone(),
            },
            (None, MediaKind::VideoFrame { video_id, .. }) => Item::Video {
                source: m.source.clone(),
                video_id: video_id.clone(),
            },
            _ => Item::Entry(e.id),
        }
    }
}

/// One known item matched by an image (or by one video frame), with its best evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageMatch {
    /// The known item.
    pub item: Item,
    /// The smallest distance between a query hash and an entry of the item.
    pub distance: u32,
    /// How the query hash that gave it was derived (view and transform).
    pub derivation: Derivation,
    /// That query hash's quality.
    pub query_quality: u8,
    /// The matched entry's id.
    pub entry_id: u64,
    /// The matched entry's hash.
    pub stored_hash: Hash256,
    /// The matched entry's quality, if known.
    pub stored_quality: Option<u8>,
    /// The matched entry's metadata.
    pub metadata: Metadata,
    /// Whether the matched entry is a derived banked view of the original
    /// (`metadata.derived` is set).
    pub derived_entry: bool,
    /// How many distinct entries of the item matched.
    pub entries_matched: usize,
}

/// One known video matched by a query video, under its best transform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VideoMatch {
    /// The known video's id.
    pub video_id: String,
    /// Its source.
    pub source: String,
    /// The transform with the most matched query frames.
    pub transform: Dihedral,
    /// Share of the usable query frames matched, percent.
    pub query_pct: f64,
    /// Share of the known video's usable frames matched, percent.
    pub known_pct: f64,
    /// Query frames matched.
    pub frames_matched: usize,
    /// Usable query frames.
    pub query_frames: usize,
    /// The smallest frame distance.
    pub best_distance: u32,
    /// Matching stretches found by temporal alignment.
    pub segments: Vec<Segment>,
    /// The decision by the documented rule of [`crate::video::VerdictRule`] (the counts and
    /// percentages above are evidence only).
    #[serde(default)]
    pub matched: bool,
    /// The speed-tolerant segments that decided the match (empty when not matched): query
    /// start–end, known start–end and speed each.
    #[serde(default)]
    pub speed_segments: Vec<SpeedSegment>,
    /// Matched (query frame, known frame) pairs whose smallest distance came from a derived
    /// banked view of the known frame ([`crate::db::Metadata::derived`], e.g. `crop-c87`,
    /// `rot+2.5`), counted per view; empty when every pair matched a plain frame hash.
    #[serde(default)]
    pub derived_views: BTreeMap<String, usize>,
}

/// A still image matched by one frame of a query video (the frame as is, untransformed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FrameHit {
    /// The query frame's timestamp, ms.
    pub timestamp_ms: u64,
    /// The match.
    pub hit: ImageMatch,
}

/// Everything one query found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MatchReport {
    /// What the query was (sniffed from its bytes).
    pub media: MediaType,
    /// The plain hash of the query image (images only).
    pub query_hash: Option<Hash256>,
    /// Its quality (images only).
    pub query_quality: Option<u8>,
    /// How many hashes were searched.
    pub hashes_searched: usize,
    /// Usable query frames (videos only).
    pub query_frames: usize,
    /// Known items matched by the image, best first.
    pub images: Vec<ImageMatch>,
    /// Known videos matched by the video, best first.
    pub videos: Vec<VideoMatch>,
    /// Still images matched by single frames of the video.
    pub frame_hits: Vec<FrameHit>,
}

impl MatchReport {
    pub(crate) fn empty(media: MediaType) -> MatchReport {
        MatchReport {
            media,
            query_hash: None,
            query_quality: None,
            hashes_searched: 0,
            query_frames: 0,
            images: Vec::new(),
            videos: Vec::new(),
            frame_hits: Vec::new(),
        }
    }

    /// Whether anything matched (a known video only when its verdict is a match).
    pub fn is_match(&self) -> bool {
        !(self.images.is_empty() && self.frame_hits.is_empty())
            || self.videos.iter().any(|v| v.matched)
    }
}
