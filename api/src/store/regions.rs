//! The GB/T 2260 regions that enterprises, bureaus and experts point at, kept in step
//! with the rules.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::regions;

pub type Region = regions::Model;

/// Inserts the regions the table lacks in one statement, in the order given (parents
/// first); the rows already there stay as they are.
pub async fn insert_missing(db: &impl ConnectionTrait, rows: Vec<Region>) -> Result<(), DbErr> {
    let models = rows.into_iter().map(|r| regions::ActiveModel {
        code: Set(r.code),
        name_zh: Set(r.name_zh),
        name_en: Set(r.name_en),
        level: Set(r.level),
        parent_code: Set(r.parent_code),
    });
    regions::Entity::insert_many(models)
        .on_conflict_do_nothing_on([regions::Column::Code])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Chinese names of these region codes (codes without a row are left out).
pub async fn names_zh(db: &impl ConnectionTrait, codes: Vec<String>) -> Result<HashMap<String, String>, DbErr> {
    let rows = regions::Entity::find().filter(regions::Column::Code.is_in(codes)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.code, r.name_zh)).collect())
}

/// Region `code`.
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Region>, DbErr> {
    regions::Entity::find_by_id(code.to_string()).one(db).await
}
