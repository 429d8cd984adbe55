//! Direct upload: the server signs a short-lived PUT of one server-chosen key, bound to
//! the declared type and length; the client uploads to object storage, then commits,
//! and only then are the bytes checked and the record written.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::claim::{self, Claim, OwnerKind, Phase};
use super::multipart::{Uploaded, own_enterprise, replayed};
use super::record::{self, NewRecord, Settle, Written};
use super::{refused, unavailable};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::storage::{ObjectKey, UploadRule};
use crate::selfcheck::evidence::{
    DisplayCopy, EvidenceError, GeoPoint, PhotoKind, Upload, check_size, inspect, object_keys,
};
use crate::state::AppState;
use crate::store::evidence::{self as rows, IntentTerms};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// The phone's UUID for this photo; the evidence record keeps it.
    #[schema(format = Uuid, pattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    pub client_id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: i64,
    pub phase: Phase,
    /// `image/jpeg`, `image/png` or `image/webp`: signed, so the upload must send it.
    #[schema(pattern = "^image/(jpeg|png|webp)$")]
    pub content_type: String,
    /// Exact length of the photo in bytes: signed, so the upload must be this long (at
    /// most `evidence.max_bytes`, 10 MiB unless the operator changed it; else 413).
    #[schema(minimum = 1, maximum = 10485760)]
    pub size_bytes: u64,
    pub captured_at: Option<DateTime<Utc>>,
    /// WGS-84, with `longitude` (both or neither; left out when unknown).
    #[schema(nullable = false, minimum = -90.0, maximum = 90.0)]
    pub latitude: Option<f64>,
    /// WGS-84, with `latitude` (both or neither).
    #[schema(nullable = false, minimum = -180.0, maximum = 180.0)]
    pub longitude: Option<f64>,
}

/// Send `method` to `url` with exactly `headers`, then commit `upload_id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadTicket {
    pub upload_id: i64,
    pub method: String,
    pub url: String,
    /// Header name and value pairs, all signed.
    #[schema(value_type = Object)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    pub expires_at: DateTime<Utc>,
}

/// Signs a direct upload for the caller's enterprise. Asking again for a `client_id`
/// not yet committed signs its key again (the phone lost the first answer).
pub async fn begin(state: &AppState, caller: &Caller, req: UploadRequest) -> Result<UploadTicket, ApiError> {
    let enterprise_id = own_enterprise(caller)?;
    let kind = PhotoKind::from_content_type(&req.content_type).ok_or_else(|| {
        ApiError::field(ErrorCode::NotAnImage, "content_type", "content_type: image/jpeg, image/png or image/webp")
    })?;
    check_size(req.size_bytes, &state.settings.evidence).map_err(|e| match e {
        EvidenceError::TooLarge { .. } => ApiError::field(ErrorCode::PayloadTooLarge, "size_bytes", e.to_string()),
        e => ApiError::field(ErrorCode::InvalidField, "size_bytes", e.to_string()),
    })?;
    let claim = Claim {
        client_id: claim::client_id(&req.client_id)?,
        owner_kind: req.owner_kind,
        owner_id: req.owner_id,
        phase: req.phase,
        captured_at: req.captured_at,
        position: claim::position(req.latitude, req.longitude)?,
    };
    if let Some(done) = record::by_client_id(&state.db, enterprise_id, &claim.client_id).await? {
        return Err(ApiError::new(ErrorCode::Conflict, "this client_id is already recorded")
            .with_details(serde_json::json!({ "field": "client_id", "evidence_id": done.id })));
    }
    claim.check_owner(&state.db, caller, enterprise_id).await?;
    let earlier = rows::intent_by_client_id(&state.db, enterprise_id, &claim.client_id).await?;
    let key = match &earlier {
        Some(i) => ObjectKey::new(i.object_key.clone()).map_err(ApiError::internal)?,
        None => object_keys(enterprise_id, Uuid::new_v4()).map_err(ApiError::internal)?.original,
    };
    let ttl_s = state.settings.storage.presign_ttl_seconds;
    let rule = UploadRule {
        content_type: kind.content_type().to_string(),
        content_length: req.size_bytes,
        ttl: std::time::Duration::from_secs(ttl_s),
    };
    let Some(signed) = state.store.presign_put(&key, &rule).await.map_err(unavailable)? else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this server keeps photos on local disk and signs no direct uploads; send the photo to POST /mp/evidence",
        )
        .with_details(serde_json::json!({ "use": "/mp/evidence" })));
    };
    let now = Utc::now();
    let expires_at = now + Duration::seconds(i64::try_from(ttl_s).unwrap_or(300));
    let terms = IntentTerms {
        user_id: caller.user_id,
        content_type: kind.content_type().to_string(),
        size_bytes: i64::try_from(req.size_bytes).unwrap_or(i64::MAX),
        owner_kind: claim.owner_kind.as_str().to_string(),
        owner_id: claim.owner_id,
        phase: claim.phase.as_str().to_string(),
        captured_at: claim.captured_at.map(|t| t.fixed_offset()),
        latitude: claim.position.map(GeoPoint::lat),
        longitude: claim.position.map(GeoPoint::lon),
        expires_at: expires_at.fixed_offset(),
    };
    let saved = match earlier {
        Some(i) => rows::renew_intent(&state.db, i, terms).await?,
        None => {
            let key = key.to_string();
            rows::insert_intent(&state.db, enterprise_id, &claim.client_id, &key, terms, now.fixed_offset()).await?
        }
    };
    let upload_id = saved.id;
    Ok(UploadTicket {
        upload_id,
        method: signed.method,
        url: signed.url,
        headers: signed.headers.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect(),
        expires_at: signed.expires_at.min(expires_at),
    })
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::UploadIncomplete, message)
}

