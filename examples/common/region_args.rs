//! Shared by the image benchmarks: command-line overrides of the region detector's settings.
//! (Included with `#[path]`.)

use mediamatch::region::RegionConfig;

/// Overrides of [`RegionConfig::default`] (each left at the default when not given).
#[derive(clap::Args, Debug, Clone)]
pub struct RegionArgs {
    /// Blurred-bar detector: smoothness limit (see `LetterboxConfig::blur_smoothness`).
    #[arg(long)]
    pub blur_smoothness: Option<f32>,
    /// Blurred-bar detector: minimum edge (see `LetterboxConfig::blur_edge`).
    #[arg(long)]
    pub blur_edge: Option<f32>,
    /// Override `RegionConfig::segment_lines`.
    #[arg(long)]
    pub segment_lines: Option<usize>,
    /// Override `RegionConfig::segment_density`.
    #[arg(long)]
    pub segment_density: Option<f32>,
    /// Override `RegionConfig::max_regions`.
    #[arg(long)]
    pub max_regions: Option<usize>,
    /// Override `RegionConfig::min_coverage`.
    #[arg(long)]
    pub min_coverage: Option<f32>,
    /// Override `RegionConfig::max_lines`.
    #[arg(long)]
    pub max_lines: Option<usize>,
    /// Override `RegionConfig::step`.
    #[arg(long)]
    pub step: Option<f32>,
    /// Override `RegionConfig::work_side`.
    #[arg(long)]
    pub work_side: Option<usize>,
    /// Override `RegionConfig::span`.
    #[arg(long)]
    pub span: Option<usize>,
    /// Override `RegionConfig::chroma`.
    #[arg(long)]
    pub chroma: Option<f32>,
    /// Override `RegionConfig::run_ends`.
    #[arg(long)]
    pub run_ends: Option<usize>,
    /// Override `RegionConfig::fit_sides`.
    #[arg(long)]
    pub fit_sides: Option<usize>,
    /// Turn the sharp-band detector off.
    #[arg(long)]
    pub no_sharp: bool,
    /// Turn the full-resolution refinement off.
    #[arg(long)]
    pub no_refine: bool,
}

impl RegionArgs {
    /// The default settings with these overrides.
    pub fn config(&self) -> RegionConfig {
        let mut cfg = RegionConfig::default();
        if let Some(lb) = cfg.letterbox.as_mut() {
            if let Some(v) = self.blur_smoothness {
                lb.blur_smoothness = v;
            }
            if let Some(v) = self.blur_edge {
                lb.blur_edge = v;
            }
        }
        let set = |slot: &mut usize, v: Option<usize>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut cfg.segment_lines, self.segment_lines);
        set(&mut cfg.max_regions, self.max_regions);
        set(&mut cfg.max_lines, self.max_lines);
        set(&mut cfg.work_side, self.work_side);
        set(&mut cfg.span, self.span);
        set(&mut cfg.run_ends, self.run_ends);
        set(&mut cfg.fit_sides, self.fit_sides);
        if let Some(v) = self.step {
            cfg.step = v;
        }
        if let Some(v) = self.segment_density {
            cfg.segment_density = v;
        }
        if let Some(v) = self.chroma {
            cfg.chroma = v;
        }
        if let Some(v) = self.min_coverage {
            cfg.min_coverage = v;
        }
        cfg.sharp &= !self.no_sharp;
        cfg.refine &= !self.no_refine;
        cfg
    }
}
