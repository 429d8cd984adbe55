//! Reference rows the database keeps in step with `rules/`: the GB/T 2260 regions that
//! enterprises, bureaus and experts point at.
//!
//! Also the reference context's parts: the rules library, accident and hazard-library
//! imports, risk scoring and the demo seeds.

pub mod builtin;
pub mod coverage;
pub mod devset;
pub mod enterprises;
pub mod feeds;
pub mod hazard_import;
pub mod import;
pub mod register;
pub mod roster;
pub mod rules;
pub mod scoring;
pub mod seed;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};
use zhicha_engine::{Catalog, RegionCode};

use crate::state::AppState;
use crate::store::regions::{self, Region};

/// Inserts every region of the rules that the database lacks, parents first.
pub async fn sync_regions(db: &impl ConnectionTrait, catalog: &Catalog) -> Result<(), DbErr> {
    let mut entries: Vec<_> =
        catalog.region.entries.iter().filter_map(|e| Some((RegionCode::parse(&e.code).ok()?, e))).collect();
    entries.sort_by_key(|(c, _)| (c.level() as u8, c.value()));
    let rows = entries
        .into_iter()
        .map(|(code, e)| Region {
            code: e.code.clone(),
            name_zh: e.name_zh.clone(),
            name_en: e.name_en.clone(),
            level: code.level().as_str().to_string(),
            parent_code: e.parent.clone(),
        })
        .collect();
    regions::insert_missing(db, rows).await
}

/// Chinese names of these region codes (codes without a row are left out).
pub async fn region_names(state: &AppState, codes: Vec<String>) -> Result<HashMap<String, String>, DbErr> {
    regions::names_zh(&state.db, codes).await
}
