//! What the analysis reads: accidents and enterprises as plain rows.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// One work-injury accident (one injured person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccidentRow {
    /// The enterprise's key, as in [`EnterpriseRow::key`].
    pub enterprise: String,
    pub date: NaiveDate,
    /// GB 6441 accident type code (or the source's code); `None` when unknown.
    pub accident_type: Option<String>,
    pub body_part: Option<String>,
    pub injury_nature: Option<String>,
    /// Job code or free text; empty or `None` is the "unknown job" category.
    pub job: Option<String>,
    pub severity: Severity,
    /// Work-injury fund payout in fen (分); `None` when not known.
    pub fund_payout_fen: Option<i64>,
}

/// An enterprise with its headcount at the time of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseRow {
    pub key: String,
    pub name: String,
    /// GB/T 4754 code (`C2614`, `2614`, `E48`); an unparseable code is in no key industry.
    pub industry: String,
    /// 从业人数; `None` when unknown (OSHA has no headcount).
    pub workforce: Option<u64>,
    /// 参加工伤保险人数; `None` when unknown.
    pub insured_workers: Option<u64>,
}

impl AccidentRow {
    /// The job with blanks trimmed and inner runs of whitespace collapsed; `None` when
    /// nothing is left.
    pub fn job_key(&self) -> Option<String> {
        let j = self.job.as_deref()?.split_whitespace().collect::<Vec<_>>().join(" ");
        (!j.is_empty()).then_some(j)
    }
}
