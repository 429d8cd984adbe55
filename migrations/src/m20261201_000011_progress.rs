//! Each enterprise's progress against the programme targets, kept current by the
//! writes that change it (findings, recommendation rounds, marks), so that a bureau's
//! dashboard sums one row per enterprise instead of scanning millions of findings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{drop, fk_cascade};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000011_progress"
    }
}

/// Accepted findings by days from report to acceptance, for medians without a scan.
pub const CLOSE_BUCKETS: &[&str] =
    &["close_le1", "close_le3", "close_le7", "close_le15", "close_le30", "close_le60", "close_gt60"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("enterprise_progress")
            .col(big_integer("enterprise_id").primary_key())
            // Items of the latest recommendation round, and how many were answered.
            .col(integer("recommended").default(0))
            .col(integer("answered").default(0))
            // Findings past draft and not cancelled; accepted (销号) among them.
            .col(integer("found").default(0))
            .col(integer("rectified").default(0))
            .col(integer("open").default(0))
            .col(integer("overdue").default(0))
            .col(integer("major_found").default(0))
            .col(integer("major_open").default(0))
            .col(integer("major_overdue").default(0));
        for b in CLOSE_BUCKETS {
            t.col(integer(*b).default(0));
        }
        t.col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp())).foreign_key(&mut fk_cascade(
            "enterprise_progress",
            "enterprise_id",
            "enterprises",
        ));
        m.create_table(t.to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["enterprise_progress"]).await
    }
}
