//! The evidence record: written once its objects are stored, read back within scope.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Claim, OwnerKind};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::storage::{ObjectKey, ObjectStore};
use crate::platform::sync::{self, Kind};
use crate::selfcheck::evidence::{CheckedPhoto, EvidenceKeys, GeoPoint, keys_of};
use crate::state::AppState;
use crate::store::enterprises;
use crate::store::evidence::{self as rows, Evidence, IntentTerms, NewEvidence, UploadIntent};

/// A photo's record as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    pub client_id: String,
    pub enterprise_id: i64,
    /// `finding` or `inspection_item`.
    pub owner_kind: String,
    pub owner_id: i64,
    /// `before`, `progress` or `after`.
    pub phase: String,
    /// `multipart` (through the API) or `presigned` (direct to object storage).
    pub upload_path: String,
    /// The original's real type, from its bytes.
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the original, lowercase hex.
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    /// The server's clock when the bytes arrived (direct uploads: at commit).
    pub received_at: DateTime<Utc>,
    /// What the phone reported.
    pub captured_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// What the photo's EXIF says.
    pub exif_taken_at: Option<DateTime<Utc>>,
    pub exif_latitude: Option<f64>,
    pub exif_longitude: Option<f64>,
    /// Doubts for a reviewer: `capture_time_far` (`source`, `minutes_before_receipt`)
    /// and `position_far` (`source`, `metres` from the enterprise's site).
    #[schema(value_type = Vec<Object>)]
    pub flags: serde_json::Value,
    pub uploaded_by: i64,
    pub display_path: String,
    pub original_path: String,
}

impl From<Evidence> for EvidenceView {
    fn from(m: Evidence) -> Self {
        let utc = |t: Option<sea_orm::prelude::DateTimeWithTimeZone>| t.map(|t| t.with_timezone(&Utc));
        Self {
            display_path: format!("/mp/evidence/{}/display", m.id),
            original_path: format!("/mp/evidence/{}/original", m.id),
            id: m.id,
            client_id: m.client_id,
            enterprise_id: m.enterprise_id,
            owner_kind: m.owner_kind,
            owner_id: m.owner_id,
            phase: m.phase,
            upload_path: m.upload_path,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            width: m.width,
            height: m.height,
            received_at: m.received_at.with_timezone(&Utc),
            captured_at: utc(m.captured_at),
            latitude: m.latitude,
            longitude: m.longitude,
            exif_taken_at: utc(m.exif_taken_at),
            exif_latitude: m.exif_latitude,
            exif_longitude: m.exif_longitude,
            flags: m.flags,
            uploaded_by: m.uploaded_by,
        }
    }
}

/// How an upload ended when its record was written.
pub(super) enum Written {
    Created(Evidence),
    /// Another request recorded this `client_id` first.
    Duplicate(Evidence),
}

/// The existing record of `client_id` in the enterprise.
pub(super) use crate::store::evidence::by_client_id;

/// The site photos are compared with.
pub(super) async fn site(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Option<GeoPoint>, DbErr> {
    let e = enterprises::by_id(db, enterprise_id).await?;
    Ok(e.and_then(|e| GeoPoint::new(e.latitude?, e.longitude?)))
}

/// Names the objects an upload is about to write, so the sweep can delete them if the
/// upload never completes (multipart: deleted again with the record's transaction).
pub(super) async fn guard(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise_id: i64,
    claim: &Claim,
    keys: &EvidenceKeys,
    photo: &CheckedPhoto,
    ttl: Duration,
) -> Result<UploadIntent, DbErr> {
    let now = crate::domain::clock::now();
    let terms = IntentTerms {
        user_id: caller.user_id,
        content_type: photo.kind.content_type().to_string(),
        size_bytes: i64::try_from(photo.size_bytes).unwrap_or(i64::MAX),
        owner_kind: claim.owner_kind.as_str().to_string(),
        owner_id: claim.owner_id,
        phase: claim.phase.as_str().to_string(),
        captured_at: claim.captured_at.map(|t| t.fixed_offset()),
        latitude: claim.position.map(GeoPoint::lat),
        longitude: claim.position.map(GeoPoint::lon),
        expires_at: (now + ttl).fixed_offset(),
    };
    // Multipart guards never meet a direct upload's client id.
    let client_id = format!("multipart:{}", Uuid::new_v4().as_hyphenated());
    rows::insert_intent(db, enterprise_id, &client_id, &keys.original.to_string(), terms, now.fixed_offset()).await
}

/// What the intent row becomes when the record is written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Settle {
    /// A multipart guard: removed, its objects now belong to the record.
    Remove(i64),
    /// A direct upload: marked committed (kept for commit replays), unless a
    /// concurrent commit or the sweep got there first.
    Commit(i64),
}

pub(super) struct NewRecord<'a> {
    pub enterprise_id: i64,
    pub claim: &'a Claim,
    pub photo: &'a CheckedPhoto,
    pub keys: &'a EvidenceKeys,
    pub upload_path: &'static str,
}

