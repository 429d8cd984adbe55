//! `SeaORM` Entity, written by hand in the generator's shape: an audit record waiting
//! for the sealer (queued by a trigger on `audit_log`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_unsealed")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub audit_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
