//! Report use cases: generate, submit, revise (enterprise side); read and return
//! (bureau side). Every write records a sync change and an audit entry in its
//! transaction.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use zhicha_engine::RegionCode;

use super::content::{self, Content, Photo};
use super::pdf::{self, Photos};
use super::{Receipt, Report, ReportPage, ReportSummary};
use crate::entities::{enterprises, inspections, organisations, report_receipts, reports};
use crate::error::{ApiError, ErrorCode};
use crate::identity::service::Origin;
use crate::identity::{Caller, Scope};
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::platform::storage::{ObjectKey, StoreError};
use crate::platform::sync::{self, Kind};
use crate::state::AppState;
use crate::store::scope;

/// The two bureaus a report goes to.
const BUREAUS: [&str; 2] = ["hrss_bureau", "emergency_bureau"];
const MAX_COMMENTS: usize = 2000;

#[track_caller]
fn invalid_state(state: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, message).with_details(json!({ "state": state }))
}

#[track_caller]
fn storage(e: StoreError) -> ApiError {
    let mut err = ApiError::new(ErrorCode::StorageUnavailable, "object storage is unavailable; retry later");
    err.source = Some(e.into());
    err
}

/// Generates the report of a closed inspection of the caller's enterprise: version 1
/// as a draft, or the current draft again from today's records. Returns the report
/// and whether it was created.
pub async fn generate(
    state: &AppState,
    caller: &Caller,
    inspection_id: i64,
    origin: &Origin,
) -> Result<(Report, bool), ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    let inspection = inspections::Entity::find_by_id(inspection_id)
        .filter(inspections::Column::EnterpriseId.eq(enterprise.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))?;
    if inspection.status != "closed" {
        return Err(invalid_state(&inspection.status, "only a closed inspection has a report; close it first"));
    }
    let latest = reports::Entity::find()
        .filter(reports::Column::InspectionId.eq(inspection.id))
        .order_by_desc(reports::Column::Version)
        .one(&state.db)
        .await?;
    match latest.as_ref().map(|r| r.status.as_str()) {
        None | Some("draft") => {}
        Some("returned") => {
            let id = latest.as_ref().map_or(0, |r| r.id);
            return Err(invalid_state(
                "returned",
                format!("the report was returned; revise it (POST /mp/reports/{id}/revise) for a new version"),
            )
            .with_details(json!({ "state": "returned", "report_id": id })));
        }
        Some(other) => {
            return Err(invalid_state(other, "the report has been submitted; it can no longer be regenerated"));
        }
    }
    let now = Utc::now();
    let (content, photos) = content::build(&state.db, &enterprise, &inspection, now).await?;
    let version = latest.as_ref().map_or(1, |r| r.version);
    let bytes = render(state, &content, version, photos).await?;

    let txn = crate::platform::db::begin_write(&state.db).await?;
    let (row, created) = match latest {
        Some(draft) => {
            let mut m: reports::ActiveModel = draft.into();
            m.content = Set(to_json(&content)?);
            m.period_start = Set(content.period.start);
            m.period_end = Set(content.period.end);
            m.created_by = Set(caller.user_id);
            (m.update(&txn).await?, false)
        }
        None => {
            let m = reports::ActiveModel {
                created_at: Set(now.fixed_offset()),
                enterprise_id: Set(enterprise.id),
                inspection_id: Set(inspection.id),
                version: Set(1),
                previous_id: Set(None),
                period_start: Set(content.period.start),
                period_end: Set(content.period.end),
                status: Set("draft".into()),
                content: Set(to_json(&content)?),
                created_by: Set(caller.user_id),
                ..Default::default()
            };
            (m.insert(&txn).await?, true)
        }
    };
    let row = store_pdf(state, &txn, row, bytes).await?;
    sync::record(&txn, enterprise.id, Kind::Report, row.id).await?;
    let entry = Entry::by(caller, origin, "report.generate", "report")
        .object(row.id)
        .enterprise(enterprise.id)
        .detail(format!("inspection {} version {}", inspection.id, row.version));
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    Ok((view(&state.db, row).await?, created))
}

