//! Seed data (not migrations): the demo city.

pub mod demo;
pub mod demo_files;
pub mod generate;

use sea_orm::{DatabaseConnection, DbErr};

use crate::store::enterprises;

/// True when no enterprise exists yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(enterprises::count(db).await? == 0)
}
