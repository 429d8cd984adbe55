//! Staff accounts (MLPS level 3, GB/T 22239-2019 8.1.4.1): the password's age and a
//! forced change at first sign-in or after a reset, the hashes of recent passwords so
//! none is reused, and a second factor that is pending until its first code confirms it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk_cascade, index, table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000014_staff"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER; NOT NULL needs a default there.
        let columns = [
            // The next sign-in may only change the password (first sign-in, reset).
            boolean("must_change_password").default(false).to_owned(),
            // When the password was last set; it expires `auth.password_max_age_days` later.
            timestamp_with_time_zone_null("password_changed_at").to_owned(),
            // A TOTP secret being enrolled (sealed like `totp_secret`), until its first
            // code confirms it and it becomes `totp_secret`.
            string_null("totp_pending_secret").to_owned(),
        ];
        for mut c in columns {
            m.alter_table(Table::alter().table("users").add_column(&mut c).to_owned()).await?;
        }
        // Passwords set before this migration count from now: nobody is expired by it.
        m.get_connection()
            .execute_unprepared(
                "UPDATE users SET password_changed_at = CURRENT_TIMESTAMP WHERE password_hash IS NOT NULL",
            )
            .await?;
        // Argon2 hashes of an account's previous passwords (the newest few are kept).
        create(
            m,
            table("password_history")
                .col(big_integer("user_id"))
                .col(string("password_hash"))
                .foreign_key(&mut fk_cascade("password_history", "user_id", "users"))
                .to_owned(),
            vec![index("password_history", &["user_id", "id"])],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, &["password_history"]).await?;
        for c in ["totp_pending_secret", "password_changed_at", "must_change_password"] {
            m.alter_table(Table::alter().table("users").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
