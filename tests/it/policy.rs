//! Walks every route of the OpenAPI document as every role and as nobody, and checks
//! the answer against the route table's access and the policy: a new route cannot
//! escape it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use zhicha_api::entities::{enterprises, users};
use zhicha_api::http::docs;
use zhicha_api::http::routes::{Access, table};
use zhicha_api::identity::Role;
use zhicha_api::identity::policy;
use zhicha_api::identity::service::{self, Origin};
use zhicha_tests::{Opts, TestApp, both};

/// Method, path and documented statuses of every operation in the spec.
fn spec_routes() -> Vec<(String, String, Vec<u16>)> {
    let doc = serde_json::to_value(docs::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let statuses = op["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
            out.push((method.clone(), path.clone(), statuses));
        }
    }
    out.sort();
    out
}

// A fresh session per request, each charged to the IP until the guard has resolved it:
// limits far above the thousand-odd requests of the walk.
both!(
    every_route_as_every_role,
    Opts { demo: true, limits: Some((1_000_000, 100_000, 100_000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let routes = spec_routes();
        let guard_of = |method: &str, path: &str| {
            table().iter().find(|e| e.method.as_str().eq_ignore_ascii_case(method) && e.path == path).map(|e| e.access)
        };
        for (method, path, _) in &routes {
            assert!(guard_of(method, path).is_some(), "{method} {path} is in the spec but not in the route table");
        }
        assert_eq!(routes.len(), table().len(), "the route table lists routes the spec does not have");

        let in_city = enterprises::Entity::find()
            .filter(enterprises::Column::IsKey.eq(true))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut callers: Vec<(Role, users::Model)> = Vec::new();
        for role in Role::ALL {
            let u = users::Entity::find().filter(users::Column::Role.eq(role.as_str())).one(&app.db).await.unwrap();
            callers.push((role, u.unwrap_or_else(|| panic!("the demo city has no {role:?}"))));
        }
        for (method, path, documented) in &routes {
            let guard = match guard_of(method, path) {
                Some(Access::Signed(f)) => Some(f),
                _ => None,
            };
            // An account route acts on an account none of the callers is (disabling or
            // resetting one of them would end the walk's own sessions).
            let id = if path.starts_with("/admin/users/{id}") { 999_999 } else { in_city.id };
            let concrete = path.replace("{id}", &id.to_string()).replace("{table}", "region");
            // Any other parameter: an id that exists nowhere, so only a 404 may follow.
            let concrete = concrete
                .split('/')
                .map(|s| if s.starts_with('{') { "999999" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let url = app.url(&concrete);
            let send = |token: Option<String>| {
                // Mini-program writes carry an idempotency key, a fresh one each time.
                // Every write as its own method (a PATCH sent as GET would walk the read).
                let mut req = match method.as_str() {
                    "post" | "patch" | "put" | "delete" => app
                        .client
                        .request(method.to_uppercase().parse().unwrap(), &url)
                        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                        .json(&serde_json::json!({})),
                    _ => app.client.get(&url),
                };
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                req.send()
            };
            let anonymous = send(None).await.unwrap().status().as_u16();
            match guard {
                None => {
                    assert!(anonymous != 401 && anonymous != 403, "{method} {path} is public but answered {anonymous}")
                }
                Some(_) => assert_eq!(anonymous, 401, "{method} {path} without a token"),
            }
            for (role, user) in &callers {
                // A fresh session per request: logout ends the one it is given.
                let token =
                    service::issue(&app.db, &app.state, user, None, &Origin::default()).await.unwrap().access_token;
                let status = send(Some(token)).await.unwrap().status().as_u16();
                let role = *role;
                match guard {
                    None => assert!(status != 401 && status != 403, "{method} {path} as {role:?}: {status}"),
                    // Allowed: past the guard. An empty body or a state the demo caller is in
                    // may still be refused, but only as the spec documents for the route.
                    Some(f) if policy::allows(f, role) => assert!(
                        (200..300).contains(&status)
                            || (status != 401 && status != 403 && status < 500 && documented.contains(&status)),
                        "{method} {path} as {role:?} is allowed but got {status}"
                    ),
                    Some(f) => assert_eq!(status, 403, "{method} {path} as {role:?} is denied by {f:?}"),
                }
            }
        }
        // The table itself: every guarded function is reachable by some role.
        for e in table() {
            if let Access::Signed(f) = e.access {
                assert!(Role::ALL.iter().any(|r| policy::allows(f, *r)), "{f:?} is allowed to nobody");
            }
        }
    }
);
