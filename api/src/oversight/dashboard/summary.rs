//! A jurisdiction's progress in one pass over `enterprise_progress`, by city: the
//! programme targets and their attainment, rectification with a bucketed median time to
//! close, escalations, expert tasks and report receipts.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::selfcheck::targets::{FOUND_TARGET, RECOMMENDED_TARGET};

/// Upper bounds (days) of the close-time buckets, in `enterprise_progress` order.
const BUCKET_DAYS: [f64; 7] = [1.0, 3.0, 7.0, 15.0, 30.0, 60.0, 120.0];

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub enterprises: i64,
    pub key_enterprises: i64,
    /// Items of the latest recommendation rounds, summed (target ≥ 150 each).
    pub recommended: i64,
    pub answered: i64,
    /// Hazards found (target ≥ 50 each).
    pub found: i64,
    /// Accepted after rectification (销号).
    pub rectified: i64,
    /// rectified / found (target ≥ 0.8).
    pub rectified_share: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub major_found: i64,
    pub major_open: i64,
    pub major_overdue: i64,
    /// Enterprises meeting each target, and all three.
    pub recommended_met: i64,
    pub found_met: i64,
    pub rectified_met: i64,
    pub all_met: i64,
    /// Median days from report to acceptance, interpolated within day buckets.
    pub median_days_to_close: Option<f64>,
    #[serde(skip)]
    close: [i64; 7],
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CityProgress {
    /// The city's GB/T 2260 code (`640200`).
    pub region_code: String,
    #[serde(flatten)]
    pub progress: Progress,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    /// The region the figures cover.
    pub region_code: String,
    #[serde(flatten)]
    pub total: Progress,
    /// One entry per city in the region (one for a city user).
    pub cities: Vec<CityProgress>,
    /// Escalations by `level:state` (`2:open`).
    pub escalations: Vec<Count>,
    /// Tasks by `kind:status`.
    pub tasks: Vec<Count>,
    /// Report receipts by status (`received`, `read`, `returned`).
    pub report_receipts: Vec<Count>,
    /// Units new to the register and whether each is covered.
    #[serde(default)]
    pub new_units: NewUnits,
}

/// Active enterprises first seen (created by API, or first in a roster or accident
/// import) within the last `days` days, and how many are covered: scored in the current
/// risk fit and given a recommended checklist.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewUnits {
    pub days: u32,
    pub total: i64,
    pub scored: i64,
    pub with_checklist: i64,
    /// Scored and with a checklist.
    pub covered: i64,
}

/// The new-unit window when none is configured.
pub const NEW_UNIT_DAYS: u32 = 30;

fn median(close: &[i64; 7]) -> Option<f64> {
    let total: i64 = close.iter().sum();
    if total == 0 {
        return None;
    }
    let half = total as f64 / 2.0;
    let mut seen = 0.0;
    let mut low = 0.0;
    for (n, high) in close.iter().zip(BUCKET_DAYS) {
        let n = *n as f64;
        if seen + n >= half && n > 0.0 {
            return Some(((low + (half - seen) / n * (high - low)) * 10.0).round() / 10.0);
        }
        seen += n;
        low = high;
    }
    None
}

impl Progress {
    fn add(&mut self, o: &Progress) {
        self.enterprises += o.enterprises;
        self.key_enterprises += o.key_enterprises;
        self.recommended += o.recommended;
        self.answered += o.answered;
        self.found += o.found;
        self.rectified += o.rectified;
        self.open += o.open;
        self.overdue += o.overdue;
        self.major_found += o.major_found;
        self.major_open += o.major_open;
        self.major_overdue += o.major_overdue;
        self.recommended_met += o.recommended_met;
        self.found_met += o.found_met;
        self.rectified_met += o.rectified_met;
        self.all_met += o.all_met;
        for (a, b) in self.close.iter_mut().zip(o.close) {
            *a += b;
        }
    }

    fn finish(mut self) -> Self {
        self.rectified_share = (self.found > 0).then(|| self.rectified as f64 / self.found as f64);
        self.median_days_to_close = median(&self.close);
        self
    }
}

/// `prefix` is a region scope prefix (2, 4 or 6 digits), checked by the caller.
pub async fn summary(db: &impl ConnectionTrait, region_code: &str, prefix: &str) -> Result<Summary, DbErr> {
    summary_with(db, region_code, prefix, NEW_UNIT_DAYS).await
}

/// New units of the last `days` days in the region.
async fn new_units(db: &impl ConnectionTrait, prefix: &str, days: u32) -> Result<NewUnits, DbErr> {
    let backend = db.get_database_backend();
    let at = (chrono::Utc::now() - chrono::Duration::days(i64::from(days))).format("%Y-%m-%d %H:%M:%S");
    let since = match backend {
        sea_orm::DbBackend::Postgres => format!("TIMESTAMPTZ '{at}+00'"),
        _ => format!("'{at}'"),
    };
    let (scored, checklist) = (crate::store::register::SCORED_SQL, crate::store::register::CHECKLIST_SQL);
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(sc), 0), COALESCE(SUM(ch), 0), COALESCE(SUM(sc * ch), 0) FROM \
         (SELECT {scored} AS sc, {checklist} AS ch FROM enterprises e WHERE e.region_code LIKE '{prefix}%' \
         AND e.active = TRUE AND COALESCE(e.first_seen_at, e.created_at) >= {since}) x"
    );
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    let g = |i: usize| row.as_ref().map_or(Ok(0), |r| r.try_get_by_index::<i64>(i));
    Ok(NewUnits { days, total: g(0)?, scored: g(1)?, with_checklist: g(2)?, covered: g(3)? })
}