/// Submits a draft to the HRSS and the emergency bureau of the enterprise's city; the
/// returned version it revises becomes superseded.
pub async fn submit(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<Report, ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    let report = own(&state.db, enterprise.id, id).await?;
    if report.status != "draft" {
        return Err(invalid_state(&report.status, "only a draft can be submitted"));
    }
    let bureaus = addressees(&state.db, &enterprise).await?;
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // Conditional on the state read above: two submits at once, one wins.
    let moved = reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("submitted"))
        .col_expr(reports::Column::SubmittedBy, Expr::value(caller.user_id))
        .col_expr(reports::Column::SubmittedAt, Expr::value(now))
        .filter(reports::Column::Id.eq(report.id))
        .filter(reports::Column::Status.eq("draft"))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(invalid_state("submitted", "the report was submitted meanwhile"));
    }
    for org in &bureaus {
        report_receipts::ActiveModel {
            created_at: Set(now),
            report_id: Set(report.id),
            organisation_id: Set(org.id),
            status: Set("received".into()),
            received_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if let Some(previous) = report.previous_id {
        reports::Entity::update_many()
            .col_expr(reports::Column::Status, Expr::value("superseded"))
            .filter(reports::Column::Id.eq(previous))
            .filter(reports::Column::Status.eq("returned"))
            .exec(&txn)
            .await?;
        sync::record(&txn, enterprise.id, Kind::Report, previous).await?;
    }
    sync::record(&txn, enterprise.id, Kind::Report, report.id).await?;
    let names: Vec<&str> = bureaus.iter().map(|o| o.name.as_str()).collect();
    let entry = Entry::by(caller, origin, "report.submit", "report")
        .object(report.id)
        .enterprise(enterprise.id)
        .detail(format!("version {} to {}", report.version, names.join(", ")));
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    // A report submitted can resolve REPORT-LATE; receipts change the dashboard.
    state.publish(Event::TriggerInputsChanged { enterprise_id: enterprise.id }).await;
    state.publish(Event::FiguresChanged { enterprise_id: enterprise.id }).await;
    let row = own(&state.db, enterprise.id, id).await?;
    view(&state.db, row).await
}

/// A returned version revised: version n+1 as a draft, built from today's records.
pub async fn revise(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<Report, ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    let report = own(&state.db, enterprise.id, id).await?;
    if report.status != "returned" {
        return Err(invalid_state(&report.status, "only a returned report can be revised"));
    }
    let later = reports::Entity::find()
        .filter(reports::Column::InspectionId.eq(report.inspection_id))
        .filter(reports::Column::Version.gt(report.version))
        .one(&state.db)
        .await?;
    if let Some(later) = later {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("version {} (report {}) already revises this one", later.version, later.id),
        )
        .with_details(json!({ "report_id": later.id })));
    }
    let inspection = inspections::Entity::find_by_id(report.inspection_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))?;
    let now = Utc::now();
    let (content, photos) = content::build(&state.db, &enterprise, &inspection, now).await?;
    let version = report.version + 1;
    let bytes = render(state, &content, version, photos).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let row = reports::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(enterprise.id),
        inspection_id: Set(inspection.id),
        version: Set(version),
        previous_id: Set(Some(report.id)),
        period_start: Set(content.period.start),
        period_end: Set(content.period.end),
        status: Set("draft".into()),
        content: Set(to_json(&content)?),
        created_by: Set(caller.user_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let row = store_pdf(state, &txn, row, bytes).await?;
    sync::record(&txn, enterprise.id, Kind::Report, row.id).await?;
    let entry = Entry::by(caller, origin, "report.revise", "report")
        .object(row.id)
        .enterprise(enterprise.id)
        .detail(format!("version {version} revises report {}", report.id));
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    view(&state.db, row).await
}

