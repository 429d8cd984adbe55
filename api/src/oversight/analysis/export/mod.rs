//! The analysis report as files to download: a PDF with the dashboard's charts and a
//! workbook of its tables. Both are built from the same report as the JSON route, off
//! the async workers (font shaping and zip compression are CPU work), and every
//! download is audited: the region's figures leave the system.

pub mod pdf;
pub mod text;
pub mod xlsx;

use zhicha_engine::analysis::Labels;

use crate::error::ApiError;
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A file and the names to save it under.
pub struct Download {
    pub bytes: Vec<u8>,
    pub format: Format,
    /// `zhicha-analysis-640200-2025.pdf`, for clients that cannot take a UTF-8 name.
    pub ascii_name: String,
    /// `石嘴山市2025年工伤大数据分析报告.pdf`.
    pub name: String,
}

pub struct Query<'a> {
    pub region: Option<&'a str>,
    pub year: Option<i32>,
    pub share: Option<f64>,
}

/// The report of the caller's region (or `q.region` within it) as `format`.
pub async fn download(
    state: &AppState,
    caller: &Caller,
    origin: &Origin,
    q: Query<'_>,
    format: Format,
) -> Result<Download, ApiError> {
    let report = super::report(state, caller, q.region, q.year, q.share).await?;
    let code = report.region_code.clone().unwrap_or_else(|| "all".into());
    let ext = format.extension();
    let ascii_name = format!("zhicha-analysis-{code}-{}.{ext}", report.year);
    let name = format!("{}.{ext}", pdf::title(&report));
    let year = report.year;
    let labels = Labels::from_catalog(&state.catalog);
    let fonts = state.settings.reports.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        match format {
            Format::Pdf => {
                let font = crate::platform::pdf::load_font(&fonts.font_path, fonts.font_index)?;
                Ok(pdf::render(&report, &labels, &font)?)
            }
            Format::Xlsx => xlsx::workbook(&report, &labels).map_err(ApiError::internal),
        }
    })
    .await
    .map_err(ApiError::internal)??;
    audit::append(
        &state.db,
        Entry::by(caller, origin, "analysis.export", "analysis_report")
            .object(&code)
            .detail(format!("format={ext} region={code} year={year} bytes={}", bytes.len())),
    )
    .await?;
    Ok(Download { bytes, format, ascii_name, name })
}
