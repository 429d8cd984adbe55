//! The self-inspection loop (智查自纠): hazard library, recommendations, inspection
//! rounds, findings with their state history, rectification, evidence, reports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_inspection"
    }
}

pub const FINDING_STATES: &[&str] =
    &["draft", "submitted", "to_rectify", "overdue", "rectification_submitted", "accepted", "cancelled"];
const GRADES: &[&str] = &["general", "major"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The library as loaded from `rules/`: one row per item version, so a
        // recommendation keeps pointing at the text the officer saw.
        create(
            m,
            table("hazard_items")
                .col(string_len("code", 64))
                .col(integer("version"))
                .col(string_len("status", 16).check(one_of("status", &["draft", "active", "superseded"])))
                .col(string("title"))
                .col(string_len("default_grade", 16).check(one_of("default_grade", GRADES)))
                .col(double("weight").default(1.0))
                .col(json_binary("definition"))
                .col(string_len("library_version", 32))
                .to_owned(),
            vec![unique("hazard_items", &["code", "version"]), index("hazard_items", &["status"])],
        )
        .await?;

        create(
            m,
            table("recommendation_rounds")
                .col(big_integer("enterprise_id"))
                .col(string_len("model_version", 32))
                .col(string_len("library_version", 32))
                .col(integer("item_count"))
                .foreign_key(&mut fk_cascade("recommendation_rounds", "enterprise_id", "enterprises"))
                .to_owned(),
            vec![index("recommendation_rounds", &["enterprise_id", "created_at"])],
        )
        .await?;

        create(
            m,
            table("recommendations")
                .col(big_integer("round_id"))
                .col(big_integer("enterprise_id"))
                .col(big_integer("hazard_item_id"))
                .col(integer("rank"))
                .col(double("score"))
                // Why it is on the list: the accidents and risks that drove it.
                .col(json_binary("reasons"))
                .foreign_key(&mut fk_cascade("recommendations", "round_id", "recommendation_rounds"))
                .foreign_key(&mut fk_cascade("recommendations", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("recommendations", "hazard_item_id", "hazard_items"))
                .to_owned(),
            vec![
                unique("recommendations", &["round_id", "hazard_item_id"]),
                index("recommendations", &["enterprise_id"]),
            ],
        )
        .await?;

        create(
            m,
            table("inspections")
                .col(big_integer("enterprise_id"))
                .col(big_integer_null("recommendation_round_id"))
                .col(string_len("kind", 16).check(one_of("kind", &["recommended", "free", "targeted", "expert"])))
                .col(string_len("status", 16).check(one_of("status", &["open", "submitted", "closed"])))
                .col(big_integer("started_by"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .col(integer("version").default(1))
                .foreign_key(&mut fk_cascade("inspections", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("inspections", "recommendation_round_id", "recommendation_rounds"))
                .foreign_key(&mut fk("inspections", "started_by", "users"))
                .to_owned(),
            vec![index("inspections", &["enterprise_id", "status"])],
        )
        .await?;

        create(
            m,
            table("inspection_items")
                .col(big_integer("inspection_id"))
                .col(big_integer_null("recommendation_id"))
                .col(big_integer_null("hazard_item_id"))
                .col(
                    string_len("result", 16)
                        .default("pending")
                        .check(one_of("result", &["pending", "found", "not_found", "not_applicable"])),
                )
                .col(string_null("reason"))
                .col(big_integer_null("checked_by"))
                .col(timestamp_with_time_zone_null("checked_at"))
                .foreign_key(&mut fk_cascade("inspection_items", "inspection_id", "inspections"))
                .foreign_key(&mut fk("inspection_items", "recommendation_id", "recommendations"))
                .foreign_key(&mut fk("inspection_items", "hazard_item_id", "hazard_items"))
                .foreign_key(&mut fk("inspection_items", "checked_by", "users"))
                .to_owned(),
            vec![
                index("inspection_items", &["inspection_id", "result"]),
                index("inspection_items", &["hazard_item_id"]),
            ],
        )
        .await?;

        create(
            m,
            table("findings")
                .col(big_integer("enterprise_id"))
                .col(big_integer_null("inspection_id"))
                .col(big_integer_null("inspection_item_id"))
                .col(big_integer_null("hazard_item_id"))
                .col(string("location"))
                .col(text("description"))
                .col(string_len("grade", 16).check(one_of("grade", GRADES)))
                // GB 6441 accident-type codes the hazard could lead to.
                .col(json_binary("accident_types"))
                .col(string_len("state", 32).check(one_of("state", FINDING_STATES)))
                .col(big_integer("reported_by"))
                // Optimistic concurrency: every write bumps it and checks the old value.
                .col(integer("version").default(1))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk_cascade("findings", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("findings", "inspection_id", "inspections"))
                .foreign_key(&mut fk("findings", "inspection_item_id", "inspection_items"))
                .foreign_key(&mut fk("findings", "hazard_item_id", "hazard_items"))
                .foreign_key(&mut fk("findings", "reported_by", "users"))
                .to_owned(),
            vec![
                index("findings", &["enterprise_id", "state"]),
                index("findings", &["hazard_item_id"]),
                index("findings", &["state", "grade"]),
            ],
        )
        .await?;

        // One row per state change: who, in which role, from → to, when, why.
        create(
            m,
            table("finding_transitions")
                .col(big_integer("finding_id"))
                .col(string_len_null("from_state", 32))
                .col(string_len("to_state", 32).check(one_of("to_state", FINDING_STATES)))
                .col(big_integer_null("actor_id"))
                .col(string_len("actor_role", 32))
                .col(text_null("note"))
                .foreign_key(&mut fk_cascade("finding_transitions", "finding_id", "findings"))
                .foreign_key(&mut fk("finding_transitions", "actor_id", "users"))
                .to_owned(),
            vec![index("finding_transitions", &["finding_id", "created_at"])],
        )
        .await?;

        create(
            m,
            table("rectifications")
                .col(big_integer("finding_id"))
                .col(big_integer("enterprise_id"))
                .col(big_integer("assignee_id"))
                .col(date("deadline"))
                .col(string_len("status", 16).check(one_of("status", &["open", "submitted", "accepted", "rejected"])))
                // 五落实 plan, required for major hazards.
                .col(text_null("plan_responsibility"))
                .col(text_null("plan_measures"))
                .col(big_integer_null("plan_funds_fen"))
                .col(date_null("plan_deadline"))
                .col(text_null("plan_contingency"))
                .col(big_integer_null("accepted_by"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(integer("version").default(1))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk_cascade("rectifications", "finding_id", "findings"))
                .foreign_key(&mut fk_cascade("rectifications", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("rectifications", "assignee_id", "users"))
                .foreign_key(&mut fk("rectifications", "accepted_by", "users"))
                .to_owned(),
            vec![
                unique("rectifications", &["finding_id"]),
                index("rectifications", &["assignee_id", "status"]),
                index("rectifications", &["deadline"]),
            ],
        )
        .await?;

        create(
            m,
            table("rectification_updates")
                .col(big_integer("rectification_id"))
                .col(big_integer("author_id"))
                .col(text("note"))
                .col(small_integer_null("progress_pct").check(Expr::col("progress_pct").between(0, 100)))
                .foreign_key(&mut fk_cascade("rectification_updates", "rectification_id", "rectifications"))
                .foreign_key(&mut fk("rectification_updates", "author_id", "users"))
                .to_owned(),
            vec![index("rectification_updates", &["rectification_id"])],
        )
        .await?;

        create(
            m,
            table("deadline_extensions")
                .col(big_integer("rectification_id"))
                .col(big_integer("requested_by"))
                .col(date("requested_deadline"))
                .col(text("reason"))
                .col(string_len("status", 16).check(one_of("status", &["pending", "approved", "refused"])))
                .col(big_integer_null("decided_by"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .foreign_key(&mut fk_cascade("deadline_extensions", "rectification_id", "rectifications"))
                .foreign_key(&mut fk("deadline_extensions", "requested_by", "users"))
                .foreign_key(&mut fk("deadline_extensions", "decided_by", "users"))
                .to_owned(),
            vec![index("deadline_extensions", &["rectification_id"])],
        )
        .await?;

        // Photos and files, in object storage; the row keeps what proves them.
        create(
            m,
            table("evidence")
                .col(big_integer("enterprise_id"))
                .col(string_len("owner_kind", 32).check(one_of(
                    "owner_kind",
                    &["finding", "rectification", "rectification_update", "inspection_item", "task"],
                )))
                .col(big_integer("owner_id"))
                .col(string("storage_key"))
                .col(string_len("content_type", 64))
                .col(big_integer("size_bytes"))
                .col(char_len("sha256", 64))
                .col(timestamp_with_time_zone_null("captured_at"))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(big_integer("uploaded_by"))
                .foreign_key(&mut fk_cascade("evidence", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("evidence", "uploaded_by", "users"))
                .to_owned(),
            vec![index("evidence", &["owner_kind", "owner_id"]), unique("evidence", &["enterprise_id", "sha256"])],
        )
        .await?;

        create(
            m,
            table("reports")
                .col(big_integer("enterprise_id"))
                .col(big_integer_null("inspection_id"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(string_len("status", 16).check(one_of("status", &["draft", "submitted"])))
                .col(json_binary("content"))
                .col(big_integer_null("submitted_by"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .foreign_key(&mut fk_cascade("reports", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("reports", "inspection_id", "inspections"))
                .foreign_key(&mut fk("reports", "submitted_by", "users"))
                .to_owned(),
            vec![index("reports", &["enterprise_id", "period_end"])],
        )
        .await?;

        // Each bureau's receipt of a submitted report.
        create(
            m,
            table("report_receipts")
                .col(big_integer("report_id"))
                .col(big_integer("organisation_id"))
                .col(string_len("status", 16).check(one_of("status", &["sent", "received", "returned"])))
                .col(timestamp_with_time_zone_null("received_at"))
                .col(text_null("note"))
                .foreign_key(&mut fk_cascade("report_receipts", "report_id", "reports"))
                .foreign_key(&mut fk("report_receipts", "organisation_id", "organisations"))
                .to_owned(),
            vec![unique("report_receipts", &["report_id", "organisation_id"])],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(
            m,
            &[
                "report_receipts",
                "reports",
                "evidence",
                "deadline_extensions",
                "rectification_updates",
                "rectifications",
                "finding_transitions",
                "findings",
                "inspection_items",
                "inspections",
                "recommendations",
                "recommendation_rounds",
                "hazard_items",
            ],
        )
        .await
    }
}
