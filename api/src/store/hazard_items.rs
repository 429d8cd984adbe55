//! Hazard-library item versions (`hazard_items`): the committed library's, as the
//! rules hold them, and drafts imported from a bureau's or service organisation's own
//! library.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use zhicha_engine::hazards::HazardItem as LibraryItem;

use crate::entities::hazard_items;

pub type HazardItem = hazard_items::Model;

/// Rows per INSERT.
const CHUNK: usize = 200;

/// Stores these item versions (a version already there is kept as it is: an item's
/// text never changes without a new version).
pub async fn insert_versions(
    db: &impl ConnectionTrait,
    items: &[&LibraryItem],
    status: &str,
    library_version: &str,
) -> Result<(), DbErr> {
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        rows.push(hazard_items::ActiveModel {
            code: Set(item.id.clone()),
            version: Set(i32::try_from(item.version).unwrap_or(i32::MAX)),
            status: Set(status.to_string()),
            title: Set(item.title.clone()),
            default_grade: Set(format!("{:?}", item.grade).to_lowercase()),
            weight: Set(item.weight),
            definition: Set(serde_json::to_value(item).map_err(|e| DbErr::Custom(e.to_string()))?),
            library_version: Set(library_version.to_string()),
            ..Default::default()
        });
    }
    for chunk in rows.chunks(CHUNK) {
        hazard_items::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([hazard_items::Column::Code, hazard_items::Column::Version])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Every stored version of these item codes.
pub async fn by_codes(db: &impl ConnectionTrait, codes: Vec<String>) -> Result<Vec<HazardItem>, DbErr> {
    hazard_items::Entity::find().filter(hazard_items::Column::Code.is_in(codes)).all(db).await
}

/// The stored item `id`.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<HazardItem>, DbErr> {
    hazard_items::Entity::find_by_id(id).one(db).await
}

/// Library code (`HZ-ELEC-0011`) by stored item id, for those of `ids` that exist.
pub async fn codes_of(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    Ok(hazard_items::Entity::find()
        .filter(hazard_items::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.code))
        .collect())
}

/// The id of the stored row of item `code` at `version`.
pub async fn id_of(db: &impl ConnectionTrait, code: &str, version: i32) -> Result<Option<i64>, DbErr> {
    Ok(hazard_items::Entity::find()
        .filter(hazard_items::Column::Code.eq(code))
        .filter(hazard_items::Column::Version.eq(version))
        .one(db)
        .await?
        .map(|h| h.id))
}

/// The stored items of `ids` that exist.
pub async fn by_ids(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<HazardItem>, DbErr> {
    hazard_items::Entity::find().filter(hazard_items::Column::Id.is_in(ids)).all(db).await
}
