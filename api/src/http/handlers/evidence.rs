//! Photo evidence: upload through the API or directly to object storage, metadata, and
//! the display copy and byte-exact original within scope.

use actix_multipart::Multipart;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use utoipa::ToSchema;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::selfcheck::evidence::DisplayCopy;
use crate::selfcheck::uploads::multipart::Uploaded;
use crate::selfcheck::uploads::presigned::{UploadRequest, UploadTicket};
use crate::selfcheck::uploads::{self, EvidenceView, OwnerKind, Phase};
use crate::state::AppState;

/// The multipart form of `POST /mp/evidence` (what `wx.uploadFile` sends: `formData`
/// fields and the photo as `file`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// The phone's UUID for this photo; a retry with the same id returns the record.
    #[schema(pattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    client_id: String,
    owner_kind: OwnerKind,
    owner_id: i64,
    phase: Phase,
    /// When the phone took it, RFC 3339; left out when unknown.
    #[schema(nullable = false)]
    captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where the phone was (`wx.getLocation`, WGS 84 degrees), with `longitude`.
    #[schema(nullable = false, minimum = -90.0, maximum = 90.0)]
    latitude: Option<f64>,
    /// With `latitude`.
    #[schema(nullable = false, minimum = -180.0, maximum = 180.0)]
    longitude: Option<f64>,
    /// The photo: JPEG, PNG or WebP, at most `evidence.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn answer(u: Uploaded) -> HttpResponse {
    if u.created { HttpResponse::Created().json(u.view) } else { HttpResponse::Ok().json(u.view) }
}

/// Uploads a photo as evidence for a finding or an inspection item of the caller's
/// enterprise. Checked by content (size, type, dimensions, decode), stored byte-exact
/// with an EXIF-free display copy, then recorded; nothing is recorded on any failure.
#[utoipa::path(
    post, path = "/mp/evidence", tag = "mini-program", security(("bearer" = [])),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, description = "recorded", body = EvidenceView),
        (status = 200, description = "this client_id was recorded before with the same photo", body = EvidenceView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such owner in the enterprise (`details.field`: owner_id)", body = ErrorBody),
        (status = 409, description = "the client_id names another photo", body = ErrorBody),
        (status = 413, description = "larger than evidence.max_bytes", body = ErrorBody),
        (status = 415, description = "not a JPEG, PNG or WebP by its content", body = ErrorBody),
        (status = 422, description = "undecodable, over the pixel limits, or a bad field", body = ErrorBody),
        (status = 428, body = ErrorBody),
        (status = 503, description = "object storage unavailable; nothing recorded", body = ErrorBody),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let multipart = req.mime_type().ok().flatten().is_some_and(|m| m.essence_str() == "multipart/form-data");
    if !multipart {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "send the photo as multipart/form-data"));
    }
    Ok(answer(uploads::multipart::upload(&state, &caller, &origin(&req), form).await?))
}

/// Signs a direct upload to object storage under a server-chosen key, for `size_bytes`
/// of `content_type` exactly; commit it afterwards. With photos on local disk the
/// server signs nothing (409): use `POST /mp/evidence`.
#[utoipa::path(
    post, path = "/mp/evidence/uploads", tag = "mini-program", request_body = UploadRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry")),
    responses(
        (status = 201, body = UploadTicket),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such owner in the enterprise", body = ErrorBody),
        (status = 409, description = "already recorded, or no direct uploads on this server", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 428, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub async fn begin_upload(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<UploadRequest>,
) -> Result<HttpResponse, ApiError> {
    let ticket = uploads::presigned::begin(&state, &caller, body.0).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(ticket))
}

/// Checks the directly uploaded photo and records it. A replay returns the record.
#[utoipa::path(
    post, path = "/mp/evidence/uploads/{id}/commit", tag = "mini-program", security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "upload_id"),
        ("Idempotency-Key" = String, Header, description = "a fresh UUID per write, the same on retry"),
    ),
    responses(
        (status = 201, body = EvidenceView),
        (status = 200, description = "committed before", body = EvidenceView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "`upload_incomplete`: the object never arrived, the upload expired or its length differs; `image_rejected`", body = ErrorBody),
        (status = 428, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub async fn commit_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(answer(uploads::presigned::commit(&state, &caller, &origin(&req), id.into_inner()).await?))
}

/// A photo's record: hash, size, type, both sets of time and position, flags.
#[utoipa::path(
    get, path = "/mp/evidence/{id}", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = EvidenceView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let row = uploads::find_scoped(&state, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EvidenceView::from(row)))
}

fn image(content_type: &str, sha: Option<&str>, bytes: Vec<u8>) -> HttpResponse {
    let mut r = HttpResponse::Ok();
    // Objects never change under a key; only the caller may see them.
    r.content_type(content_type).insert_header(("Cache-Control", "private, max-age=86400, immutable"));
    if let Some(sha) = sha {
        r.insert_header(("ETag", format!("\"{sha}\"")));
    }
    r.body(bytes)
}

/// The display copy: a JPEG without EXIF, longest edge at most `evidence.display_max_edge`.
#[utoipa::path(
    get, path = "/mp/evidence/{id}/display", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody))
)]
pub async fn display(state: web::Data<AppState>, caller: Caller, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let bytes = uploads::display_in_scope(&state, &caller, id.into_inner()).await?;
    Ok(image(DisplayCopy::CONTENT_TYPE, None, bytes))
}

/// The original exactly as uploaded (EXIF included), with its real content type.
#[utoipa::path(
    get, path = "/mp/evidence/{id}/original", tag = "mini-program", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "the photo as it was uploaded, in its own type", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp")
        )),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub async fn original(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (row, bytes) = uploads::original_in_scope(&state, &caller, id.into_inner()).await?;
    Ok(image(&row.content_type, Some(&row.sha256), bytes))
}

/// The display copy of a photo of an enterprise in the bureau's jurisdiction.
#[utoipa::path(
    get, path = "/gov/evidence/{id}/display", tag = "bureau", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody))
)]
pub async fn gov_display(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let bytes = uploads::display_in_scope(&state, &caller, id.into_inner()).await?;
    Ok(image(DisplayCopy::CONTENT_TYPE, None, bytes))
}
