//! The upload check a service makes against a store: [`UploadChecker`].

use std::io::Read;
use std::path::Path;

use serde::{Serialize, Serializer};

use super::engine::Matcher;
use super::result::MatchReport;
use super::sniff::{sniff, MediaType, SNIFF_BYTES};
use crate::db::{Database, Metadata, StoreReader};
use crate::error::{DecodeError, DecodeErrorKind, Error, Result};
use crate::filehash::{ExactAlg, ExactDigest, FileDigests, HashingReader};
use crate::hash::Hash256;
use crate::index::IndexConfig;
use crate::tmk::{TmkFeatures, TmkThresholds};
use crate::video::VideoLimits;

/// What [`UploadChecker`] does besides the [`Matcher`]'s own options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Check videos with TMK+PDQF when the store holds TMK entries (default on).
    pub tmk: bool,
    /// TMK match thresholds (default: the reference's 0.7 / 0.7).
    pub tmk_thresholds: TmkThresholds,
    /// Limits of the TMK pass over a video.
    pub tmk_limits: VideoLimits,
    /// Largest non-video upload read into memory (default 512 MiB); a larger one is an
    /// [`Error::InvalidInput`] naming it.
    pub max_bytes: u64,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            tmk: true,
            tmk_thresholds: TmkThresholds::default(),
            tmk_limits: VideoLimits::default(),
            max_bytes: 512 << 20,
        }
    }
}

impl UploadOptions {
    /// With or without the TMK check.
    pub fn with_tmk(mut self, on: bool) -> Self {
        self.tmk = on;
        self
    }

    /// With these TMK thresholds.
    pub fn with_tmk_thresholds(mut self, t: TmkThresholds) -> Self {
        self.tmk_thresholds = t;
        self
    }

    /// With this read limit for non-video uploads.
    pub fn with_max_bytes(mut self, n: u64) -> Self {
        self.max_bytes = n;
        self
    }
}

fn digest_hex<S: Serializer>(d: &ExactDigest, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// An upload whose bytes equal a banked file's: one stored exact entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ExactHit {
    /// The algorithm whose digest matched (the first of MD5, SHA-1, SHA-256, SHA-512 that
    /// the store holds for this upload).
    pub signal: ExactAlg,
    /// The stored entry's id.
    pub entry_id: u64,
    /// The upload's digest (hex in JSON).
    #[serde(serialize_with = "digest_hex")]
    pub digest: ExactDigest,
    /// The stored entry's metadata.
    pub metadata: Metadata,
}

/// A stored video whose TMK+PDQF features match the upload's at both levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TmkHit {
    /// The stored entry's id.
    pub entry_id: u64,
    /// Level-1 score (cosine of the pure averages), query as A.
    pub level1: f32,
    /// Level-2 score (TMK kernel, best over offsets and periods), query as A.
    pub level2: f32,
    /// The level-1 threshold the hit passed.
    pub level1_threshold: f32,
    /// The level-2 threshold the hit passed.
    pub level2_threshold: f32,
    /// The stored entry's metadata.
    pub metadata: Metadata,
}

/// Everything one upload check found, with the evidence.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UploadReport {
    /// What the upload is, sniffed from its bytes (`Unknown` for a bare hash).
    pub media: MediaType,
    /// Bytes read.
    pub bytes: u64,
    /// The upload's file digests (`None` for a bare hash).
    pub digests: Option<FileDigests>,
    /// Exact file-hash hits; when there are any, nothing else was computed.
    pub exact: Vec<ExactHit>,
    /// Whether the TMK check ran (a video, TMK on, the store holds TMK entries, no exact hit).
    pub tmk_checked: bool,
    /// TMK hits, best level 2 first.
    pub tmk: Vec<TmkHit>,
    /// The [`Matcher`]'s PDQ / vPDQ report (`None` after an exact hit).
    pub perceptual: Option<MatchReport>,
}

impl UploadReport {
    fn new(media: MediaType, bytes: u64, digests: Option<FileDigests>) -> UploadReport {
        UploadReport {
            media,
            bytes,
            digests,
            exact: Vec::new(),
            tmk_checked: false,
            tmk: Vec::new(),
            perceptual: None,
        }
    }

    /// Whether anything matched, by any signal.
    pub fn is_match(&self) -> bool {
        !self.exact.is_empty()
            || !self.tmk.is_empty()
            || self.perceptual.as_ref().is_some_and(MatchReport::is_match)
    }
}

