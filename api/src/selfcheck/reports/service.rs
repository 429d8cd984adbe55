//! Report use cases: generate, submit, revise (enterprise side); read and return
//! (bureau side). Every write records a sync change and an audit entry in its
//! transaction.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::json;
use sha2::{Digest, Sha256};
use zhicha_engine::RegionCode;

use super::content::{self, Content, Photo};
use super::pdf::{self, Photos};
use super::{Receipt, Report, ReportPage, ReportSummary};
use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::platform::storage::{ObjectKey, StoreError};
use crate::platform::sync::{self, Kind};
use crate::state::AppState;
use crate::store::enterprises::Enterprise;
use crate::store::organisations::{self, Organisation};
use crate::store::reports::{self as rows, NewReport, Report as Row, ReportReceipt};
use crate::store::{inspections, scope};

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
    let inspection = inspections::of_enterprise(&state.db, enterprise.id, inspection_id)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))?;
    if inspection.status != "closed" {
        return Err(invalid_state(&inspection.status, "only a closed inspection has a report; close it first"));
    }
    let latest = rows::latest_of_inspection(&state.db, inspection.id).await?;
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
    let now = crate::domain::clock::now();
    let (content, photos) = content::build(&state.db, &enterprise, &inspection, now).await?;
    let version = latest.as_ref().map_or(1, |r| r.version);
    let bytes = render(state, &content, version, photos).await?;

    let txn = crate::platform::db::begin_write(&state.db).await?;
    let (row, created) = match latest {
        Some(draft) => {
            let period = (content.period.start, content.period.end);
            (rows::redraft(&txn, draft, to_json(&content)?, period, caller.user_id).await?, false)
        }
        None => {
            let new = NewReport {
                enterprise_id: enterprise.id,
                inspection_id: inspection.id,
                version: 1,
                previous_id: None,
                period_start: content.period.start,
                period_end: content.period.end,
                content: to_json(&content)?,
                created_by: caller.user_id,
                at: now.fixed_offset(),
            };
            (rows::insert(&txn, new).await?, true)
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
    let now = crate::domain::clock::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // Conditional on the state read above: two submits at once, one wins.
    if !rows::submit_if_draft(&txn, report.id, caller.user_id, now).await? {
        return Err(invalid_state("submitted", "the report was submitted meanwhile"));
    }
    for org in &bureaus {
        rows::add_receipt(&txn, report.id, org.id, now).await?;
    }
    if let Some(previous) = report.previous_id {
        rows::supersede_if_returned(&txn, previous).await?;
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
    state.publish(Event::FiguresChanged { enterprise_id: enterprise.id, region: None }).await;
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
    let later = rows::later_than(&state.db, report.inspection_id, report.version).await?;
    if let Some(later) = later {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("version {} (report {}) already revises this one", later.version, later.id),
        )
        .with_details(json!({ "report_id": later.id })));
    }
    let inspection = inspections::of_enterprise(&state.db, enterprise.id, report.inspection_id)
        .await?
        .ok_or_else(|| ApiError::not_found("inspection"))?;
    let now = crate::domain::clock::now();
    let (content, photos) = content::build(&state.db, &enterprise, &inspection, now).await?;
    let version = report.version + 1;
    let bytes = render(state, &content, version, photos).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let new = NewReport {
        enterprise_id: enterprise.id,
        inspection_id: inspection.id,
        version,
        previous_id: Some(report.id),
        period_start: content.period.start,
        period_end: content.period.end,
        content: to_json(&content)?,
        created_by: caller.user_id,
        at: now.fixed_offset(),
    };
    let row = rows::insert(&txn, new).await?;
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
    let all = rows::all_of(&state.db, enterprise.id).await?;
    Ok(all.into_iter().map(|r| summary(r, &enterprise.name)).collect())
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
    let (total, found) = rows::visible_page(&state.db, caller, status, (page, per_page)).await?;
    let items = found.into_iter().map(|(r, e)| summary(r, &e.map(|e| e.name).unwrap_or_default())).collect();
    Ok(ReportPage { items, page, per_page, total })
}

/// A report in the bureau's jurisdiction. The first read by a bureau it is addressed
/// to marks that bureau's receipt as read.
pub async fn gov_get(state: &AppState, caller: &Caller, id: i64, origin: &Origin) -> Result<Report, ApiError> {
    let report = visible_one(state, caller, id).await?;
    if let Some(receipt) = addressed(&state.db, caller, report.id).await?
        && receipt.status == "received"
    {
        let now = crate::domain::clock::now().fixed_offset();
        let txn = crate::platform::db::begin_write(&state.db).await?;
        // Someone of the same bureau read it a moment earlier: nothing to record.
        if rows::read_if_received(&txn, receipt.id, caller.user_id, now).await? {
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
    let now = crate::domain::clock::now().fixed_offset();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    rows::return_receipt(&txn, receipt, caller.user_id, comments, now).await?;
    rows::mark_returned(&txn, report.id).await?;
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

async fn own(db: &impl ConnectionTrait, enterprise_id: i64, id: i64) -> Result<Row, ApiError> {
    rows::of_enterprise(db, enterprise_id, id).await?.ok_or_else(|| ApiError::not_found("report"))
}

async fn visible_one(state: &AppState, caller: &Caller, id: i64) -> Result<Row, ApiError> {
    rows::visible_one(&state.db, caller, id).await
}

/// The caller's organisation's receipt of the report, if it was addressed to it.
async fn addressed(
    db: &impl ConnectionTrait,
    caller: &Caller,
    report_id: i64,
) -> Result<Option<ReportReceipt>, ApiError> {
    let Some(org) = caller.organisation_id else { return Ok(None) };
    Ok(rows::receipt_of(db, report_id, org).await?)
}

/// The HRSS and the emergency bureau whose region covers the enterprise: those of its
/// city (the province's for a county directly under the province). Both must exist.
async fn addressees(db: &impl ConnectionTrait, enterprise: &Enterprise) -> Result<Vec<Organisation>, ApiError> {
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
        let org = organisations::first_row_of_kind_in(db, kind, &city.to_string()).await?;
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
async fn store_pdf(state: &AppState, txn: &DatabaseTransaction, row: Row, bytes: Vec<u8>) -> Result<Row, ApiError> {
    let key = ObjectKey::new(format!("reports/{}/{}.pdf", row.enterprise_id, row.id)).map_err(ApiError::internal)?;
    let digest = hex(&Sha256::digest(&bytes));
    state.store.put(&key, bytes, "application/pdf").await.map_err(storage)?;
    Ok(rows::set_pdf(txn, row, &key.to_string(), &digest).await?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn pdf_bytes(state: &AppState, report: &Row) -> Result<Vec<u8>, ApiError> {
    let Some(key) = report.pdf_key.as_deref() else { return Err(ApiError::not_found("report PDF")) };
    let key = ObjectKey::new(key).map_err(ApiError::internal)?;
    state.store.get(&key).await.map_err(storage)?.ok_or_else(|| ApiError::not_found("report PDF"))
}

fn summary(r: Row, enterprise_name: &str) -> ReportSummary {
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

async fn view(db: &impl ConnectionTrait, r: Row) -> Result<Report, ApiError> {
    let receipts = rows::receipts_of(db, r.id)
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
