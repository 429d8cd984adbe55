//! Risk model fits and the per-enterprise scores they produced. A fit is written whole
//! and then made current in one transaction, so readers never see half of one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000006_risk"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            table("risk_fits")
                .col(string_len("model_version", 64))
                .col(date("cutoff"))
                .col(integer("horizon_months"))
                // What triggered it: an import, the schedule, start-up, an operator.
                .col(string_len("trigger", 16).check(one_of("trigger", &["import", "schedule", "startup", "manual"])))
                .col(string_len("state", 16).check(one_of("state", &["current", "superseded"])))
                .col(integer("accidents_used"))
                .col(integer("enterprises_scored"))
                .col(integer("duration_ms"))
                // The fitted model (coefficients, windows, priors) as JSON text.
                .col(text("model"))
                .to_owned(),
            vec![index("risk_fits", &["state"])],
        )
        .await?;
        create(
            m,
            table("risk_scores")
                .col(big_integer("fit_id"))
                .col(big_integer("enterprise_id"))
                .col(integer("history_accidents"))
                .col(integer("history_serious"))
                .col(double("expected_accidents"))
                .col(double("p_any"))
                .col(double("p_serious"))
                .col(double_null("industry_percentile"))
                .col(double_null("region_percentile"))
                // Exposure mix and explaining factors, as JSON text.
                .col(text("mix"))
                .col(text("factors"))
                .foreign_key(&mut fk_cascade("risk_scores", "fit_id", "risk_fits"))
                .foreign_key(&mut fk_cascade("risk_scores", "enterprise_id", "enterprises"))
                .to_owned(),
            vec![unique("risk_scores", &["fit_id", "enterprise_id"]), index("risk_scores", &["enterprise_id"])],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["risk_scores", "risk_fits"]).await
    }
}
