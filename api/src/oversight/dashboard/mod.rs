//! The bureaus' dashboard (`/gov/dashboard/…`): a city's or a province's progress
//! against the programme targets, always within the caller's region (in SQL), from
//! the per-enterprise roll-up `enterprise_progress`, cached per region and invalidated
//! by the writes that change it. Its reads may be served by a replica
//! (`platform::replica`); the cache's invalidation reads the primary.

mod enterprises;
mod feedback;
mod summary;

pub use crate::platform::cache::DashboardCache;
pub use enterprises::{EnterprisePage, EnterpriseProgress, ListQuery, list};
pub use feedback::{AreaFeedback, Feedback, ItemFeedback, Marks, feedback};
pub use summary::{CityProgress, Count, NewUnits, Progress, Summary, summary};

use crate::error::{ApiError, ErrorCode};
use crate::identity::{Caller, Scope};
use crate::platform::events::{Event, Events};
use crate::state::AppState;
use crate::store::enterprises as enterprise_rows;

/// The caller's region and its prefix, narrowed to `region` when given (it must lie
/// inside the caller's; anything else reads as not found).
pub fn region_of(caller: &Caller, region: Option<&str>) -> Result<(String, String), ApiError> {
    let Scope::Region(r) = caller.scope else {
        return Err(ApiError::new(ErrorCode::Forbidden, "the dashboard is for bureaus of a region"));
    };
    let own = r.scope_prefix();
    match region {
        None => Ok((r.to_string(), own)),
        Some(code) => {
            let parsed = zhicha_engine::RegionCode::parse(code)
                .map_err(|_| ApiError::field(ErrorCode::InvalidQuery, "region", "a 6-digit GB/T 2260 code"))?;
            let prefix = parsed.scope_prefix();
            if !prefix.starts_with(&own) {
                return Err(ApiError::field(ErrorCode::NotFound, "region", "not within your jurisdiction"));
            }
            Ok((parsed.to_string(), prefix))
        }
    }
}

/// The summary, from the cache when nothing changed since it was computed, else read
/// from the replica when it is within its lag bound.
pub async fn cached_summary(state: &AppState, region: &str, prefix: &str) -> Result<Summary, ApiError> {
    let days = state.settings.imports.new_unit_days;
    let compute = state.read.run(async |db| Ok(summary::summary_with(db, region, prefix, days).await?));
    state.dashboard.cached_within(prefix, "summary", compute).await
}

/// The recommended-item feedback, from the cache when nothing changed since, else read
/// from the replica when it is within its lag bound.
pub async fn cached_feedback(state: &AppState, region: &str, prefix: &str) -> Result<Feedback, ApiError> {
    let compute = state.read.run(async |db| Ok(feedback(db, &state.hazards, region, prefix).await?));
    state.dashboard.cached_within(prefix, "feedback", compute).await
}

/// Subscribes the dashboard cache to the writes that change its figures.
pub fn subscribe(events: &mut Events<AppState>) {
    events.subscribe(|state, event| {
        let state = state.clone();
        Box::pin(async move {
            match event {
                Event::FiguresChanged { region: Some(r), .. } => state.dashboard.touch(r.as_str()).await,
                Event::FiguresChanged { enterprise_id, region: None } => touch_enterprise(&state, enterprise_id).await,
                _ => {}
            }
        })
    });
}

/// A write changed something of `enterprise_id`: its region's answers are stale.
pub async fn touch_enterprise(state: &AppState, enterprise_id: i64) {
    match enterprise_rows::by_id(&state.db, enterprise_id).await {
        Ok(Some(e)) => {
            if let Some(r) = e.region_code {
                state.dashboard.touch(&r).await;
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!("dashboard cache: cannot read enterprise {enterprise_id}: {e}"),
    }
}
