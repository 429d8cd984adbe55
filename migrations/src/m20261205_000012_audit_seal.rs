//! The audit trail without a lock shared by every write. A write appends its record to
//! `audit_log` inside its own transaction, unchained; a trigger queues the record's id in
//! `audit_unsealed`. One sealer at a time (the `audit_head` row's lock) takes the queue
//! in id order and chains the records into `audit_seal`: each seal's hash covers the
//! record's fields, its sequence number and the previous seal's hash, exactly as the
//! chain did when it lived in `audit_log` itself. The existing chain moves over as it is,
//! so every hash computed before stays valid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::build::{create, index, one_of, table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000012_audit_seal"
    }
}

/// The record's own columns, in the order both tables hold them.
const FIELDS: &str = "id, created_at, actor_id, actor_role, organisation_id, action, object_kind, object_id, \
                      enterprise_id, region_code, result, request_id, ip, detail";

fn records() -> TableCreateStatement {
    table("audit_log")
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
        .to_owned()
}

fn record_indexes() -> Vec<IndexCreateStatement> {
    vec![index("audit_log", &["enterprise_id", "created_at"]), index("audit_log", &["actor_id", "created_at"])]
}

/// The record table's indexes and triggers go before it is renamed, so the new table
/// can take their names (both databases keep them, names and all, through a rename,
/// and SQLite's other pooled connections may not see them go with the dropped table).
async fn drop_record_guards(db: &SchemaManagerConnection<'_>, backend: DbBackend) -> Result<(), DbErr> {
    for i in record_indexes() {
        let name = i.get_index_spec().get_name().unwrap_or_default().to_string();
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
    }
    let triggers: &[&str] = match backend {
        DbBackend::Postgres => &[
            "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_enqueue ON audit_log",
        ],
        _ => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            "DROP TRIGGER IF EXISTS audit_log_enqueue",
        ],
    };
    for sql in triggers {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Refuses UPDATE and DELETE on the records and on the seals; every new record is
/// queued for sealing by the same statement that inserts it.
fn triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Postgres => &[
            // `audit_log_append_only()` exists since the platform migration.
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
            "CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_seal \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
            "CREATE FUNCTION audit_log_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN INSERT INTO audit_unsealed (audit_id) VALUES (NEW.id); RETURN NULL; END $$",
            "CREATE TRIGGER audit_log_enqueue AFTER INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_enqueue()",
        ],
        _ => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_seal_no_update BEFORE UPDATE ON audit_seal \
             BEGIN SELECT RAISE(ABORT, 'audit_seal is append-only'); END",
            "CREATE TRIGGER audit_seal_no_delete BEFORE DELETE ON audit_seal \
             BEGIN SELECT RAISE(ABORT, 'audit_seal is append-only'); END",
            "CREATE TRIGGER audit_log_enqueue AFTER INSERT ON audit_log \
             BEGIN INSERT INTO audit_unsealed (audit_id) VALUES (NEW.id); END",
        ],
    }
}

/// Sets the id sequence past the ids copied in (PostgreSQL; SQLite follows on its own).
async fn resume_ids(db: &SchemaManagerConnection<'_>, backend: DbBackend, table: &str) -> Result<(), DbErr> {
    if backend == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        // The chained table is renamed and copied rather than altered: SQLite cannot drop
        // a UNIQUE column. Its indexes and triggers go with it when it is dropped.
        drop_record_guards(db, backend).await?;
        db.execute_unprepared("ALTER TABLE audit_log RENAME TO audit_log_chained").await?;
        m.create_table(records()).await?;
        db.execute_unprepared(&format!("INSERT INTO audit_log ({FIELDS}) SELECT {FIELDS} FROM audit_log_chained"))
            .await?;
        m.create_table(
            Table::create()
                .table("audit_seal")
                .col(big_integer("seq").primary_key())
                .col(big_integer("audit_id").unique_key())
                .col(char_len("prev_hash", 64))
                .col(char_len("hash", 64))
                .col(timestamp_with_time_zone("sealed_at").default(Expr::current_timestamp()))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO audit_seal (seq, audit_id, prev_hash, hash, sealed_at) \
             SELECT seq, id, prev_hash, hash, created_at FROM audit_log_chained",
        )
        .await?;
        db.execute_unprepared("DROP TABLE audit_log_chained").await?;
        // What waits for the sealer: a record's id, from the insert until it is sealed.
        m.create_table(Table::create().table("audit_unsealed").col(big_integer("audit_id").primary_key()).to_owned())
            .await?;
        for i in record_indexes() {
            m.create_index(i).await?;
        }
        resume_ids(db, backend, "audit_log").await?;
        for sql in triggers(backend) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        // Back to one chained table: the sealed records with their seals. Records still
        // waiting for the sealer have no place in it and are dropped with the queue.
        drop_record_guards(db, backend).await?;
        db.execute_unprepared("ALTER TABLE audit_log RENAME TO audit_log_unchained").await?;
        create(
            m,
            records()
                .col(big_integer("seq").unique_key())
                .col(char_len("prev_hash", 64))
                .col(char_len("hash", 64))
                .to_owned(),
            vec![],
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO audit_log ({FIELDS}, seq, prev_hash, hash) \
             SELECT {}, s.seq, s.prev_hash, s.hash FROM audit_log_unchained a JOIN audit_seal s ON s.audit_id = a.id",
            FIELDS.split(", ").map(|f| format!("a.{f}")).collect::<Vec<_>>().join(", ")
        ))
        .await?;
        let seal_triggers: &[&str] = match backend {
            DbBackend::Postgres => &["DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal"],
            _ => &["DROP TRIGGER IF EXISTS audit_seal_no_update", "DROP TRIGGER IF EXISTS audit_seal_no_delete"],
        };
        for sql in seal_triggers {
            db.execute_unprepared(sql).await?;
        }
        for t in ["audit_log_unchained", "audit_seal", "audit_unsealed"] {
            db.execute_unprepared(&format!("DROP TABLE {t}")).await?;
        }
        if backend == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_log_enqueue()").await?;
        }
        for i in record_indexes() {
            m.create_index(i).await?;
        }
        resume_ids(db, backend, "audit_log").await?;
        let restore: &[&str] = match backend {
            DbBackend::Postgres => {
                &["CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log \
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"]
            }
            _ => &[
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            ],
        };
        for sql in restore {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
