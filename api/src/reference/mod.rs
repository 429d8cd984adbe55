//! Reference rows the database keeps in step with `rules/`: the GB/T 2260 regions that
//! enterprises, bureaus and experts point at.
//!
//! Also the reference context's parts: the rules library, accident and hazard-library
//! imports, risk scoring and the demo seeds.

pub mod hazard_import;
pub mod import;
pub mod rules;
pub mod scoring;
pub mod seed;

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use zhicha_engine::{Catalog, RegionCode};

use crate::entities::regions;

/// Inserts every region of the rules that the database lacks, parents first.
pub async fn sync_regions(db: &impl ConnectionTrait, catalog: &Catalog) -> Result<(), DbErr> {
    let mut entries: Vec<_> =
        catalog.region.entries.iter().filter_map(|e| Some((RegionCode::parse(&e.code).ok()?, e))).collect();
    entries.sort_by_key(|(c, _)| (c.level() as u8, c.value()));
    let models = entries.into_iter().map(|(code, e)| regions::ActiveModel {
        code: Set(e.code.clone()),
        name_zh: Set(e.name_zh.clone()),
        name_en: Set(e.name_en.clone()),
        level: Set(code.level().as_str().to_string()),
        parent_code: Set(e.parent.clone()),
    });
    regions::Entity::insert_many(models)
        .on_conflict_do_nothing_on([regions::Column::Code])
        .exec_without_returning(db)
        .await?;
    Ok(())
}
