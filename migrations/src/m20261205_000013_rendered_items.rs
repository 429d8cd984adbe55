//! A recommendation round rendered once, when it is made: each recommendation carries
//! the text of the library item version it points at (code, version, title, area,
//! grade, what to check, how, and what passes) and its explanation as JSON text, so a
//! checklist page is one indexed query over the round's rows that copies the
//! explanation through, instead of a load of every library item's definition and a
//! parse of every explanation.
//! A round is immutable; only its answers change, and every write of them bumps the
//! round's `feedback_revision`, which a page's `ETag` is made from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::build::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000013_rendered_items"
    }
}

/// The rendered columns, in the order they are added (and dropped in reverse).
const TEXT_COLUMNS: &[&str] = &["check_point", "check_method", "pass_criteria", "explanation"];

/// Rows written before this migration take their text from `hazard_items`; a key the
/// definition lacks reads as empty, as the page did when it rendered from it. The
/// explanation is `reasons` as text (on PostgreSQL in jsonb's own spacing and key order;
/// rounds made from now on store serde_json's compact form).
fn backfill(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "UPDATE recommendations AS r SET item_code = h.code, item_version = h.version, title = h.title, \
             area = COALESCE(h.definition->>'area', ''), grade = h.default_grade, \
             check_point = COALESCE(h.definition->>'check_point', ''), \
             check_method = COALESCE(h.definition->>'check_method', ''), \
             pass_criteria = COALESCE(h.definition->>'pass_criteria', ''), explanation = r.reasons::text \
             FROM hazard_items AS h WHERE h.id = r.hazard_item_id"
        }
        _ => {
            "UPDATE recommendations SET (item_code, item_version, title, area, grade, check_point, check_method, \
             pass_criteria, explanation) = (SELECT h.code, h.version, h.title, COALESCE(json_extract(h.definition, '$.area'), ''), \
             h.default_grade, COALESCE(json_extract(h.definition, '$.check_point'), ''), \
             COALESCE(json_extract(h.definition, '$.check_method'), ''), \
             COALESCE(json_extract(h.definition, '$.pass_criteria'), ''), CAST(recommendations.reasons AS TEXT) \
             FROM hazard_items AS h WHERE h.id = recommendations.hazard_item_id) \
             WHERE EXISTS (SELECT 1 FROM hazard_items AS h WHERE h.id = recommendations.hazard_item_id)"
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER; NOT NULL needs a default there.
        let mut columns = vec![
            string_len("item_code", 64).default("").to_owned(),
            integer("item_version").default(0).to_owned(),
            string("title").default("").to_owned(),
            string("area").default("").to_owned(),
            string_len("grade", 16).default("").to_owned(),
        ];
        columns.extend(TEXT_COLUMNS.iter().map(|c| text(*c).default("").to_owned()));
        for mut c in columns {
            m.alter_table(Table::alter().table("recommendations").add_column(&mut c).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("recommendation_rounds")
                .add_column(big_integer("feedback_revision").default(0))
                .to_owned(),
        )
        .await?;
        // The round's areas with their sizes, best item first, as the page's JSON; a
        // round made before has none and its page counts them.
        m.alter_table(Table::alter().table("recommendation_rounds").add_column(text_null("areas")).to_owned()).await?;
        m.get_connection().execute_unprepared(backfill(m.get_database_backend())).await?;
        // A page in rank order, all areas or one; the area counts read the second.
        m.create_index(index("recommendations", &["round_id", "rank"])).await?;
        m.create_index(index("recommendations", &["round_id", "area", "rank"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_recommendations_round_id_area_rank", "ix_recommendations_round_id_rank"] {
            m.drop_index(Index::drop().name(name).table("recommendations").to_owned()).await?;
        }
        m.alter_table(Table::alter().table("recommendation_rounds").drop_column("areas").to_owned()).await?;
        m.alter_table(Table::alter().table("recommendation_rounds").drop_column("feedback_revision").to_owned())
            .await?;
        let columns =
            ["item_code", "item_version", "title", "area", "grade"].into_iter().chain(TEXT_COLUMNS.iter().copied());
        for c in columns.rev() {
            m.alter_table(Table::alter().table("recommendations").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
