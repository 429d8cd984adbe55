//! Liveness and readiness for the orchestrator and the operator on call.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::platform::db::backend_name;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` while the process serves requests.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Versions of the loaded rule tables.
    pub rules: Vec<RuleVersion>,
    /// How far the audit sealer is behind.
    pub audit: AuditBacklog,
}

/// Audit records committed but not yet chained by the sealer.
#[derive(Serialize, ToSchema)]
pub struct AuditBacklog {
    pub waiting: u64,
    /// Age of the oldest waiting record, in milliseconds (0 when none waits).
    pub oldest_ms: u64,
    /// The oldest has waited past `audit.max_lag_seconds`: no sealer is keeping up.
    pub stalled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RuleVersion {
    pub table: String,
    pub version: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// The database is reachable and the rules are loaded.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, description = "database unreachable", body = ErrorBody))
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(|e| {
        let mut err = ApiError::new(ErrorCode::DatabaseUnavailable, "the database does not answer");
        err.source = Some(e.into());
        err
    })?;
    let rules = state
        .catalog
        .versions()
        .into_iter()
        .map(|(t, v)| RuleVersion { table: t.to_string(), version: v.to_string() })
        .collect();
    let lag = crate::platform::audit::lag(&state.db).await?;
    let audit = AuditBacklog {
        waiting: lag.waiting,
        oldest_ms: lag.oldest_ms,
        stalled: lag.oldest_ms > state.settings.audit.max_lag_seconds.saturating_mul(1000),
    };
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        database: backend_name(&state.db).into(),
        rules,
        audit,
    }))
}
