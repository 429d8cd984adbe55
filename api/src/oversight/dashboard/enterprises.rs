//! Every enterprise of a jurisdiction against the programme targets: filtered, sorted
//! and paged in SQL over `enterprise_progress`, for lists of thousands.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode};
use crate::selfcheck::targets::{FOUND_TARGET, RECOMMENDED_TARGET};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this city or county (within the caller's region).
    #[param(pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$")]
    pub region: Option<String>,
    /// Only this GB/T 4754 division (`26`).
    #[param(pattern = "^[0-9]{2}$")]
    pub division: Option<String>,
    /// Only key enterprises (`true`) or only the others (`false`).
    pub key: Option<bool>,
    /// `met` (all three targets), `unmet` (any missed), or one target missed:
    /// `recommended`, `found`, `rectified`.
    #[param(pattern = "^(met|unmet|recommended|found|rectified)$")]
    pub attainment: Option<String>,
    /// Part of the name.
    #[param(max_length = 50)]
    pub q: Option<String>,
    /// `name`, `found`, `rectified_share`, `overdue`, `open`, `recommended` (default `overdue`).
    #[param(pattern = "^(name|found|rectified_share|overdue|open|recommended)$")]
    pub sort: Option<String>,
    /// `asc` or `desc` (default `desc`, `asc` for name).
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Only new units: enterprises first seen (created, or first in a roster or
    /// accident import) within this many days.
    #[param(minimum = 1, maximum = 366)]
    pub new_within_days: Option<u32>,
    /// Only covered units (scored in the current fit and given a checklist: `true`) or
    /// only the others (`false`).
    pub covered: Option<bool>,
    pub page: Option<u64>,
    /// 1-200 (default 50).
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseProgress {
    pub id: i64,
    pub name: String,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    pub is_key: bool,
    pub recommended: i64,
    pub answered: i64,
    pub found: i64,
    pub rectified: i64,
    pub rectified_share: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub major_open: i64,
    pub recommended_met: bool,
    pub found_met: bool,
    pub rectified_met: bool,
    /// First seen within `imports.new_unit_days` (30 unless configured).
    pub new_unit: bool,
    /// Has a score in the current risk fit.
    pub scored: bool,
    /// Has a recommended checklist (a recommendation round).
    pub has_checklist: bool,
    /// Scored and with a checklist: covered from day one.
    pub covered: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DashboardEnterprisePage)]
pub struct EnterprisePage {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub enterprises: Vec<EnterpriseProgress>,
}

const SHARE: &str =
    "CASE WHEN COALESCE(p.found, 0) = 0 THEN NULL ELSE CAST(p.rectified AS DOUBLE PRECISION) / p.found END";

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    }
}

