//! Keeps `enterprise_progress` current: every write that changes an enterprise's
//! findings, recommendation rounds or answers calls [`refresh`] inside its own
//! transaction, so the dashboard's sums are never behind what it committed.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::{
    enterprise_progress as progress, findings, recommendation_feedback as feedback, recommendation_rounds,
    rectifications,
};

#[derive(FromQueryResult)]
struct StateCount {
    state: String,
    grade: String,
    n: i64,
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Recomputes the enterprise's row from its records.
pub async fn refresh(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(), DbErr> {
    let by_state = findings::Entity::find()
        .select_only()
        .column(findings::Column::State)
        .column(findings::Column::Grade)
        .column_as(findings::Column::Id.count(), "n")
        .filter(findings::Column::EnterpriseId.eq(enterprise_id))
        .group_by(findings::Column::State)
        .group_by(findings::Column::Grade)
        .into_model::<StateCount>()
        .all(db)
        .await?;
    let mut row = progress::Model {
        enterprise_id,
        recommended: 0,
        answered: 0,
        found: 0,
        rectified: 0,
        open: 0,
        overdue: 0,
        major_found: 0,
        major_open: 0,
        major_overdue: 0,
        close_le1: 0,
        close_le3: 0,
        close_le7: 0,
        close_le15: 0,
        close_le30: 0,
        close_le60: 0,
        close_gt60: 0,
        updated_at: Utc::now().fixed_offset(),
    };
    for c in by_state {
        let n = count(c.n);
        let major = c.grade == "major";
        if c.state == "draft" || c.state == "cancelled" {
            continue;
        }
        row.found += n;
        if major {
            row.major_found += n;
        }
        match c.state.as_str() {
            "accepted" => row.rectified += n,
            // Submitted but not yet assigned counts as open: nobody has closed it.
            _ => {
                row.open += n;
                if major {
                    row.major_open += n;
                }
                if c.state == "overdue" {
                    row.overdue += n;
                    if major {
                        row.major_overdue += n;
                    }
                }
            }
        }
    }
    // Days from report to acceptance of each accepted finding.
    let closed = rectifications::Entity::find()
        .filter(rectifications::Column::EnterpriseId.eq(enterprise_id))
        .filter(rectifications::Column::Status.eq("accepted"))
        .find_also_related(findings::Entity)
        .all(db)
        .await?;
    for (r, f) in closed {
        let (Some(at), Some(f)) = (r.accepted_at, f) else { continue };
        if f.state != "accepted" {
            continue;
        }
        let days = (at - f.created_at).num_seconds() as f64 / 86_400.0;
        let slot = match days {
            d if d <= 1.0 => &mut row.close_le1,
            d if d <= 3.0 => &mut row.close_le3,
            d if d <= 7.0 => &mut row.close_le7,
            d if d <= 15.0 => &mut row.close_le15,
            d if d <= 30.0 => &mut row.close_le30,
            d if d <= 60.0 => &mut row.close_le60,
            _ => &mut row.close_gt60,
        };
        *slot += 1;
    }
    let latest = recommendation_rounds::Entity::find()
        .filter(recommendation_rounds::Column::EnterpriseId.eq(enterprise_id))
        .order_by_desc(recommendation_rounds::Column::Id)
        .one(db)
        .await?;
    if let Some(r) = latest {
        row.recommended = r.item_count;
        row.answered =
            count(feedback::Entity::find().filter(feedback::Column::RoundId.eq(r.id)).count(db).await? as i64);
    }
    let active: progress::ActiveModel = row.into();
    let mut cols: Vec<progress::Column> = Vec::new();
    for c in <progress::Column as sea_orm::Iterable>::iter() {
        if !matches!(c, progress::Column::EnterpriseId) {
            cols.push(c);
        }
    }
    progress::Entity::insert(active)
        .on_conflict(OnConflict::column(progress::Column::EnterpriseId).update_columns(cols).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Refreshes every enterprise (after an import, or to repair); returns how many.
pub async fn refresh_all(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let ids: Vec<i64> = crate::entities::enterprises::Entity::find()
        .select_only()
        .column(crate::entities::enterprises::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in &ids {
        refresh(db, *id).await?;
    }
    Ok(ids.len() as u64)
}