/// A store (or a plain database) held open for upload checks, one call per upload:
/// [`UploadChecker::check_file`] / [`UploadChecker::check_bytes`].
///
/// Per upload, in this order, stopping at the first step that decides:
///
/// 1. **Exact file digests** (MD5, SHA-1, SHA-256, SHA-512), computed while the bytes are
///    read, in the same pass ([`crate::filehash::HashingReader`]), and looked up in the
///    store's hash map ([`StoreReader::lookup_exact`]). A hit is reported as such and
///    nothing is decoded.
/// 2. **TMK+PDQF** (videos, and only when the store holds TMK entries): the query's `.tmk`
///    features, then level 1 on the store's pure averages and level 2 on the candidates
///    ([`StoreReader::search_tmk`]) with the reference's thresholds (0.7 / 0.7 by default).
///    *Cost:* TMK needs its own pass over the video, which resamples it to 15 fps 64×64 RGB
///    (FFmpeg's scaler with the `ffmpeg` feature, the built-in decoder and resampler without
///    it); that decode is separate from the vPDQ one, so a store without TMK entries, or
///    [`UploadOptions::tmk`] off, skips it.
/// 3. **PDQ / vPDQ** through the [`Matcher`] (its public API only) on the store's PDQ entries
///    with their quality and metadata ([`StoreReader::load_database`]).
///
/// The result is one [`UploadReport`] holding every hit with its evidence: the signal type,
/// the distance or score, the stored entry's metadata.
///
/// Reading: an image (or any non-video upload) is read into memory once, up to
/// [`UploadOptions::max_bytes`], digested while read, and decoded from that buffer. A video is
/// streamed through the digests (constant memory) and, when no digest matched, decoded from
/// its path by the video backend, which reads it again.
///
/// ```
/// use mediamatch::db::{Metadata, Store};
/// use mediamatch::filehash::FileDigests;
/// use mediamatch::index::IndexConfig;
/// use mediamatch::matcher::{Matcher, MatchOptions, UploadChecker, UploadOptions};
/// let dir = std::env::temp_dir().join(format!("upload-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bank.db");
/// let banked = b"any file the bank holds, image or not".to_vec();
/// let mut store = Store::open(&path, IndexConfig::default())?;
/// store.insert_file_digests(&FileDigests::of_bytes(&banked), Metadata::new("bank").content_id("c1"))?;
/// let checker = UploadChecker::open_store(
///     &path,
///     IndexConfig::default(),
///     Matcher::new(MatchOptions::default()),
///     UploadOptions::default(),
/// )?;
/// let report = checker.check_bytes(&banked)?;
/// assert!(report.is_match());
/// assert_eq!(report.exact[0].signal.name(), "md5");
/// assert_eq!(report.exact[0].metadata.content_id.as_deref(), Some("c1"));
/// assert!(report.perceptual.is_none()); // nothing was decoded
/// # drop((store, checker)); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Debug)]
pub struct UploadChecker {
    matcher: Matcher,
    opts: UploadOptions,
    store: Option<StoreReader>,
    db: Database,
}

impl UploadChecker {
    /// Opens the store at `path` read-only, with its PDQ entries' metadata in memory.
    pub fn open_store(
        path: impl AsRef<Path>,
        config: IndexConfig,
        matcher: Matcher,
        opts: UploadOptions,
    ) -> Result<UploadChecker> {
        UploadChecker::from_reader(StoreReader::open(path, config)?, matcher, opts)
    }

    /// Checks against an open store reader.
    pub fn from_reader(
        reader: StoreReader,
        matcher: Matcher,
        opts: UploadOptions,
    ) -> Result<UploadChecker> {
        let db = reader.load_database()?;
        Ok(UploadChecker {
            matcher,
            opts,
            store: Some(reader),
            db,
        })
    }

    /// Checks against a database without exact or TMK entries (a `.mmdb` file): PDQ / vPDQ
    /// only. The uploads' digests are still computed and reported.
    pub fn from_database(db: Database, matcher: Matcher, opts: UploadOptions) -> UploadChecker {
        UploadChecker {
            matcher,
            opts,
            store: None,
            db,
        }
    }

    /// Applies what the store's writer committed since the last call (PDQ metadata reloaded
    /// when anything changed); returns the number of changes. A no-op without a store.
    pub fn refresh(&mut self) -> Result<usize> {
        let Some(r) = self.store.as_mut() else {
            return Ok(0);
        };
        let n = r.refresh()?;
        if n > 0 {
            self.db = r.load_database()?;
        }
        Ok(n)
    }

    /// The store, if checking against one.
    pub fn store(&self) -> Option<&StoreReader> {
        self.store.as_ref()
    }

    /// The PDQ entries with their metadata, as the matcher searches them.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The matcher.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// The options.
    pub fn options(&self) -> &UploadOptions {
        &self.opts
    }

    /// Whether the TMK check would run on a video upload.
    pub fn checks_tmk(&self) -> bool {
        self.opts.tmk && self.store.as_ref().is_some_and(|s| s.signal_counts().1 > 0)
    }

