//! Per-enterprise risk scores in the database: refits of the engine's risk model over
//! every enterprise, stored whole and made current in one transaction, and the
//! current score of an enterprise for the API.

pub mod job;
mod refit;

pub use refit::{LOCK_KEY, Refit, Trigger, default_cutoff, refit};

use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{risk, scope};

/// An enterprise's risk as of the current fit.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    pub enterprise_id: i64,
    pub fit_id: i64,
    pub model_version: String,
    /// The model saw accidents before this date.
    pub cutoff: chrono::NaiveDate,
    pub horizon_months: i32,
    pub fitted_at: chrono::DateTime<chrono::FixedOffset>,
    /// Accidents in the history window (12 months before the cutoff).
    pub history_accidents: i32,
    pub history_serious: i32,
    /// Expected accidents over the horizon.
    pub expected_accidents: f64,
    /// Probability of at least one accident over the horizon.
    pub p_any: f64,
    /// Probability of a serious injury or death over the horizon.
    pub p_serious: f64,
    /// Percent of the industry's enterprises scoring lower (0-100).
    pub industry_percentile: Option<f64>,
    /// The same within its region (GB/T 2260).
    pub region_percentile: Option<f64>,
    /// Accident types (GB 6441-86), body parts and jobs the enterprise is most exposed to.
    #[schema(value_type = Object)]
    pub mix: Value,
    /// The factors behind the score, each with its effect.
    #[schema(value_type = Vec<Object>)]
    pub factors: Value,
}

/// The current score of enterprise `id` in the caller's scope (without one, the caller's
/// own); not found until a fit covers it.
pub async fn of_caller(state: &AppState, caller: &Caller, id: Option<i64>) -> Result<RiskView, ApiError> {
    let e = scope::enterprise(&state.db, caller, id).await?;
    current(&state.db, e.id).await?.ok_or_else(|| ApiError::not_found("risk score (no fit yet)"))
}

/// The current score of `enterprise_id`, if a fit covers it. Callers filter the
/// enterprise by scope first.
pub async fn current(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Option<RiskView>, ApiError> {
    let Some(fit) = risk::current_fit(db).await? else {
        return Ok(None);
    };
    let score = risk::score_of(db, fit.id, enterprise_id).await?;
    let Some(s) = score else { return Ok(None) };
    let parse = |t: &str| serde_json::from_str::<Value>(t).map_err(ApiError::internal);
    Ok(Some(RiskView {
        enterprise_id,
        fit_id: fit.id,
        model_version: fit.model_version,
        cutoff: fit.cutoff,
        horizon_months: fit.horizon_months,
        fitted_at: fit.created_at,
        history_accidents: s.history_accidents,
        history_serious: s.history_serious,
        expected_accidents: s.expected_accidents,
        p_any: s.p_any,
        p_serious: s.p_serious,
        industry_percentile: s.industry_percentile,
        region_percentile: s.region_percentile,
        mix: parse(&s.mix)?,
        factors: parse(&s.factors)?,
    }))
}
