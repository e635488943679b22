//! [`Metadata`]: what is known about the content behind a hash, and its [`MediaKind`].

use serde::{Deserialize, Serialize};

/// What kind of media a hash was computed from.
///
/// Serialises internally tagged, in snake case: `{"kind":"image"}`,
/// `{"kind":"video_frame","video_id":"v9","timestamp_ms":12000}` (the `.mmdb` file format and
/// the store of record use their own encodings, independent of this).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaKind {
    /// A still image (or unknown, for imported lists).
    #[default]
    Image,
    /// One frame of a video.
    VideoFrame {
        /// The video's id (in the source's namespace).
        video_id: String,
        /// Position of the frame in milliseconds from the start.
        timestamp_ms: u64,
    },
}

/// What is known about the content behind a hash.
///
/// ```
/// use mediamatch::db::{Metadata, MediaKind};
/// let m = Metadata::new("gifct").content_id("x1").label("violent").media(MediaKind::VideoFrame {
///     video_id: "v9".into(),
///     timestamp_ms: 12_000,
/// });
/// assert_eq!(m.labels, ["violent"]);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The bank, list or exchange the hash came from.
    pub source: String,
    /// The content's id at the source.
    pub content_id: Option<String>,
    /// Free-form labels (category, entity, …).
    pub labels: Vec<String>,
    /// Image or video frame.
    pub media: MediaKind,
    /// How this entry was derived from the banked original (e.g. `"crop-c90"`), `None` for the
    /// original's own hash. Derived entries are extra views of the same content.
    pub derived: Option<String>,
}

impl Metadata {
    /// Metadata with a source name and nothing else.
    pub fn new(source: impl Into<String>) -> Self {
        Metadata {
            source: source.into(),
            ..Metadata::default()
        }
    }
    /// Sets the content id.
    #[must_use]
    pub fn content_id(mut self, id: impl Into<String>) -> Self {
        self.content_id = Some(id.into());
        self
    }
    /// Adds a label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.labels.push(label.into());
        self
    }
    /// Sets the media kind.
    #[must_use]
    pub fn media(mut self, media: MediaKind) -> Self {
        self.media = media;
        self
    }
    /// Marks the entry as derived from the banked original (see [`Metadata::derived`]).
    #[must_use]
    pub fn derived(mut self, how: impl Into<String>) -> Self {
        self.derived = Some(how.into());
        self
    }
}
