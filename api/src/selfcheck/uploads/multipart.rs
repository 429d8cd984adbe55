//! Upload through the API (`wx.uploadFile`): form fields and the photo in one
//! multipart/form-data request, checked, stored, then recorded.

use actix_multipart::Multipart;
use chrono::Duration;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::claim::{self, Claim, OwnerKind, Phase};
use super::record::{self, NewRecord, Settle, Written};
use super::{EvidenceView, refused, unavailable};
use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::identity::{Caller, Scope};
use crate::selfcheck::evidence::{DisplayCopy, EvidenceError, EvidenceSettings, Upload, inspect, object_keys};
use crate::state::AppState;
use crate::store::evidence::{self as rows, Evidence};

/// Form fields other than the file are short.
const MAX_FIELD_BYTES: usize = 256;

/// Room for the form fields and part headers around the photo.
pub const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;

/// The answer: a new record (201) or the one this `client_id` already made (200).
#[derive(Debug)]
pub struct Uploaded {
    pub created: bool,
    pub view: EvidenceView,
}

/// The enterprise of an enterprise account.
pub(super) fn own_enterprise(caller: &Caller) -> Result<i64, ApiError> {
    match caller.scope {
        Scope::Enterprise(id) => Ok(id),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "bind this account to an enterprise first")),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A replay of `client_id`: the same photo gets its record, another photo is refused.
pub(super) fn replayed(existing: Evidence, sha256: &str) -> Result<Uploaded, ApiError> {
    if existing.sha256 != sha256 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this client_id already names another photo; give a new photo a new client_id",
        )
        .with_details(serde_json::json!({ "field": "client_id", "evidence_id": existing.id })));
    }
    Ok(Uploaded { created: false, view: existing.into() })
}

pub async fn upload(state: &AppState, caller: &Caller, origin: &Origin, form: Multipart) -> Result<Uploaded, ApiError> {
    own_enterprise(caller)?;
    let (claim, bytes) = read_form(form, &state.settings.evidence).await?;
    upload_bytes(state, caller, origin, claim, bytes).await
}

/// The upload once its form is read: checked, stored, then recorded (also the demo's
/// activity's way in, which has the photo's bytes at hand rather than a form).
pub async fn upload_bytes(
    state: &AppState,
    caller: &Caller,
    origin: &Origin,
    claim: Claim,
    bytes: Vec<u8>,
) -> Result<Uploaded, ApiError> {
    let enterprise_id = own_enterprise(caller)?;
    let s = &state.settings.evidence;
    let sha = sha256_hex(&bytes);
    if let Some(existing) = record::by_client_id(&state.db, enterprise_id, &claim.client_id).await? {
        return replayed(existing, &sha);
    }
    claim.check_owner(&state.db, caller, enterprise_id).await?;
    let site = record::site(&state.db, enterprise_id).await?;
    let (settings, position, taken) = (s.clone(), claim.position, claim.captured_at);
    let received_at = crate::domain::clock::now();
    // Decoding is CPU-bound: off the async workers.
    let (checked, bytes) = tokio::task::spawn_blocking(move || {
        let up = Upload { bytes: &bytes, received_at, client_taken_at: taken, client_position: position, site };
        let checked = inspect(&up, &settings);
        (checked, bytes)
    })
    .await
    .map_err(ApiError::internal)?;
    let photo = checked.map_err(refused)?;
    let keys = object_keys(enterprise_id, Uuid::new_v4()).map_err(ApiError::internal)?;
    let ttl = Duration::seconds(i64::try_from(state.settings.storage.presign_ttl_seconds).unwrap_or(300));
    let guard = record::guard(&state.db, caller, enterprise_id, &claim, &keys, &photo, ttl).await?;
    let store = state.store.as_ref();
    let stored = async {
        store.put(&keys.original, bytes, photo.kind.content_type()).await?;
        store.put(&keys.display, photo.display.jpeg.clone(), DisplayCopy::CONTENT_TYPE).await
    }
    .await;
    if let Err(e) = stored {
        // Tidying up after a storage that failed may fail or crawl too (each call up to
        // storage.s3.timeout_ms): it must not hold the answer, and the sweep catches
        // what it leaves.
        let (leftovers, original, display) = (state.store.clone(), keys.original.clone(), keys.display.clone());
        state.jobs.spawn(move |_| async move { record::discard(leftovers.as_ref(), &[&original, &display]).await });
        forget_guard(state, guard.id).await;
        return Err(unavailable(e));
    }
    let new = NewRecord { enterprise_id, claim: &claim, photo: &photo, keys: &keys, upload_path: "multipart" };
    match record::write(&state.db, caller, origin, new, Settle::Remove(guard.id)).await {
        Ok(Written::Created(m)) => Ok(Uploaded { created: true, view: m.into() }),
        Ok(Written::Duplicate(existing)) => {
            record::discard(store, &[&keys.original, &keys.display]).await;
            forget_guard(state, guard.id).await;
            replayed(existing, &photo.sha256)
        }
        Err(e) => {
            record::discard(store, &[&keys.original, &keys.display]).await;
            forget_guard(state, guard.id).await;
            Err(e)
        }
    }
}

