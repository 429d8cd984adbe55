//! Entry points for the parser fuzz targets in `fuzz/` (cargo-fuzz), for parsers that
//! are otherwise internal to this crate. Each forwards unchanged: what is fuzzed is
//! what the service runs. Nothing in the service calls these.
//!
//! The other targets need no forward: the accident importers
//! (`reference::import::{scan::check, parse}`), the rule-file parsers (`zhicha_engine`)
//! and the photo checks (`selfcheck::evidence::inspect`) are public already.

use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use futures_util::FutureExt;

use crate::error::ApiError;
use crate::selfcheck::evidence::{EvidenceSettings, ExifFacts};
use crate::selfcheck::uploads::Claim;

/// The EXIF reader of photo evidence (capture time and position), as `inspect` runs it.
pub fn exif(bytes: &[u8], assumed_offset_minutes: i32) -> ExifFacts {
    crate::selfcheck::evidence::exif::read(bytes, assumed_offset_minutes)
}

/// The upload form of `POST /mp/evidence` read from `body`, delivered in `chunks`
/// pieces as a network would, under `content_type`. `None` if the reader waited for
/// more input, which an in-memory body never makes it do.
pub fn upload_form(
    content_type: &str,
    chunks: Vec<Vec<u8>>,
    settings: &EvidenceSettings,
) -> Option<Result<(Claim, Vec<u8>), ApiError>> {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    let stream = futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
    let form = actix_multipart::Multipart::new(&headers, stream);
    crate::selfcheck::uploads::multipart::read_form(form, settings).now_or_never()
}
