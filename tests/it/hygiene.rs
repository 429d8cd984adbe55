//! Input no handler should ever see: control characters in text (a 500 on PostgreSQL,
//! stored on SQLite) and bodies that never arrive (a connection held for ever).

use std::time::{Duration, Instant};

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zhicha_api::entities::findings;
use zhicha_tests::{Opts, TestApp, both};

use crate::findings::{get, mp_token, post};
use crate::support;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

both!(control_characters_are_refused_at_the_edge, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, _) = mp_token(app, "demo-officer-e01").await;
    let (s, round) = post(app, "/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    let start = json!({ "client_id": "round-ctl-0001", "recommendation_round_id": round["id"] });
    let (s, insp) = post(app, "/mp/inspections", &officer, start).await;
    assert_eq!(s, 201, "{insp}");
    let (_, page) = get(app, &format!("/mp/inspections/{}?per_page=1", insp["id"]), &officer).await;
    let item = page["items"][0]["id"].clone();
    let before = findings::Entity::find().count(&app.db).await.unwrap();

    // NUL (PostgreSQL refuses it in text) and the other C0 controls, in each text field.
    for (field, text) in [("description", "a\u{0}b"), ("location", "二车间\u{1b}[31m"), ("description", "x\u{7f}")] {
        let mut body = json!({
            "client_id": format!("finding-ctl-{}", uuid::Uuid::new_v4().simple()),
            "inspection_item_id": item, "location": "二车间", "description": "未做防爆处理", "grade": "general",
        });
        body[field] = json!(text);
        let (s, e) = post(app, "/mp/findings", &officer, body).await;
        assert_eq!(s, 422, "{field}: {e}");
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["details"]["field"].as_str()),
            (Some("invalid_field"), Some(field))
        );
    }
    // Nested: the path names the item.
    let (s, e) = post(
        app,
        &format!("/mp/inspections/{}/marks", insp["id"]),
        &officer,
        json!({ "marks": [{ "item_id": item, "result": "not_applicable", "reason": "no\u{0}" }] }),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["details"]["field"], "marks[0].reason", "{e}");
    assert_eq!(findings::Entity::find().count(&app.db).await.unwrap(), before, "nothing written");

    // Tab and line breaks are text.
    let (s, f) = post(
        app,
        "/mp/findings",
        &officer,
        json!({
            "client_id": "finding-ctl-ok-0001", "inspection_item_id": item,
            "location": "二车间\t东侧", "description": "第一行\r\n第二行", "grade": "general",
        }),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["description"], "第一行\r\n第二行");

    // Query values and paths: refused before any query runs.
    let res = app.client.get(app.url("/mp/findings?state=a%00b")).bearer_auth(&officer).send().await.unwrap();
    let e = support::error(res, 400, "invalid_query").await;
    assert_eq!(e["details"]["field"], "state");
    let res = app.client.get(app.url("/v1/codes/region%00")).send().await.unwrap();
    support::error(res, 404, "not_found").await;
    // The staff sign-in form's username goes to a query too.
    let res = app
        .client
        .post(app.url("/auth/login"))
        .json(&json!({ "username": "hrss\u{0}.city", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
});

/// A request whose headers promise a body that never comes is answered 408 and its
/// connection closed once the body's idle limit passes; before, it was held for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_comes_is_cut_off() {
    let opts = Opts { body_idle_seconds: Some(1), ..Default::default() };
    let Some(app) = TestApp::spawn(zhicha_tests::Backend::Sqlite, opts).await else { return };
    let addr = app.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
    for path in ["/auth/login", "/mp/auth/login"] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"user"
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        // Read to the end: the server must answer and close, well before this gives up.
        let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "{path}: the connection was still open after 10 s");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("body_timeout"), "{path}: {answer}");
        assert!(started.elapsed() >= Duration::from_millis(900), "{path}: cut before the limit");
    }
    app.cleanup().await;
}

// Every list of the spec, asked for the largest page a u64 holds, as a caller who may
// list it: 400 `invalid_query` naming `page` (with an id in the path, possibly 404 first),
// never a panic that drops the connection or a 500 (once, 11 lists did one or the other).
both!(every_list_refuses_a_page_past_the_last, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let mut callers = vec![mp_token(app, "demo-officer-e01").await.0, mp_token(app, "demo-expert-01").await.0];
    for staff in ["hrss.city", "hrss.province", "service", "sysadmin", "secadmin", "auditor"] {
        callers.push(crate::wechat::staff_token(app, staff).await);
    }
    let spec = serde_json::to_value(zhicha_api::http::docs::openapi()).unwrap();
    let mut lists = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(params) = item["get"]["parameters"].as_array() else { continue };
        if !params.iter().any(|p| p["name"] == "page" && p["in"] == "query") {
            continue;
        }
        lists += 1;
        let has_id = path.contains('{');
        let url = path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
        let url = format!("{url}?page=18446744073709551615");
        let mut answered = None;
        for token in &callers {
            let res = app.client.get(app.url(&url)).bearer_auth(token).send().await;
            let res = res.unwrap_or_else(|e| panic!("{url}: the connection dropped: {e}"));
            let status = res.status().as_u16();
            if status == 403 {
                continue;
            }
            let body: serde_json::Value = res.json().await.unwrap();
            answered = Some((status, body));
            break;
        }
        let (status, body) = answered.unwrap_or_else(|| panic!("{url}: no demo caller may list it"));
        match (status, has_id) {
            (400, _) => assert_eq!(body["error"]["details"]["field"], "page", "{url}: {body}"),
            (404, true) => {}
            _ => panic!("{url}: {status} {body}"),
        }
    }
    assert!(lists >= 11, "only {lists} lists with a page parameter in the spec");
});
