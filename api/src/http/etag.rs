//! Conditional reads: a strong `ETag` on a JSON answer, and 304 Not Modified without a
//! body to a client whose `If-None-Match` names it, so a phone that holds a checklist
//! page or a report revalidates it instead of downloading it again.

use actix_web::http::header::{self, Header, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The request header of a conditional read, for the spec.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Conditional {
    /// The `ETag` of the copy the client holds: 304 without a body while it is current.
    #[param(rename = "If-None-Match", nullable = false)]
    pub if_none_match: Option<String>,
}

/// The answer is the caller's alone, and is checked with the server before each reuse.
pub const CACHE_CONTROL: &str = "private, no-cache";

/// Whether the request's `If-None-Match` names `tag` (or is `*`). A GET compares weakly
/// (RFC 9110, 13.1.2): `W/"x"` matches `"x"`. An unreadable header matches nothing.
pub fn held(req: &HttpRequest, tag: &str) -> bool {
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(items)) => items.iter().any(|t| t.tag() == tag),
        Err(_) => false,
    }
}

fn quoted(tag: &str) -> String {
    format!("\"{tag}\"")
}

/// 304 with the tag and no body.
pub fn not_modified(tag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, quoted(tag)))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .finish()
}

/// 200 with the JSON and its tag, or 304 when there is no body (the caller holds it).
/// `tag` is hex or another token without quotes.
pub fn answer<T: Serialize>(tag: &str, body: Option<T>) -> HttpResponse {
    match body {
        None => not_modified(tag),
        Some(body) => HttpResponse::Ok()
            .insert_header((header::ETAG, quoted(tag)))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            .json(body),
    }
}

/// A JSON answer tagged with the hash of its own bytes: 304 when the caller holds
/// exactly these bytes. For answers that are built whole anyway and are not large.
pub fn hashed<T: Serialize>(req: &HttpRequest, body: &T) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&bytes);
    let tag: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    if held(req, &tag) {
        return Ok(not_modified(&tag));
    }
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .insert_header((header::ETAG, quoted(&tag)))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .body(bytes))
}
