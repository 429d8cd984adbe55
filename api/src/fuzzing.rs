//! Entry points for the parser fuzz targets in `fuzz/` (cargo-fuzz), for parsers that
//! are otherwise internal to this crate. Each forwards unchanged: what is fuzzed is
//! what the service runs. Nothing in the service calls these.
//!
//! The other targets need no forward: the accident importers
//! (`reference::import::{scan::check, parse}`), the rule-file parsers (`zhicha_engine`)
//! and the photo checks (`selfcheck::evidence::inspect`) are public already.

use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use std::future::Future;

use crate::error::ApiError;
use crate::selfcheck::evidence::{EvidenceSettings, ExifFacts};
use crate::selfcheck::uploads::Claim;

/// The EXIF reader of photo evidence (capture time and position), as `inspect` runs it.
pub fn exif(bytes: &[u8], assumed_offset_minutes: i32) -> ExifFacts {
    crate::selfcheck::evidence::exif::read(bytes, assumed_offset_minutes)
}

/// The upload form of `POST /mp/evidence` read from `body`, delivered in `chunks`
/// pieces as a network would, under `content_type`. Polled again while it yields (the
/// multipart reader may yield between fields though every byte is there); `None` if it
/// still waits after many polls, which an in-memory body should never make it do.
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
    let read = std::pin::pin!(crate::selfcheck::uploads::multipart::read_form(form, settings));
    let mut read = read;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    (0..10_000).find_map(|_| match read.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => Some(r),
        std::task::Poll::Pending => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_whose_reader_yields_between_fields_is_read_to_its_end() {
        // The multipart fuzz target's input that a single poll took for a hang: its
        // first byte is the chunk size, the rest the body.
        let input = include_bytes!("../../fuzz/corpus/multipart/seed-regress-yields");
        let (size, body) = (usize::from(input[0]), &input[1..]);
        let chunks = body.chunks(size).map(<[u8]>::to_vec).collect();
        let read = upload_form("multipart/form-data; boundary=zhichafuzz", chunks, &EvidenceSettings::default());
        assert!(read.is_some(), "the reader still waits on a body it has whole");
    }
}
