//! Each enterprise's running sums for the dashboard (`enterprise_progress`, one row per
//! enterprise): written whole by a recount, or changed by a delta in the transaction of
//! the finding's write.

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};

use crate::entities::enterprise_progress as progress;

pub type EnterpriseProgress = progress::Model;

/// The findings' part of a row (everything but the recommendation round's figures),
/// as counts or as a change to them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FindingSums {
    pub found: i32,
    pub rectified: i32,
    pub open: i32,
    pub overdue: i32,
    pub major_found: i32,
    pub major_open: i32,
    pub major_overdue: i32,
    /// Accepted findings by days from report to acceptance: ≤1, ≤3, ≤7, ≤15, ≤30,
    /// ≤60, more (the `close_*` columns in that order).
    pub close: [i32; 7],
}

impl FindingSums {
    /// The row's findings columns, paired with their values.
    fn columns(&self) -> [(progress::Column, i32); 14] {
        use progress::Column as C;
        let c = &self.close;
        [
            (C::Found, self.found),
            (C::Rectified, self.rectified),
            (C::Open, self.open),
            (C::Overdue, self.overdue),
            (C::MajorFound, self.major_found),
            (C::MajorOpen, self.major_open),
            (C::MajorOverdue, self.major_overdue),
            (C::CloseLe1, c[0]),
            (C::CloseLe3, c[1]),
            (C::CloseLe7, c[2]),
            (C::CloseLe15, c[3]),
            (C::CloseLe30, c[4]),
            (C::CloseLe60, c[5]),
            (C::CloseGt60, c[6]),
        ]
    }

    /// The findings' part of a stored row.
    pub fn of_row(r: &EnterpriseProgress) -> Self {
        Self {
            found: r.found,
            rectified: r.rectified,
            open: r.open,
            overdue: r.overdue,
            major_found: r.major_found,
            major_open: r.major_open,
            major_overdue: r.major_overdue,
            close: [r.close_le1, r.close_le3, r.close_le7, r.close_le15, r.close_le30, r.close_le60, r.close_gt60],
        }
    }
}

/// Writes the enterprise's row, whole, whether or not it was there.
pub async fn save(db: &impl ConnectionTrait, row: EnterpriseProgress) -> Result<(), DbErr> {
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

/// Adds `d` to the enterprise's findings sums in one statement, whatever the size of
/// its history. No row yet means nothing counted so far (every counted write since the
/// table exists went through here or through [`save`]), so the row starts at `d`.
/// The text is the same for every delta, so the driver's prepared statement is reused.
pub async fn add(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    d: &FindingSums,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    use progress::Column as C;
    let pairs = d.columns();
    let mut cols = vec![C::EnterpriseId];
    let mut values: Vec<Expr> = vec![enterprise_id.into()];
    for (c, v) in pairs {
        cols.push(c);
        values.push(v.into());
    }
    cols.push(C::UpdatedAt);
    values.push(at.into());
    let excluded = Alias::new("excluded");
    let mut on_conflict = OnConflict::column(C::EnterpriseId);
    for (c, _) in pairs {
        on_conflict.value(c, Expr::col((progress::Entity, c)).add(Expr::col((excluded.clone(), c))));
    }
    on_conflict.update_column(C::UpdatedAt);
    let upsert = Query::insert()
        .into_table(progress::Entity)
        .columns(cols)
        .values(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(on_conflict)
        .to_owned();
    db.execute(&upsert).await?;
    Ok(())
}

/// Sets the enterprise's recommendation-round figures, leaving its findings sums as
/// they are (a new row starts them at zero: no row means nothing counted so far).
pub async fn set_round(
    db: &impl ConnectionTrait,
    enterprise_id: i64,
    recommended: i32,
    answered: i32,
    at: DateTime<FixedOffset>,
) -> Result<(), DbErr> {
    use progress::Column as C;
    let upsert = Query::insert()
        .into_table(progress::Entity)
        .columns([C::EnterpriseId, C::Recommended, C::Answered, C::UpdatedAt])
        .values([enterprise_id.into(), recommended.into(), answered.into(), at.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::column(C::EnterpriseId).update_columns([C::Recommended, C::Answered, C::UpdatedAt]).to_owned(),
        )
        .to_owned();
    db.execute(&upsert).await?;
    Ok(())
}

/// Locks the enterprise's row until the end of the transaction (PostgreSQL; a SQLite
/// write transaction holds the database already), so that a recount is not overtaken by
/// a delta: a write that has added its delta is waited for, a later one adds to the
/// recount.
pub async fn lock(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        progress::Entity::find_by_id(enterprise_id).lock_exclusive().one(db).await?;
    }
    Ok(())
}

/// The enterprise's row, if it has one.
pub async fn of(db: &impl ConnectionTrait, enterprise_id: i64) -> Result<Option<EnterpriseProgress>, DbErr> {
    progress::Entity::find_by_id(enterprise_id).one(db).await
}
