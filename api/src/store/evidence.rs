//! Photo evidence (`evidence`) and the intents that guard an upload's objects until its
//! record is written (`upload_intents`).

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use crate::domain::Caller;
use crate::entities::{enterprises, evidence, upload_intents};
use crate::error::ApiError;
use crate::store::scope;

pub type Evidence = evidence::Model;
pub type UploadIntent = upload_intents::Model;

/// One record in the caller's scope (an enterprise account its own, a bureau its
/// region; a responsible person only the photos of findings assigned to them), filtered
/// in SQL; anything else reads as not found.
pub async fn in_scope(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Evidence, ApiError> {
    let in_scope = scope::enterprises(caller)?.select_only().column(enterprises::Column::Id).into_query();
    evidence::Entity::find_by_id(id)
        .filter(evidence::Column::EnterpriseId.in_subquery(in_scope))
        .filter(scope::evidence(caller))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("evidence"))
}

/// Record `id` if it is the enterprise's.
pub async fn in_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<Option<Evidence>, DbErr> {
    evidence::Entity::find_by_id(id).filter(evidence::Column::EnterpriseId.eq(enterprise_id)).one(db).await
}

/// The enterprise's record of the photo the phone named `client_id`.
pub async fn by_client_id(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    client_id: &str,
) -> Result<Option<Evidence>, DbErr> {
    evidence::Entity::find()
        .filter(evidence::Column::EnterpriseId.eq(enterprise_id))
        .filter(evidence::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// The records of the given owners (`finding` or `inspection_item`) within an
/// enterprise, oldest first per owner.
pub async fn of_owners(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    owner_kind: &str,
    owner_ids: &[i64],
) -> Result<Vec<Evidence>, DbErr> {
    let mut out = Vec::new();
    // Bounded IN lists: SQLite caps bound parameters.
    for chunk in owner_ids.chunks(500) {
        let rows = evidence::Entity::find()
            .filter(evidence::Column::EnterpriseId.eq(enterprise_id))
            .filter(evidence::Column::OwnerKind.eq(owner_kind))
            .filter(evidence::Column::OwnerId.is_in(chunk.iter().copied()))
            .order_by_asc(evidence::Column::OwnerId)
            .order_by_asc(evidence::Column::Id)
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// A photo's record as written once its objects are stored.
#[derive(Debug)]
pub struct NewEvidence {
    pub enterprise_id: i64,
    pub client_id: String,
    pub owner_kind: String,
    pub owner_id: i64,
    pub phase: String,
    /// `multipart` or `presigned`.
    pub upload_path: String,
    pub storage_key: String,
    pub display_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub received_at: DateTime<FixedOffset>,
    pub captured_at: Option<DateTime<FixedOffset>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub exif_taken_at: Option<DateTime<FixedOffset>>,
    pub exif_latitude: Option<f64>,
    pub exif_longitude: Option<f64>,
    pub flags: serde_json::Value,
    pub uploaded_by: i64,
    pub at: DateTime<FixedOffset>,
}

/// Inserts the record; a second record of the same `client_id` fails on the unique key.
pub async fn insert(db: &impl ConnectionTrait, e: NewEvidence) -> Result<Evidence, DbErr> {
    evidence::ActiveModel {
        created_at: Set(e.at),
        enterprise_id: Set(e.enterprise_id),
        client_id: Set(e.client_id),
        owner_kind: Set(e.owner_kind),
        owner_id: Set(e.owner_id),
        phase: Set(e.phase),
        upload_path: Set(e.upload_path),
        storage_key: Set(e.storage_key),
        display_key: Set(e.display_key),
        content_type: Set(e.content_type),
        size_bytes: Set(e.size_bytes),
        sha256: Set(e.sha256),
        width: Set(e.width),
        height: Set(e.height),
        received_at: Set(e.received_at),
        captured_at: Set(e.captured_at),
        latitude: Set(e.latitude),
        longitude: Set(e.longitude),
        exif_taken_at: Set(e.exif_taken_at),
        exif_latitude: Set(e.exif_latitude),
        exif_longitude: Set(e.exif_longitude),
        flags: Set(e.flags),
        uploaded_by: Set(e.uploaded_by),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// What an upload intent says about the photo to come; renewed when the phone asks
/// again.
#[derive(Debug)]
pub struct IntentTerms {
    pub user_id: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub owner_kind: String,
    pub owner_id: i64,
    pub phase: String,
    pub captured_at: Option<DateTime<FixedOffset>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub expires_at: DateTime<FixedOffset>,
}

fn with_terms(mut row: upload_intents::ActiveModel, t: IntentTerms) -> upload_intents::ActiveModel {
    row.user_id = Set(t.user_id);
    row.content_type = Set(t.content_type);
    row.size_bytes = Set(t.size_bytes);
    row.owner_kind = Set(t.owner_kind);
    row.owner_id = Set(t.owner_id);
    row.phase = Set(t.phase);
    row.captured_at = Set(t.captured_at);
    row.latitude = Set(t.latitude);
    row.longitude = Set(t.longitude);
    row.expires_at = Set(t.expires_at);
    row.committed_at = Set(None);
    row
}

/// A new, uncommitted intent naming the object `object_key`.
pub async fn insert_intent(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    client_id: &str,
    object_key: &str,
    terms: IntentTerms,
    at: DateTime<FixedOffset>,
) -> Result<UploadIntent, DbErr> {
    let row = upload_intents::ActiveModel {
        created_at: Set(at),
        enterprise_id: Set(enterprise_id),
        client_id: Set(client_id.to_string()),
        object_key: Set(object_key.to_string()),
        ..Default::default()
    };
    with_terms(row, terms).insert(db).await
}

/// The intent again, with new terms and uncommitted.
pub async fn renew_intent(
    db: &impl ConnectionTrait,
    intent: UploadIntent,
    terms: IntentTerms,
) -> Result<UploadIntent, DbErr> {
    with_terms(intent.into_active_model(), terms).update(db).await
}

/// The enterprise's intent of the photo the phone named `client_id`.
pub async fn intent_by_client_id(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    client_id: &str,
) -> Result<Option<UploadIntent>, DbErr> {
    upload_intents::Entity::find()
        .filter(upload_intents::Column::EnterpriseId.eq(enterprise_id))
        .filter(upload_intents::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// The enterprise's direct-upload intent `id` (multipart guards are not the client's
/// to commit), if it is for a photo the caller sees: a responsible person neither
/// commits nor replays (and so reads) a photo of a finding not assigned to them.
pub async fn direct_intent(
    db: &impl ConnectionTrait,
    caller: &Caller,
    enterprise_id: i64,
    id: i64,
) -> Result<Option<UploadIntent>, DbErr> {
    upload_intents::Entity::find_by_id(id)
        .filter(upload_intents::Column::EnterpriseId.eq(enterprise_id))
        .filter(scope::photos(caller, upload_intents::Column::OwnerKind, upload_intents::Column::OwnerId))
        .filter(upload_intents::Column::ClientId.not_like("multipart:%"))
        .one(db)
        .await
}

/// Removes intent `id`; how many rows went (0 or 1).
pub async fn delete_intent(db: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(upload_intents::Entity::delete_by_id(id).exec(db).await?.rows_affected)
}

/// Marks intent `id` committed unless it already is; how many rows changed (0 or 1).
pub async fn commit_intent(db: &impl ConnectionTrait, id: i64, at: DateTime<FixedOffset>) -> Result<u64, DbErr> {
    Ok(upload_intents::Entity::update_many()
        .col_expr(upload_intents::Column::CommittedAt, Expr::value(at))
        .filter(upload_intents::Column::Id.eq(id))
        .filter(upload_intents::Column::CommittedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// At most `limit` uncommitted intents that expired before `before`, oldest first.
pub async fn abandoned_intents(
    db: &impl ConnectionTrait,
    before: DateTime<FixedOffset>,
    limit: u64,
) -> Result<Vec<UploadIntent>, DbErr> {
    upload_intents::Entity::find()
        .filter(upload_intents::Column::CommittedAt.is_null())
        .filter(upload_intents::Column::ExpiresAt.lt(before))
        .order_by_asc(upload_intents::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Removes intent `id` if it is still uncommitted; how many rows went (0 or 1).
pub async fn delete_uncommitted_intent(db: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(upload_intents::Entity::delete_many()
        .filter(upload_intents::Column::Id.eq(id))
        .filter(upload_intents::Column::CommittedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes the committed intents that expired before `before`; how many went.
pub async fn delete_committed_intents(db: &impl ConnectionTrait, before: DateTime<FixedOffset>) -> Result<u64, DbErr> {
    Ok(upload_intents::Entity::delete_many()
        .filter(upload_intents::Column::CommittedAt.is_not_null())
        .filter(upload_intents::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// The photos of finding `finding_id` of the enterprise, oldest first.
pub async fn of_finding(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    finding_id: i64,
) -> Result<Vec<Evidence>, DbErr> {
    evidence::Entity::find()
        .filter(evidence::Column::EnterpriseId.eq(enterprise_id))
        .filter(evidence::Column::OwnerKind.eq("finding"))
        .filter(evidence::Column::OwnerId.eq(finding_id))
        .order_by_asc(evidence::Column::Id)
        .all(db)
        .await
}

/// How many of `ids` are photos of finding `finding_id` of the enterprise in one of
/// `phases`.
pub async fn count_of_finding(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    finding_id: i64,
    ids: &[i64],
    phases: &[&str],
) -> Result<u64, DbErr> {
    evidence::Entity::find()
        .filter(evidence::Column::Id.is_in(ids.to_vec()))
        .filter(evidence::Column::EnterpriseId.eq(enterprise_id))
        .filter(evidence::Column::OwnerKind.eq("finding"))
        .filter(evidence::Column::OwnerId.eq(finding_id))
        .filter(evidence::Column::Phase.is_in(phases.to_vec()))
        .count(db)
        .await
}

/// The before and after photos of these findings, oldest first (the findings were
/// read in scope).
pub async fn before_after_of_findings(
    db: &impl ConnectionTrait,
    finding_ids: Vec<i64>,
) -> Result<Vec<Evidence>, DbErr> {
    evidence::Entity::find()
        .filter(evidence::Column::OwnerKind.eq("finding"))
        .filter(evidence::Column::OwnerId.is_in(finding_ids))
        .filter(evidence::Column::Phase.is_in(["before", "after"]))
        .order_by_asc(evidence::Column::Id)
        .all(db)
        .await
}
