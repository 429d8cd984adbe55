//! Import runs (`import_runs`): one row per accident import that changed something,
//! with the file's digest, its counts, the rows it skipped and the rule versions.

use chrono::{DateTime, FixedOffset};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};

use crate::entities::import_runs;

pub type ImportRun = import_runs::Model;

pub struct NewRun {
    pub profile: String,
    pub file_name: String,
    pub file_sha256: String,
    pub rule_versions: serde_json::Value,
}

/// Records a run as `running`.
pub async fn start(db: &impl ConnectionTrait, run: NewRun) -> Result<ImportRun, DbErr> {
    import_runs::ActiveModel {
        profile: Set(run.profile),
        file_name: Set(run.file_name),
        file_sha256: Set(run.file_sha256),
        status: Set("running".to_string()),
        rule_versions: Set(Some(run.rule_versions)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// What a run did.
pub struct Finished {
    pub rows_read: i32,
    pub imported: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub skipped_rows: serde_json::Value,
    pub at: DateTime<FixedOffset>,
}

/// Records a run as `succeeded` with its counts.
pub async fn succeed(db: &impl ConnectionTrait, run: ImportRun, done: Finished) -> Result<ImportRun, DbErr> {
    let mut run: import_runs::ActiveModel = run.into();
    run.status = Set("succeeded".to_string());
    run.rows_read = Set(done.rows_read);
    run.imported = Set(done.imported);
    run.unchanged = Set(done.unchanged);
    run.skipped = Set(done.skipped);
    run.skipped_rows = Set(Some(done.skipped_rows));
    run.finished_at = Set(Some(done.at));
    run.update(db).await
}

/// Records a run as `failed` with the rows at fault (`[{line, reason}]`): nothing else
/// of it was written.
pub async fn fail(
    db: &impl ConnectionTrait,
    run: ImportRun,
    rows_read: i32,
    errors: serde_json::Value,
) -> Result<ImportRun, DbErr> {
    let mut run: import_runs::ActiveModel = run.into();
    run.status = Set("failed".to_string());
    run.rows_read = Set(rows_read);
    run.skipped_rows = Set(Some(errors));
    run.finished_at = Set(Some(chrono::Utc::now().fixed_offset()));
    run.update(db).await
}