/// The instant `days` days ago as an SQL literal (made here, never from input): a
/// timestamp on PostgreSQL, text in the stored form on SQLite.
fn days_ago(backend: DbBackend, days: i64) -> String {
    let at = (chrono::Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%d %H:%M:%S");
    match backend {
        DbBackend::Postgres => format!("TIMESTAMPTZ '{at}+00'"),
        _ => format!("'{at}'"),
    }
}

/// `prefix` is the caller's region prefix (digits), checked by the caller.
pub async fn list(state: &AppState, prefix: &str, q: &ListQuery) -> Result<EnterprisePage, ApiError> {
    let backend = state.db.get_database_backend();
    let (page, per_page) = crate::store::paging::paging(q.page, q.per_page)?;
    // Deactivated enterprises leave the list (their records stay).
    let mut clauses = vec![format!("e.region_code LIKE '{prefix}%'"), "e.active = TRUE".to_string()];
    let mut values: Vec<Value> = Vec::new();
    let new_days = i64::from(state.settings.imports.new_unit_days);
    let new_unit = format!(
        "CASE WHEN COALESCE(e.first_seen_at, e.created_at) >= {} THEN 1 ELSE 0 END",
        days_ago(backend, new_days)
    );
    if let Some(days) = q.new_within_days {
        if !(1..=366).contains(&days) {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "new_within_days", "1 to 366 days"));
        }
        clauses.push(format!("COALESCE(e.first_seen_at, e.created_at) >= {}", days_ago(backend, i64::from(days))));
    }
    let (scored, checklist) = (crate::store::register::SCORED_SQL, crate::store::register::CHECKLIST_SQL);
    if let Some(c) = q.covered {
        let both = format!("({scored}) = 1 AND ({checklist}) = 1");
        clauses.push(if c { both } else { format!("NOT ({both})") });
    }
    if let Some(r) = &q.region {
        if !(r.len() == 6 && r.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "region", "a 6-digit GB/T 2260 code"));
        }
        let narrow = r.trim_end_matches("00");
        if !narrow.starts_with(prefix) {
            return Err(ApiError::field(ErrorCode::NotFound, "region", "not within your jurisdiction"));
        }
        clauses.push(format!("e.region_code LIKE '{narrow}%'"));
    }
    if let Some(d) = &q.division {
        if !(d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "division", "a 2-digit GB/T 4754 division"));
        }
        clauses.push(format!("e.industry_division = '{d}'"));
    }
    if let Some(k) = q.key {
        clauses.push(if k { "e.is_key = TRUE" } else { "e.is_key = FALSE" }.to_string());
    }
    let met_r = format!("COALESCE(p.recommended, 0) >= {RECOMMENDED_TARGET}");
    let met_f = format!("COALESCE(p.found, 0) >= {FOUND_TARGET}");
    let met_x = "(COALESCE(p.found, 0) > 0 AND p.rectified * 10 >= p.found * 8)";
    match q.attainment.as_deref() {
        None => {}
        Some("met") => clauses.push(format!("({met_r} AND {met_f} AND {met_x})")),
        Some("unmet") => clauses.push(format!("NOT ({met_r} AND {met_f} AND {met_x})")),
        Some("recommended") => clauses.push(format!("NOT ({met_r})")),
        Some("found") => clauses.push(format!("NOT ({met_f})")),
        Some("rectified") => clauses.push(format!("NOT {met_x}")),
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::InvalidQuery,
                "attainment",
                "met, unmet, recommended, found or rectified",
            ));
        }
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 50 {
            return Err(ApiError::field(ErrorCode::InvalidQuery, "q", "at most 50 characters"));
        }
        values.push(format!("%{}%", text.replace(['%', '_'], "")).into());
        clauses.push(format!("e.name LIKE {}", placeholder(backend, values.len())));
    }
    let sort = match q.sort.as_deref().unwrap_or("overdue") {
        "name" => "e.name",
        "found" => "COALESCE(p.found, 0)",
        "rectified_share" => SHARE,
        "overdue" => "COALESCE(p.overdue, 0)",
        "open" => "COALESCE(p.open, 0)",
        "recommended" => "COALESCE(p.recommended, 0)",
        _ => {
            return Err(ApiError::field(
                ErrorCode::InvalidQuery,
                "sort",
                "name, found, rectified_share, overdue, open or recommended",
            ));
        }
    };
    let default_order = if sort == "e.name" { "asc" } else { "desc" };
    let order = match q.order.as_deref().unwrap_or(default_order) {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => return Err(ApiError::field(ErrorCode::InvalidQuery, "order", "asc or desc")),
    };
    // NULL shares (nothing found) sort last either way.
    let nulls = if sort == SHARE { format!("CASE WHEN {SHARE} IS NULL THEN 1 ELSE 0 END, ") } else { String::new() };
    let from = format!(
        "FROM enterprises e LEFT JOIN enterprise_progress p ON p.enterprise_id = e.id WHERE {}",
        clauses.join(" AND ")
    );
    let sql = format!(
        "SELECT e.id, e.name, e.region_code, e.industry_code, e.is_key, COALESCE(p.recommended, 0), \
         COALESCE(p.answered, 0), COALESCE(p.found, 0), COALESCE(p.rectified, 0), COALESCE(p.open, 0), \
         COALESCE(p.overdue, 0), COALESCE(p.major_open, 0), {new_unit}, {scored}, {checklist} {from} ORDER BY {nulls}{sort} {order}, e.id ASC \
         LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    );
    let count = format!("SELECT COUNT(*) {from}");
    // Read-only: the replica may serve it while within its lag bound.
    let read = async |db: &DatabaseConnection| -> Result<_, ApiError> {
        let total_row = db.query_one_raw(Statement::from_sql_and_values(backend, &count, values.clone())).await?;
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, &sql, values.clone())).await?;
        Ok((total_row, rows))
    };
    let ((total_row, rows), _) = state.read.run(read).await?;
    let total = total_row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let n = |i: usize| -> Result<i64, DbErr> { Ok(i64::from(r.try_get_by_index::<i32>(i)?)) };
        let found = n(7)?;
        let rectified = n(8)?;
        let recommended = n(5)?;
        out.push(EnterpriseProgress {
            id: r.try_get_by_index(0)?,
            name: r.try_get_by_index(1)?,
            region_code: r.try_get_by_index(2)?,
            industry_code: r.try_get_by_index(3)?,
            is_key: r.try_get_by_index(4)?,
            recommended,
            answered: n(6)?,
            found,
            rectified,
            rectified_share: (found > 0).then(|| rectified as f64 / found as f64),
            open: n(9)?,
            overdue: n(10)?,
            major_open: n(11)?,
            recommended_met: recommended >= RECOMMENDED_TARGET as i64,
            found_met: found >= FOUND_TARGET as i64,
            rectified_met: found > 0 && rectified * 10 >= found * 8,
            new_unit: n(12)? == 1,
            scored: n(13)? == 1,
            has_checklist: n(14)? == 1,
            covered: n(13)? == 1 && n(14)? == 1,
        });
    }
    Ok(EnterprisePage { page, per_page, total: u64::try_from(total).unwrap_or(0), enterprises: out })
}
