//! The route table: every endpoint of the API once, as its handler and who may call it.
//! The handler's `#[utoipa::path]` carries its method, path, parameters and answers;
//! from this table come the router's resources (with 405 and `Allow` for other
//! methods), the policy guard's decision, which writes need an `Idempotency-Key`, and
//! the OpenAPI document with the error statuses the middleware can answer.
//!
//! A route registered outside this table is refused by the guard (see `guard`), except
//! the two pages that are not part of the API (`/docs` and `/dashboard`).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;

use super::docs;
use super::handlers::*;
use crate::error::{ApiError, ErrorCode};
use crate::identity::Function;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in, health, the spec, code tables).
    Public,
    /// A signed-in caller whose role the policy table allows to perform the function.
    Signed(Function),
}

/// One endpoint of the API.
pub struct Endpoint {
    pub method: Method,
    /// The path template as actix matches it (`/mp/findings/{id}`).
    pub path: String,
    pub access: Access,
    /// A write from a phone that may be retried: it needs an `Idempotency-Key`, and
    /// the stored answer is replayed (`/mp` and `/expert` writes by a signed-in caller).
    pub idempotent: bool,
    /// A unique, stable operation id (`module_handler`).
    pub operation_id: &'static str,
    route: fn() -> actix_web::Route,
    pub operation: fn() -> Operation,
    pub schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
}

type SchemaList = Vec<(String, RefOr<Schema>)>;

impl Endpoint {
    pub(crate) fn new<P: utoipa::Path + utoipa::__dev::SchemaReferences>(
        access: Access,
        operation_id: &'static str,
        route: fn() -> actix_web::Route,
    ) -> Vec<Self> {
        let path = P::path();
        P::methods()
            .into_iter()
            .map(|m| {
                let method = method_of(&m);
                let idempotent = method == Method::POST
                    && matches!(access, Access::Signed(_))
                    && (path.starts_with("/mp/") || path.starts_with("/expert/"));
                Endpoint {
                    method,
                    path: path.clone(),
                    access,
                    idempotent,
                    operation_id,
                    route,
                    operation: P::operation,
                    schemas: |s: &mut SchemaList| P::schemas(s),
                }
            })
            .collect()
    }
}

