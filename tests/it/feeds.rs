//! Data feeds over HTTP: a roster with bad rows writes nothing and names each bad row;
//! a good one is written whole; a later roster's new unit is scored and has its
//! checklist the same day and shows as covered on the dashboard; an accident file runs
//! to done with its accidents stored; bad uploads are refused and record nothing.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::entities::{accidents, audit_log, enterprises, import_feeds, recommendation_rounds};
use zhicha_tests::roster::{self, credit_code};
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::staff_token;

fn opts() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

/// Units of the roster files here (their credit codes are `credit_code(FIRST + i)`).
const FIRST: usize = 5000;
const ROWS: usize = 210;

async fn stored_codes(app: &TestApp, from: usize, n: usize) -> u64 {
    let codes: Vec<String> = (from..from + n).map(credit_code).collect();
    enterprises::Entity::find().filter(enterprises::Column::CreditCode.is_in(codes)).count(&app.db).await.unwrap()
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, _, v) = support::json(app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

both!(roster_over_http_covers_new_units_on_day_one, opts(), async |app: &TestApp| {
    app.ensure_demo().await;
    let service = staff_token(app, "service").await;

    // Bad rows: the whole file is refused, each bad row named with its line.
    let bad = roster::csv(FIRST, ROWS, &[4, 77, 150]);
    let (status, queued) = roster::upload(app, &service, &[("kind", "roster")], "名单.csv", bad.as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["kind"], "roster");
    assert_eq!(queued["rows_total"], ROWS);
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["status"], "failed", "{feed}");
    let lines: Vec<i64> = feed["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![6, 79, 152], "{feed}");
    assert!(feed["errors"].as_array().unwrap().iter().all(|e| e["field"] == "credit_code"), "{feed}");
    assert_eq!(feed["counts"]["created"], 0);
    assert_eq!(stored_codes(app, FIRST, ROWS).await, 0, "nothing of a refused roster is written");

    // The good file: every row written.
    let good = roster::csv(FIRST, ROWS, &[]);
    let (status, queued) = roster::upload(app, &service, &[("kind", "roster")], "名单.csv", good.as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["status"], "done", "{feed}");
    assert_eq!(feed["counts"]["created"], ROWS, "{feed}");
    assert_eq!(feed["rows_done"], ROWS, "{feed}");
    assert!(feed["run_id"].is_i64(), "{feed}");
    assert_eq!(stored_codes(app, FIRST, ROWS).await, ROWS as u64);
    // Each enterprise the roster created is audited as the uploader's, with its after.
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("enterprise.roster_create"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), ROWS);
    assert!(
        audited
            .iter()
            .all(|a| a.actor_role == "service_org" && a.detail.as_deref().is_some_and(|d| d.contains("\"after\"")))
    );
    // Again: nothing changes, as a re-imported accident file.
    let (_, queued) = roster::upload(app, &service, &[("kind", "roster")], "名单.csv", good.as_bytes()).await;
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!((feed["status"].clone(), feed["counts"]["unchanged"].clone()), (json!("done"), json!(ROWS)), "{feed}");
    assert_eq!(feed["counts"]["created"], 0);
    assert_eq!(feed["run_id"], Value::Null);

    // A later roster brings one new unit: scored and given a checklist at once.
    let later = roster::csv(FIRST, ROWS + 1, &[]);
    let (_, queued) = roster::upload(app, &service, &[("kind", "roster")], "名单-12月.csv", later.as_bytes()).await;
    let feed = roster::wait(app, &service, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["counts"]["created"], 1, "{feed}");
    let unit = enterprises::Entity::find()
        .filter(enterprises::Column::CreditCode.eq(credit_code(FIRST + ROWS)))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unit.origin.as_deref(), Some("roster"));
    let mut covered = false;
    for _ in 0..900 {
        let rounds = recommendation_rounds::Entity::find()
            .filter(recommendation_rounds::Column::EnterpriseId.eq(unit.id))
            .count(&app.db)
            .await
            .unwrap();
        let scored = zhicha_api::reference::scoring::current(&app.db, unit.id).await.unwrap().is_some();
        if rounds > 0 && scored {
            covered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(covered, "the new unit is scored and has a checklist");
    // The service organisation serves it: its score and its round are in its scope.
    let risk = get(app, &format!("/gov/enterprises/{}/risk", unit.id), &service).await;
    assert!(risk["p_any"].as_f64().is_some(), "{risk}");

    // The bureau's dashboard shows it as a new unit, covered.
    let hrss = staff_token(app, "hrss.city").await;
    let q = zhicha_tests::roster::name(FIRST + ROWS);
    let page = get(app, &format!("/gov/dashboard/enterprises?new_within_days=1&q={q}"), &hrss).await;
    let row = &page["enterprises"][0];
    assert_eq!(row["id"], unit.id, "{page}");
    assert_eq!((row["new_unit"].clone(), row["covered"].clone()), (json!(true), json!(true)), "{row}");
    let summary = get(app, "/gov/dashboard/summary", &hrss).await;
    assert_eq!(summary["new_units"]["days"], 30, "{summary}");
    assert!(summary["new_units"]["total"].as_i64().unwrap() > ROWS as i64, "{summary}");
    assert!(summary["new_units"]["covered"].as_i64().unwrap() >= 1, "{summary}");
    let uncovered = get(app, "/gov/dashboard/enterprises?new_within_days=1&covered=false&per_page=200", &hrss).await;
    assert!(uncovered["enterprises"].as_array().unwrap().iter().all(|e| e["covered"] == false), "{uncovered}");

    // The feeds are the service organisation's: listed for it, not for the bureau.
    let mine = get(app, "/gov/imports", &service).await;
    assert_eq!(mine["total"], 4, "{mine}");
    let theirs = get(app, "/gov/imports", &hrss).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let id = queued["id"].as_i64().unwrap();
    let res = app.client.get(app.url(&format!("/gov/imports/{id}"))).bearer_auth(&hrss).send().await.unwrap();
    support::error(res, 404, "not_found").await;
});

/// Three accidents of demo enterprises and one with a bad date, in the demo mapping's
/// columns under a source of their own.
fn accident_csv() -> String {
    let mut out = String::from(
        "记录编号,统一社会信用代码,单位名称,事故日期,事故类别,受伤部位,伤害性质,岗位,伤害程度,伤残等级,损失工作日,基金支付金额,事故经过\n",
    );
    for (n, date) in [(1, "2026-10-03"), (2, "2026-10-17"), (3, "2026-11-02"), (4, "2026-13-40")] {
        out.push_str(&format!(
            "feed-{n},91640200MA7600011Q,宁夏石嘴山恒源化工有限公司,{date},03,A1.13,A2.10,装卸工,轻伤,,12,3000.00,作业中发生机械伤害。\n"
        ));
    }
    out
}

fn accident_mapping() -> String {
    let demo =
        std::fs::read_to_string(zhicha_tests::workspace_dir().join("seeds/demo/accidents.mapping.toml")).unwrap();
    demo.replace("source = \"demo\"", "source = \"feed-test\"")
}

both!(accident_feed_runs_and_bad_uploads_write_nothing, opts(), async |app: &TestApp| {
    app.ensure_demo().await;
    let hrss = staff_token(app, "hrss.city").await;
    let mapping = accident_mapping();
    let fields = [("kind", "accidents"), ("profile", "generic"), ("mapping", mapping.as_str())];
    let (status, queued) = roster::upload(app, &hrss, &fields, "工伤.csv", accident_csv().as_bytes()).await;
    assert_eq!(status, 202, "{queued}");
    let feed = roster::wait(app, &hrss, queued["id"].as_i64().unwrap()).await;
    assert_eq!(feed["status"], "done", "{feed}");
    assert_eq!(feed["counts"]["imported"], 3, "{feed}");
    assert_eq!(feed["counts"]["skipped"], 1, "{feed}");
    assert_eq!(feed["errors"][0]["line"], 5, "{feed}");
    let run = feed["run_id"].as_i64().unwrap();
    let stored = accidents::Entity::find().filter(accidents::Column::ImportRunId.eq(run)).count(&app.db).await.unwrap();
    assert_eq!(stored, 3);
    // The same file again adds nothing (accidents are unique per source and key).
    let (_, queued) = roster::upload(app, &hrss, &fields, "工伤.csv", accident_csv().as_bytes()).await;
    let again = roster::wait(app, &hrss, queued["id"].as_i64().unwrap()).await;
    assert_eq!((again["status"].clone(), again["counts"]["imported"].clone()), (json!("done"), json!(0)), "{again}");
    assert_eq!(again["counts"]["unchanged"], 3);

    // Refused uploads record nothing.
    let feeds_before = import_feeds::Entity::find().count(&app.db).await.unwrap();
    let refused = async |fields: &[(&str, &str)], file: &[u8], status: u16, code: &str, field: &str| {
        let (got, body) = roster::upload(app, &hrss, fields, "x.csv", file).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
        body
    };
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    refused(&[("kind", "roster")], png, 415, "unsupported_media_type", "file").await;
    let cut = "单位名称,统一社会信用代码,行业代码,行政区划,参保人数,职工人数,地址\n\"甲公司,1,2\n";
    let body = refused(&[("kind", "roster")], cut.as_bytes(), 422, "invalid_field", "file").await;
    assert_eq!(body["error"]["details"]["line"], 2, "{body}");
    refused(&[("kind", "roster")], "名称,代码\n甲,1\n".as_bytes(), 422, "invalid_field", "file").await;
    refused(&[("kind", "payroll")], b"a\n", 422, "invalid_field", "kind").await;
    refused(&[("kind", "accidents"), ("profile", "nope")], b"a\n", 422, "invalid_field", "profile").await;
    refused(&[("kind", "accidents"), ("profile", "generic")], b"a\n", 422, "invalid_field", "mapping").await;
    refused(&[("kind", "roster"), ("mapping", "no_such_mapping")], b"a\n", 422, "invalid_field", "mapping").await;
    // The emergency bureau sends accident files, not rosters (which write the register).
    let emergency = staff_token(app, "emergency.city").await;
    let roster_file = roster::csv(FIRST, 3, &[]);
    let (got, body) = roster::upload(app, &emergency, &[("kind", "roster")], "名单.csv", roster_file.as_bytes()).await;
    assert_eq!((got, body["error"]["details"]["field"].clone()), (403, json!("kind")), "{body}");
    let big = vec![b'a'; 20 * 1024 * 1024 + 1];
    refused(&[("kind", "roster")], &big, 413, "payload_too_large", "file").await;
    let res = app
        .client
        .post(app.url("/gov/imports"))
        .bearer_auth(&hrss)
        .json(&json!({ "kind": "roster" }))
        .send()
        .await
        .unwrap();
    support::error(res, 415, "unsupported_media_type").await;
    assert_eq!(import_feeds::Entity::find().count(&app.db).await.unwrap(), feeds_before, "nothing recorded");
});
