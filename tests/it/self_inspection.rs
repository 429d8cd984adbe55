//! The whole self-inspection loop through the HTTP API as the mini-program drives it:
//! sign-in, a recommendation round, an inspection of it, 55 findings with before-photos,
//! assignment, progress, after-photos, acceptance (most), rejection, an extension, an
//! overdue hazard marked by the clock, the programme targets, the round closed, the
//! report (JSON and PDF), submission to both bureaus and their receipts, a returned
//! report revised and resubmitted. On SQLite with photos on local disk, and on
//! PostgreSQL with photos in S3-compatible storage.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use zhicha_tests::{Backend, Opts, TestApp, run_app};

use crate::findings::{act, get, key, mp_token, post};
use crate::support;
use crate::wechat::staff_token;

const FINDINGS: usize = 55;

/// A small JPEG photo, different for every `n` (so every upload is a new object).
pub fn jpeg(n: usize) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x as usize * 4 + n) as u8, (y as usize * 5 + n * 3) as u8, (n * 7 % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Uploads a photo as `wx.uploadFile` does (multipart), returns the evidence id.
async fn upload(app: &TestApp, token: &str, finding: i64, phase: &str, n: usize) -> i64 {
    let photo = jpeg(n);
    let fields = [
        ("client_id", key()),
        ("owner_kind", "finding".to_string()),
        ("owner_id", finding.to_string()),
        ("phase", phase.to_string()),
        ("captured_at", Utc::now().to_rfc3339()),
    ];
    let (content_type, body) = crate::evidence::form(&fields, Some(("photo.jpg", "image/jpeg", &photo)));
    let res = app
        .client
        .post(app.url("/mp/evidence"))
        .bearer_auth(token)
        .header("Idempotency-Key", key())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let (s, _, body) = support::json(res).await;
    assert_eq!(s, 201, "upload: {body}");
    body["id"].as_i64().unwrap()
}

async fn scenario(app: &TestApp) {
    app.ensure_demo().await;
    let (officer, _) = mp_token(app, "demo-officer-e04").await;
    let (rp, rp_id) = mp_token(app, "demo-rp-e04-1").await;
    let (_, e) = get(app, "/mp/enterprise", &officer).await;
    let enterprise = e["id"].as_i64().unwrap();

    // Recommendation round → inspection.
    let (s, round) = post(app, "/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    let (s, insp) =
        post(app, "/mp/inspections", &officer, json!({"client_id": key(), "recommendation_round_id": round["id"]}))
            .await;
    assert_eq!(s, 201, "{insp}");
    let iid = insp["id"].as_i64().unwrap();
    let (_, page) = get(app, &format!("/mp/inspections/{iid}?per_page=200"), &officer).await;
    let items = page["items"].as_array().unwrap().clone();
    assert!(items.len() >= 150);

    // 55 findings against checklist items, each with a before-photo.
    let mut found = Vec::new();
    for (n, item) in items.iter().take(FINDINGS).enumerate() {
        let (s, f) = post(
            app,
            "/mp/findings",
            &officer,
            json!({
                "client_id": key(), "inspection_item_id": item["id"], "location": format!("{}号区域", n + 1),
                "description": format!("检查发现：{}", item["title"].as_str().unwrap_or("隐患")), "submit": true,
            }),
        )
        .await;
        assert_eq!(s, 201, "{f}");
        let fid = f["id"].as_i64().unwrap();
        upload(app, &officer, fid, "before", n).await;
        found.push((fid, f["grade"].as_str().unwrap().to_string()));
    }
    // The rest of the checklist: not found.
    let (_, pending) = get(app, &format!("/mp/inspections/{iid}?result=pending&per_page=200"), &officer).await;
    let marks: Vec<Value> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"item_id": i["id"], "result": "not_found"}))
        .collect();
    let (s, v) = post(app, &format!("/mp/inspections/{iid}/marks"), &officer, json!({"marks": marks})).await;
    assert_eq!((s, v["items"]["pending"].as_u64()), (200, Some(0)), "{v}");

    // Assign all; the responsible person rectifies 50 with progress and after-photos.
    // A 五落实 plan goes with every assignment: major grades and the library items that
    // ask for one need it; due tomorrow, it is within any item's rectification deadline.
    let plan = json!({ "responsibility": "安全科", "measures": "按标准整改", "funds_fen": 100_000,
                       "deadline": (Utc::now() + Duration::days(1)).date_naive(), "contingency": "停工整改" });
    for (fid, _) in &found {
        let body = json!({"version": 1, "action": "assign", "assignee": rp_id, "plan": plan});
        let (s, f) = act(app, &officer, *fid, body).await;
        assert_eq!(s, 200, "{f}");
    }
    for (n, (fid, _)) in found.iter().take(50).enumerate() {
        let p = upload(app, &rp, *fid, "progress", 100 + n).await;
        let (s, f) = post(
            app,
            &format!("/mp/findings/{fid}/progress"),
            &rp,
            json!({"note": "整改中", "progress_pct": 50, "evidence_ids": [p]}),
        )
        .await;
        assert_eq!(s, 200, "{f}");
        let after = upload(app, &rp, *fid, "after", 200 + n).await;
        let (s, f) = act(
            app,
            &rp,
            *fid,
            json!({"version": 2, "action": "submit_rectification", "note": "已整改", "evidence_ids": [after]}),
        )
        .await;
        assert_eq!(s, 200, "{f}");
    }
    // One is rejected and comes back; 49 are accepted.
    let (rejected, _) = found[0];
    let (s, _) = act(app, &officer, rejected, json!({"version": 3, "action": "reject", "reason": "整改不到位"})).await;
    assert_eq!(s, 200);
    for (fid, _) in found.iter().take(50).skip(1) {
        let (s, f) = act(app, &officer, *fid, json!({"version": 3, "action": "accept", "note": "验收合格"})).await;
        assert_eq!(s, 200, "{f}");
    }
    // An extension for one still open; another goes overdue.
    let (ext, _) = found[50];
    let (_, f) = get(app, &format!("/mp/findings/{ext}"), &officer).await;
    let later = (chrono::NaiveDate::parse_from_str(f["rectification"]["deadline"].as_str().unwrap(), "%Y-%m-%d")
        .unwrap()
        + Duration::days(15))
    .to_string();
    let (s, _) = act(
        app,
        &rp,
        ext,
        json!({"version": 2, "action": "request_extension", "deadline": later, "reason": "设备采购周期长"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, f) = act(app, &officer, ext, json!({"version": 3, "action": "approve_extension"})).await;
    assert_eq!((s, &f["rectification"]["deadline"]), (200, &json!(later)), "{f}");
    let (late, _) = found[51];
    let (_, f) = get(app, &format!("/mp/findings/{late}"), &officer).await;
    let deadline =
        chrono::NaiveDate::parse_from_str(f["rectification"]["deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let when = zhicha_engine::findings::overdue_at(deadline) + Duration::minutes(5);
    let t = zhicha_api::governance::reminders::tick(&app.state, when).await.unwrap();
    assert!(t.marked_overdue >= 1, "{t:?}");
    let (_, f) = get(app, &format!("/mp/findings/{late}"), &officer).await;
    assert_eq!(f["state"], "overdue");

    // Targets: ≥150 recommended, 55 found, 49 accepted (89%).
    let (_, targets) = get(app, "/mp/targets", &officer).await;
    assert!(targets["recommended"].as_u64().unwrap() >= 150, "{targets}");
    assert_eq!(targets["found"], FINDINGS);
    assert_eq!(targets["rectified"], 49);
    assert_eq!((targets["found_met"].as_bool(), targets["rectified_met"].as_bool()), (Some(true), Some(true)));

    // Close the round, make the report, read it as JSON and PDF, submit it.
    let (_, now) = get(app, &format!("/mp/inspections/{iid}"), &officer).await;
    let (s, closed) =
        post(app, &format!("/mp/inspections/{iid}/close"), &officer, json!({"version": now["inspection"]["version"]}))
            .await;
    assert_eq!((s, &closed["status"]), (200, &json!("closed")), "{closed}");
    let (s, report) = post(app, &format!("/mp/inspections/{iid}/report"), &officer, json!({})).await;
    assert!(s == 200 || s == 201, "{report}");
    let rid = report["id"].as_i64().unwrap();
    let (s, full) = get(app, &format!("/mp/reports/{rid}"), &officer).await;
    assert_eq!(s, 200, "{full}");
    let text = full.to_string();
    assert!(text.contains(&FINDINGS.to_string()), "the report counts the findings: {text:.400}");
    let pdf = app.client.get(app.url(&format!("/mp/reports/{rid}/pdf"))).bearer_auth(&officer).send().await.unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 10_000, "a PDF with photos: {} bytes", bytes.len());
    let (s, submitted) = post(app, &format!("/mp/reports/{rid}/submit"), &officer, json!({})).await;
    assert_eq!(s, 200, "{submitted}");

    // Both bureaus of the city have it; one reads, the other returns it with comments.
    let hrss = staff_token(app, "hrss.city").await;
    let emergency = staff_token(app, "emergency.city").await;
    for t in [&hrss, &emergency] {
        let (s, inbox) = get(app, "/gov/reports", t).await;
        assert_eq!(s, 200, "{inbox}");
        assert!(inbox.to_string().contains(&format!("\"id\":{rid}")), "{inbox}");
    }
    let (s, _) = get(app, &format!("/gov/reports/{rid}"), &hrss).await;
    assert_eq!(s, 200);
    let (s, _) =
        post(app, &format!("/gov/reports/{rid}/return"), &emergency, json!({"comments": "请补充重大隐患整改资金说明"}))
            .await;
    assert_eq!(s, 200);
    let (_, mine) = get(app, &format!("/mp/reports/{rid}"), &officer).await;
    let receipts = mine["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 2, "{mine}");
    let statuses: Vec<&str> = receipts.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"read") && statuses.contains(&"returned"), "{statuses:?}");
    // Revised and submitted again; both versions are kept.
    let (s, v2) = post(app, &format!("/mp/reports/{rid}/revise"), &officer, json!({})).await;
    assert!(s == 200 || s == 201, "{v2}");
    assert_eq!(v2["version"], 2);
    let (s, _) = post(app, &format!("/mp/reports/{}/submit", v2["id"]), &officer, json!({})).await;
    assert_eq!(s, 200);
    let (_, list) = get(app, "/mp/reports", &officer).await;
    assert!(list.to_string().contains("\"version\":1") && list.to_string().contains("\"version\":2"), "{list}");
    let _ = enterprise;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_sqlite_local_disk() {
    let opts = Opts { demo: true, standin: true, limits: Some((60_000, 10_000, 1000)), ..Default::default() };
    run_app(Backend::Sqlite, opts, scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_postgres_s3() {
    let opts = Opts { demo: true, standin: true, s3: true, limits: Some((60_000, 10_000, 1000)), ..Default::default() };
    run_app(Backend::Postgres, opts, scenario).await;
}
