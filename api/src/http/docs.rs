//! The OpenAPI document, built from the route table, and the docs page.
//!
//! Each operation comes from its handler's `#[utoipa::path]`; the table adds what the
//! middleware does to every request, so that no status a client can receive goes
//! undocumented: 401/403 from the guard, 429 from the rate limit, 400/413/415/422 from
//! the body and query extractors, 409/422/428 from the idempotency layer, 503 when the
//! database is away. Building it also checks the document: two Rust types under one
//! schema name, a reference to a schema never registered, or a path parameter missing
//! from its template is a problem that fails `zhicha openapi --check` and the tests.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::HttpResponse;
use actix_web::http::Method;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};
use utoipa_scalar::{Scalar, Servable};

use super::routes::{Access, Endpoint, table};
use crate::error::{ErrorBody, ErrorCode, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "zhicha", description = "Workplace-hazard self-inspection (智查自纠) and dynamic precise governance (动态精准治理)."),
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
struct Base;

/// The document and what is wrong with it.
pub struct Spec {
    pub doc: utoipa::openapi::OpenApi,
    /// Each problem as a sentence; empty for a correct document.
    pub problems: Vec<String>,
}

/// The full document, built once: the route table does not change while the process runs.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| build().doc).clone()
}

/// The document as served at `/openapi.yaml`, rendered once.
pub fn yaml() -> String {
    static YAML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    YAML.get_or_init(|| openapi().to_yaml().unwrap_or_else(|e| format!("# cannot render the spec: {e}\n"))).clone()
}

/// The document from the route table, with its problems.
pub fn build() -> Spec {
    build_from(table())
}

