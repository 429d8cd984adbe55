//! `SeaORM` Entity, written by hand after the generator's form (migration 16).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expert_regions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: DateTimeWithTimeZone,
    #[sea_orm(unique_key = "ux_expert_regions_expert_id_region_code")]
    pub expert_id: i64,
    #[sea_orm(unique_key = "ux_expert_regions_expert_id_region_code")]
    pub region_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
