//! Concurrent writes on SQLite (issue 15, item 9): many findings at once from the
//! mini-program never answer 500. A writer that waits longer than the busy timeout for
//! SQLite's single write lock gets "database is locked" (SQLITE_BUSY) from the driver;
//! that surfaced as 500 `internal`, and is now 503 `busy` with Retry-After, which the
//! mini-program retries with the same Idempotency-Key. The busy timeout is cut to a
//! few milliseconds here so that 48 writers contend at test scale (with the default
//! 5 s they all get through on this machine).

use std::collections::BTreeMap;

use serde_json::json;
use zhicha_tests::{Backend, TestDb};

use crate::faults::{Faulty, demo_opts};

const WRITERS: usize = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_findings_on_sqlite_never_answer_500() {
    let test_db = TestDb::create(Backend::Sqlite).await.unwrap();
    let app = Faulty::spawn(test_db, &demo_opts(), |s| s.database.busy_timeout_ms = 5).await;
    let (officer, _) = app.officer("demo-officer-e01").await;
    let (s, round) = app.post("/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    let start = json!({ "client_id": "round-busy-e01", "recommendation_round_id": round["id"] });
    let (s, insp) = app.post("/mp/inspections", &officer, start).await;
    assert_eq!(s, 201, "{insp}");
    let page: serde_json::Value =
        app.get(&format!("/mp/inspections/{}?per_page=200", insp["id"]), &officer).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap().clone();
    assert!(items.len() >= WRITERS);

    let mut writes = tokio::task::JoinSet::new();
    for (i, item) in items.iter().take(WRITERS).enumerate() {
        let (client, url, officer) = (app.client.clone(), app.url("/mp/findings"), officer.clone());
        let body = json!({
            "client_id": format!("finding-busy-{i:04}"), "inspection_item_id": item["id"],
            "location": "二车间", "description": "并发写入", "grade": "general", "submit": true,
        });
        writes.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(officer)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&body)
                .send()
                .await
                .unwrap();
            let retry_after = res.headers().get("retry-after").is_some();
            let status = res.status().as_u16();
            (status, retry_after, res.text().await.unwrap_or_default())
        });
    }
    let answers = writes.join_all().await;
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, retry_after, text) in &answers {
        *by_status.entry(*status).or_default() += 1;
        match status {
            201 => {}
            503 => assert!(*retry_after && text.contains(r#""code":"busy""#), "{text}"),
            _ => panic!("{status}: {text}"),
        }
    }
    println!("answers by status: {by_status:?}");
    app.cleanup().await;
}
