//! Keeps `enterprise_progress` current, so the dashboard's sums are never behind what
//! a write committed. A finding's write changes its enterprise's row by a delta in its
//! own transaction ([`apply`], one statement whatever the enterprise's history); the
//! writes that change only the recommendation round's figures (a new round, answers,
//! marks) recount those ([`refresh_round`]); repair recounts the whole row from the
//! records ([`refresh`], [`refresh_all`]).

mod delta;

use chrono::{DateTime, FixedOffset};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

pub use self::delta::{Counted, change, close_bucket, sums_of};
use crate::store::progress::{self as sums, EnterpriseProgress, FindingSums};
use crate::store::{enterprises, findings, rounds};

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Adds `d`, a finding's write's [`change`], to the enterprise's row; nothing to do
/// (no statement) when the write changed no sum, as a draft's.
pub async fn apply(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    d: &FindingSums,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    if *d == FindingSums::default() {
        return Ok(());
    }
    sums::add(db, enterprise_id, d, at).await
}

/// Recounts the enterprise's recommendation-round figures alone (items of its latest
/// round, and how many were answered), for the writes that change only those: a new
/// round, answers, marks. Costs the round's size, not the enterprise's history.
pub async fn refresh_round(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(), DbErr> {
    let (recommended, answered) = round_figures(db, enterprise_id).await?;
    sums::set_round(db, enterprise_id, recommended, answered, crate::domain::clock::now().fixed_offset()).await
}

async fn round_figures(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(i32, i32), DbErr> {
    Ok(match rounds::latest_of(db, enterprise_id).await? {
        Some(r) => (r.item_count, count(rounds::answered(db, r.id).await? as i64)),
        None => (0, 0),
    })
}

/// Recomputes the enterprise's row from its records.
pub async fn refresh(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(), DbErr> {
    let mut s = FindingSums::default();
    for (state, grade, n) in findings::count_by_state_and_grade(db, enterprise_id).await? {
        s = delta::plus(s, sums_of(Counted { state: &state, grade: &grade, closed_in: None }), count(n));
    }
    // Days from report to acceptance of each accepted finding.
    for (r, f) in findings::accepted_of(db, enterprise_id).await? {
        let (Some(at), Some(f)) = (r.accepted_at, f) else { continue };
        if f.state == "accepted" {
            s.close[close_bucket(f.created_at, at)] += 1;
        }
    }
    let (recommended, answered) = round_figures(db, enterprise_id).await?;
    sums::save(
        db,
        EnterpriseProgress {
            enterprise_id,
            recommended,
            answered,
            found: s.found,
            rectified: s.rectified,
            open: s.open,
            overdue: s.overdue,
            major_found: s.major_found,
            major_open: s.major_open,
            major_overdue: s.major_overdue,
            close_le1: s.close[0],
            close_le3: s.close[1],
            close_le7: s.close[2],
            close_le15: s.close[3],
            close_le30: s.close[4],
            close_le60: s.close[5],
            close_gt60: s.close[6],
            updated_at: crate::domain::clock::now().fixed_offset(),
        },
    )
    .await
}

/// Refreshes every enterprise (after an import, or to repair: `zhicha progress
/// refresh`), each in a write transaction of its own that first locks its row, so the
/// writes running meanwhile are neither lost nor counted twice; returns how many.
pub async fn refresh_all(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let ids = enterprises::all_ids(db).await?;
    for id in &ids {
        let txn = crate::platform::db::begin_write(db).await?;
        sums::lock(&txn, *id).await?;
        refresh(&txn, *id).await?;
        txn.commit().await?;
    }
    Ok(ids.len() as u64)
}
