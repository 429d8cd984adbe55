//! Organisations (`organisations`): bureaus and service organisations.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::organisations;

pub type Organisation = organisations::Model;

pub async fn insert(
    db: &impl ConnectionTrait,
    kind: &str,
    name: &str,
    region_code: Option<&str>,
) -> Result<Organisation, DbErr> {
    organisations::ActiveModel {
        kind: Set(kind.to_string()),
        name: Set(name.to_string()),
        region_code: Set(region_code.map(str::to_string)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The first (lowest id) organisation of `kind` for exactly region `region_code`.
pub async fn first_of_kind_in(db: &impl ConnectionTrait, kind: &str, region_code: &str) -> Result<Option<i64>, DbErr> {
    organisations::Entity::find()
        .select_only()
        .column(organisations::Column::Id)
        .filter(organisations::Column::Kind.eq(kind))
        .filter(organisations::Column::RegionCode.eq(region_code))
        .order_by_asc(organisations::Column::Id)
        .into_tuple()
        .one(db)
        .await
}

/// The first (lowest id) organisation of `kind` for exactly region `region_code`, whole.
pub async fn first_row_of_kind_in(
    db: &impl ConnectionTrait,
    kind: &str,
    region_code: &str,
) -> Result<Option<Organisation>, DbErr> {
    organisations::Entity::find()
        .filter(organisations::Column::Kind.eq(kind))
        .filter(organisations::Column::RegionCode.eq(region_code))
        .order_by_asc(organisations::Column::Id)
        .one(db)
        .await
}

/// Organisation `id`.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Organisation>, DbErr> {
    organisations::Entity::find_by_id(id).one(db).await
}

/// Every organisation, by id.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Organisation>, DbErr> {
    organisations::Entity::find().order_by_asc(organisations::Column::Id).all(db).await
}
