//! One refit: read every enterprise and accident, fit and score off the async
//! workers, then store the fit and its scores and make it current, all in one
//! transaction. On PostgreSQL a transaction-scoped advisory lock lets one instance
//! refit at a time; the others skip and read its result. In process a mutex does the
//! same, per database, for overlapping triggers.

use std::time::Instant;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use zhicha_engine::risk::{self, RiskConfig, RiskError};

use crate::store::risk::{NewFit, NewScore};
use crate::store::{accidents, enterprises, risk as fits};

/// Advisory-lock key of the refit ("zhicha refit" as a number).
pub const LOCK_KEY: i64 = 0x7a68_6963_6861_7266;

/// Databases this process is refitting now. Keyed by database, not one flag for the
/// process, so several applications in one process (the tests) do not block each other.
static RUNNING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Marks a database as being refitted until dropped.
struct Running(String);

impl Running {
    fn claim(key: String) -> Option<Self> {
        let mut running = RUNNING.lock().ok()?;
        if running.contains(&key) {
            return None;
        }
        running.push(key.clone());
        Some(Running(key))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock() {
            running.retain(|k| *k != self.0);
        }
    }
}

/// Which database `db` is: its name on PostgreSQL, its file on SQLite.
async fn database_key(db: &DatabaseConnection) -> anyhow::Result<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT current_database() AS name",
        _ => "SELECT file AS name FROM pragma_database_list WHERE name = 'main'",
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.and_then(|r| r.try_get::<String>("", "name").ok()).unwrap_or_default())
}

/// Why a refit ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Import,
    Schedule,
    Startup,
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Import => "import",
            Trigger::Schedule => "schedule",
            Trigger::Startup => "startup",
            Trigger::Manual => "manual",
        }
    }
}

/// What a refit did.
#[derive(Debug, Clone, PartialEq)]
pub enum Refit {
    Fitted {
        fit_id: i64,
        enterprises: usize,
        accidents: usize,
        duration_ms: u128,
    },
    /// Another refit holds the lock; its result will be current.
    Busy,
    /// The current fit is recent enough (another instance made it): nothing to do.
    Fresh,
    /// Not enough history to fit (a new installation); nothing changed.
    TooLittleData(String),
}

/// The cutoff a live refit uses: the day after the newest accident on record (the
/// cutoff day itself is excluded), but not after tomorrow, so a history imported in bulk
/// (the latest record weeks or years old) is scored on its own recent window rather
/// than an empty one.
pub async fn default_cutoff(db: &DatabaseConnection) -> anyhow::Result<NaiveDate> {
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let newest = accidents::newest_date(db).await?;
    Ok(newest.and_then(|d| d.succ_opt()).map_or(tomorrow, |d| d.min(tomorrow)))
}

