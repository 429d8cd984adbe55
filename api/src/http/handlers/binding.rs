//! Binding codes issued by the service organisation for the enterprises it serves.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::origin;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::Json;
use crate::identity::Caller;
use crate::identity::binding::{self, BindRole, IssuedCode};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// What the code makes its user (default: the enterprise's safety officer).
    pub role: Option<BindRole>,
}

/// Issues a single-use binding code for an enterprise the caller serves.
#[utoipa::path(
    post, path = "/gov/enterprises/{id}/binding-codes", tag = "bureau", request_body = IssueRequest,
    security(("bearer" = [])), params(("id" = i64, Path, description = "enterprise id")),
    responses(
        (status = 201, body = IssuedCode),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn issue(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    id: web::Path<i64>,
    body: Json<IssueRequest>,
) -> Result<HttpResponse, ApiError> {
    let role = body.0.role.unwrap_or(BindRole::EnterpriseOfficer);
    let issued = binding::issue(&state, &caller, *id, role, &origin(&req)).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(issued))
}