    /// Checks an upload held in memory (its type sniffed from the bytes). A video is
    /// decoded by the built-in MP4/H.264 decoder.
    pub fn check_bytes(&self, bytes: &[u8]) -> Result<UploadReport> {
        let digests = FileDigests::of_bytes(bytes);
        let media = sniff(bytes);
        let mut report = UploadReport::new(media, bytes.len() as u64, Some(digests));
        report.exact = self.exact_hits(&digests)?;
        if !report.exact.is_empty() {
            return Ok(report);
        }
        if media == MediaType::Video && self.checks_tmk() {
            let src = crate::video::Mp4H264Source::from_bytes(
                bytes.to_vec().into(),
                self.opts.tmk_limits,
            );
            let tmk = src.and_then(|mut s| crate::tmk::hash_frame_source(&mut s))?;
            report.tmk = self.check_tmk(&tmk)?;
            report.tmk_checked = true;
        }
        report.perceptual = Some(self.matcher.match_bytes(&self.db, bytes)?);
        Ok(report)
    }

    /// Checks a file (its type sniffed from its first bytes, never from its name). Errors
    /// name the file.
    pub fn check_file(&self, path: impl AsRef<Path>) -> Result<UploadReport> {
        let path = path.as_ref();
        let io = |e| Error::io(path.to_path_buf(), e);
        let file = std::fs::File::open(path).map_err(io)?;
        let mut r = HashingReader::new(file);
        let mut bytes = Vec::new();
        (&mut r)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let media = sniff(&bytes);
        if media == MediaType::Video {
            // Only the digests are needed from these bytes: the decoder reads the path.
            std::io::copy(&mut r, &mut std::io::sink()).map_err(io)?;
            bytes = Vec::new();
        } else {
            (&mut r)
                .take(self.opts.max_bytes.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(io)?;
            if bytes.len() as u64 > self.opts.max_bytes {
                return Err(Error::invalid(format!(
                    "{}: larger than the upload limit of {} bytes",
                    path.display(),
                    self.opts.max_bytes
                )));
            }
        }
        let total = r.bytes_read();
        let digests = r.finish();
        let mut report = UploadReport::new(media, total, Some(digests));
        report.exact = self.exact_hits(&digests)?;
        if !report.exact.is_empty() {
            return Ok(report);
        }
        let named = |e: Error| match e {
            Error::Decode(mut d) if d.path.is_none() => {
                d.path = Some(path.to_path_buf());
                Error::Decode(d)
            }
            e => e,
        };
        match media {
            MediaType::Video => {
                if self.checks_tmk() {
                    let tmk = self.tmk_of_file(path)?;
                    report.tmk = self.check_tmk(&tmk)?;
                    report.tmk_checked = true;
                }
                report.perceptual = Some(self.matcher.match_file(&self.db, path)?);
            }
            MediaType::Image | MediaType::AnimatedImage => {
                report.perceptual =
                    Some(self.matcher.match_bytes(&self.db, &bytes).map_err(named)?);
            }
            _ => {
                let mut d = DecodeError::new(DecodeErrorKind::UnknownFormat, None);
                d.path = Some(path.to_path_buf());
                return Err(d.into());
            }
        }
        Ok(report)
    }

    /// Checks a bare PDQ hash (PDQ only).
    pub fn check_hash(&self, hash: Hash256) -> UploadReport {
        let mut report = UploadReport::new(MediaType::Unknown, 0, None);
        report.perceptual = Some(self.matcher.match_hash(&self.db, hash));
        report
    }

    /// The stored videos whose TMK features match `query` (level 1 on the pure averages, level
    /// 2 on the candidates), with their metadata; empty without a store.
    pub fn check_tmk(&self, query: &TmkFeatures) -> Result<Vec<TmkHit>> {
        let Some(store) = &self.store else {
            return Ok(Vec::new());
        };
        let t = self.opts.tmk_thresholds;
        let mut hits = Vec::new();
        for m in store.search_tmk(query, &t)? {
            if let Some(e) = store.get_signal(m.id)? {
                hits.push(TmkHit {
                    entry_id: m.id,
                    level1: m.level1,
                    level2: m.level2,
                    level1_threshold: t.level1,
                    level2_threshold: t.level2,
                    metadata: e.metadata,
                });
            }
        }
        Ok(hits)
    }

    /// The stored entries holding one of these digests (the first algorithm that matches).
    fn exact_hits(&self, digests: &FileDigests) -> Result<Vec<ExactHit>> {
        let Some(store) = &self.store else {
            return Ok(Vec::new());
        };
        let Some((alg, ids)) = store.lookup_exact(digests) else {
            return Ok(Vec::new());
        };
        let mut hits = Vec::new();
        for id in ids {
            // Removed since the last refresh: not reported.
            if let Some(e) = store.get_signal(id)? {
                hits.push(ExactHit {
                    signal: alg,
                    entry_id: id,
                    digest: digests.get(alg),
                    metadata: e.metadata,
                });
            }
        }
        Ok(hits)
    }

    #[cfg(feature = "ffmpeg")]
    fn tmk_of_file(&self, path: &Path) -> Result<TmkFeatures> {
        crate::tmk::hash_video_ffmpeg(path, self.opts.tmk_limits)
    }

    #[cfg(not(feature = "ffmpeg"))]
    fn tmk_of_file(&self, path: &Path) -> Result<TmkFeatures> {
        crate::tmk::hash_video_builtin(path, self.opts.tmk_limits)
    }
}
