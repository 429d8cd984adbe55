//! The enterprise register: enterprises that bureaus and the service organisation
//! create, edit and deactivate by API (with their declared process conditions and
//! equipment), when and how each was first seen (so new units can be followed until
//! they are covered), and the data feeds uploaded over HTTP with their status.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, index, one_of, table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000015_enterprise_register"
    }
}

/// How an enterprise came into the register.
pub const ORIGINS: &[&str] = &["seed", "api", "roster", "accidents"];

/// The enterprise columns, in the order they are added (and dropped in reverse).
const COLUMNS: &[&str] = &["active", "deactivated_at", "first_seen_at", "origin", "process_conditions", "equipment"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER, and only with a constant default: the first
        // sighting is back-filled from `created_at` and always written by the application.
        let columns = [
            boolean("active").default(true).to_owned(),
            timestamp_with_time_zone_null("deactivated_at").to_owned(),
            timestamp_with_time_zone_null("first_seen_at").to_owned(),
            string_len_null("origin", 16).check(one_of("origin", ORIGINS)).to_owned(),
            // Terms of `rules/hazards/vocabulary.toml`, as JSON arrays of strings.
            json_binary_null("process_conditions").to_owned(),
            json_binary_null("equipment").to_owned(),
        ];
        for mut c in columns {
            m.alter_table(Table::alter().table("enterprises").add_column(&mut c).to_owned()).await?;
        }
        m.get_connection().execute_unprepared("UPDATE enterprises SET first_seen_at = created_at").await?;
        m.create_index(index("enterprises", &["first_seen_at"])).await?;

        // A file uploaded over HTTP, from upload to done: what the caller polls. What the
        // import did is also an `import_runs` row (`run_id`), as for the CLI.
        create(
            m,
            table("import_feeds")
                .col(string_len("kind", 16).check(one_of("kind", &["roster", "accidents"])))
                .col(string_len("profile", 32))
                .col(string_len_null("mapping", 64))
                .col(string("file_name"))
                .col(char_len("file_sha256", 64))
                .col(big_integer("size_bytes"))
                .col(
                    string_len("status", 16)
                        .check(one_of("status", &["queued", "running", "done", "failed"]))
                        .default("queued"),
                )
                .col(integer("rows_total").default(0))
                .col(integer("rows_done").default(0))
                // `{created, updated, unchanged, imported, skipped, ...}` by kind.
                .col(json_binary_null("counts"))
                // `[{line, reason, field?}]`.
                .col(json_binary_null("errors"))
                .col(text_null("message"))
                .col(big_integer("requested_by"))
                // Who sees the feed: the uploader's region (a bureau) or organisation
                // (the service organisation).
                .col(string_len_null("owner_region", 6))
                .col(big_integer_null("owner_org"))
                .col(big_integer_null("run_id"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .col(timestamp_with_time_zone_null("finished_at"))
                .foreign_key(&mut fk("import_feeds", "requested_by", "users"))
                .foreign_key(&mut fk("import_feeds", "run_id", "import_runs"))
                .to_owned(),
            vec![index("import_feeds", &["owner_region"]), index("import_feeds", &["owner_org"])],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["import_feeds"]).await?;
        m.drop_index(Index::drop().name("ix_enterprises_first_seen_at").table("enterprises").to_owned()).await?;
        for c in COLUMNS.iter().rev() {
            m.alter_table(Table::alter().table("enterprises").drop_column(*c).to_owned()).await?;
        }
        Ok(())
    }
}
