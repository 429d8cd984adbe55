//! `SeaORM` Entity, written by hand after the generator's form (migration 16).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_proposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: DateTimeWithTimeZone,
    pub region_code: String,
    pub count: i32,
    pub year: i32,
    pub rules_version: String,
    pub fit_id: Option<i64>,
    pub created_by: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub items: Json,
    pub confirmed_at: Option<DateTimeWithTimeZone>,
    pub confirmed_by: Option<i64>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub confirmation: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
