//! The programme's key enterprises (工伤预防重点企业): a region's proposal ranked from
//! the risk model, the key-industry table, recent serious accidents and the fund
//! payout (`zhicha_engine::analysis::programme`, over the analysis report's rows and
//! focus score); the bureau's confirmation with removals and additions; enrolment
//! (programme start, half-year checkpoints, the first self-inspection task, the
//! service organisation told through the outbox) and un-enrolment, which keeps the
//! history.

pub mod enrolment;
pub mod proposal;

pub use enrolment::{EndRequest, EnrolmentPage, EnrolmentView};
pub use proposal::{ConfirmRequest, Confirmed, ProposalRequest, ProposalView};

/// Outbox topic: an enterprise enrolled in or leaving the programme, for its service
/// organisation (`payload.event` is `enrolled` or `ended`).
pub const TOPIC: &str = "programme_enrolment";

use crate::error::{ApiError, ErrorCode};

/// A reason as people type it: trimmed, 2-500 characters.
fn reason_of(field: &str, reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if !(2..=500).contains(&r.chars().count()) {
        return Err(ApiError::field(ErrorCode::InvalidField, field, "a reason of 2-500 characters"));
    }
    Ok(r.to_string())
}
