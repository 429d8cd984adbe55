//! What the report PDFs share (the self-inspection report and the bureau's analysis
//! report): the CJK font, loaded once and embedded as a subset; a layout into pages of
//! drawing operations, so the page count is known before any page is written and every
//! page can say "第 n 页 / 共 m 页"; and drawing those pages with krilla, charts
//! included as vector SVG through krilla-svg.

mod draw;
mod font;
mod layout;

pub use draw::draw;
pub use font::{PdfFont, load_font};
pub use layout::{BODY, Layout, MARGIN, PAGE_H, PAGE_W, PT_PER_PX, SMALL, wrap};

use std::path::PathBuf;

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("report font {path}: {reason}")]
    Font { path: PathBuf, reason: String },
    #[error("chart: {0}")]
    Chart(String),
    #[error("pdf: {0}")]
    Pdf(String),
}

impl From<RenderError> for ApiError {
    /// A missing font is the operator's to fix (503, logged with the path); anything
    /// else is a bug.
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Font { .. } => {
                tracing::error!(error = %e, "report PDF cannot be rendered: install fonts-noto-cjk or set reports.font_path");
                let mut err = ApiError::new(
                    ErrorCode::ReportFontUnavailable,
                    "the report font is not installed on the server; ask the operator",
                );
                err.source = Some(e.into());
                err
            }
            e => ApiError::internal(e),
        }
    }
}
