//! The report's figures as chart specifications, drawn by `crate::oversight::charts` for the
//! dashboard page and for the report PDF alike, so both show the same numbers the same way.

use zhicha_engine::analysis::{Dimension, DimensionTrend, Labels};

use super::AnalysisReport;
use crate::oversight::charts::{Bars, Line, Series};

/// The dimension as a section or sheet names it (按事故类型 …).
pub fn dimension_zh(d: Dimension) -> &'static str {
    match d {
        Dimension::AccidentType => "事故类型",
        Dimension::BodyPart => "受伤部位",
        Dimension::InjuryNature => "伤害性质",
        Dimension::Job => "岗位",
    }
}

/// Accidents per month over the trend period.
pub fn monthly(r: &AnalysisReport) -> Line {
    let t = &r.trends;
    Line {
        title: format!("工伤事故月度趋势（{} 至 {}）", t.period.first, t.period.last),
        x_labels: t.months.iter().map(ToString::to_string).collect(),
        series: vec![Series { name: "事故".into(), values: t.monthly.iter().map(|v| *v as f64).collect() }],
        unit: "起".into(),
    }
}

/// The trend of one dimension (its top categories), if the report has it.
pub fn dimension(r: &AnalysisReport, d: Dimension) -> Option<&DimensionTrend> {
    r.trends.by.iter().find(|x| x.dimension == d)
}

/// A category's accidents in `year`, zero outside the trend period.
pub fn in_year(r: &AnalysisReport, yearly: &[u64], year: i32) -> u64 {
    r.trends.years.iter().position(|y| y.year == year).and_then(|i| yearly.get(i)).copied().unwrap_or(0)
}

/// The top categories of `d`, the report's year against the year before.
pub fn by_dimension(r: &AnalysisReport, labels: &Labels, d: Dimension) -> Bars {
    let (this, last) = (r.year, r.year - 1);
    let series = dimension(r, d).map(|x| x.series.as_slice()).unwrap_or_default();
    let values = |y: i32| series.iter().map(|s| in_year(r, &s.yearly, y) as f64).collect();
    // A year still running says how far it goes, so its shorter bars are not read as a fall.
    let so_far = match r.trends.years.iter().find(|y| y.year == this) {
        Some(y) if !y.full && r.trends.period.last.year == this => format!("（1–{}月）", r.trends.period.last.month),
        _ => String::new(),
    };
    Bars {
        title: format!("按{}：{this}年{so_far}与{last}年（起）", dimension_zh(d)),
        labels: series.iter().map(|s| labels.category(d, s.key.as_deref())).collect(),
        series: vec![
            Series { name: format!("{this}年{so_far}"), values: values(this) },
            Series { name: format!("{last}年"), values: values(last) },
        ],
        unit: "起".into(),
    }
}
