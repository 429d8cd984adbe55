//! Accident history (work-injury records) and the import runs that brought it in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_accidents"
    }
}

pub const CODE_SYSTEMS: &[&str] = &["gb6441-86", "gb6441-2025", "oiics-2.01", "msha"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            table("import_runs")
                .col(string_len("profile", 32))
                .col(string("file_name"))
                .col(char_len("file_sha256", 64))
                .col(string_len("status", 16).check(one_of("status", &["running", "succeeded", "failed"])))
                .col(integer("rows_read").default(0))
                .col(integer("imported").default(0))
                .col(integer("unchanged").default(0))
                .col(integer("skipped").default(0))
                // `[{row, reason}]` of skipped rows and the versions of the mapping
                // tables used, so a figure can be traced back.
                .col(json_binary_null("skipped_rows"))
                .col(json_binary_null("rule_versions"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .to_owned(),
            vec![index("import_runs", &["file_sha256"])],
        )
        .await?;

        let coded = |t: &mut TableCreateStatement, system: &'static str, code: &'static str| {
            t.col(string_len_null(system, 16).check(one_of(system, CODE_SYSTEMS)));
            t.col(string_len_null(code, 32));
        };
        let mut t = table("accidents");
        t.col(big_integer("enterprise_id")).col(date("occurred_on")).col(timestamp_with_time_zone_null("occurred_at"));
        // Each dimension as recorded (code system + code) and mapped to GB 6441-86;
        // accident types also to the GB 6441-2025 category name.
        coded(&mut t, "accident_type_system", "accident_type_code");
        t.col(char_len_null("accident_type_gb86", 2)).col(string_len_null("accident_type_gb2025", 32));
        coded(&mut t, "body_part_system", "body_part_code");
        t.col(string_len_null("body_part_gb86", 8));
        coded(&mut t, "injury_nature_system", "injury_nature_code");
        t.col(string_len_null("injury_nature_gb86", 8))
            .col(string_null("job"))
            .col(string_len("severity", 16).check(one_of("severity", &["minor", "serious", "disability", "death"])))
            .col(small_integer_null("disability_grade").check(Expr::col("disability_grade").between(1, 10)))
            .col(integer_null("lost_days").check(Expr::col("lost_days").gte(0)))
            // Work-injury fund payout in fen (0.01 yuan).
            .col(big_integer_null("fund_payout_fen").check(Expr::col("fund_payout_fen").gte(0)))
            .col(integer("injured_count").default(1))
            .col(boolean_null("hospitalized"))
            .col(boolean_null("amputation"))
            .col(text_null("narrative"))
            .col(string_len("source", 32))
            .col(string_len("source_key", 128))
            .col(big_integer_null("import_run_id"))
            .foreign_key(&mut fk_cascade("accidents", "enterprise_id", "enterprises"))
            .foreign_key(&mut fk("accidents", "import_run_id", "import_runs"));
        create(
            m,
            t,
            vec![
                unique("accidents", &["source", "source_key"]),
                index("accidents", &["enterprise_id", "occurred_on"]),
                index("accidents", &["occurred_on"]),
                index("accidents", &["accident_type_gb86"]),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["accidents", "import_runs"]).await
    }
}