/// The caller's enterprise's report versions, newest inspection and version first.
pub async fn list_own(state: &AppState, caller: &Caller) -> Result<Vec<ReportSummary>, ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    let rows = reports::Entity::find()
        .filter(reports::Column::EnterpriseId.eq(enterprise.id))
        .order_by_desc(reports::Column::InspectionId)
        .order_by_desc(reports::Column::Version)
        .all(&state.db)
        .await?;
    Ok(rows.into_iter().map(|r| summary(r, &enterprise.name)).collect())
}

pub async fn get_own(state: &AppState, caller: &Caller, id: i64) -> Result<Report, ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    view(&state.db, own(&state.db, enterprise.id, id).await?).await
}

pub async fn pdf_own(state: &AppState, caller: &Caller, id: i64) -> Result<Vec<u8>, ApiError> {
    let enterprise = scope::enterprise(&state.db, caller, None).await?;
    pdf_bytes(state, &own(&state.db, enterprise.id, id).await?).await
}

/// Submitted versions (never drafts) of enterprises in the bureau's jurisdiction;
/// `status` filters on the version's status.
pub async fn gov_list(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
    (page, per_page): (u64, u64),
) -> Result<ReportPage, ApiError> {
    if let Some(s) = status
        && !["submitted", "returned", "superseded"].contains(&s)
    {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "status", "status: submitted, returned or superseded"));
    }
    let mut q = visible(caller)?;
    if let Some(s) = status {
        q = q.filter(reports::Column::Status.eq(s));
    }
    let pages = q
        .order_by_desc(reports::Column::SubmittedAt)
        .order_by_desc(reports::Column::Id)
        .find_also_related(enterprises::Entity)
        .paginate(&state.db, per_page);
    let total = pages.num_items().await?;
    let items = pages
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|(r, e)| summary(r, &e.map(|e| e.name).unwrap_or_default()))
        .collect();
    Ok(ReportPage { items, page, per_page, total })
}

/// A report in the bureau's jurisdiction. The first read by a bureau it is addressed
/// to marks that bureau's receipt as read.
pub async fn gov_get(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<Report, ApiError> {
    let report = visible_one(state, caller, id).await?;
    if let Some(receipt) = addressed(&state.db, caller, report.id).await?
        && receipt.status == "received"
    {
        let now = Utc::now().fixed_offset();
        let txn = crate::platform::db::begin_write(&state.db).await?;
        let moved = report_receipts::Entity::update_many()
            .col_expr(report_receipts::Column::Status, Expr::value("read"))
            .col_expr(report_receipts::Column::ReadAt, Expr::value(now))
            .col_expr(report_receipts::Column::ReadBy, Expr::value(caller.user_id))
            .filter(report_receipts::Column::Id.eq(receipt.id))
            .filter(report_receipts::Column::Status.eq("received"))
            .exec(&txn)
            .await?;
        // Someone of the same bureau read it a moment earlier: nothing to record.
        if moved.rows_affected > 0 {
            sync::record(&txn, report.enterprise_id, Kind::Report, report.id).await?;
            let entry = Entry::by(caller, origin, "report.read", "report")
                .object(report.id)
                .enterprise(report.enterprise_id)
                .detail(format!("version {}", report.version));
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
    }
    view(&state.db, report).await
}

pub async fn gov_pdf(state: &AppState, caller: &Caller, id: i64) -> Result<Vec<u8>, ApiError> {
    pdf_bytes(state, &visible_one(state, caller, id).await?).await
}

/// The addressed bureau returns the report with comments; the enterprise revises it.
pub async fn gov_return(
    state: &AppState,
    caller: &Caller,
    id: i64,
    comments: &str,
    origin: &Origin,
) -> Result<Report, ApiError> {
    let comments = comments.trim();
    if comments.is_empty() || comments.chars().count() > MAX_COMMENTS {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "comments",
            "comments: 1-2000 characters saying what to change",
        ));
    }
    let report = visible_one(state, caller, id).await?;
    let receipt = addressed(&state.db, caller, report.id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "the report is not addressed to your organisation"))?;
    if !["submitted", "returned"].contains(&report.status.as_str()) {
        return Err(invalid_state(&report.status, "only the current submitted version can be returned"));
    }
    if receipt.status == "returned" {
        return Err(invalid_state("returned", "your bureau has already returned this version"));
    }
    let now = Utc::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let mut r: report_receipts::ActiveModel = receipt.clone().into();
    r.status = Set("returned".into());
    r.returned_at = Set(Some(now));
    r.returned_by = Set(Some(caller.user_id));
    r.comments = Set(Some(comments.to_string()));
    if receipt.read_at.is_none() {
        r.read_at = Set(Some(now));
        r.read_by = Set(Some(caller.user_id));
    }
    r.update(&txn).await?;
    reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("returned"))
        .filter(reports::Column::Id.eq(report.id))
        .filter(reports::Column::Status.is_in(["submitted", "returned"]))
        .exec(&txn)
        .await?;
    sync::record(&txn, report.enterprise_id, Kind::Report, report.id).await?;
    let entry = Entry::by(caller, origin, "report.return", "report")
        .object(report.id)
        .enterprise(report.enterprise_id)
        .detail(format!("version {}", report.version));
    audit::append(&txn, entry).await?;
    txn.commit().await?;
    let row = visible_one(state, caller, id).await?;
    view(&state.db, row).await
}

