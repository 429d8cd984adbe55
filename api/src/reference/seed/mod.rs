//! Seed data (not migrations): the demo city.

pub mod demo;
pub mod demo_files;
pub mod generate;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

use crate::entities::enterprises;

/// True when no enterprise exists yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(enterprises::Entity::find().count(db).await? == 0)
}
