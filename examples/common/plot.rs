//! PNG histograms with plotters' bitmap backend, for the benchmarks. Text comes from the
//! crate's blocky font, so no font files or font libraries are needed. (Included with `#[path]`.)

use mediamatch::robustness::text_mask;
use plotters::prelude::*;
use std::path::Path;

const W: u32 = 900;
const H: u32 = 420;
const LEFT: i32 = 50;
const RIGHT: i32 = 20;
const TOP: i32 = 50;
const BOTTOM: i32 = 40;
const TRUE_COLOUR: RGBColor = RGBColor(30, 110, 200);
const DISTINCT_COLOUR: RGBColor = RGBColor(220, 90, 30);

fn text(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    s: &str,
    x: i32,
    y: i32,
    colour: &RGBColor,
) -> Result<(), Box<dyn std::error::Error>> {
    let (w, h, mask) = text_mask(s, 2);
    for yy in 0..h {
        for xx in 0..w {
            if mask[yy * w + xx] {
                area.draw_pixel((x + xx as i32, y + yy as i32), colour)?;
            }
        }
    }
    Ok(())
}

/// Both histograms are normalised to fractions of their own pairs, so that a few hundred true
/// pairs and many thousand distinct pairs share one vertical axis.
pub fn histogram_png(
    path: &Path,
    method: &str,
    true_bins: &[u64],
    distinct_bins: &[u64],
    threshold: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = vec![255u8; (W * H * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
        area.fill(&WHITE)?;
        let bins = true_bins.len().max(1);
        let norm = |b: &[u64]| -> Vec<f64> {
            let total: u64 = b.iter().sum();
            b.iter()
                .map(|&c| {
                    if total == 0 {
                        0.0
                    } else {
                        c as f64 / total as f64
                    }
                })
                .collect()
        };
        let (tn, dn) = (norm(true_bins), norm(distinct_bins));
        let peak = tn.iter().chain(dn.iter()).cloned().fold(1e-9, f64::max);
        let plot_w = W as i32 - LEFT - RIGHT;
        let plot_h = H as i32 - TOP - BOTTOM;
        let x_of = |k: usize| LEFT + (k as i64 * plot_w as i64 / bins as i64) as i32;
        let y_of = |v: f64| TOP + plot_h - (v / peak * plot_h as f64).round() as i32;
        for (series, colour) in [(&dn, DISTINCT_COLOUR), (&tn, TRUE_COLOUR)] {
            for (k, &v) in series.iter().enumerate() {
                if v <= 0.0 {
                    continue;
                }
                let (x0, x1) = (x_of(k), x_of(k + 1).max(x_of(k) + 1));
                area.draw(&Rectangle::new(
                    [(x0, y_of(v)), (x1, TOP + plot_h)],
                    colour.mix(0.75).filled(),
                ))?;
            }
        }
        // Axes, threshold line and ticks every 32 (PDQ) or 8 (classic) bits.
        let axis = BLACK.stroke_width(1);
        area.draw(&PathElement::new(
            vec![(LEFT, TOP + plot_h), (LEFT + plot_w, TOP + plot_h)],
            axis,
        ))?;
        area.draw(&PathElement::new(
            vec![(LEFT, TOP), (LEFT, TOP + plot_h)],
            axis,
        ))?;
        let tx = x_of(threshold as usize + 1);
        area.draw(&PathElement::new(
            vec![(tx, TOP), (tx, TOP + plot_h)],
            RGBColor(0, 150, 0).stroke_width(2),
        ))?;
        let step = if bins > 100 { 32 } else { 8 };
        for k in (0..bins).step_by(step) {
            let x = x_of(k);
            area.draw(&PathElement::new(
                vec![(x, TOP + plot_h), (x, TOP + plot_h + 5)],
                axis,
            ))?;
            text(&area, &k.to_string(), x - 4, TOP + plot_h + 10, &BLACK)?;
        }
        text(
            &area,
            &format!("{method}: distance histogram, threshold {threshold}"),
            LEFT,
            8,
            &BLACK,
        )?;
        text(&area, "TRUE PAIRS", LEFT, 28, &TRUE_COLOUR)?;
        text(&area, "DISTINCT PAIRS", LEFT + 150, 28, &DISTINCT_COLOUR)?;
        text(&area, "THRESHOLD", LEFT + 340, 28, &RGBColor(0, 150, 0))?;
        area.present()?;
    }
    let img = image::RgbImage::from_raw(W, H, buf).ok_or("plot buffer has the wrong size")?;
    img.save(path)?;
    Ok(())
}