/// Inserts the record, its change-feed entry and its audit record, and settles the
/// intent, all in one transaction.
pub(super) async fn write(
    db: &sea_orm::DatabaseConnection,
    caller: &Caller,
    origin: &Origin,
    new: NewRecord<'_>,
    settle: Settle,
) -> Result<Written, ApiError> {
    let NewRecord { enterprise_id, claim, photo, keys, upload_path } = new;
    let txn = crate::platform::db::begin_write(db).await?;
    let row = NewEvidence {
        enterprise_id,
        client_id: claim.client_id.clone(),
        owner_kind: claim.owner_kind.as_str().to_string(),
        owner_id: claim.owner_id,
        phase: claim.phase.as_str().to_string(),
        upload_path: upload_path.to_string(),
        storage_key: keys.original.to_string(),
        display_key: keys.display.to_string(),
        content_type: photo.kind.content_type().to_string(),
        size_bytes: i64::try_from(photo.size_bytes).unwrap_or(i64::MAX),
        sha256: photo.sha256.clone(),
        width: i32::try_from(photo.width).unwrap_or(i32::MAX),
        height: i32::try_from(photo.height).unwrap_or(i32::MAX),
        received_at: photo.received_at.fixed_offset(),
        captured_at: claim.captured_at.map(|t| t.fixed_offset()),
        latitude: claim.position.map(GeoPoint::lat),
        longitude: claim.position.map(GeoPoint::lon),
        exif_taken_at: photo.exif.taken_at.map(|t| t.fixed_offset()),
        exif_latitude: photo.exif.position.map(GeoPoint::lat),
        exif_longitude: photo.exif.position.map(GeoPoint::lon),
        flags: serde_json::to_value(&photo.flags).map_err(ApiError::internal)?,
        uploaded_by: caller.user_id,
        at: crate::domain::clock::now().fixed_offset(),
    };
    let inserted = match rows::insert(&txn, row).await {
        Ok(m) => m,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            let existing = by_client_id(db, enterprise_id, &claim.client_id).await?;
            return existing.map(Written::Duplicate).ok_or_else(|| ApiError::internal(e));
        }
        Err(e) => return Err(e.into()),
    };
    let settled = match settle {
        Settle::Remove(id) => rows::delete_intent(&txn, id).await?,
        Settle::Commit(id) => rows::commit_intent(&txn, id, crate::domain::clock::now().fixed_offset()).await?,
    };
    if settled != 1 {
        // The sweep took the intent (and may be deleting its objects), or a concurrent
        // commit settled it: this record must not be written.
        txn.rollback().await?;
        if let Some(existing) = by_client_id(db, enterprise_id, &claim.client_id).await? {
            return Ok(Written::Duplicate(existing));
        }
        return Err(ApiError::new(
            ErrorCode::UploadIncomplete,
            "the upload expired before it was recorded; upload again",
        ));
    }
    sync::record(&txn, enterprise_id, Kind::Evidence, inserted.id).await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "evidence.upload", "evidence").object(inserted.id).enterprise(enterprise_id).detail(
            format!(
                "{} {} {} bytes sha256 {} for {} {}",
                upload_path,
                photo.kind.content_type(),
                photo.size_bytes,
                photo.sha256,
                claim.owner_kind.as_str(),
                claim.owner_id
            ),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Written::Created(inserted))
}

/// Deletes objects an unrecorded upload wrote; what fails here the sweep retries.
pub(super) async fn discard(store: &dyn ObjectStore, keys: &[&ObjectKey]) {
    for k in keys {
        if let Err(e) = store.delete(k).await {
            tracing::warn!("cannot delete {k} of an unrecorded upload (the sweep retries): {e}");
        }
    }
}

/// One record in the caller's scope (an enterprise account its own, a bureau its
/// region), filtered in SQL; anything else reads as not found.
pub async fn find_scoped(state: &AppState, caller: &Caller, id: i64) -> Result<Evidence, ApiError> {
    rows::in_scope(&state.db, caller, id).await
}

/// The evidence of the given owners within an enterprise, oldest first per owner; for
/// findings, rectification and report code.
pub async fn of_owners(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    owner_kind: OwnerKind,
    owner_ids: &[i64],
) -> Result<Vec<EvidenceView>, DbErr> {
    let found = rows::of_owners(db, enterprise_id, owner_kind.as_str(), owner_ids).await?;
    Ok(found.into_iter().map(EvidenceView::from).collect())
}

/// The display copy (JPEG without EXIF) of evidence `id` of `enterprise_id`, e.g. to
/// embed in a report; `None` when there is no such record in that enterprise.
pub async fn display_bytes(
    db: &impl ConnectionTrait,
    store: &dyn ObjectStore,
    enterprise_id: i64,
    id: i64,
) -> Result<Option<Vec<u8>>, ApiError> {
    match rows::in_enterprise(db, enterprise_id, id).await? {
        Some(r) => object(store, &r.display_key).await.map(Some),
        None => Ok(None),
    }
}

/// The original of a record in the caller's scope, byte-exact, with the record (its
/// type is `content_type`).
pub async fn original_in_scope(state: &AppState, caller: &Caller, id: i64) -> Result<(Evidence, Vec<u8>), ApiError> {
    let row = find_scoped(state, caller, id).await?;
    let bytes = object(state.store.as_ref(), &row.storage_key).await?;
    Ok((row, bytes))
}

/// The display copy (`image/jpeg`) of a record in the caller's scope.
pub async fn display_in_scope(state: &AppState, caller: &Caller, id: i64) -> Result<Vec<u8>, ApiError> {
    let row = find_scoped(state, caller, id).await?;
    object(state.store.as_ref(), &row.display_key).await
}

/// An object a record points at; its absence is a broken invariant, not a 404.
pub(super) async fn object(store: &dyn ObjectStore, key: &str) -> Result<Vec<u8>, ApiError> {
    let key = ObjectKey::new(key).map_err(ApiError::internal)?;
    match store.get(&key).await.map_err(super::unavailable)? {
        Some(bytes) => Ok(bytes),
        None => Err(ApiError::internal(anyhow::anyhow!("evidence object {key} is missing from the store"))),
    }
}

/// Both keys of a stored record.
pub(super) fn keys_of_row(original: &str) -> Result<EvidenceKeys, ApiError> {
    ObjectKey::new(original).and_then(keys_of).map_err(ApiError::internal)
}