fn build_from(endpoints: &[Endpoint]) -> Spec {
    let mut doc = Base::openapi();
    let mut problems = Vec::new();
    let mut schemas: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    for e in endpoints {
        let mut op = (e.operation)();
        complete(&mut op, e);
        check_path_params(&op, e, &mut problems);
        doc.paths.add_path_operation(&e.path, vec![http_method(&e.method)], op);
        let mut found = Vec::new();
        (e.schemas)(&mut found);
        for (name, schema) in found {
            match schemas.get(&name) {
                Some(known) if !same(known, &schema) => problems.push(format!(
                    "schema {name} is two different types (met again at {} {}): give one a `#[schema(as = …)]` name",
                    e.method, e.path
                )),
                Some(_) => {}
                None => {
                    schemas.insert(name, schema);
                }
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
    components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    for (name, response) in shared_responses() {
        components.responses.insert(name.to_string(), RefOr::T(response));
    }
    close_request_objects(&mut doc);
    super::spec_text::publish(&mut doc);
    check_refs(&doc, &mut problems);
    let mut table = String::from(
        "\n\n## Errors\n\nEvery error is `{\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}`; `details.field` names the field at fault where there is one. A method a path does not serve is 405 with `Allow`.\n\n| code | HTTP | meaning |\n|---|---|---|\n",
    );
    for c in ErrorCode::ALL {
        table.push_str(&format!("| `{}` | {} | {} |\n", c.name(), c.status().as_u16(), c.description()));
    }
    let base = doc.info.description.take().unwrap_or_default();
    doc.info.description = Some(base + &table);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    Spec { doc, problems }
}

fn same(a: &RefOr<Schema>, b: &RefOr<Schema>) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

fn http_method(m: &Method) -> HttpMethod {
    match *m {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::DELETE => HttpMethod::Delete,
        Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

/// The answers every operation of a kind can get from the middleware, by name in
/// `components.responses`.
fn shared_responses() -> Vec<(&'static str, Response)> {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build()
    };
    let codes = |status: u16| {
        ErrorCode::ALL
            .iter()
            .filter(|c| c.status().as_u16() == status)
            .map(|c| format!("`{}`", c.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut limited = error(&format!("Too many requests ({}); wait as `Retry-After` says.", codes(429)));
    limited.headers.insert(
        "Retry-After".into(),
        RefOr::T(
            utoipa::openapi::HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))))
                .description(Some("seconds to wait"))
                .build(),
        ),
    );
    vec![
        ("BadRequest", error(&format!("The request is malformed: {}.", codes(400)))),
        ("Unauthenticated", error(&format!("No valid credentials: {}.", codes(401)))),
        ("Forbidden", error(&format!("The caller may not do this: {}.", codes(403)))),
        ("NotFound", error("`not_found`: no such resource in the caller's scope.")),
        ("Conflict", error(&format!("The request conflicts with the resource's state: {}.", codes(409)))),
        ("PayloadTooLarge", error("`payload_too_large`: the body exceeds the size limit.")),
        ("BodyTimeout", error("`body_timeout`: the body did not arrive in time; the connection is closed.")),
        ("UnsupportedMediaType", error(&format!("The body is of the wrong type: {}.", codes(415)))),
        (
            "Unprocessable",
            error(&format!(
                "A field is missing, unknown or has a value the domain rejects; `details.field` names it: {}.",
                codes(422)
            )),
        ),
        ("IdempotencyKeyRequired", error("`idempotency_key_required`: send an `Idempotency-Key` header.")),
        ("RateLimited", limited),
        ("Unavailable", error(&format!("A service the server needs is away; retry later: {}.", codes(503)))),
    ]
}

/// Adds the operation id, security and the statuses the middleware answers.
fn complete(op: &mut Operation, e: &Endpoint) {
    op.operation_id = Some(e.operation_id.to_string());
    bound_page_size(op);
    let mut add = |status: u16, name: &str| {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    add(429, "RateLimited");
    if e.path != "/healthz" && e.path != "/openapi.yaml" {
        add(503, "Unavailable");
    }
    if let Access::Signed(_) = e.access {
        add(401, "Unauthenticated");
        add(403, "Forbidden");
    }
    let params: Vec<&Parameter> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    if has_path {
        add(400, "BadRequest");
        add(404, "NotFound");
    }
    if has_query {
        add(400, "BadRequest");
    }
    if op.request_body.is_some() {
        add(400, "BadRequest");
        add(408, "BodyTimeout");
        add(413, "PayloadTooLarge");
        add(415, "UnsupportedMediaType");
        add(422, "Unprocessable");
    }
    if e.idempotent {
        add(409, "Conflict");
        add(422, "Unprocessable");
        add(428, "IdempotencyKeyRequired");
        let key = idempotency_key();
        let params = op.parameters.get_or_insert_with(Vec::new);
        params.retain(|p| !matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("Idempotency-Key")));
        params.push(RefOr::T(key));
    }
    if let Access::Signed(_) = e.access {
        op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// Every list reads `page` and `per_page` through `store::paging`, which bounds both.
fn bound_page_size(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = p
            && p.parameter_in == ParameterIn::Query
            && (p.name == "per_page" || p.name == "page")
            && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
        {
            let max =
                if p.name == "page" { crate::store::paging::MAX_PAGE } else { crate::store::paging::MAX_PER_PAGE };
            o.minimum = Some(1.into());
            o.maximum = Some(max.into());
        }
    }
}

/// Request bodies refuse unknown fields (every body type denies them, the finding
/// action and the photo form by hand), so every object a body can hold says so. utoipa
/// leaves open the variants of a tagged enum and a form read by hand.
fn close_request_objects(doc: &mut utoipa::openapi::OpenApi) {
    let names = request_schemas(doc, close_objects);
    let Some(components) = doc.components.as_mut() else { return };
    for name in names {
        if let Some(schema) = components.schemas.get_mut(&name) {
            close_objects(schema);
            if let RefOr::T(Schema::Object(o)) = schema {
                for (keyword, rule) in cross_field_rules(&name, o) {
                    o.extensions.get_or_insert_with(Default::default).insert(keyword.into(), rule);
                }
            }
        }
    }
}

/// Applies `f` to each request body's schema and returns the names of every component
/// schema a body can reach (through references, transitively): what a client sends.
pub(super) fn request_schemas(
    doc: &mut utoipa::openapi::OpenApi,
    mut f: impl FnMut(&mut RefOr<Schema>),
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            let Some(RefOr::T(body)) = &mut op.request_body else { continue };
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = &mut content.schema
                {
                    refs_of(schema, &mut names);
                    f(schema);
                }
            }
        }
    }
    let Some(components) = doc.components.as_ref() else { return names };
    let mut queue: Vec<String> = names.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        if let Some(schema) = components.schemas.get(&name) {
            let mut found = BTreeSet::new();
            refs_of(schema, &mut found);
            queue.extend(found.into_iter().filter(|n| names.insert(n.clone())));
        }
    }
    names
}

