//! Data feeds uploaded over HTTP (`import_feeds`): one row per upload, from `queued`
//! to `done` or `failed`, seen by the uploader's region (bureaus, and a province sees
//! its cities') or organisation (the service organisation).

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::domain::{Caller, Scope};
use crate::entities::import_feeds;
use crate::error::{ApiError, ErrorCode};

pub type Feed = import_feeds::Model;

pub struct NewFeed {
    pub kind: &'static str,
    pub profile: String,
    pub mapping: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
    pub size_bytes: i64,
    pub requested_by: i64,
    pub owner_region: Option<String>,
    pub owner_org: Option<i64>,
}

/// Records an upload as `queued`.
pub async fn insert(db: &impl ConnectionTrait, f: NewFeed) -> Result<Feed, DbErr> {
    let now = Utc::now().fixed_offset();
    import_feeds::ActiveModel {
        created_at: Set(now),
        updated_at: Set(now),
        kind: Set(f.kind.to_string()),
        profile: Set(f.profile),
        mapping: Set(f.mapping),
        file_name: Set(f.file_name),
        file_sha256: Set(f.file_sha256),
        size_bytes: Set(f.size_bytes),
        status: Set("queued".to_string()),
        requested_by: Set(f.requested_by),
        owner_region: Set(f.owner_region),
        owner_org: Set(f.owner_org),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The feeds the caller sees, as a query.
fn visible(caller: &Caller) -> Result<sea_orm::Select<import_feeds::Entity>, ApiError> {
    let q = import_feeds::Entity::find();
    Ok(match caller.scope {
        Scope::Region(r) => q.filter(import_feeds::Column::OwnerRegion.starts_with(r.scope_prefix())),
        Scope::ServiceOrg(org) => q.filter(import_feeds::Column::OwnerOrg.eq(org)),
        _ => {
            return Err(ApiError::new(ErrorCode::Forbidden, "data feeds are for bureaus and the service organisation"));
        }
    })
}

/// Feed `id` if the caller sees it.
pub async fn one(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Feed, ApiError> {
    visible(caller)?.filter(import_feeds::Column::Id.eq(id)).one(db).await?.ok_or_else(|| ApiError::not_found("import"))
}

/// A page (1-based) of the feeds the caller sees, newest first, and how many in all.
pub async fn page(
    db: &impl ConnectionTrait,
    caller: &Caller,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<Feed>), ApiError> {
    let pages = visible(caller)?.order_by_desc(import_feeds::Column::Id).paginate(db, per_page);
    let total = pages.num_items().await?;
    Ok((total, pages.fetch_page(page - 1).await?))
}

/// Feed `id`, outside any scope (the background job that runs it).
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Feed>, DbErr> {
    import_feeds::Entity::find_by_id(id).one(db).await
}

/// What changes as a feed runs; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct Step {
    pub status: Option<&'static str>,
    pub rows_total: Option<i32>,
    pub rows_done: Option<i32>,
    pub counts: Option<serde_json::Value>,
    pub errors: Option<serde_json::Value>,
    pub message: Option<String>,
    pub run_id: Option<i64>,
    pub finished_at: Option<DateTime<FixedOffset>>,
}

pub async fn advance(db: &impl ConnectionTrait, id: i64, s: Step) -> Result<(), DbErr> {
    let mut m = import_feeds::ActiveModel { id: sea_orm::ActiveValue::Unchanged(id), ..Default::default() };
    m.updated_at = Set(Utc::now().fixed_offset());
    if let Some(v) = s.status {
        m.status = Set(v.to_string());
    }
    if let Some(v) = s.rows_total {
        m.rows_total = Set(v);
    }
    if let Some(v) = s.rows_done {
        m.rows_done = Set(v);
    }
    if let Some(v) = s.counts {
        m.counts = Set(Some(v));
    }
    if let Some(v) = s.errors {
        m.errors = Set(Some(v));
    }
    if let Some(v) = s.message {
        m.message = Set(Some(v));
    }
    if let Some(v) = s.run_id {
        m.run_id = Set(Some(v));
    }
    if let Some(v) = s.finished_at {
        m.finished_at = Set(Some(v));
    }
    m.update(db).await?;
    Ok(())
}

/// Marks `failed` the feeds still queued or running that have not moved since `before`:
/// their file lived only in the memory of a server that stopped.
pub async fn fail_abandoned(db: &impl ConnectionTrait, before: DateTime<FixedOffset>) -> Result<u64, DbErr> {
    let now = Utc::now().fixed_offset();
    let done = import_feeds::Entity::update_many()
        .col_expr(import_feeds::Column::Status, sea_orm::sea_query::Expr::value("failed"))
        .col_expr(
            import_feeds::Column::Message,
            sea_orm::sea_query::Expr::value(
                "the server stopped before the import finished; nothing of it was written: upload the file again",
            ),
        )
        .col_expr(import_feeds::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(import_feeds::Column::FinishedAt, sea_orm::sea_query::Expr::value(now))
        .filter(import_feeds::Column::Status.is_in(["queued", "running"]))
        .filter(import_feeds::Column::UpdatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
