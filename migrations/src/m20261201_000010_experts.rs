//! The expert pool at work (issue 7): offers of tasks to experts with the draw that
//! chose them, on-site check-ins with their distance to the enterprise, and the task
//! reports with the 一企一策 plan and the follow-up they schedule.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_experts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One offer of a task to an expert. An expert is offered a task at most once:
        // whoever declined it or let it expire is not asked again.
        create(
            m,
            table("task_dispatches")
                .col(big_integer("task_id"))
                .col(big_integer("expert_id"))
                .col(string_len("status", 16).check(one_of("status", &["offered", "accepted", "declined", "expired"])))
                // The ranking, the tied candidates, the random draw among them and its seed.
                .col(json_binary("drawn_from"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("offered_at"))
                .col(timestamp_with_time_zone("respond_by"))
                .col(timestamp_with_time_zone_null("responded_at"))
                .foreign_key(&mut fk_cascade("task_dispatches", "task_id", "tasks"))
                .foreign_key(&mut fk("task_dispatches", "expert_id", "experts"))
                .to_owned(),
            vec![
                unique("task_dispatches", &["task_id", "expert_id"]),
                index("task_dispatches", &["status", "respond_by"]),
            ],
        )
        .await?;

        // Arrival on site: the server's time, the phone's position and its distance
        // to the enterprise's site, flagged beyond the configured radius.
        create(
            m,
            table("task_checkins")
                .col(big_integer("task_id"))
                .col(big_integer("expert_id"))
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("checked_in_at"))
                .col(timestamp_with_time_zone_null("client_at"))
                .col(double("latitude"))
                .col(double("longitude"))
                .col(double_null("distance_m"))
                .col(boolean("far"))
                .foreign_key(&mut fk_cascade("task_checkins", "task_id", "tasks"))
                .foreign_key(&mut fk("task_checkins", "expert_id", "experts"))
                .foreign_key(&mut fk("task_checkins", "user_id", "users"))
                .to_owned(),
            vec![index("task_checkins", &["task_id"])],
        )
        .await?;

        // The expert's report on a visit: what was found, the one-enterprise-one-plan
        // recommendation, and the follow-up inspection (回访巡查) it scheduled.
        create(
            m,
            table("expert_reports")
                .col(big_integer("task_id"))
                .col(big_integer("expert_id"))
                .col(big_integer("user_id"))
                .col(text("summary"))
                .col(text("plan"))
                .col(big_integer_null("follow_up_task_id"))
                .col(timestamp_with_time_zone("follow_up_due"))
                .foreign_key(&mut fk_cascade("expert_reports", "task_id", "tasks"))
                .foreign_key(&mut fk("expert_reports", "expert_id", "experts"))
                .foreign_key(&mut fk("expert_reports", "user_id", "users"))
                .foreign_key(&mut fk("expert_reports", "follow_up_task_id", "tasks"))
                .to_owned(),
            vec![unique("expert_reports", &["task_id"])],
        )
        .await?;

        // The dispatcher looks for open tasks without an expert.
        m.create_index(index("tasks", &["status", "kind"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_tasks_status_kind").table("tasks").to_owned()).await?;
        drop(m, &["expert_reports", "task_checkins", "task_dispatches"]).await
    }
}
