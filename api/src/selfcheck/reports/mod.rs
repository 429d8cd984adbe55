//! The self-inspection report (自查自纠报告): content built from a closed inspection,
//! rendered to PDF, submitted to the HRSS and the emergency bureau of the enterprise's
//! city, each bureau's receipt tracked; a returned version is revised into a new one
//! and every version is kept.

pub mod content;
pub mod pdf;
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub use content::Content;

/// A report version as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub enterprise_id: i64,
    pub inspection_id: i64,
    /// 1, 2, ... per inspection.
    pub version: i32,
    /// The returned version this one revises.
    pub previous_id: Option<i64>,
    /// `draft`, `submitted`, `returned` or `superseded`.
    pub status: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// SHA-256 (hex) of the rendered PDF.
    pub pdf_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub content: Content,
    /// One per addressed bureau once submitted.
    pub receipts: Vec<Receipt>,
}

/// A report version in a list (without its content).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSummary {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub inspection_id: i64,
    pub version: i32,
    pub status: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// One bureau's receipt of a submitted version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub organisation_id: i64,
    pub organisation_name: String,
    /// `hrss_bureau` or `emergency_bureau`.
    pub organisation_kind: String,
    /// `received`, `read` or `returned`.
    pub status: String,
    pub received_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The bureau's comments when it returned the report.
    pub comments: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPage {
    pub items: Vec<ReportSummary>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}