/// Refits every enterprise with accidents before `cutoff` (see [`default_cutoff`]).
/// With `unless_fresh`, it does nothing when the current fit is younger than that, as
/// judged once the lock is held: another instance's refit that finished meanwhile
/// counts, so instances started together (or whose schedules drift apart) refit once.
pub async fn refit(
    db: &DatabaseConnection,
    trigger: Trigger,
    cutoff: NaiveDate,
    config: &RiskConfig,
    unless_fresh: Option<chrono::Duration>,
) -> anyhow::Result<Refit> {
    let Some(_running) = Running::claim(database_key(db).await?) else { return Ok(Refit::Busy) };
    let started = Instant::now();
    let txn = crate::platform::db::begin_write(db).await?;
    if !crate::platform::db::xact_lock(&*txn, &[LOCK_KEY], false).await? {
        txn.rollback().await?;
        return Ok(Refit::Busy);
    }
    if let Some(fresh) = unless_fresh {
        let current = crate::store::risk::current_fit(&txn).await?;
        if current.is_some_and(|f| chrono::Utc::now() - f.created_at.with_timezone(&chrono::Utc) < fresh) {
            txn.rollback().await?;
            return Ok(Refit::Fresh);
        }
    }
    let firms = enterprises::risk_profiles(&txn).await?;
    // Name-keyed enterprises (stored with a source key, not a credit code) carry their
    // resolved name in it: its word count is the model's size signal, as in the backtest.
    let signals = |key: &Option<String>| risk::EmployerSignals {
        name_words: key.as_deref().and_then(risk::EmployerSignals::words_of_key),
        ..Default::default()
    };
    let industry_of: std::collections::HashMap<i64, (String, Option<String>, risk::EmployerSignals)> = firms
        .iter()
        .map(|(id, ind, reg, _, key)| (*id, (ind.clone().unwrap_or_default(), reg.clone(), signals(key))))
        .collect();
    let rows = accidents::risk_rows_before(&txn, cutoff).await?;
    let n_accidents = rows.len();
    let config = config.clone();
    // Fitting is CPU work: off the async workers.
    let assessed = tokio::task::spawn_blocking(move || {
        let accidents: Vec<risk::Accident> = rows
            .into_iter()
            .map(|(id, date, kind, part, job, severity)| {
                let (industry, region, employer) = industry_of.get(&id).cloned().unwrap_or_default();
                risk::Accident {
                    enterprise: id.to_string(),
                    industry,
                    region,
                    date,
                    accident_type: kind,
                    body_part: part,
                    job,
                    severe: severity != "minor",
                    employer,
                }
            })
            .collect();
        let list: Vec<risk::Enterprise> = firms
            .into_iter()
            .map(|(id, industry, region, workers, key)| risk::Enterprise {
                key: id.to_string(),
                industry: industry.unwrap_or_default(),
                region,
                workers: workers.map(f64::from),
                employer: signals(&key),
            })
            .collect();
        risk::assess(&accidents, &list, cutoff, &config)
    })
    .await?;
    let assessment = match assessed {
        Ok(a) => a,
        Err(RiskError::TooLittleData(why)) => {
            txn.rollback().await?;
            return Ok(Refit::TooLittleData(why));
        }
        Err(e) => return Err(e.into()),
    };
    fits::supersede_current(&txn).await?;
    let n_scores = assessment.scores.len();
    let fit = fits::insert_current_fit(
        &txn,
        NewFit {
            model_version: assessment.model.version.clone(),
            cutoff,
            horizon_months: i32::try_from(assessment.model.plan.horizon_months).unwrap_or(12),
            trigger: trigger.as_str().to_string(),
            accidents_used: i32::try_from(n_accidents).unwrap_or(i32::MAX),
            enterprises_scored: i32::try_from(n_scores).unwrap_or(i32::MAX),
            model: serde_json::to_string(&assessment.model)?,
        },
    )
    .await?;
    let mut batch = Vec::with_capacity(500);
    for s in assessment.scores {
        let Ok(enterprise_id) = s.enterprise.parse::<i64>() else { continue };
        batch.push(NewScore {
            enterprise_id,
            history_accidents: i32::try_from(s.history_accidents).unwrap_or(i32::MAX),
            history_serious: i32::try_from(s.history_serious).unwrap_or(i32::MAX),
            expected_accidents: s.expected_accidents,
            p_any: s.p_any,
            p_serious: s.p_serious,
            industry_percentile: s.industry_percentile,
            region_percentile: s.region_percentile,
            mix: serde_json::to_string(&s.mix)?,
            factors: serde_json::to_string(&describe(&s.factors))?,
        });
        // Bounded statements: PostgreSQL allows 65,535 parameters per statement.
        if batch.len() == 500 {
            fits::insert_scores(&txn, fit, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        fits::insert_scores(&txn, fit, batch).await?;
    }
    let duration_ms = started.elapsed().as_millis();
    fits::set_fit_duration(&txn, fit, i32::try_from(duration_ms).unwrap_or(i32::MAX)).await?;
    txn.commit().await?;
    Ok(Refit::Fitted { fit_id: fit, enterprises: n_scores, accidents: n_accidents, duration_ms })
}

/// Factors as stored: the data plus the one-line reading.
fn describe(factors: &[risk::Factor]) -> Vec<serde_json::Value> {
    factors
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("text".into(), serde_json::Value::String(f.describe()));
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refit_per_database_in_a_process() {
        let first = Running::claim("db-a".into());
        assert!(first.is_some());
        assert!(Running::claim("db-a".into()).is_none(), "a second refit of the same database stands aside");
        let other = Running::claim("db-b".into());
        assert!(other.is_some(), "another database is not blocked");
        drop(first);
        assert!(Running::claim("db-a".into()).is_some(), "free again once the first is done");
    }
}