async fn own(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<reports::Model, ApiError> {
    reports::Entity::find_by_id(id)
        .filter(reports::Column::EnterpriseId.eq(enterprise_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("report"))
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

async fn visible_one(state: &AppState, caller: &Caller, id: i64) -> Result<reports::Model, ApiError> {
    visible(caller)?
        .filter(reports::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("report"))
}

/// The caller's organisation's receipt of the report, if it was addressed to it.
async fn addressed(
    db: &impl ConnectionTrait,
    caller: &Caller,
    report_id: i64,
) -> Result<Option<report_receipts::Model>, ApiError> {
    let Some(org) = caller.organisation_id else { return Ok(None) };
    Ok(report_receipts::Entity::find()
        .filter(report_receipts::Column::ReportId.eq(report_id))
        .filter(report_receipts::Column::OrganisationId.eq(org))
        .one(db)
        .await?)
}

/// The HRSS and the emergency bureau whose region covers the enterprise: those of its
/// city (the province's for a county directly under the province). Both must exist.
async fn addressees(
    db: &impl ConnectionTrait,
    enterprise: &enterprises::Model,
) -> Result<Vec<organisations::Model>, ApiError> {
    let region = enterprise.region_code.as_deref().and_then(|r| RegionCode::parse(r).ok());
    let Some(region) = region else {
        return Err(ApiError::new(ErrorCode::Conflict, "the enterprise has no region code, so no bureau to submit to"));
    };
    let city = match region.level() {
        zhicha_engine::region_code::RegionLevel::County => region.parent().unwrap_or(region),
        _ => region,
    };
    let mut found = Vec::with_capacity(BUREAUS.len());
    let mut missing = Vec::new();
    for kind in BUREAUS {
        let org = organisations::Entity::find()
            .filter(organisations::Column::Kind.eq(kind))
            .filter(organisations::Column::RegionCode.eq(city.to_string()))
            .order_by_asc(organisations::Column::Id)
            .one(db)
            .await?;
        match org {
            Some(o) => found.push(o),
            None => missing.push(kind),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("no {} registered for region {city}; the report cannot be submitted", missing.join(" and ")),
        )
        .with_details(json!({ "region": city.to_string(), "missing": missing })));
    }
    Ok(found)
}

fn to_json(content: &Content) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(content).map_err(ApiError::internal)
}

/// Renders off the async workers: shaping and subsetting a CJK font is CPU work.
async fn render(
    state: &AppState,
    content: &Content,
    version: i32,
    photos: HashMap<i64, (Vec<Photo>, Vec<Photo>)>,
) -> Result<Vec<u8>, ApiError> {
    let per_phase = state.settings.reports.photos_per_phase;
    let mut loaded: Photos = HashMap::new();
    for (finding, (before, after)) in photos {
        let b = load_photos(state, &before, per_phase).await?;
        let a = load_photos(state, &after, per_phase).await?;
        loaded.insert(finding, (b, a));
    }
    let settings = state.settings.reports.clone();
    let content = content.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let font = crate::platform::pdf::load_font(&settings.font_path, settings.font_index)?;
        pdf::render(&content, version, &loaded, &font)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(bytes)
}

async fn load_photos(state: &AppState, photos: &[Photo], limit: usize) -> Result<Vec<Vec<u8>>, ApiError> {
    let mut out = Vec::new();
    for p in photos.iter().take(limit) {
        let key = ObjectKey::new(p.display_key.clone()).map_err(ApiError::internal)?;
        match state.store.get(&key).await.map_err(storage)? {
            Some(bytes) => out.push(bytes),
            None => tracing::warn!(evidence = p.id, key = %key, "display copy missing; left out of the report"),
        }
    }
    Ok(out)
}

/// Stores the PDF under `reports/{enterprise}/{report}.pdf` and records its digest, in
/// the report's transaction: a failed upload leaves no report behind.
async fn store_pdf(
    state: &AppState,
    txn: &DatabaseTransaction,
    row: reports::Model,
    bytes: Vec<u8>,
) -> Result<reports::Model, ApiError> {
    let key = ObjectKey::new(format!("reports/{}/{}.pdf", row.enterprise_id, row.id)).map_err(ApiError::internal)?;
    let digest = hex(&Sha256::digest(&bytes));
    state.store.put(&key, bytes, "application/pdf").await.map_err(storage)?;
    let mut m: reports::ActiveModel = row.into();
    m.pdf_key = Set(Some(key.to_string()));
    m.pdf_sha256 = Set(Some(digest));
    Ok(m.update(txn).await?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn pdf_bytes(state: &AppState, report: &reports::Model) -> Result<Vec<u8>, ApiError> {
    let Some(key) = report.pdf_key.as_deref() else { return Err(ApiError::not_found("report PDF")) };
    let key = ObjectKey::new(key).map_err(ApiError::internal)?;
    state.store.get(&key).await.map_err(storage)?.ok_or_else(|| ApiError::not_found("report PDF"))
}

fn summary(r: reports::Model, enterprise_name: &str) -> ReportSummary {
    ReportSummary {
        id: r.id,
        enterprise_id: r.enterprise_id,
        enterprise_name: enterprise_name.to_string(),
        inspection_id: r.inspection_id,
        version: r.version,
        status: r.status,
        period_start: r.period_start,
        period_end: r.period_end,
        created_at: r.created_at.with_timezone(&Utc),
        submitted_at: r.submitted_at.map(|t| t.with_timezone(&Utc)),
    }
}

async fn view(db: &impl ConnectionTrait, r: reports::Model) -> Result<Report, ApiError> {
    let receipts = report_receipts::Entity::find()
        .filter(report_receipts::Column::ReportId.eq(r.id))
        .order_by_asc(report_receipts::Column::Id)
        .find_also_related(organisations::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(rc, org)| Receipt {
            organisation_id: rc.organisation_id,
            organisation_name: org.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            organisation_kind: org.map(|o| o.kind).unwrap_or_default(),
            status: rc.status,
            received_at: rc.received_at.with_timezone(&Utc),
            read_at: rc.read_at.map(|t| t.with_timezone(&Utc)),
            returned_at: rc.returned_at.map(|t| t.with_timezone(&Utc)),
            comments: rc.comments,
        })
        .collect();
    let content: Content = serde_json::from_value(r.content).map_err(ApiError::internal)?;
    Ok(Report {
        id: r.id,
        enterprise_id: r.enterprise_id,
        inspection_id: r.inspection_id,
        version: r.version,
        previous_id: r.previous_id,
        status: r.status,
        period_start: r.period_start,
        period_end: r.period_end,
        pdf_sha256: r.pdf_sha256,
        created_at: r.created_at.with_timezone(&Utc),
        submitted_at: r.submitted_at.map(|t| t.with_timezone(&Utc)),
        content,
        receipts,
    })
}
