//! Lines over time: monthly counts, one line per series, with the month labels thinned
//! so they never overlap.

use plotters::prelude::*;

use super::{ChartError, FONT, Series, axis_max, colour, err, legend, tick};

#[derive(Debug, Clone)]
pub struct Line {
    pub title: String,
    /// One label per point (`2026-03`).
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    pub unit: String,
}

/// The chart as an SVG document of `width` × `height` pixels.
pub fn line(l: &Line, width: u32, height: u32) -> Result<String, ChartError> {
    let points = l.x_labels.len().max(2);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = axis_max(&l.series);
        let mut chart = ChartBuilder::on(&root)
            .caption(&l.title, (FONT, 16))
            .margin(10)
            // Room for the last month's label, centred on the right edge.
            .margin_right(28)
            .x_label_area_size(30)
            .y_label_area_size(44)
            .build_cartesian_2d(0..points - 1, 0.0..max)
            .map_err(err)?;
        // About one label per 70 pixels.
        let every = (points * 70 / width.max(1) as usize).max(1);
        let labels = &l.x_labels;
        chart
            .configure_mesh()
            .x_labels(points)
            .x_label_formatter(&|i| {
                if i % every == 0 { labels.get(*i).cloned().unwrap_or_default() } else { String::new() }
            })
            .y_label_formatter(&|v| tick(*v))
            .y_desc(&l.unit)
            .label_style((FONT, 12))
            .light_line_style(BLACK.mix(0.05))
            .draw()
            .map_err(err)?;
        for (k, s) in l.series.iter().enumerate() {
            let c = colour(k);
            let drawn = chart
                .draw_series(LineSeries::new(s.values.iter().copied().enumerate(), c.stroke_width(2)))
                .map_err(err)?;
            if l.series.len() > 1 {
                drawn.label(&s.name).legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], c.stroke_width(2)));
            }
            chart
                .draw_series(s.values.iter().copied().enumerate().map(|p| Circle::new(p, 2, c.filled())))
                .map_err(err)?;
        }
        legend(&mut chart, l.series.len(), SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}
