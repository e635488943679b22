//! [`Matcher`]: one call from an upload (bytes, file, decoded image or frames) to per-item
//! results.

use std::io::Read;
use std::path::Path;

use image::DynamicImage;

use super::options::MatchOptions;
use super::plan::QueryPlan;
use super::result::MatchReport;
use super::search::search_plan;
use super::sniff::{sniff, MediaType, SNIFF_BYTES};
use super::video::match_query_video;
use crate::db::Snapshot;
use crate::decode::{decode_image, decode_image_file};
use crate::error::{DecodeError, DecodeErrorKind, Error, Result};
use crate::luma::LumaImage;
use crate::pdq::PdqHasher;
use crate::video::{FrameSource, QueryVideo, VideoHasher};

/// Hashes uploads and searches them on a database snapshot.
///
/// ```
/// use mediamatch::db::{Database, Metadata};
/// use mediamatch::matcher::{Matcher, MatchOptions};
/// use image::{DynamicImage, RgbImage};
/// let img = DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
///     image::Rgb([(x * x / 90 + y) as u8, (y * 2) as u8, ((x ^ y) * 3) as u8])
/// }));
/// let matcher = Matcher::new(MatchOptions::default());
/// let mut db = Database::new();
/// matcher.bank_image(&mut db, &img, Metadata::new("bank").content_id("c1"), None)?;
/// db.commit();
/// let report = matcher.match_image(&db.reader().snapshot(), &img);
/// assert_eq!(report.images.len(), 1);
/// let hit = &report.images[0];
/// assert_eq!(hit.metadata.content_id.as_deref(), Some("c1"));
/// assert_eq!((hit.distance, hit.derivation.to_string().as_str()), (0, "plain/orig"));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    pdq: PdqHasher,
    video: VideoHasher,
    opts: MatchOptions,
}

impl Matcher {
    /// A matcher with the reference hashers and these options.
    pub fn new(opts: MatchOptions) -> Matcher {
        Matcher {
            pdq: PdqHasher::new(),
            video: VideoHasher::new(),
            opts,
        }
    }

    /// A matcher with these hashers (decode limits, EXIF handling, video backend).
    pub fn with_hashers(pdq: PdqHasher, video: VideoHasher, opts: MatchOptions) -> Matcher {
        Matcher { pdq, video, opts }
    }

    /// The options.
    pub fn options(&self) -> &MatchOptions {
        &self.opts
    }

    /// The image hasher.
    pub fn pdq(&self) -> &PdqHasher {
        &self.pdq
    }

    /// The query plan of a luma image.
    pub fn plan(&self, luma: &LumaImage) -> QueryPlan {
        QueryPlan::image(&self.pdq, luma, &self.opts)
    }

    /// The query plan of a decoded image (its colour seen by the region detector,
    /// [`QueryPlan::from_image`]).
    pub fn plan_image(&self, img: &DynamicImage) -> QueryPlan {
        QueryPlan::from_image(&self.pdq, img, &self.opts)
    }

    /// Matches an encoded upload, its type sniffed from the bytes: images through their query
    /// plan, videos and animated images (GIF, WebP, PNG) frame by frame
    /// (decoded as [`VideoHasher::hash_query_bytes`] does: built-in for H.264 in MP4 and GIF,
    /// FFmpeg for the rest when built with it). Unknown bytes are a decode error.
    pub fn match_bytes(&self, snap: &Snapshot, bytes: &[u8]) -> Result<MatchReport> {
        let media = sniff(bytes);
        match media {
            // animated GIFs, WebPs and PNGs are videos: frame sequences with their delays
            MediaType::AnimatedImage => {
                let q = self.video.hash_query_bytes(bytes, &self.opts.video)?;
                Ok(MatchReport {
                    media,
                    ..self.match_query_video(snap, &q)
                })
            }
            MediaType::Image => {
                let cfg = self.pdq.config();
                let img = decode_image(bytes, cfg.limits, cfg.apply_exif_orientation)?;
                Ok(self.report_plan(snap, self.plan_image(&img), media))
            }
            MediaType::Video => {
                let q = self.video.hash_query_bytes(bytes, &self.opts.video)?;
                Ok(self.match_query_video(snap, &q))
            }
            _ => Err(DecodeError::new(DecodeErrorKind::UnknownFormat, None).into()),
        }
    }

    /// Matches a file, its type sniffed from its first bytes (never from its name).
    pub fn match_file(&self, snap: &Snapshot, path: impl AsRef<Path>) -> Result<MatchReport> {
        let path = path.as_ref();
        let io = |e| Error::io(path.to_path_buf(), e);
        let mut head = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let media = sniff(&head);
        match media {
            MediaType::AnimatedImage => {
                let q = self.video.hash_query_file(path, &self.opts.video)?;
                Ok(MatchReport {
                    media,
                    ..self.match_query_video(snap, &q)
                })
            }
            MediaType::Image => {
                let cfg = self.pdq.config();
                let img = decode_image_file(path, cfg.limits, cfg.apply_exif_orientation)?;
                Ok(self.report_plan(snap, self.plan_image(&img), media))
            }
            MediaType::Video => {
                let q = self.video.hash_query_file(path, &self.opts.video)?;
                Ok(self.match_query_video(snap, &q))
            }
            _ => {
                let mut d = DecodeError::new(DecodeErrorKind::UnknownFormat, None);
                d.path = Some(path.to_path_buf());
                Err(d.into())
            }
        }
    }

