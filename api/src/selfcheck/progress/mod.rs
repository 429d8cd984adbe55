//! Keeps `enterprise_progress` current: every write that changes an enterprise's
//! findings, recommendation rounds or answers calls [`refresh`] inside its own
//! transaction, so the dashboard's sums are never behind what it committed.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};

use crate::store::progress::{self as sums, EnterpriseProgress};
use crate::store::{enterprises, findings, rounds};

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Recomputes the enterprise's row from its records.
pub async fn refresh(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(), DbErr> {
    let by_state = findings::count_by_state_and_grade(db, enterprise_id).await?;
    let mut row = EnterpriseProgress {
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
    for (state, grade, n) in by_state {
        let n = count(n);
        let major = grade == "major";
        if state == "draft" || state == "cancelled" {
            continue;
        }
        row.found += n;
        if major {
            row.major_found += n;
        }
        match state.as_str() {
            "accepted" => row.rectified += n,
            // Submitted but not yet assigned counts as open: nobody has closed it.
            _ => {
                row.open += n;
                if major {
                    row.major_open += n;
                }
                if state == "overdue" {
                    row.overdue += n;
                    if major {
                        row.major_overdue += n;
                    }
                }
            }
        }
    }
    // Days from report to acceptance of each accepted finding.
    let closed = findings::accepted_of(db, enterprise_id).await?;
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
    let latest = rounds::latest_of(db, enterprise_id).await?;
    if let Some(r) = latest {
        row.recommended = r.item_count;
        row.answered = count(rounds::answered(db, r.id).await? as i64);
    }
    sums::save(db, row).await
}

/// Refreshes every enterprise (after an import, or to repair); returns how many.
pub async fn refresh_all(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let ids = enterprises::all_ids(db).await?;
    for id in &ids {
        refresh(db, *id).await?;
    }
    Ok(ids.len() as u64)
}
