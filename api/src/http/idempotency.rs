//! Idempotency for mini-program writes. A phone on a bad connection retries a POST
//! whose answer it never saw; with the same `Idempotency-Key` it gets the stored
//! answer instead of a second write. The same key with another request is refused
//! (422), and while the first is still running a retry gets 409.
//!
//! Stored answers are sealed with the personal-data key: they can hold a binding
//! code or a masked phone number, which must not sit in clear text for a day.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::idempotency::{self as keys, NewKey};

pub const HEADER: &str = "idempotency-key";

/// What a key is bound to: method, path with query, and body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    fingerprint_parts(method, path_and_query, &[body])
}

fn fingerprint_parts(method: &str, path_and_query: &str, body: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(method);
    h.update(b"\n");
    h.update(path_and_query);
    h.update(b"\n");
    for part in body {
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A multipart body's pieces between its delimiters. A client picks a new boundary for
/// every request, its retries included, so the boundary is no part of what a key binds.
fn multipart_pieces<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + d.len() <= body.len() {
        if body[i] == d[0] && &body[i..i + d.len()] == d {
            pieces.push(&body[start..i]);
            // The piece boundaries stay marked, so moving bytes across one changes the hash.
            pieces.push(b"\0--\0");
            i += d.len();
            start = i;
        } else {
            i += 1;
        }
    }
    pieces.push(&body[start..]);
    pieces
}

fn boundary(req: &ServiceRequest) -> Option<String> {
    let mime = req.mime_type().ok().flatten()?;
    if mime.essence_str() != "multipart/form-data" {
        return None;
    }
    mime.get_param("boundary").map(|b| b.as_str().to_string()).filter(|b| !b.is_empty())
}

/// Photo uploads may carry `evidence.max_bytes` and their form; every other write
/// the JSON limit.
fn body_limit(state: &AppState, req: &ServiceRequest) -> usize {
    let s = &state.settings;
    if req.match_pattern().as_deref() == Some("/mp/evidence") {
        usize::try_from(s.evidence.max_bytes + crate::selfcheck::uploads::multipart::FORM_OVERHEAD_BYTES)
            .unwrap_or(usize::MAX)
    } else {
        s.server.max_body_bytes
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the body exceeds the limit of {limit} bytes"))
}

/// The whole body, refused with 413 as soon as it is known to exceed `limit`.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut payload = req.take_payload();
    let mut buf = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::new(ErrorCode::InvalidBody, format!("the body could not be read: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// What `valid_key` accepts, for the spec: 8-128 visible ASCII characters.
pub const KEY_PATTERN: &str = "^[!-~]{8,128}$";

fn valid_key(k: &str) -> bool {
    (8..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether an answer may be replayed: a server failure, or a refusal that a fresh
/// token or a pause would change, must let the retry run again.
fn keep(status: StatusCode) -> bool {
    !(status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 408 | 429))
}

enum Claim {
    /// This request runs and its answer is stored under `id`.
    Run(i64),
    /// A stored answer to send again.
    Replay(u16, String),
}

/// Claims the key: one statement when it is new (the common case), a second to read
/// it when it is not.
async fn claim(state: &AppState, user: i64, key: &str, req: &ServiceRequest, sha: &str) -> Result<Claim, ApiError> {
    let now = Utc::now();
    let s = &state.settings.idempotency;
    let expires_at = (now + Duration::hours(s.keep_hours)).fixed_offset();
    let row = NewKey {
        created_at: now.fixed_offset(),
        user_id: user,
        key: key.to_string(),
        method: req.method().as_str().to_string(),
        path: req.path().chars().take(255).collect(),
        request_sha256: sha.to_string(),
        expires_at,
    };
    if let Some(id) = keys::insert_if_free(&state.db, row).await? {
        return Ok(Claim::Run(id));
    }
    let found = keys::find(&state.db, user, key)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RequestInProgress, "the key was released meanwhile; retry"))?;
    // An expired key is free again: this request takes it over.
    if found.expires_at < now.fixed_offset() {
        return if keys::renew_expired(&state.db, found.id, now.fixed_offset(), expires_at, sha).await? == 1 {
            Ok(Claim::Run(found.id))
        } else {
            Err(ApiError::new(ErrorCode::RequestInProgress, "another retry with this key is running")
                .with_details(serde_json::json!({ "retry_after_seconds": 2 })))
        };
    }
    if found.request_sha256 != sha {
        return Err(ApiError::field(
            ErrorCode::IdempotencyKeyReused,
            "Idempotency-Key",
            "this key was used for a different request; use a new key for a new write",
        ));
    }
    match (found.response_status, found.response_body) {
        (Some(status), Some(sealed)) => {
            let (key_id, b64) = sealed.split_once(':').unwrap_or(("", ""));
            let body = state.vault.open_sealed(b64, key_id).map_err(ApiError::internal)?;
            Ok(Claim::Replay(u16::try_from(status).unwrap_or(500), body))
        }
        _ => {
            // Still running, unless its server died: then this retry takes it over.
            let stale = now - Duration::seconds(s.stale_after_seconds);
            let taken = keys::take_over_stale(&state.db, found.id, now.fixed_offset(), stale.fixed_offset()).await?;
            if taken == 1 {
                Ok(Claim::Run(found.id))
            } else {
                Err(ApiError::new(ErrorCode::RequestInProgress, "the first request with this key is still running")
                    .with_details(serde_json::json!({ "retry_after_seconds": 2 })))
            }
        }
    }
}

async fn settle(state: &AppState, id: i64, status: StatusCode, body: &[u8]) -> Result<(), ApiError> {
    if !keep(status) {
        keys::delete(&state.db, id).await?;
        return Ok(());
    }
    let text = String::from_utf8_lossy(body);
    let (sealed, key_id) = state.vault.seal(&text).map_err(ApiError::internal)?;
    keys::store_answer(&state.db, id, i16::try_from(status.as_u16()).unwrap_or(500), format!("{key_id}:{sealed}"))
        .await?;
    Ok(())
}

fn answer(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(e.error_response())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let idempotent =
        req.match_pattern().and_then(|p| super::routes::find(req.method(), &p)).is_some_and(|e| e.idempotent);
    if !idempotent {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // The key belongs to the caller, whom the policy guard has resolved; without one
    // (a public route) there is nothing to key on.
    let Some(who) = req.extensions().get::<Caller>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let Some(key) = key else {
        let e = ApiError::field(ErrorCode::IdempotencyKeyRequired, "Idempotency-Key", "send an Idempotency-Key header");
        return Ok(answer(req, e));
    };
    if !valid_key(&key) {
        let e = ApiError::field(ErrorCode::InvalidField, "Idempotency-Key", "8-128 visible ASCII characters (a UUID)");
        return Ok(answer(req, e));
    }
    let limit = body_limit(&state, &req);
    let body = match read_body(&mut req, limit).await {
        Ok(b) => b,
        Err(e) => return Ok(answer(req, e)),
    };
    let pieces = match boundary(&req) {
        Some(b) => multipart_pieces(&body, &b),
        None => vec![&body[..]],
    };
    let sha = fingerprint_parts(
        req.method().as_str(),
        req.uri().path_and_query().map_or(req.path(), |p| p.as_str()),
        &pieces,
    );
    let id = match claim(&state, who.user_id, &key, &req, &sha).await {
        Ok(Claim::Run(id)) => id,
        Ok(Claim::Replay(status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let resp = HttpResponse::build(status)
                .insert_header(("Idempotent-Replayed", "true"))
                .content_type("application/json")
                .body(body);
            return Ok(req.into_response(resp));
        }
        Err(e) => return Ok(answer(req, e)),
    };
    req.set_payload(Payload::from(body));
    let res = next.call(req).await?;
    let status = res.status();
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes =
        actix_web::body::to_bytes(body).await.map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    if let Err(e) = settle(&state, id, status, &bytes).await {
        // The write happened; failing to store its answer must not hide it.
        tracing::error!("cannot store the answer for an idempotency key: {e}");
    }
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
}