/// The guard of an upload whose objects are already deleted; left behind, the sweep
/// removes it.
async fn forget_guard(state: &AppState, id: i64) {
    if let Err(e) = rows::delete_intent(&state.db, id).await {
        tracing::warn!("cannot remove upload guard {id} (the sweep will): {e}");
    }
}

/// The form's fields as a claim, and the photo's bytes (at most `max_bytes`).
pub(crate) async fn read_form(mut form: Multipart, s: &EvidenceSettings) -> Result<(Claim, Vec<u8>), ApiError> {
    let mut text: Vec<(String, String)> = Vec::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = if name == "file" { usize::try_from(s.max_bytes).unwrap_or(usize::MAX) } else { MAX_FIELD_BYTES };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if buf.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    refused(EvidenceError::TooLarge { size: (buf.len() + chunk.len()) as u64, max: s.max_bytes })
                } else {
                    ApiError::field(ErrorCode::InvalidField, &name, format!("{name}: at most {limit} bytes"))
                });
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" if file.is_some() => {
                return Err(ApiError::field(ErrorCode::InvalidField, "file", "one photo per request"));
            }
            "file" => file = Some(buf),
            "client_id" | "owner_kind" | "owner_id" | "phase" | "captured_at" | "latitude" | "longitude" => {
                let value = String::from_utf8(buf)
                    .map_err(|_| ApiError::field(ErrorCode::InvalidField, &name, format!("{name}: not UTF-8 text")))?;
                text.push((name, value));
            }
            other => {
                return Err(ApiError::field(ErrorCode::InvalidField, other, format!("unknown form field {other:?}")));
            }
        }
    }
    let field = |n: &str| text.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let required = |n: &str| {
        field(n).ok_or_else(|| ApiError::field(ErrorCode::InvalidField, n, format!("the form field {n} is required")))
    };
    let number = |n: &str| -> Result<Option<f64>, ApiError> {
        field(n)
            .map(|v| {
                v.parse::<f64>().map_err(|_| ApiError::field(ErrorCode::InvalidField, n, format!("{n}: a number")))
            })
            .transpose()
    };
    let claim = Claim {
        client_id: claim::client_id(required("client_id")?)?,
        owner_kind: OwnerKind::parse(required("owner_kind")?).ok_or_else(|| {
            ApiError::field(ErrorCode::InvalidField, "owner_kind", "owner_kind: finding or inspection_item")
        })?,
        owner_id: required("owner_id")?
            .parse()
            .map_err(|_| ApiError::field(ErrorCode::InvalidField, "owner_id", "owner_id: an id"))?,
        phase: Phase::parse(required("phase")?)
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "phase", "phase: before, progress or after"))?,
        captured_at: field("captured_at").map(|v| claim::rfc3339("captured_at", v)).transpose()?,
        position: claim::position(number("latitude")?, number("longitude")?)?,
    };
    let bytes =
        file.ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "file", "the photo (form field file) is missing"))?;
    Ok((claim, bytes))
}

fn malformed(e: actix_multipart::MultipartError) -> ApiError {
    use actix_web::error::PayloadError;
    // The body's deadline (`http::hygiene`) ran out: a slow link, not a bad form.
    if let actix_multipart::MultipartError::Payload(PayloadError::Io(io)) = &e
        && io.kind() == std::io::ErrorKind::TimedOut
    {
        return ApiError::new(ErrorCode::BodyTimeout, "the photo did not arrive in time; send it again");
    }
    ApiError::new(ErrorCode::InvalidBody, format!("the multipart/form-data body cannot be read: {e}"))
}
