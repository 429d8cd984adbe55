//! Horizontal bars: one row per category, one bar per series in each row (this year
//! against last year, or found against recommended).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartError, FONT, Series, axis_max, colour, err, legend, tick};

#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    /// Category labels, top to bottom.
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    /// Unit under the value axis (`起`, `%`).
    pub unit: String,
}

/// Pixels per character of a category label (CJK glyphs are about one em wide).
const LABEL_PX: u32 = 13;
const ROW_PX: u32 = 26;
const LABEL_CHARS: usize = 16;

/// The chart as an SVG document, `width` pixels wide; the height follows the rows.
pub fn bars(b: &Bars, width: u32) -> Result<String, ChartError> {
    let rows = b.labels.len().max(1);
    let legend_px = if b.series.len() > 1 { 22 } else { 0 };
    let height = 72 + legend_px + ROW_PX * rows as u32;
    let longest = b.labels.iter().map(|l| l.chars().count()).max().unwrap_or(1).min(LABEL_CHARS) as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = axis_max(&b.series);
        let mut chart = ChartBuilder::on(&root)
            .caption(&b.title, (FONT, 16))
            .margin(8)
            .margin_top(8 + legend_px)
            .x_label_area_size(30)
            .y_label_area_size(14 + LABEL_PX * longest)
            .build_cartesian_2d(0.0..max, 0.0..rows as f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&|v| tick(*v))
            .x_desc(&b.unit)
            .label_style((FONT, 12))
            .draw()
            .map_err(err)?;
        let n = b.series.len().max(1) as f64;
        for (k, s) in b.series.iter().enumerate() {
            let c = colour(k);
            // Row i counts from the top; each series takes its slice of the row's middle 70%.
            let rects = s.values.iter().take(rows).enumerate().map(move |(i, v)| {
                let top = (rows - i) as f64 - 0.15 - 0.7 * k as f64 / n;
                let bottom = (rows - i) as f64 - 0.15 - 0.7 * (k + 1) as f64 / n;
                Rectangle::new([(0.0, top), (v.max(0.0), bottom)], c.filled())
            });
            let drawn = chart.draw_series(rects).map_err(err)?;
            if b.series.len() > 1 {
                drawn.label(&s.name).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
            }
            // The value at the end of each bar.
            let ends = s.values.iter().take(rows).enumerate().map(move |(i, v)| {
                let mid = (rows - i) as f64 - 0.15 - 0.7 * (k as f64 + 0.5) / n;
                Text::new(
                    tick(*v),
                    (v.max(0.0), mid),
                    (FONT, 11).into_font().color(&BLACK.mix(0.7)).pos(Pos::new(HPos::Left, VPos::Center)),
                )
            });
            chart.draw_series(ends).map_err(err)?;
        }
        let style = (FONT, 12).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, l) in b.labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (rows - i) as f64 - 0.5));
            root.draw(&Text::new(short(l, LABEL_CHARS), (x - 6, y), style.clone())).map_err(err)?;
        }
        // Bottom right: categories come largest first, so the shortest bars are there.
        legend(&mut chart, b.series.len(), SeriesLabelPosition::LowerRight)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// At most `n` characters, with an ellipsis when cut.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}
