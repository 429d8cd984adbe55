//! Key-enterprise proposals and enrolment, the expert pool's administration (issue 17).
//!
//! - `programme_proposals`: a ranked proposal of a region's key enterprises, stored
//!   whole (items with their reasons and figures as JSON) with how it was confirmed.
//! - `programme_enrolments`: who is in the programme, from when, its half-year
//!   checkpoints and first self-inspection task; an ended enrolment stays as history,
//!   and at most one enrolment of an enterprise is current (partial unique index).
//! - `expert_regions`: the GB/T 2260 regions an expert serves.
//! - `experts.deactivated_at` / `deactivation_reason`: when and why an expert left.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, fk_to, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000016_programme"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            table("programme_proposals")
                .col(char_len("region_code", 6))
                .col(integer("count"))
                // The accident year the ranking read (and the year before it).
                .col(integer("year"))
                .col(string_len("rules_version", 64))
                // The risk fit the ranking read, if any.
                .col(big_integer_null("fit_id"))
                .col(big_integer("created_by"))
                .col(json_binary("items"))
                .col(timestamp_with_time_zone_null("confirmed_at"))
                .col(big_integer_null("confirmed_by"))
                // The removals and additions with their reasons.
                .col(json_binary_null("confirmation"))
                .foreign_key(&mut fk_to("programme_proposals", "region_code", "regions", "code"))
                .foreign_key(&mut fk("programme_proposals", "created_by", "users"))
                .foreign_key(&mut fk("programme_proposals", "confirmed_by", "users"))
                .to_owned(),
            vec![index("programme_proposals", &["region_code"])],
        )
        .await?;

        create(
            m,
            table("programme_enrolments")
                .col(big_integer("enterprise_id"))
                .col(big_integer("proposal_id"))
                // `proposed` (kept from the proposal) or `added` by the bureau.
                .col(string_len("basis", 16).check(one_of("basis", &["proposed", "added"])))
                .col(text_null("reason"))
                .col(big_integer("enrolled_by"))
                .col(timestamp_with_time_zone("enrolled_at"))
                .col(date("programme_start"))
                // Half-year checkpoints: start + 6 months and start + 12 months.
                .col(date("checkpoint_1"))
                .col(date("checkpoint_2"))
                .col(big_integer_null("first_task_id"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(text_null("end_reason"))
                .col(big_integer_null("ended_by"))
                .foreign_key(&mut fk_cascade("programme_enrolments", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("programme_enrolments", "proposal_id", "programme_proposals"))
                .foreign_key(&mut fk("programme_enrolments", "enrolled_by", "users"))
                .foreign_key(&mut fk("programme_enrolments", "ended_by", "users"))
                .foreign_key(&mut fk("programme_enrolments", "first_task_id", "tasks"))
                .to_owned(),
            vec![index("programme_enrolments", &["enterprise_id"]), index("programme_enrolments", &["proposal_id"])],
        )
        .await?;
        // One current enrolment per enterprise (both databases take a partial index).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_programme_enrolments_current ON programme_enrolments (enterprise_id) \
                 WHERE ended_at IS NULL",
            )
            .await?;

        create(
            m,
            table("expert_regions")
                .col(big_integer("expert_id"))
                .col(char_len("region_code", 6))
                .foreign_key(&mut fk_cascade("expert_regions", "expert_id", "experts"))
                .foreign_key(&mut fk_to("expert_regions", "region_code", "regions", "code"))
                .to_owned(),
            vec![unique("expert_regions", &["expert_id", "region_code"]), index("expert_regions", &["region_code"])],
        )
        .await?;

        // SQLite adds one column per ALTER.
        for mut c in [timestamp_with_time_zone_null("deactivated_at").to_owned(), text_null("deactivation_reason")] {
            m.alter_table(Table::alter().table("experts").add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["deactivation_reason", "deactivated_at"] {
            m.alter_table(Table::alter().table("experts").drop_column(c).to_owned()).await?;
        }
        drop(m, &["expert_regions", "programme_enrolments", "programme_proposals"]).await
    }
}