fn method_of(m: &HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// `module::handler => access`: the handler's generated `__path_handler` gives the
/// method, path and operation; the operation id is `module_handler`.
macro_rules! endpoints {
    ($($module:ident :: $handler:ident => $access:expr),* $(,)?) => {{
        let mut all = Vec::new();
        $(
            all.extend(pastey::paste! {
                Endpoint::new::<$module::[<__path_ $handler>]>(
                    $access,
                    concat!(stringify!($module), "_", stringify!($handler)),
                    || web::route().to($module::$handler),
                )
            });
        )*
        all
    }};
}

fn build() -> Vec<Endpoint> {
    use Access::{Public, Signed};
    use Function::*;
    endpoints! {
        health::healthz => Public,
        health::readyz => Public,
        docs::spec_yaml => Public,
        codes::crosswalk => Public,
        codes::list => Public,

        auth::login => Public,
        auth::refresh => Public,
        auth::logout => Signed(OwnSession),
        auth::me => Signed(OwnSession),
        credentials::change_password => Signed(OwnCredentials),
        credentials::totp_enrol => Signed(OwnCredentials),
        credentials::totp_confirm => Signed(OwnCredentials),

        dashboard::summary => Signed(GovDashboard),
        dashboard::enterprises => Signed(GovDashboard),
        dashboard::feedback => Signed(GovDashboard),
        analysis::key_industries => Signed(GovDashboard),
        analysis::coverage => Signed(GovDashboard),
        analysis::trends => Signed(GovDashboard),
        analysis::focus => Signed(GovDashboard),
        analysis::whole => Signed(GovDashboard),
        analysis::report_pdf => Signed(GovDashboard),
        analysis::report_xlsx => Signed(GovDashboard),

        enterprises::list => Signed(GovEnterprises),
        enterprises::get => Signed(GovEnterprises),
        enterprises::create => Signed(GovRegister),
        enterprises::edit => Signed(GovRegister),
        enterprises::deactivate => Signed(GovRegister),
        enterprises::reactivate => Signed(GovRegister),
        imports::upload => Signed(GovImports),
        imports::list => Signed(GovImports),
        imports::get => Signed(GovImports),
        binding::issue => Signed(GovBindingCodes),
        risk::of_enterprise => Signed(GovEnterprises),
        risk::gov_targets => Signed(GovEnterprises),
        recommend::gov_rounds => Signed(GovEnterprises),
        recommend::gov_round => Signed(GovEnterprises),
        findings::gov_list => Signed(GovEnterprises),
        findings::gov_get => Signed(GovEnterprises),
        evidence::gov_display => Signed(GovEvidence),
        governance::of_enterprise => Signed(GovEscalations),
        governance::escalate => Signed(GovEscalate),
        governance::list => Signed(GovEscalations),
        governance::get => Signed(GovEscalations),
        governance::close => Signed(GovEscalate),
        expert::gov_tasks => Signed(GovTasks),
        tasks::gov_complete => Signed(GovTaskComplete),
        reports::gov_list => Signed(GovReports),
        reports::gov_get => Signed(GovReports),
        reports::gov_pdf => Signed(GovReports),
        reports::gov_return => Signed(GovReportReturn),
        programme::propose => Signed(ProgrammeDecide),
        programme::proposal => Signed(ProgrammeDecide),
        programme::confirm => Signed(ProgrammeDecide),
        programme::enrolments => Signed(ProgrammeEnrolments),
        programme::end => Signed(ProgrammeDecide),
        expert_pool::create => Signed(ExpertPoolAdmin),
        expert_pool::list => Signed(ExpertPoolRead),
        expert_pool::get => Signed(ExpertPoolRead),
        expert_pool::edit => Signed(ExpertPoolAdmin),
        expert_pool::conflict => Signed(ExpertPoolAdmin),
        expert_pool::deactivate => Signed(ExpertPoolAdmin),

        mp::login => Public,
        mp::bind => Signed(MpBind),
        mp::phone => Signed(MpPhone),
        mp::subscribe => Signed(MpSubscribe),
        mp::invite => Signed(MpInvite),
        mp::people_list => Signed(MpPeople),
        mp::person_phone => Signed(MpPeople),
        enterprises::own => Signed(MpOwnEnterprise),
        risk::own => Signed(MpOwnEnterprise),
        risk::own_targets => Signed(MpOwnEnterprise),
        recommend::rounds => Signed(MpOwnEnterprise),
        recommend::generate => Signed(MpRecommend),
        recommend::round => Signed(MpOwnEnterprise),
        recommend::feedback => Signed(MpRecommend),
        inspections::list => Signed(MpOwnEnterprise),
        inspections::start => Signed(MpInspect),
        inspections::get => Signed(MpOwnEnterprise),
        inspections::mark => Signed(MpInspect),
        inspections::close => Signed(MpInspect),
        findings::list => Signed(MpOwnEnterprise),
        findings::create => Signed(MpReportFinding),
        findings::get => Signed(MpOwnEnterprise),
        findings::act => Signed(MpFindingAction),
        findings::progress => Signed(MpFindingAction),
        sync::changes => Signed(MpOwnEnterprise),
        tasks::own => Signed(MpOwnEnterprise),
        tasks::mp_complete => Signed(MpTaskComplete),
        reports::generate => Signed(MpReport),
        reports::list => Signed(MpReport),
        reports::get => Signed(MpReport),
        reports::get_pdf => Signed(MpReport),
        reports::submit => Signed(MpReport),
        reports::revise => Signed(MpReport),
        governance::own => Signed(MpOwnEnterprise),
        // Before `/mp/evidence/{id}`, which would otherwise take `uploads`.
        evidence::begin_upload => Signed(MpEvidence),
        evidence::commit_upload => Signed(MpEvidence),
        evidence::upload => Signed(MpEvidence),
        evidence::get => Signed(MpEvidence),
        evidence::display => Signed(MpEvidence),
        evidence::original => Signed(MpEvidence),

        expert::tasks => Signed(ExpertTasks),
        expert::task => Signed(ExpertTasks),
        expert::accept => Signed(ExpertTaskWork),
        expert::decline => Signed(ExpertTaskWork),
        expert::checkin => Signed(ExpertTaskWork),
        expert::finding => Signed(ExpertTaskWork),
        expert::report => Signed(ExpertTaskWork),
        expert::follow_up => Signed(ExpertTaskWork),

        admin::users => Signed(AdminAccounts),
        admin::unlock => Signed(AdminAccounts),
        staff::create_user => Signed(AdminAccounts),
        staff::disable => Signed(AdminAccounts),
        staff::enable => Signed(AdminAccounts),
        staff::reset_password => Signed(AdminAccounts),
        staff::organisations => Signed(AdminAccounts),
        staff::create_organisation => Signed(AdminAccounts),
        admin::audit_trail => Signed(AdminAudit),
        admin::rules => Signed(AdminRules),
    }
}

/// Every endpoint, in registration order.
pub fn table() -> &'static [Endpoint] {
    static TABLE: OnceLock<Vec<Endpoint>> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// The endpoint for a matched route pattern and method, looked up by the middleware.
pub fn find(method: &Method, pattern: &str) -> Option<&'static Endpoint> {
    static INDEX: OnceLock<HashMap<(Method, &'static str), usize>> = OnceLock::new();
    let index = INDEX
        .get_or_init(|| table().iter().enumerate().map(|(i, e)| ((e.method.clone(), e.path.as_str()), i)).collect());
    index.get(&(method.clone(), pattern)).map(|&i| &table()[i])
}

/// Whether the table lists the pattern under any method.
pub fn is_listed(pattern: &str) -> bool {
    table().iter().any(|e| e.path == pattern)
}

/// The methods served at a path, as an `Allow` header value.
fn allow_of(path: &str) -> String {
    let mut methods: Vec<&str> = table().iter().filter(|e| e.path == path).map(|e| e.method.as_str()).collect();
    methods.dedup();
    methods.join(", ")
}

/// Registers one resource per path of the table, with its methods; any other method
/// is answered 405 with `Allow`. Then the two pages outside the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for e in table() {
        if !paths.contains(&e.path.as_str()) {
            paths.push(&e.path);
        }
    }
    for path in paths {
        let allow = allow_of(path);
        let mut resource = web::resource(path);
        for e in table().iter().filter(|e| e.path == path) {
            resource = resource.route((e.route)().method(e.method.clone()));
        }
        resource = resource.default_service(web::to(move |req: actix_web::HttpRequest| {
            let allow = allow.clone();
            async move { method_not_allowed(&req, &allow) }
        }));
        cfg.service(resource);
    }
    cfg.service(super::docs::scalar()).configure(super::page::configure);
}

fn method_not_allowed(req: &actix_web::HttpRequest, allow: &str) -> HttpResponse {
    let err = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}; use {allow}", req.method(), req.path()),
    );
    let mut res = actix_web::ResponseError::error_response(&err);
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(allow) {
        res.headers_mut().insert(ALLOW, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for e in table() {
            assert!(seen.insert((e.method.clone(), e.path.clone())), "{} {} twice", e.method, e.path);
        }
        let mut ids = std::collections::HashSet::new();
        for e in table() {
            assert!(ids.insert(e.operation_id), "operation id {} twice", e.operation_id);
        }
    }

    #[test]
    fn phone_writes_need_an_idempotency_key_and_sign_in_does_not() {
        let login = find(&Method::POST, "/mp/auth/login").map(|e| e.idempotent);
        assert_eq!(login, Some(false));
        let create = find(&Method::POST, "/mp/findings").map(|e| e.idempotent);
        assert_eq!(create, Some(true));
        let accept = find(&Method::POST, "/expert/tasks/{id}/accept").map(|e| e.idempotent);
        assert_eq!(accept, Some(true));
        let gov = find(&Method::POST, "/gov/reports/{id}/return").map(|e| e.idempotent);
        assert_eq!(gov, Some(false));
    }
}
