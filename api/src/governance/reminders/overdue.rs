//! Findings whose deadline day has ended become `overdue`, by the system, with a
//! history row, through the same state machine and write path as people's actions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use zhicha_engine::findings::local_date;

use crate::entities::{findings, rectifications};
use crate::error::ApiError;
use crate::state::AppState;

/// Marks every `to_rectify` finding past its deadline; returns how many it marked.
pub async fn mark_overdue(state: &AppState, now: DateTime<Utc>) -> Result<u64, ApiError> {
    Ok(mark_overdue_of(state, now).await?.0)
}

/// [`mark_overdue`], with the enterprises whose findings it marked.
pub async fn mark_overdue_of(state: &AppState, now: DateTime<Utc>) -> Result<(u64, BTreeSet<i64>), ApiError> {
    let mut touched = BTreeSet::new();
    let today = local_date(now);
    let late = rectifications::Entity::find()
        .select_only()
        .column(rectifications::Column::FindingId)
        .filter(rectifications::Column::Deadline.lt(today))
        .filter(rectifications::Column::Status.is_in(["open", "rejected"]))
        .into_tuple::<i64>()
        .all(&state.db)
        .await?;
    let mut marked = 0;
    for chunk in late.chunks(500) {
        let due = findings::Entity::find()
            .filter(findings::Column::Id.is_in(chunk.to_vec()))
            .filter(findings::Column::State.eq("to_rectify"))
            .all(&state.db)
            .await?;
        for f in due {
            if crate::selfcheck::findings::mark_overdue(state, &f, now).await? {
                marked += 1;
                touched.insert(f.enterprise_id);
            }
        }
    }
    Ok((marked, touched))
}
