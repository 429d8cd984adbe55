//! Cross-cutting records: the audit trail, idempotency keys for retried writes from
//! phones on bad connections, and the outbox for notifications.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::build::{create, drop, index, one_of, table, unique};

/// The `prev_hash` of the first audit record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Triggers that refuse UPDATE and DELETE (and TRUNCATE) on the audit trail.
fn append_only_triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Postgres => &[
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
        ],
        _ => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        ],
    }
}

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000005_platform"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Append-only and hash-chained; no foreign keys so the trail outlives what it
        // describes. `seq` orders the chain; each row's `hash` covers its fields and
        // the previous row's hash. `detail` is text so the hashed bytes are the stored ones.
        create(
            m,
            table("audit_log")
                .col(big_integer("seq").unique_key())
                .col(big_integer_null("actor_id"))
                .col(string_len("actor_role", 32))
                .col(big_integer_null("organisation_id"))
                .col(string_len("action", 64))
                .col(string_len("object_kind", 32))
                .col(string_len_null("object_id", 64))
                .col(big_integer_null("enterprise_id"))
                .col(char_len_null("region_code", 6))
                .col(string_len("result", 16).check(one_of("result", &["ok", "denied", "failed"])))
                .col(string_len_null("request_id", 64))
                .col(string_len_null("ip", 64))
                .col(text_null("detail"))
                .col(char_len("prev_hash", 64))
                .col(char_len("hash", 64))
                .to_owned(),
            vec![index("audit_log", &["enterprise_id", "created_at"]), index("audit_log", &["actor_id", "created_at"])],
        )
        .await?;
        // The chain's head: one row, updated first by every append so that appends
        // serialise on its row lock (PostgreSQL) or the write lock (SQLite).
        create(
            m,
            Table::create()
                .table("audit_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(char_len("hash", 64))
                .to_owned(),
            vec![],
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(&format!("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")).await?;
        for sql in append_only_triggers(m.get_database_backend()) {
            db.execute_unprepared(sql).await?;
        }

        // A retried write with the same key replays the stored answer.
        create(
            m,
            table("idempotency_keys")
                .col(big_integer("user_id"))
                .col(string_len("key", 128))
                .col(string_len("method", 8))
                .col(string("path"))
                .col(char_len("request_sha256", 64))
                .col(small_integer_null("response_status"))
                .col(text_null("response_body"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
            vec![unique("idempotency_keys", &["user_id", "key"]), index("idempotency_keys", &["expires_at"])],
        )
        .await?;

        create(
            m,
            table("outbox")
                .col(string_len("topic", 64))
                .col(json_binary("payload"))
                .col(timestamp_with_time_zone("available_at").default(Expr::current_timestamp()))
                .col(integer("attempts").default(0))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone_null("dispatched_at"))
                .to_owned(),
            vec![index("outbox", &["dispatched_at", "available_at"])],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["outbox", "idempotency_keys", "audit_head", "audit_log"]).await?;
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()").await?;
        }
        Ok(())
    }
}
