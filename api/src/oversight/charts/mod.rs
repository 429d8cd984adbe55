//! Charts drawn on the server as SVG (plotters), the same drawings for the dashboard page
//! and for the analysis report PDF, so a figure reads the same wherever it is shown.
//! Text is left to the viewer's font (Noto Sans CJK SC first), and every label passes
//! through plotters' SVG escaping, so an enterprise name cannot inject markup.

mod bars;
mod line;

pub use bars::{Bars, bars};
pub use line::{Line, line};

use plotters::coord::CoordTranslate;
use plotters::prelude::{BLACK, ChartContext, Color, DrawingBackend, SeriesLabelPosition, WHITE};
use plotters::style::RGBColor;

/// The font family the charts ask for; the PDF maps it to the embedded Noto Sans CJK.
pub const FONT: &str = "Noto Sans CJK SC";

/// Series colours, in order (a palette that stays distinct in grey print).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0xe0, 0x7b, 0x20),
    RGBColor(0x3a, 0x9a, 0x5b),
    RGBColor(0xb8, 0x3b, 0x3b),
    RGBColor(0x7a, 0x5c, 0xa8),
    RGBColor(0x80, 0x80, 0x80),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// The legend, drawn only when there is more than one series to tell apart.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    series: usize,
    at: SeriesLabelPosition,
) -> Result<(), ChartError> {
    if series < 2 {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(err)
}

/// One named series of values, one per category or per point.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A tick value as a label: integers without decimals, others with one.
fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// The axis maximum: a little above the largest value, never zero.
fn axis_max(series: &[Series]) -> f64 {
    let m = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    if m <= 0.0 { 1.0 } else { m * 1.1 }
}

#[cfg(test)]
mod tests;