/// What a body's fields require of one another, which no field's own schema can say,
/// as JSON Schema keywords on the object (utoipa has no attribute for them; its
/// extensions are written out as they are).
fn cross_field_rules(name: &str, o: &utoipa::openapi::schema::Object) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let mut rules = Vec::new();
    if o.properties.contains_key("latitude") && o.properties.contains_key("longitude") {
        // A position is both coordinates or neither (`uploads::claim::position`); the
        // fields publish no `null`, so leaving one out is the only way to have none.
        rules.push(("dependentRequired", json!({ "latitude": ["longitude"], "longitude": ["latitude"] })));
    }
    let any_of = match name {
        // `not_applicable` says why (`selfcheck::recommendations::check_mark`).
        "Mark" | "FeedbackAnswer" => Some(json!([
            { "properties": { "result": { "enum": ["found", "not_found"] } } },
            { "required": ["reason"], "properties": { "reason": { "type": "string", "pattern": crate::domain::input::NOT_BLANK_CONTROL_FREE } } },
        ])),
        // A grade, or a library item to take it from (`selfcheck::findings::create`).
        "NewFinding" => Some(json!([
            { "required": ["grade"], "properties": { "grade": { "type": "string" } } },
            { "required": ["item_id"], "properties": { "item_id": { "type": "string" } } },
            { "required": ["inspection_item_id"], "properties": { "inspection_item_id": { "type": "integer" } } },
        ])),
        "ExpertFinding" => Some(json!([
            { "required": ["grade"], "properties": { "grade": { "type": "string" } } },
            { "required": ["item_id"], "properties": { "item_id": { "type": "string" } } },
        ])),
        _ => None,
    };
    rules.extend(any_of.map(|rule| ("anyOf", rule)));
    rules
}

/// The names of the component schemas `schema` refers to.
fn refs_of(schema: &RefOr<Schema>, names: &mut BTreeSet<String>) {
    let mut refs = BTreeSet::new();
    collect_refs(&serde_json::to_value(schema).unwrap_or_default(), &mut refs);
    names.extend(refs.iter().filter_map(|r| r.strip_prefix("#/components/schemas/")).map(str::to_string));
}

/// `additionalProperties: false` on each object with properties that says nothing of
/// them, through arrays and oneOf/anyOf; not into allOf, whose parts would then refuse
/// each other's fields.
fn close_objects(schema: &mut RefOr<Schema>) {
    use utoipa::openapi::schema::AdditionalProperties;
    each_object(schema, AllOf::Skip, &mut |o| {
        if !o.properties.is_empty() && o.additional_properties.is_none() {
            o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    });
}

/// Whether [`each_object`] goes into the parts of an `allOf`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AllOf {
    Enter,
    Skip,
}

/// Calls `f` on every object schema inside `schema` (itself, properties, array items,
/// oneOf/anyOf, and allOf when asked), outermost first; references are not followed.
pub(super) fn each_object(
    schema: &mut RefOr<Schema>,
    all_of: AllOf,
    f: &mut impl FnMut(&mut utoipa::openapi::schema::Object),
) {
    use utoipa::openapi::schema::ArrayItems;
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            f(o);
            o.properties.values_mut().for_each(|p| each_object(p, all_of, f));
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                each_object(items, all_of, f);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|s| each_object(s, all_of, f)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|s| each_object(s, all_of, f)),
        Schema::AllOf(all) if all_of == AllOf::Enter => all.items.iter_mut().for_each(|s| each_object(s, all_of, f)),
        _ => {}
    }
}

