//! Cross-cutting records: the audit trail, idempotency keys for retried writes from
//! phones on bad connections, and the outbox for notifications.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, index, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000005_platform"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Append-only; no foreign keys so the trail outlives what it describes.
        create(
            m,
            table("audit_log")
                .col(big_integer_null("actor_id"))
                .col(string_len("actor_role", 32))
                .col(string_len("action", 64))
                .col(string_len("object_kind", 32))
                .col(string_len_null("object_id", 64))
                .col(big_integer_null("enterprise_id"))
                .col(char_len_null("region_code", 6))
                .col(string_len_null("request_id", 64))
                .col(string_len_null("ip", 64))
                .col(json_binary_null("detail"))
                .to_owned(),
            vec![index("audit_log", &["enterprise_id", "created_at"]), index("audit_log", &["actor_id", "created_at"])],
        )
        .await?;

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
        drop(m, &["outbox", "idempotency_keys", "audit_log"]).await
    }
}
