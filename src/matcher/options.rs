//! The one options type of the matching layer.

use serde::{Deserialize, Serialize};

use super::guess::CropGuesses;
use crate::hash::PdqHash;
use crate::pdq::Enlarge;
use crate::region::{QuadConfig, RegionConfig};
use crate::video::VideoQueryOptions;

/// How a query is hashed and searched.
///
/// [`MatchOptions::default`] is the **robust default**: the eight dihedral variants of the
/// plain image and of every candidate region ([`crate::region::find_regions`]: letterbox bars,
/// canvases, frames, pasted pictures, collage cells), the crop guesses
/// ([`CropGuesses::default`], identity transform), the eight variants of every picture seen at
/// an angle ([`crate::region::find_quads`], rectified), region views under 384 pixels also
/// hashed enlarged and small quadrilaterals rectified enlarged ([`Enlarge`]), videos with letterbox removal and all
/// eight transforms, sampled densely ([`VideoQueryOptions::dense`]). [`MatchOptions::plain`] is the reference
/// behaviour: one plain PDQ hash per image, plain vPDQ per video.
///
/// Both apply the consortium rule on both sides: query hashes and stored entries whose quality
/// is known and below [`PdqHash::QUALITY_THRESHOLD`] do not match, and the distance limit is
/// [`PdqHash::MATCH_THRESHOLD`].
///
/// ```
/// use mediamatch::matcher::MatchOptions;
/// let robust = MatchOptions::default();
/// assert!(robust.dihedral && robust.regions.is_some());
/// let plain = MatchOptions::plain();
/// assert!(!plain.dihedral && plain.regions.is_none() && plain.crop_guesses.is_none());
/// assert_eq!((plain.max_distance, plain.min_stored_quality), (31, 50));
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MatchOptions {
    /// Query all eight dihedral variants of every view (else the view as is only).
    pub dihedral: bool,
    /// Candidate regions queried next to the plain image (`None`: the image as is only).
    pub regions: Option<RegionConfig>,
    /// Also query "uncropped" guesses: the image with its edges replicated outwards by these
    /// fractions of each side (empty: none).
    pub uncrop: Vec<f32>,
    /// Also query the image cut further on each side by small steps, to meet a banked crop
    /// lattice after an uneven crop (`None`: off).
    pub crop_guesses: Option<CropGuesses>,
    /// Also query pictures seen at an angle (a photo of a screen or a print): each
    /// quadrilateral of [`crate::region::find_quads`] rectified to an upright picture
    /// (`None`: off).
    #[serde(default)]
    pub quads: Option<QuadConfig>,
    /// Enlarge small views before hashing them ([`Enlarge`]: PDQ's filter is too narrow for
    /// a picture of under a few hundred pixels): a small region is hashed both as cut (a
    /// picture pasted at its own size) and enlarged (one that was shrunk); a quadrilateral,
    /// resampled anyway, is rectified at the enlarged size. `None`: as they are, the
    /// behaviour before the field existed.
    #[serde(default)]
    pub enlarge: Option<Enlarge>,
    /// Largest Hamming distance that matches.
    pub max_distance: u32,
    /// Query hashes below this quality are not searched.
    pub min_query_quality: u8,
    /// Stored entries whose quality is known and below this are not matched.
    pub min_stored_quality: u8,
    /// How query videos are hashed.
    pub video: VideoQueryOptions,
}

/// Per-side padding fractions of the uncrop guesses: 2.5 %, 5 % and 10 %, which undo centred
/// crops of 5, 10 and 20 % of the width and height.
pub const UNCROP_PADS: [f32; 3] = [0.025, 0.05, 0.10];

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            dihedral: true,
            regions: Some(RegionConfig::default()),
            uncrop: Vec::new(),
            crop_guesses: Some(CropGuesses::default()),
            quads: Some(QuadConfig::default()),
            enlarge: Some(Enlarge::default()),
            max_distance: PdqHash::MATCH_THRESHOLD,
            min_query_quality: PdqHash::QUALITY_THRESHOLD,
            min_stored_quality: PdqHash::QUALITY_THRESHOLD,
            video: VideoQueryOptions::dense(),
        }
    }
}

impl MatchOptions {
    /// Reference behaviour: the plain PDQ hash of an image, plain vPDQ of a video.
    pub fn plain() -> Self {
        MatchOptions {
            dihedral: false,
            regions: None,
            crop_guesses: None,
            quads: None,
            enlarge: None,
            video: VideoQueryOptions::default(),
            ..MatchOptions::default()
        }
    }

    /// Turns dihedral querying on or off (images and videos).
    #[must_use]
    pub fn with_dihedral(mut self, on: bool) -> Self {
        self.dihedral = on;
        self.video = if on {
            let t = crate::pdq::Dihedral::ALL;
            self.video.with_transforms(&t)
        } else {
            self.video
                .with_transforms(&[crate::pdq::Dihedral::Original])
        };
        self
    }

    /// Sets the region detection (`None`: off).
    #[must_use]
    pub fn with_regions(mut self, regions: Option<RegionConfig>) -> Self {
        self.regions = regions;
        self
    }

    /// Sets the uncrop guesses ([`UNCROP_PADS`] is a good set).
    #[must_use]
    pub fn with_uncrop(mut self, pads: &[f32]) -> Self {
        self.uncrop = pads.to_vec();
        self
    }

    /// Sets the crop guesses (`None`: off).
    #[must_use]
    pub fn with_crop_guesses(mut self, guesses: Option<CropGuesses>) -> Self {
        self.crop_guesses = guesses;
        self
    }

    /// Sets the quadrilateral detection (`None`: off).
    #[must_use]
    pub fn with_quads(mut self, quads: Option<QuadConfig>) -> Self {
        self.quads = quads;
        self
    }

    /// Sets the enlargement of small views (`None`: off).
    #[must_use]
    pub fn with_enlarge(mut self, enlarge: Option<Enlarge>) -> Self {
        self.enlarge = enlarge;
        self
    }

    /// Sets the distance limit.
    #[must_use]
    pub fn with_max_distance(mut self, d: u32) -> Self {
        self.max_distance = d;
        self
    }

    /// Sets the smallest quality of query hashes searched.
    #[must_use]
    pub fn with_min_query_quality(mut self, q: u8) -> Self {
        self.min_query_quality = q;
        self
    }

    /// Sets the smallest known quality of stored entries matched.
    #[must_use]
    pub fn with_min_stored_quality(mut self, q: u8) -> Self {
        self.min_stored_quality = q;
        self
    }

    /// Sets how query videos are hashed.
    #[must_use]
    pub fn with_video(mut self, video: VideoQueryOptions) -> Self {
        self.video = video;
        self
    }
}