/// The header every retried phone write carries.
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(
            "A fresh UUID per write, the same on every retry of it: the stored answer is replayed \
             (`Idempotent-Replayed: true`); another request under the same key is 422.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(8))
                .max_length(Some(128))
                .pattern(Some(crate::http::idempotency::KEY_PATTERN)),
        ))
        .build()
}

/// Every `in: path` parameter is in the template and every template variable is one.
fn check_path_params(op: &Operation, e: &Endpoint, problems: &mut Vec<String>) {
    let template: BTreeSet<&str> =
        e.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
    let mut declared = BTreeSet::new();
    for p in op.parameters.iter().flatten() {
        if let RefOr::T(p) = p
            && p.parameter_in == ParameterIn::Path
        {
            if !template.contains(p.name.as_str()) {
                problems.push(format!(
                    "{} {}: `{}` is declared in: path but is not in the template (a query parameter? `#[into_params(parameter_in = Query)]`)",
                    e.method, e.path, p.name
                ));
            }
            declared.insert(p.name.clone());
        }
    }
    for t in template {
        if !declared.contains(t) {
            problems.push(format!("{} {}: path parameter `{t}` is not declared", e.method, e.path));
        }
    }
}

/// Every `#/components/…/X` reference names a registered component.
fn check_refs(doc: &utoipa::openapi::OpenApi, problems: &mut Vec<String>) {
    let Ok(value) = serde_json::to_value(doc) else {
        problems.push("the document does not serialise".into());
        return;
    };
    let mut refs = BTreeSet::new();
    collect_refs(&value, &mut refs);
    for r in refs {
        let mut parts = r.trim_start_matches("#/").split('/');
        let (Some("components"), Some(kind), Some(name), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            problems.push(format!("reference {r} is not to a component"));
            continue;
        };
        if value["components"][kind].get(name).is_none() {
            problems.push(format!("reference {r} names nothing registered"));
        }
    }
}

fn collect_refs(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_no_problems() {
        let spec = build();
        assert!(spec.problems.is_empty(), "{}", spec.problems.join("\n"));
    }

    /// Two handlers whose bodies are two different types of one name, and a query
    /// parameter published in the path.
    #[allow(dead_code)]
    mod first {
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        pub struct Answer {
            pub item: String,
        }
        #[utoipa::path(post, path = "/first", request_body = Answer, responses((status = 200)))]
        pub async fn answer(_: actix_web::web::Json<Answer>) -> actix_web::HttpResponse {
            actix_web::HttpResponse::Ok().finish()
        }
    }
    #[allow(dead_code)]
    mod second {
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        pub struct Answer {
            pub item_id: i64,
        }
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        pub struct Paging {
            pub page: Option<u64>,
        }
        #[utoipa::path(post, path = "/second", request_body = Answer, params(Paging), responses((status = 200)))]
        pub async fn answer(_: actix_web::web::Json<Answer>) -> actix_web::HttpResponse {
            actix_web::HttpResponse::Ok().finish()
        }
    }

    #[test]
    fn a_shared_schema_name_and_a_misplaced_parameter_are_problems() {
        use actix_web::web;
        let endpoints: Vec<Endpoint> = [
            Endpoint::new::<first::__path_answer>(Access::Public, "first", || web::route().to(first::answer)),
            Endpoint::new::<second::__path_answer>(Access::Public, "second", || web::route().to(second::answer)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let problems = build_from(&endpoints).problems;
        assert!(problems.iter().any(|p| p.starts_with("schema Answer is two different types")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("`page` is declared in: path")), "{problems:?}");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