/// [`summary`] with the new-unit window of `new_unit_days`.
pub async fn summary_with(
    db: &impl ConnectionTrait,
    region_code: &str,
    prefix: &str,
    new_unit_days: u32,
) -> Result<Summary, DbErr> {
    debug_assert!(prefix.bytes().all(|b| b.is_ascii_digit()));
    let met_r = format!("COALESCE(p.recommended, 0) >= {RECOMMENDED_TARGET}");
    let met_f = format!("COALESCE(p.found, 0) >= {FOUND_TARGET}");
    let met_x = "p.found > 0 AND p.rectified * 10 >= p.found * 8";
    let sum = |c: &str| format!("COALESCE(SUM(p.{c}), 0)");
    let sql = format!(
        "SELECT SUBSTR(e.region_code, 1, 4) AS city, COUNT(*) AS enterprises, \
         SUM(CASE WHEN e.is_key THEN 1 ELSE 0 END) AS key_enterprises, \
         {}, {}, {}, {}, {}, {}, {}, {}, {}, \
         SUM(CASE WHEN {met_r} THEN 1 ELSE 0 END), SUM(CASE WHEN {met_f} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {met_x} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {met_r} AND {met_f} AND {met_x} THEN 1 ELSE 0 END), \
         {}, {}, {}, {}, {}, {}, {} \
         FROM enterprises e LEFT JOIN enterprise_progress p ON p.enterprise_id = e.id \
         WHERE e.region_code LIKE '{prefix}%' GROUP BY SUBSTR(e.region_code, 1, 4) ORDER BY 1",
        sum("recommended"),
        sum("answered"),
        sum("found"),
        sum("rectified"),
        sum("open"),
        sum("overdue"),
        sum("major_found"),
        sum("major_open"),
        sum("major_overdue"),
        sum("close_le1"),
        sum("close_le3"),
        sum("close_le7"),
        sum("close_le15"),
        sum("close_le30"),
        sum("close_le60"),
        sum("close_gt60"),
    );
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut total = Progress::default();
    let mut cities = Vec::with_capacity(rows.len());
    for r in rows {
        let g = |i: usize| r.try_get_by_index::<i64>(i);
        let city: String = r.try_get_by_index(0)?;
        let p = Progress {
            enterprises: g(1)?,
            key_enterprises: g(2)?,
            recommended: g(3)?,
            answered: g(4)?,
            found: g(5)?,
            rectified: g(6)?,
            open: g(7)?,
            overdue: g(8)?,
            major_found: g(9)?,
            major_open: g(10)?,
            major_overdue: g(11)?,
            recommended_met: g(12)?,
            found_met: g(13)?,
            rectified_met: g(14)?,
            all_met: g(15)?,
            close: [g(16)?, g(17)?, g(18)?, g(19)?, g(20)?, g(21)?, g(22)?],
            ..Progress::default()
        };
        total.add(&p);
        cities.push(CityProgress { region_code: format!("{city}00"), progress: p.finish() });
    }
    let counts = |sql: String| async move {
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
        let mut out = BTreeMap::new();
        for r in rows {
            let k: String = r.try_get_by_index(0)?;
            let n: i64 = r.try_get_by_index(1)?;
            *out.entry(k).or_insert(0) += n;
        }
        Ok::<_, DbErr>(out.into_iter().map(|(key, count)| Count { key, count }).collect())
    };
    let in_region = format!("JOIN enterprises e ON e.id = x.enterprise_id WHERE e.region_code LIKE '{prefix}%'");
    let escalations = counts(format!(
        "SELECT CAST(x.level AS TEXT) || ':' || x.state, COUNT(*) FROM escalations x {in_region} GROUP BY x.level, x.state"
    ))
    .await?;
    let tasks = counts(format!(
        "SELECT x.kind || ':' || x.status, COUNT(*) FROM tasks x {in_region} GROUP BY x.kind, x.status"
    ))
    .await?;
    let report_receipts = counts(format!(
        "SELECT rr.status, COUNT(*) FROM report_receipts rr JOIN reports x ON x.id = rr.report_id {in_region} \
         GROUP BY rr.status"
    ))
    .await?;
    Ok(Summary {
        region_code: region_code.to_string(),
        total: total.finish(),
        cities,
        escalations,
        tasks,
        report_receipts,
        new_units: new_units(db, prefix, new_unit_days).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_interpolates_within_its_bucket() {
        assert_eq!(median(&[0; 7]), None);
        // 4 closed within a day, 4 within 1-3 days: the median is the boundary, 1 day.
        assert_eq!(median(&[4, 4, 0, 0, 0, 0, 0]), Some(1.0));
        // All 10 in 3-7 days: halfway through the bucket.
        assert_eq!(median(&[0, 0, 10, 0, 0, 0, 0]), Some(5.0));
        // 2 fast, 6 in 7-15 days: median at 2 of 6 into that bucket.
        assert_eq!(median(&[2, 0, 0, 6, 0, 0, 0]), Some(9.7));
    }
}