/// Checks the uploaded object and records it; a replay returns the same record.
pub async fn commit(state: &AppState, caller: &Caller, origin: &Origin, upload_id: i64) -> Result<Uploaded, ApiError> {
    let enterprise_id = own_enterprise(caller)?;
    let intent = rows::direct_intent(&state.db, caller, enterprise_id, upload_id)
        .await?
        .ok_or_else(|| ApiError::not_found("upload"))?;
    if intent.committed_at.is_some()
        && let Some(done) = record::by_client_id(&state.db, enterprise_id, &intent.client_id).await?
    {
        return Ok(Uploaded { created: false, view: done.into() });
    }
    let now = Utc::now();
    if intent.expires_at.with_timezone(&Utc) < now {
        return Err(incomplete("the upload expired before it was committed; ask for a new one"));
    }
    let keys = record::keys_of_row(&intent.object_key)?;
    let store = state.store.as_ref();
    let Some(meta) = store.head(&keys.original).await.map_err(unavailable)? else {
        return Err(incomplete("the photo has not arrived in object storage; upload it, then commit"));
    };
    let signed = u64::try_from(intent.size_bytes).unwrap_or(0);
    if meta.size != signed {
        record::discard(store, &[&keys.original]).await;
        return Err(incomplete(format!("the stored object is {} bytes, not the {signed} signed for", meta.size)));
    }
    let Some(bytes) = store.get(&keys.original).await.map_err(unavailable)? else {
        return Err(incomplete("the photo has not arrived in object storage; upload it, then commit"));
    };
    let claim = Claim {
        client_id: intent.client_id.clone(),
        owner_kind: OwnerKind::parse(&intent.owner_kind)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("owner kind")))?,
        owner_id: intent.owner_id,
        phase: Phase::parse(&intent.phase).ok_or_else(|| ApiError::internal(anyhow::anyhow!("phase")))?,
        captured_at: intent.captured_at.map(|t| t.with_timezone(&Utc)),
        position: intent.latitude.zip(intent.longitude).and_then(|(a, o)| GeoPoint::new(a, o)),
    };
    let site = record::site(&state.db, enterprise_id).await?;
    let settings = state.settings.evidence.clone();
    let (position, taken) = (claim.position, claim.captured_at);
    let checked = tokio::task::spawn_blocking(move || {
        let up = Upload { bytes: &bytes, received_at: now, client_taken_at: taken, client_position: position, site };
        inspect(&up, &settings)
    })
    .await
    .map_err(ApiError::internal)?;
    let photo = match checked {
        Ok(p) => p,
        Err(e) => {
            // Refused: nothing of it is kept; the client may upload again while the
            // intent lasts.
            record::discard(store, &[&keys.original]).await;
            return Err(refused(e));
        }
    };
    if let Some(existing) = record::by_client_id(&state.db, enterprise_id, &claim.client_id).await? {
        return replayed(existing, &photo.sha256);
    }
    store.put(&keys.display, photo.display.jpeg.clone(), DisplayCopy::CONTENT_TYPE).await.map_err(unavailable)?;
    let new = NewRecord { enterprise_id, claim: &claim, photo: &photo, keys: &keys, upload_path: "presigned" };
    match record::write(&state.db, caller, origin, new, Settle::Commit(intent.id)).await? {
        Written::Created(m) => Ok(Uploaded { created: true, view: m.into() }),
        Written::Duplicate(existing) => replayed(existing, &photo.sha256),
    }
}
