//! `SeaORM` Entity, written by hand for migration 15: a data feed uploaded over HTTP.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_feeds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: DateTimeWithTimeZone,
    pub kind: String,
    pub profile: String,
    pub mapping: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
    pub size_bytes: i64,
    pub status: String,
    pub rows_total: i32,
    pub rows_done: i32,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub counts: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub errors: Option<Json>,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    pub requested_by: i64,
    pub owner_region: Option<String>,
    pub owner_org: Option<i64>,
    pub run_id: Option<i64>,
    pub updated_at: DateTimeWithTimeZone,
    pub finished_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
