//! Code tables and crosswalks over HTTP.

use serde_json::{Value, json};
use zhicha_tests::{TestApp, both};

use crate::support;

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, _, body) = support::json(app.client.get(app.url(path)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn crosswalk(app: &TestApp, body: Value) -> Value {
    let res = app.client.post(app.url("/v1/codes/crosswalk")).json(&body).send().await.unwrap();
    let (status, _, answer) = support::json(res).await;
    assert_eq!(status, 200, "{body}: {answer}");
    answer
}

both!(tables, async |app: &TestApp| {
    let t = get(app, "/v1/codes/accident-type-gb6441-86").await;
    assert_eq!(t["table"], "accident-type-gb6441-86");
    assert!(t["version"].as_str().is_some_and(|v| !v.is_empty()));
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    let e03 = entries.iter().find(|e| e["code"] == "03").unwrap_or_else(|| panic!("no 03: {t}"));
    assert_eq!(e03["name_zh"], "机械伤害");

    let r = get(app, "/v1/codes/region?parent=640200").await;
    let mut counties: Vec<&str> =
        r["entries"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    counties.sort_unstable();
    assert_eq!(counties, ["640202", "640205", "640221"]);
    assert!(r["entries"].as_array().unwrap().iter().all(|e| e["parent"] == "640200"));

    for table in ["accident-type-gb6441-2025", "body-part", "injury-nature", "industry", "region"] {
        let t = get(app, &format!("/v1/codes/{table}")).await;
        assert!(!t["entries"].as_array().unwrap().is_empty(), "{table}");
    }
});

both!(crosswalks, async |app: &TestApp| {
    let a = crosswalk(app, json!({ "crosswalk": "oiics-event", "code": "6411" })).await;
    assert_eq!(a["target"], "03", "{a}");
    assert_eq!(a["target_name_zh"], "机械伤害", "{a}");
    assert_eq!(a["code"], "6411");

    let a = crosswalk(app, json!({ "crosswalk": "naics", "code": "325199" })).await;
    assert_eq!(a["target"], "26", "{a}");
});
