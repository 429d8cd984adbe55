//! The OpenAPI document, generated from the route annotations, and the docs page.

use actix_web::HttpResponse;
use utoipa::OpenApi;
use utoipa_scalar::{Scalar, Servable};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::routes::{
    admin, analysis, auth, binding, codes, dashboard, enterprises, evidence, expert, findings, governance, health,
    inspections, mp, recommend, reports, risk, sync, tasks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "zhicha", description = "Workplace-hazard self-inspection (智查自纠) and dynamic precise governance (动态精准治理)."),
    paths(
        health::healthz, health::readyz, spec_yaml, codes::list, codes::crosswalk,
        auth::login, auth::refresh, auth::logout, auth::me,
        dashboard::summary, dashboard::enterprises, dashboard::feedback,
        analysis::key_industries, analysis::coverage, analysis::trends, analysis::focus, analysis::whole,
        analysis::report_pdf, analysis::report_xlsx,
        enterprises::list, enterprises::get, enterprises::own, binding::issue, risk::of_enterprise, risk::own, risk::gov_targets, risk::own_targets,
        recommend::generate, recommend::rounds, recommend::round, recommend::feedback, recommend::gov_rounds, recommend::gov_round,
        inspections::start, inspections::list, inspections::get, inspections::mark, inspections::close,
        findings::create, findings::list, findings::get, findings::act, findings::progress, findings::gov_list, findings::gov_get,
        sync::changes, tasks::own, tasks::mp_complete, tasks::gov_complete,
        reports::generate, reports::list, reports::get, reports::get_pdf, reports::submit, reports::revise,
        reports::gov_list, reports::gov_get, reports::gov_pdf, reports::gov_return,
        governance::list, governance::get, governance::of_enterprise, governance::escalate, governance::close, governance::own,
        mp::login, mp::bind, mp::phone, mp::subscribe, mp::invite, mp::people_list, mp::person_phone,
        evidence::upload, evidence::begin_upload, evidence::commit_upload, evidence::get, evidence::display, evidence::original, evidence::gov_display,
        expert::tasks, expert::task, expert::accept, expert::decline, expert::checkin, expert::finding, expert::report,
        expert::follow_up, expert::gov_tasks,
        admin::users, admin::unlock, admin::audit_trail, admin::rules,
    ),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "operations", description = "Health, readiness and the API description."),
        (name = "reference", description = "Code tables and crosswalks loaded from rules/."),
        (name = "identity", description = "Sign-in, tokens, sign-out."),
        (name = "bureau", description = "HRSS and emergency bureaus: their jurisdiction (`/gov`)."),
        (name = "mini-program", description = "Safety officers and responsible persons (`/mp`). Writes other than sign-in need an `Idempotency-Key` header."),
        (name = "expert", description = "Field experts: the tasks dispatched to them (`/expert`): accept or decline, check in on site, report findings, the visit report with the 一企一策 plan, the follow-up verdict. Writes need an `Idempotency-Key` header."),
        (name = "admin", description = "System, security and audit administrators (`/admin`), separate roles."),
    )
)]
pub struct ApiDoc;

/// Opaque bearer tokens from `/auth/login`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The full document, with the error-code table appended to its description.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let mut table = String::from(
        "\n\n## Errors\n\nEvery error is `{\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}`.\n\n| code | HTTP | meaning |\n|---|---|---|\n",
    );
    for c in ErrorCode::ALL {
        table.push_str(&format!("| `{}` | {} | {} |\n", c.name(), c.status().as_u16(), c.description()));
    }
    let base = doc.info.description.take().unwrap_or_default();
    doc.info.description = Some(base + &table);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

pub fn yaml() -> String {
    openapi().to_yaml().unwrap_or_else(|e| format!("# cannot render the spec: {e}\n"))
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.yaml", tag = "operations", responses((status = 200, content_type = "application/yaml", body = String)))]
pub async fn spec_yaml() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(yaml())
}

/// Interactive documentation at `/docs`.
pub fn scalar() -> Scalar<utoipa::openapi::OpenApi> {
    Scalar::with_url("/docs", openapi())
}
