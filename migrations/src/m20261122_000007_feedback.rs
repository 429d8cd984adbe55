//! Feedback on recommended items: what the enterprise found when it checked them.
//! One row per recommendation (the latest answer), so a bureau can compare what was
//! recommended with what was found, and the next round can learn from it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000007_feedback"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            table("recommendation_feedback")
                .col(big_integer("recommendation_id"))
                .col(big_integer("round_id"))
                .col(big_integer("enterprise_id"))
                // The library item's stable id, for peer statistics across versions.
                .col(string_len("item_code", 64))
                .col(string_len("result", 16).check(one_of("result", &["found", "not_found", "not_applicable"])))
                .col(text_null("reason"))
                .col(big_integer("marked_by"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk_cascade("recommendation_feedback", "recommendation_id", "recommendations"))
                .foreign_key(&mut fk_cascade("recommendation_feedback", "round_id", "recommendation_rounds"))
                .foreign_key(&mut fk_cascade("recommendation_feedback", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("recommendation_feedback", "marked_by", "users"))
                .to_owned(),
            vec![
                unique("recommendation_feedback", &["recommendation_id"]),
                index("recommendation_feedback", &["item_code", "result"]),
                index("recommendation_feedback", &["enterprise_id", "updated_at"]),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["recommendation_feedback"]).await
    }
}
