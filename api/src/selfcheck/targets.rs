//! The programme's targets per enterprise, computed live from the records: at least
//! 150 recommended items, at least 50 hazards found, at least 80% of found hazards
//! rectified (accepted, 销号).

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{findings, rounds, scope};

pub const RECOMMENDED_TARGET: u64 = 150;
pub const FOUND_TARGET: u64 = 50;
pub const RECTIFIED_TARGET: f64 = 0.8;

#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub enterprise_id: i64,
    /// Items in the latest recommendation round (target ≥ 150).
    pub recommended: u64,
    /// Recommended items the enterprise has answered.
    pub answered: u64,
    /// Hazards found: findings past draft and not cancelled (target ≥ 50).
    pub found: u64,
    /// Of those, accepted after rectification (销号).
    pub rectified: u64,
    /// rectified / found, when any was found (target ≥ 0.8).
    pub rectified_share: Option<f64>,
    pub recommended_met: bool,
    pub found_met: bool,
    pub rectified_met: bool,
}

/// Targets of `enterprise_id`; callers check the enterprise is in scope first.
pub async fn of(state: &AppState, enterprise_id: i64) -> Result<Targets, ApiError> {
    of_in(&state.db, enterprise_id).await
}

/// The targets of enterprise `id` in the caller's scope (without one, the caller's own).
pub async fn of_caller(state: &AppState, caller: &Caller, id: Option<i64>) -> Result<Targets, ApiError> {
    let e = scope::enterprise(&state.db, caller, id).await?;
    of(state, e.id).await
}

/// [`of`] over any connection (the trigger engine reads it inside its transaction).
pub async fn of_in(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Targets, ApiError> {
    let latest = rounds::latest_of(db, enterprise_id).await?;
    let recommended = latest.as_ref().map_or(0, |r| u64::try_from(r.item_count).unwrap_or(0));
    let answered = match &latest {
        Some(r) => rounds::answered(db, r.id).await?,
        None => 0,
    };
    let found = findings::count_found(db, enterprise_id, false).await?;
    let rectified = findings::count_found(db, enterprise_id, true).await?;
    let rectified_share = (found > 0).then(|| rectified as f64 / found as f64);
    Ok(Targets {
        enterprise_id,
        recommended,
        answered,
        found,
        rectified,
        rectified_share,
        recommended_met: recommended >= RECOMMENDED_TARGET,
        found_met: found >= FOUND_TARGET,
        rectified_met: rectified_share.is_some_and(|s| s >= RECTIFIED_TARGET),
    })
}
