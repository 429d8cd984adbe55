//! Each enterprise's running sums for the dashboard (`enterprise_progress`, one row per
//! enterprise).

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::entities::enterprise_progress as progress;

pub type EnterpriseProgress = progress::Model;

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
