//! The report font: one face of a font file (Debian's Noto Sans CJK collection by
//! default), for krilla's own text and for the text inside SVG charts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use krilla::text::Font;
use usvg::fontdb;

use super::RenderError;

/// The face as krilla draws it and as usvg lays out chart text; both read the same
/// bytes, so the PDF embeds one subset for body and charts alike.
#[derive(Clone)]
pub struct PdfFont {
    pub font: Font,
    pub(super) fontdb: Arc<fontdb::Database>,
    pub(super) face: fontdb::ID,
}

// The font file is ~20 MB: read and parsed once per process, not per report.
static CACHE: Mutex<Option<(PathBuf, u32, PdfFont)>> = Mutex::new(None);

/// The configured face, loaded on first use.
pub fn load_font(path: &Path, index: u32) -> Result<PdfFont, RenderError> {
    let mut cached = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((p, i, f)) = cached.as_ref()
        && p == path
        && *i == index
    {
        return Ok(f.clone());
    }
    let err = |reason: String| RenderError::Font { path: path.to_path_buf(), reason };
    let bytes = Arc::new(std::fs::read(path).map_err(|e| err(e.to_string()))?);
    let font =
        Font::new(bytes.clone().into(), index).ok_or_else(|| err(format!("face {index} is not a usable font")))?;
    let mut db = fontdb::Database::new();
    let ids = db.load_font_source(fontdb::Source::Binary(bytes));
    // A collection loads every face, in file order; charts use only the configured one.
    let face = db
        .faces()
        .find(|f| f.index == index && ids.contains(&f.id))
        .map(|f| f.id)
        .ok_or_else(|| err(format!("face {index} is not in the font database")))?;
    let loaded = PdfFont { font, fontdb: Arc::new(db), face };
    *cached = Some((path.to_path_buf(), index, loaded.clone()));
    Ok(loaded)
}
