//! Who and where: regions, organisations, enterprises, experts, users.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::build::{create, drop, fk, fk_cascade, fk_to, index, one_of, table, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_reference"
    }
}

pub const ORG_KINDS: &[&str] = &["hrss_bureau", "emergency_bureau", "service_org"];
pub const ROLES: &[&str] = &[
    "enterprise_officer",
    "responsible_person",
    "expert",
    "hrss_bureau",
    "emergency_bureau",
    "service_org",
    "system_admin",
    "security_admin",
    "audit_admin",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // GB/T 2260 divisions, keyed by their 6-digit code.
        create(
            m,
            Table::create()
                .table("regions")
                .col(char_len("code", 6).primary_key())
                .col(string("name_zh"))
                .col(string("name_en"))
                .col(string_len("level", 16).check(one_of("level", &["province", "city", "county"])))
                .col(char_len_null("parent_code", 6))
                .foreign_key(&mut fk_to("regions", "parent_code", "regions", "code"))
                .to_owned(),
            vec![index("regions", &["parent_code"])],
        )
        .await?;

        // Bureaus (with the region they oversee) and service organisations.
        create(
            m,
            table("organisations")
                .col(string_len("kind", 32).check(one_of("kind", ORG_KINDS)))
                .col(string("name"))
                .col(char_len_null("region_code", 6))
                .foreign_key(&mut fk_to("organisations", "region_code", "regions", "code"))
                .to_owned(),
            vec![index("organisations", &["region_code"])],
        )
        .await?;

        create(
            m,
            table("enterprises")
                // 统一社会信用代码, check digit verified before insert; absent only for
                // records imported from foreign reference data.
                .col(string_len_null("credit_code", 18))
                // Name-keyed imports: `<source>:<resolved name>`.
                .col(string_null("source_key"))
                .col(string("name"))
                // GB/T 4754-2017, lettered form (C2614); the division is kept apart for
                // fast grouping.
                .col(string_len_null("industry_code", 8))
                .col(char_len_null("industry_division", 2))
                .col(char_len_null("region_code", 6))
                .col(string_null("address"))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(integer_null("workforce").check(Expr::col("workforce").gte(0)))
                .col(integer_null("insured_workers").check(Expr::col("insured_workers").gte(0)))
                // 工伤保险行业风险类别 1–8.
                .col(small_integer_null("risk_class").check(Expr::col("risk_class").between(1, 8)))
                // 安全生产标准化 grade: level1 (一级) … level3 (三级).
                .col(
                    string_len_null("standardisation_grade", 16)
                        .check(one_of("standardisation_grade", &["level1", "level2", "level3"])),
                )
                .col(boolean("is_key").default(false))
                // IANA zone for display; every stored time is UTC.
                .col(string_len("time_zone", 64).default("Asia/Shanghai"))
                .col(big_integer_null("service_org_id"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk_to("enterprises", "region_code", "regions", "code"))
                .foreign_key(&mut fk("enterprises", "service_org_id", "organisations"))
                .to_owned(),
            vec![
                unique("enterprises", &["credit_code"]),
                unique("enterprises", &["source_key"]),
                index("enterprises", &["region_code", "industry_division"]),
                index("enterprises", &["industry_division"]),
            ],
        )
        .await?;

        create(
            m,
            table("experts")
                .col(string("name"))
                .col(big_integer_null("organisation_id"))
                .col(char_len_null("region_code", 6))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(string_null("title"))
                .col(integer("max_open_tasks").default(5))
                .col(boolean("active").default(true))
                .foreign_key(&mut fk("experts", "organisation_id", "organisations"))
                .foreign_key(&mut fk_to("experts", "region_code", "regions", "code"))
                .to_owned(),
            vec![index("experts", &["region_code"])],
        )
        .await?;

        // What an expert is competent in: industries (GB/T 4754 division) and accident
        // types (with their code system).
        create(
            m,
            table("expert_competences")
                .col(big_integer("expert_id"))
                .col(string_len("kind", 16).check(one_of("kind", &["industry", "accident_type"])))
                .col(string_len("code_system", 16))
                .col(string_len("code", 32))
                .foreign_key(&mut fk_cascade("expert_competences", "expert_id", "experts"))
                .to_owned(),
            vec![
                unique("expert_competences", &["expert_id", "kind", "code_system", "code"]),
                index("expert_competences", &["kind", "code"]),
            ],
        )
        .await?;

        // Declared conflicts of interest: the expert is never dispatched there.
        create(
            m,
            table("expert_conflicts")
                .col(big_integer("expert_id"))
                .col(big_integer("enterprise_id"))
                .col(string("reason"))
                .foreign_key(&mut fk_cascade("expert_conflicts", "expert_id", "experts"))
                .foreign_key(&mut fk_cascade("expert_conflicts", "enterprise_id", "enterprises"))
                .to_owned(),
            vec![unique("expert_conflicts", &["expert_id", "enterprise_id"])],
        )
        .await?;

        // One role per account; the scope columns that apply to the role are set
        // (enterprise for officers and responsible persons, region for bureaus, expert
        // for experts, organisation for bureaus and service organisations).
        create(
            m,
            table("users")
                .col(string("display_name"))
                .col(string_len("role", 32).check(one_of("role", ROLES)))
                .col(
                    string_len("status", 16)
                        .default("active")
                        .check(one_of("status", &["active", "locked", "disabled"])),
                )
                .col(big_integer_null("organisation_id"))
                .col(big_integer_null("enterprise_id"))
                .col(big_integer_null("expert_id"))
                .col(char_len_null("region_code", 6))
                .col(string_len_null("username", 64))
                .col(string_null("password_hash"))
                // TOTP secret, sealed like phones (`<key id>:<ciphertext>`), and the last
                // accepted time step so a code is good once.
                .col(string_null("totp_secret"))
                .col(big_integer_null("totp_last_step"))
                .col(string_len_null("wx_openid", 64))
                .col(string_len_null("wx_unionid", 64))
                // Phone: AES-256-GCM ciphertext with the id of the key that sealed it
                // (rotation), and a keyed hash for lookup; never stored in clear.
                .col(text_null("phone_cipher"))
                .col(string_len_null("phone_key_id", 16))
                .col(char_len_null("phone_hash", 64))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .col(integer("failed_logins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(&mut fk("users", "organisation_id", "organisations"))
                .foreign_key(&mut fk("users", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("users", "expert_id", "experts"))
                .foreign_key(&mut fk_to("users", "region_code", "regions", "code"))
                .to_owned(),
            vec![
                unique("users", &["username"]),
                unique("users", &["wx_openid"]),
                unique("users", &["phone_hash"]),
                index("users", &["enterprise_id"]),
                index("users", &["role", "region_code"]),
            ],
        )
        .await?;

        // Sign-in sessions: an opaque access token and a rotating refresh token, both
        // stored only as hashes. A family is one sign-in; reusing a spent refresh token
        // revokes the whole family.
        create(
            m,
            table("auth_sessions")
                .col(big_integer("user_id"))
                .col(string_len("family_id", 32))
                .col(char_len("access_hash", 64))
                .col(char_len("refresh_hash", 64))
                .col(timestamp_with_time_zone("access_expires_at"))
                .col(timestamp_with_time_zone("refresh_expires_at"))
                .col(timestamp_with_time_zone("last_seen_at").default(Expr::current_timestamp()))
                .col(timestamp_with_time_zone_null("spent_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(string_len_null("revoke_reason", 64))
                .col(string_len_null("ip", 64))
                .col(string_null("user_agent"))
                .foreign_key(&mut fk_cascade("auth_sessions", "user_id", "users"))
                .to_owned(),
            vec![
                unique("auth_sessions", &["access_hash"]),
                unique("auth_sessions", &["refresh_hash"]),
                index("auth_sessions", &["family_id"]),
                index("auth_sessions", &["user_id"]),
            ],
        )
        .await?;

        // Single-use, expiring codes that bind a WeChat account to an enterprise.
        create(
            m,
            table("binding_codes")
                .col(big_integer("enterprise_id"))
                .col(string_len("role", 32).check(one_of("role", &["enterprise_officer", "responsible_person"])))
                .col(char_len("code_hash", 64))
                .col(big_integer_null("issued_by"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(big_integer_null("used_by"))
                .foreign_key(&mut fk_cascade("binding_codes", "enterprise_id", "enterprises"))
                .foreign_key(&mut fk("binding_codes", "issued_by", "users"))
                .foreign_key(&mut fk("binding_codes", "used_by", "users"))
                .to_owned(),
            vec![unique("binding_codes", &["code_hash"]), index("binding_codes", &["enterprise_id"])],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(
            m,
            &[
                "binding_codes",
                "auth_sessions",
                "users",
                "expert_conflicts",
                "expert_competences",
                "experts",
                "enterprises",
                "organisations",
                "regions",
            ],
        )
        .await
    }
}
