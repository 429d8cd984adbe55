//! `SeaORM` Entity, written by hand after the generator's form (migration 16).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_enrolments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: DateTimeWithTimeZone,
    pub enterprise_id: i64,
    pub proposal_id: i64,
    pub basis: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub enrolled_by: i64,
    pub enrolled_at: DateTimeWithTimeZone,
    pub programme_start: Date,
    pub checkpoint_1: Date,
    pub checkpoint_2: Date,
    pub first_task_id: Option<i64>,
    pub ended_at: Option<DateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text", nullable)]
    pub end_reason: Option<String>,
    pub ended_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
