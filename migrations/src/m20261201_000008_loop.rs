//! The self-inspection loop as the mini-program drives it (issue 6): client-generated
//! ids for offline replay, photo evidence with what proves it, presigned uploads
//! awaiting their commit, report versions with a receipt per bureau, the per-enterprise
//! change feed for sync, subscription-message consent and deduplicated notifications.
//!
//! `evidence`, `reports` and `report_receipts` are replaced whole: nothing wrote them
//! before this migration, and their new columns carry NOT NULL constraints that an
//! ALTER on SQLite cannot add.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_loop"
    }
}

const OWNER_KINDS: &[&str] = &["finding", "inspection_item", "task"];
const PHASES: &[&str] = &["before", "progress", "after"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Offline clients name what they create; a replay finds the row instead of
        // making a second one.
        for t in ["inspections", "findings"] {
            m.alter_table(Table::alter().table(t).add_column(string_len_null("client_id", 64)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter().table("inspections").add_column(timestamp_with_time_zone_null("closed_at")).to_owned(),
        )
        .await?;
        // Who found it: the enterprise itself or an expert on a visit.
        m.alter_table(Table::alter().table("findings").add_column(string_len("origin", 16).default("self")).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table("rectification_updates").add_column(json_binary_null("evidence_ids")).to_owned(),
        )
        .await?;
        // Extensions and progress leave the state as it is: the history names the action.
        m.alter_table(Table::alter().table("finding_transitions").add_column(string_len_null("action", 32)).to_owned())
            .await?;
        m.create_index(unique("inspections", &["enterprise_id", "client_id"])).await?;
        m.create_index(unique("findings", &["enterprise_id", "client_id"])).await?;

        drop(m, &["report_receipts", "reports", "evidence"]).await?;

        // A photo, stored byte-exact under `storage_key`, with its display copy and
        // everything that tells whether it is what it claims to be.
        create(
            m,
            table("evidence")
                .col(big_integer("enterprise_id"))
                .col(string_len("client_id", 64))
                .col(string_len("owner_kind", 32).check(one_of("owner_kind", OWNER_KINDS)))
                .col(big_integer("owner_id"))
                .col(string_len("phase", 16).check(one_of("phase", PHASES)))
                .col(string_len("upload_path", 16).check(one_of("upload_path", &["multipart", "presigned"])))
                .col(string("storage_key"))
                .col(string("display_key"))
                .col(string_len("content_type", 64))
                .col(big_integer("size_bytes"))
                .col(char_len("sha256", 64))
                .col(integer("width"))
                .col(integer("height"))
                .col(timestamp_with_time_zone("received_at"))
                // What the client reported.
                .col(timestamp_with_time_zone_null("captured_at"))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                // What the file itself says.
                .col(timestamp_with_time_zone_null("exif_taken_at"))
                .col(double_null("exif_latitude"))
                .col(double_null("exif_longitude"))
                .col(json_binary("flags"))
                .col(big_integer("uploaded_by"))
                .foreign_key(&mut fk_cascade("evidence", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("evidence", "uploaded_by", "users"))
                .to_owned(),
            vec![
                unique("evidence", &["enterprise_id", "client_id"]),
                index("evidence", &["owner_kind", "owner_id", "phase"]),
                index("evidence", &["sha256"]),
            ],
        )
        .await?;

        // A direct upload the server has signed and not yet seen committed. The
        // evidence row is written only at commit, once the object is there and checked.
        create(
            m,
            table("upload_intents")
                .col(big_integer("enterprise_id"))
                .col(big_integer("user_id"))
                .col(string_len("client_id", 64))
                .col(string("object_key").unique_key())
                .col(string_len("content_type", 64))
                .col(big_integer("size_bytes"))
                .col(string_len("owner_kind", 32).check(one_of("owner_kind", OWNER_KINDS)))
                .col(big_integer("owner_id"))
                .col(string_len("phase", 16).check(one_of("phase", PHASES)))
                .col(timestamp_with_time_zone_null("captured_at"))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("committed_at"))
                .foreign_key(&mut fk_cascade("upload_intents", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("upload_intents", "user_id", "users"))
                .to_owned(),
            vec![unique("upload_intents", &["enterprise_id", "client_id"]), index("upload_intents", &["expires_at"])],
        )
        .await?;

        // 自查自纠报告: every version kept; a revision points at the one it replaces.
        create(
            m,
            table("reports")
                .col(big_integer("enterprise_id"))
                .col(big_integer("inspection_id"))
                .col(integer("version"))
                .col(big_integer_null("previous_id"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(
                    string_len("status", 16).check(one_of("status", &["draft", "submitted", "returned", "superseded"])),
                )
                .col(json_binary("content"))
                .col(string_null("pdf_key"))
                .col(char_len_null("pdf_sha256", 64))
                .col(big_integer("created_by"))
                .col(big_integer_null("submitted_by"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .foreign_key(&mut fk_cascade("reports", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("reports", "inspection_id", "inspections"))
                .foreign_key(&mut fk("reports", "previous_id", "reports"))
                .foreign_key(&mut fk("reports", "created_by", "users"))
                .foreign_key(&mut fk("reports", "submitted_by", "users"))
                .to_owned(),
            vec![unique("reports", &["inspection_id", "version"]), index("reports", &["enterprise_id", "status"])],
        )
        .await?;

        // Each bureau's receipt of a submitted version.
        create(
            m,
            table("report_receipts")
                .col(big_integer("report_id"))
                .col(big_integer("organisation_id"))
                .col(string_len("status", 16).check(one_of("status", &["received", "read", "returned"])))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(big_integer_null("read_by"))
                .col(timestamp_with_time_zone_null("returned_at"))
                .col(big_integer_null("returned_by"))
                .col(text_null("comments"))
                .foreign_key(&mut fk_cascade("report_receipts", "report_id", "reports"))
                .foreign_key(&mut fk("report_receipts", "organisation_id", "organisations"))
                .foreign_key(&mut fk("report_receipts", "read_by", "users"))
                .foreign_key(&mut fk("report_receipts", "returned_by", "users"))
                .to_owned(),
            vec![
                unique("report_receipts", &["report_id", "organisation_id"]),
                index("report_receipts", &["organisation_id", "status"]),
            ],
        )
        .await?;

        // The change feed a phone syncs from. `sync_heads` hands out each enterprise's
        // next sequence number under a row lock held to commit, so one enterprise's
        // changes commit in sequence order and a cursor never skips one.
        m.create_table(
            Table::create()
                .table("sync_heads")
                .col(big_integer("enterprise_id").primary_key())
                .col(big_integer("seq"))
                .foreign_key(&mut fk_cascade("sync_heads", "enterprise_id", "enterprises"))
                .to_owned(),
        )
        .await?;
        create(
            m,
            table("sync_log")
                .col(big_integer("enterprise_id"))
                .col(big_integer("seq"))
                .col(string_len("kind", 32))
                .col(big_integer("object_id"))
                .foreign_key(&mut fk_cascade("sync_log", "enterprise_id", "enterprises"))
                .to_owned(),
            vec![unique("sync_log", &["enterprise_id", "seq"])],
        )
        .await?;

        // WeChat one-time subscription messages: each consent the user gives in
        // `wx.requestSubscribeMessage` allows one message of that template.
        create(
            m,
            table("subscriptions")
                .col(big_integer("user_id"))
                .col(string_len("template", 64))
                .col(integer("credits"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk_cascade("subscriptions", "user_id", "users"))
                .to_owned(),
            vec![unique("subscriptions", &["user_id", "template"])],
        )
        .await?;

        // A notification is queued once per cause (finding, reminder kind, deadline).
        m.alter_table(Table::alter().table("outbox").add_column(string_len_null("dedupe_key", 128)).to_owned()).await?;
        m.create_index(unique("outbox", &["dedupe_key"])).await?;

        // When each scheduled job last ran, so a restart neither repeats nor skips a window.
        m.create_table(
            Table::create()
                .table("job_marks")
                .col(string_len("name", 64).primary_key())
                .col(timestamp_with_time_zone("last_run_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["job_marks"]).await?;
        m.drop_index(Index::drop().name("ux_outbox_dedupe_key").table("outbox").to_owned()).await?;
        m.alter_table(Table::alter().table("outbox").drop_column("dedupe_key").to_owned()).await?;
        drop(
            m,
            &["subscriptions", "sync_log", "sync_heads", "report_receipts", "reports", "upload_intents", "evidence"],
        )
        .await?;
        restore_old_tables(m).await?;
        m.drop_index(Index::drop().name("ux_findings_enterprise_id_client_id").table("findings").to_owned()).await?;
        m.drop_index(Index::drop().name("ux_inspections_enterprise_id_client_id").table("inspections").to_owned())
            .await?;
        m.alter_table(Table::alter().table("finding_transitions").drop_column("action").to_owned()).await?;
        m.alter_table(Table::alter().table("rectification_updates").drop_column("evidence_ids").to_owned()).await?;
        m.alter_table(Table::alter().table("findings").drop_column("origin").to_owned()).await?;
        m.alter_table(Table::alter().table("inspections").drop_column("closed_at").to_owned()).await?;
        for t in ["inspections", "findings"] {
            m.alter_table(Table::alter().table(t).drop_column("client_id").to_owned()).await?;
        }
        Ok(())
    }
}

/// `evidence`, `reports` and `report_receipts` as migration 3 made them.
async fn restore_old_tables(m: &SchemaManager<'_>) -> Result<(), DbErr> {
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