    /// Matches a bare PDQ hash (no quality known: it is searched as is).
    pub fn match_hash(&self, snap: &Snapshot, hash: crate::hash::Hash256) -> MatchReport {
        let plan = QueryPlan {
            hashes: vec![super::plan::PlannedHash {
                hash: crate::hash::PdqHash { hash, quality: 100 },
                derivation: super::plan::Derivation {
                    view: super::plan::View::Plain,
                    transform: crate::pdq::Dihedral::Original,
                },
            }],
        };
        MatchReport {
            query_hash: Some(hash),
            hashes_searched: 1,
            images: search_plan(snap, &plan, &self.opts),
            ..MatchReport::empty(MediaType::Unknown)
        }
    }

    /// Matches a decoded image.
    pub fn match_image(&self, snap: &Snapshot, img: &DynamicImage) -> MatchReport {
        self.report_plan(snap, self.plan_image(img), MediaType::Image)
    }

    /// Matches a luma image.
    pub fn match_luma(&self, snap: &Snapshot, luma: &LumaImage) -> MatchReport {
        self.report_image(snap, luma, MediaType::Image)
    }

    /// Matches frames the caller decoded (any [`FrameSource`], e.g.
    /// [`crate::video::MemorySource`]).
    pub fn match_source<S: FrameSource>(&self, snap: &Snapshot, source: S) -> Result<MatchReport> {
        let q = self.video.hash_query_source(source, &self.opts.video)?;
        Ok(self.match_query_video(snap, &q))
    }

    /// Matches a video already hashed for querying.
    pub fn match_query_video(&self, snap: &Snapshot, query: &QueryVideo) -> MatchReport {
        let found = match_query_video(snap, query, &self.opts);
        MatchReport {
            query_frames: found.frames,
            hashes_searched: found.hashes_searched,
            videos: found.videos,
            frame_hits: found.frame_hits,
            ..MatchReport::empty(MediaType::Video)
        }
    }

    fn report_image(&self, snap: &Snapshot, luma: &LumaImage, media: MediaType) -> MatchReport {
        self.report_plan(snap, self.plan(luma), media)
    }

    fn report_plan(&self, snap: &Snapshot, plan: QueryPlan, media: MediaType) -> MatchReport {
        let plain = plan.plain();
        MatchReport {
            query_hash: plain.map(|h| h.hash),
            query_quality: plain.map(|h| h.quality),
            hashes_searched: plan
                .hashes
                .iter()
                .filter(|h| h.hash.quality >= self.opts.min_query_quality)
                .count(),
            images: search_plan(snap, &plan, &self.opts),
            ..MatchReport::empty(media)
        }
    }

    /// Banks a decoded image: its plain PDQ hash with `metadata`, then, with `views`, the
    /// hashes of its derived views ([`super::bank_views`]) as extra entries with the same
    /// metadata and [`crate::db::Metadata::derived`] set. Returns the ids inserted, the
    /// original's first. Call [`crate::db::Database::commit`] to publish.
    pub fn bank_image(
        &self,
        db: &mut crate::db::Database,
        img: &DynamicImage,
        metadata: crate::db::Metadata,
        views: Option<&super::BankViews>,
    ) -> Result<Vec<u64>> {
        let luma = LumaImage::from_image(img);
        let plain = self.pdq.hash(&luma);
        let mut ids = vec![db.insert_pdq(plain, metadata.clone())?];
        if let Some(v) = views {
            for view in super::bank_views(&self.pdq, &luma, v) {
                ids.push(db.insert_pdq(view.hash, metadata.clone().derived(view.how))?);
            }
        }
        Ok(ids)
    }

    /// Banks a video file we hold: every stored frame's plain hash (one per second, as
    /// [`VideoHasher::hash_file`]) as a [`crate::db::MediaKind::VideoFrame`] entry of video
    /// `video_id` with `metadata`, then, with `views`, each frame's derived views
    /// ([`super::BankViews::video`] is the measured set) as extra entries marked
    /// [`crate::db::Metadata::derived`]. Returns the ids inserted, in frame order. Call
    /// [`crate::db::Database::commit`] to publish.
    pub fn bank_video_file(
        &self,
        db: &mut crate::db::Database,
        path: impl AsRef<Path>,
        video_id: &str,
        metadata: crate::db::Metadata,
        views: Option<&super::BankViews>,
    ) -> Result<Vec<u64>> {
        let none = super::BankViews::none();
        let frames = super::bank_video_file(&self.video, &self.pdq, path, views.unwrap_or(&none))?;
        let entries: Vec<_> = frames
            .iter()
            .flat_map(|f| f.entries(video_id, &metadata))
            .collect();
        Ok(db.insert_many(entries)?.collect())
    }
}
