//! Findings whose deadline day has ended become `overdue`, by the system, with a
//! history row, through the same state machine and write path as people's actions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use zhicha_engine::findings::local_date;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::findings;

/// Marks every `to_rectify` finding past its deadline; returns how many it marked.
pub async fn mark_overdue(state: &AppState, now: DateTime<Utc>) -> Result<u64, ApiError> {
    Ok(mark_overdue_of(state, now).await?.0)
}

/// [`mark_overdue`], with the enterprises whose findings it marked.
pub async fn mark_overdue_of(state: &AppState, now: DateTime<Utc>) -> Result<(u64, BTreeSet<i64>), ApiError> {
    let mut touched = BTreeSet::new();
    let today = local_date(now);
    let late = findings::past_deadline(&state.db, today).await?;
    let mut marked = 0;
    for chunk in late.chunks(500) {
        let due = findings::to_rectify_among(&state.db, chunk).await?;
        for f in due {
            if crate::selfcheck::findings::mark_overdue(state, &f, now).await? {
                marked += 1;
                touched.insert(f.enterprise_id);
            }
        }
    }
    Ok((marked, touched))
}
