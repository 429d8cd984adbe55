//! Dynamic precise governance (动态精准治理): escalations up the five-level ladder and
//! the tasks they create (inspections, investigations, expert visits, joint work).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_governance"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            table("escalations")
                .col(big_integer("enterprise_id"))
                // 1 自查自纠 … 5 联合督导.
                .col(small_integer("level").check(Expr::col("level").between(1, 5)))
                // What caused it (rule + subject); unique per enterprise so a cause
                // escalates once however often it is evaluated.
                .col(string_len("cause_key", 128))
                .col(string_len_null("rule_id", 64))
                .col(string_len_null("rule_version", 32))
                .col(json_binary("inputs"))
                .col(string_len("state", 16).check(one_of("state", &["open", "escalated", "closed"])))
                .col(boolean("manual").default(false))
                .col(big_integer_null("created_by"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(text_null("close_reason"))
                .col(big_integer_null("parent_id"))
                .foreign_key(&mut fk_cascade("escalations", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("escalations", "created_by", "users"))
                .foreign_key(&mut fk("escalations", "parent_id", "escalations"))
                .to_owned(),
            vec![unique("escalations", &["enterprise_id", "cause_key"]), index("escalations", &["state", "level"])],
        )
        .await?;

        create(
            m,
            table("tasks")
                .col(big_integer("enterprise_id"))
                .col(big_integer_null("escalation_id"))
                .col(big_integer_null("accident_id"))
                .col(string_len("kind", 32).check(one_of(
                    "kind",
                    &[
                        "self_inspection",
                        "accident_investigation",
                        "expert_visit",
                        "joint_research",
                        "joint_supervision",
                        "follow_up",
                    ],
                )))
                .col(string_len("status", 16).check(one_of("status", &["open", "accepted", "done", "cancelled"])))
                .col(big_integer_null("assignee_id"))
                .col(big_integer_null("expert_id"))
                .col(big_integer_null("organisation_id"))
                .col(timestamp_with_time_zone_null("due_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(json_binary_null("result"))
                .col(integer("version").default(1))
                .foreign_key(&mut fk_cascade("tasks", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("tasks", "escalation_id", "escalations"))
                .foreign_key(&mut fk("tasks", "accident_id", "accidents"))
                .foreign_key(&mut fk("tasks", "assignee_id", "users"))
                .foreign_key(&mut fk("tasks", "expert_id", "experts"))
                .foreign_key(&mut fk("tasks", "organisation_id", "organisations"))
                .to_owned(),
            vec![
                index("tasks", &["expert_id", "status"]),
                index("tasks", &["enterprise_id", "status"]),
                index("tasks", &["due_at"]),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["tasks", "escalations"]).await
    }
}
