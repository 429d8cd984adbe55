//! Self-inspection reports (`reports`): an enterprise's report for a period.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::domain::{Caller, Scope};
use crate::entities::{enterprises, organisations, report_receipts, reports};
use crate::error::{ApiError, ErrorCode};
use crate::store::enterprises::Enterprise;
use crate::store::organisations::Organisation;
use crate::store::scope;

pub type Report = reports::Model;

/// (period end, submitted at) of the enterprise's submitted reports.
pub async fn submitted_of(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
) -> Result<Vec<(NaiveDate, Option<DateTime<FixedOffset>>)>, DbErr> {
    reports::Entity::find()
        .select_only()
        .columns([reports::Column::PeriodEnd, reports::Column::SubmittedAt])
        .filter(reports::Column::EnterpriseId.eq(enterprise_id))
        .filter(reports::Column::SubmittedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await
}

// The selfcheck context's report versions and the bureaus' receipts of them.

pub type ReportReceipt = report_receipts::Model;

/// Report `id` if it is the enterprise's (drafts included).
pub async fn of_enterprise(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<Option<Report>, DbErr> {
    reports::Entity::find_by_id(id).filter(reports::Column::EnterpriseId.eq(enterprise_id)).one(db).await
}

/// Every version of the enterprise's reports, newest inspection and version first.
pub async fn all_of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Vec<Report>, DbErr> {
    reports::Entity::find()
        .filter(reports::Column::EnterpriseId.eq(enterprise_id))
        .order_by_desc(reports::Column::InspectionId)
        .order_by_desc(reports::Column::Version)
        .all(db)
        .await
}

/// The latest version of the inspection's report.
pub async fn latest_of_inspection(db: &impl ConnectionTrait, inspection_id: i64) -> Result<Option<Report>, DbErr> {
    reports::Entity::find()
        .filter(reports::Column::InspectionId.eq(inspection_id))
        .order_by_desc(reports::Column::Version)
        .one(db)
        .await
}

/// A version of the inspection's report after `version`, if there is one.
pub async fn later_than(db: &impl ConnectionTrait, inspection_id: i64, version: i32) -> Result<Option<Report>, DbErr> {
    reports::Entity::find()
        .filter(reports::Column::InspectionId.eq(inspection_id))
        .filter(reports::Column::Version.gt(version))
        .one(db)
        .await
}

/// Reports a bureau may see: submitted at least once, of an enterprise in its region.
fn visible(caller: &Caller) -> Result<Select<reports::Entity>, ApiError> {
    if !matches!(caller.scope, Scope::Region(_)) {
        return Err(ApiError::new(ErrorCode::Forbidden, "this account has no jurisdiction"));
    }
    let inside = scope::enterprises(caller)?.select_only().column(enterprises::Column::Id).into_query();
    Ok(reports::Entity::find()
        .filter(reports::Column::Status.ne("draft"))
        .filter(reports::Column::EnterpriseId.in_subquery(inside)))
}

/// Report `id` if the bureau may see it.
pub async fn visible_one(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> Result<Report, ApiError> {
    visible(caller)?.filter(reports::Column::Id.eq(id)).one(db).await?.ok_or_else(|| ApiError::not_found("report"))
}

/// (total, page `page` (1-based)) of the reports the bureau may see, of `status` if
/// given, latest submitted first, each with its enterprise.
pub async fn visible_page(
    db: &impl ConnectionTrait,
    caller: &Caller,
    status: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<(u64, Vec<(Report, Option<Enterprise>)>), ApiError> {
    let mut q = visible(caller)?;
    if let Some(s) = status {
        q = q.filter(reports::Column::Status.eq(s));
    }
    let pages = q
        .order_by_desc(reports::Column::SubmittedAt)
        .order_by_desc(reports::Column::Id)
        .find_also_related(enterprises::Entity)
        .paginate(db, per_page);
    let total = pages.num_items().await?;
    Ok((total, pages.fetch_page(page - 1).await?))
}

/// A report version as generated, a draft.
#[derive(Debug)]
pub struct NewReport {
    pub enterprise_id: i64,
    pub inspection_id: i64,
    pub version: i32,
    /// The returned version this one revises.
    pub previous_id: Option<i64>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub content: serde_json::Value,
    pub created_by: i64,
    pub at: DateTime<FixedOffset>,
}

pub async fn insert(db: &impl ConnectionTrait, r: NewReport) -> Result<Report, DbErr> {
    reports::ActiveModel {
        created_at: Set(r.at),
        enterprise_id: Set(r.enterprise_id),
        inspection_id: Set(r.inspection_id),
        version: Set(r.version),
        previous_id: Set(r.previous_id),
        period_start: Set(r.period_start),
        period_end: Set(r.period_end),
        status: Set("draft".into()),
        content: Set(r.content),
        created_by: Set(r.created_by),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The draft generated again: new content and period, by `created_by`.
pub async fn redraft(
    db: &impl ConnectionTrait,
    draft: Report,
    content: serde_json::Value,
    (period_start, period_end): (NaiveDate, NaiveDate),
    created_by: i64,
) -> Result<Report, DbErr> {
    let mut m: reports::ActiveModel = draft.into();
    m.content = Set(content);
    m.period_start = Set(period_start);
    m.period_end = Set(period_end);
    m.created_by = Set(created_by);
    m.update(db).await
}

/// Records where the version's PDF is stored and its SHA-256.
pub async fn set_pdf(db: &impl ConnectionTrait, row: Report, key: &str, sha256: &str) -> Result<Report, DbErr> {
    let mut m: reports::ActiveModel = row.into();
    m.pdf_key = Set(Some(key.to_string()));
    m.pdf_sha256 = Set(Some(sha256.to_string()));
    m.update(db).await
}

/// Submits report `id` if it is still a draft; `false` when it no longer is.
pub async fn submit_if_draft(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    at: DateTime<FixedOffset>,
) -> Result<bool, DbErr> {
    let moved = reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("submitted"))
        .col_expr(reports::Column::SubmittedBy, Expr::value(by))
        .col_expr(reports::Column::SubmittedAt, Expr::value(at))
        .filter(reports::Column::Id.eq(id))
        .filter(reports::Column::Status.eq("draft"))
        .exec(db)
        .await?;
    Ok(moved.rows_affected > 0)
}

/// Report `id` superseded by its revision, if it is still `returned`.
pub async fn supersede_if_returned(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("superseded"))
        .filter(reports::Column::Id.eq(id))
        .filter(reports::Column::Status.eq("returned"))
        .exec(db)
        .await?;
    Ok(())
}

/// Report `id` returned, if it is the current submitted (or returned) version.
pub async fn mark_returned(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("returned"))
        .filter(reports::Column::Id.eq(id))
        .filter(reports::Column::Status.is_in(["submitted", "returned"]))
        .exec(db)
        .await?;
    Ok(())
}

/// The organisation's receipt of a submitted report, `received` now.
pub async fn add_receipt(
    db: &impl ConnectionTrait,
    report_id: i64,
    organisation_id: i64,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    report_receipts::ActiveModel {
        created_at: Set(at),
        report_id: Set(report_id),
        organisation_id: Set(organisation_id),
        status: Set("received".into()),
        received_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The organisation's receipt of the report, if it was addressed to it.
pub async fn receipt_of(
    db: &impl ConnectionTrait,
    report_id: i64,
    organisation_id: i64,
) -> Result<Option<ReportReceipt>, DbErr> {
    report_receipts::Entity::find()
        .filter(report_receipts::Column::ReportId.eq(report_id))
        .filter(report_receipts::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

/// Marks receipt `id` read by `by` if it is still `received`; `false` when someone
/// read it first.
pub async fn read_if_received(
    db: &impl ConnectionTrait,
    id: i64,
    by: i64,
    at: DateTime<FixedOffset>,
) -> Result<bool, DbErr> {
    let moved = report_receipts::Entity::update_many()
        .col_expr(report_receipts::Column::Status, Expr::value("read"))
        .col_expr(report_receipts::Column::ReadAt, Expr::value(at))
        .col_expr(report_receipts::Column::ReadBy, Expr::value(by))
        .filter(report_receipts::Column::Id.eq(id))
        .filter(report_receipts::Column::Status.eq("received"))
        .exec(db)
        .await?;
    Ok(moved.rows_affected > 0)
}

/// The receipt returned by `by` with comments (and read, if it was not yet).
pub async fn return_receipt(
    db: &impl ConnectionTrait,
    receipt: ReportReceipt,
    by: i64,
    comments: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    let unread = receipt.read_at.is_none();
    let mut r: report_receipts::ActiveModel = receipt.into();
    r.status = Set("returned".into());
    r.returned_at = Set(Some(at));
    r.returned_by = Set(Some(by));
    r.comments = Set(Some(comments.to_string()));
    if unread {
        r.read_at = Set(Some(at));
        r.read_by = Set(Some(by));
    }
    r.update(db).await?;
    Ok(())
}

/// The report's receipts in order, each with its organisation.
pub async fn receipts_of(
    db: &impl ConnectionTrait,
    report_id: i64,
) -> Result<Vec<(ReportReceipt, Option<Organisation>)>, DbErr> {
    report_receipts::Entity::find()
        .filter(report_receipts::Column::ReportId.eq(report_id))
        .order_by_asc(report_receipts::Column::Id)
        .find_also_related(organisations::Entity)
        .all(db)
        .await
}
