//! What a responsible person (整改责任人) may read: the findings assigned to them and
//! their photos, nothing else of the enterprise's hazard list. Another finding, its
//! photos (the original carries the GPS position) and the self-inspection report read
//! as not found (by id) or are refused by policy (the report, a whole function), while
//! the officer still reads everything.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use zhicha_api::entities::{enterprises, findings, inspections, reports};
use zhicha_api::selfcheck::reports::content as reports_content;
use zhicha_tests::{Opts, TestApp, both};

use crate::evidence::form;
use crate::findings::{act, get, key, mp_token, post};
use crate::support;

fn demo() -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() }
}

fn s3() -> Opts {
    Opts { s3: true, ..demo() }
}

/// A small, valid JPEG.
fn jpeg(shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(32, 24, image::Rgb([shade, 90, 255 - shade]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A photo of `finding` uploaded as the phone does; the answer's status and body.
async fn upload(app: &TestApp, token: &str, finding: i64, phase: &str, shade: u8) -> (u16, Value) {
    let fields = [
        ("client_id", key()),
        ("owner_kind", "finding".to_string()),
        ("owner_id", finding.to_string()),
        ("phase", phase.to_string()),
    ];
    let bytes = jpeg(shade);
    let (content_type, body) = form(&fields, Some(("p.jpg", "image/jpeg", &bytes)));
    let res = app
        .client
        .post(app.url("/mp/evidence"))
        .bearer_auth(token)
        .header("Idempotency-Key", key())
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let (s, _, b) = support::json(res).await;
    (s, b)
}

async fn status(app: &TestApp, path: &str, token: &str) -> u16 {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// A submitted general finding, assigned to `assignee` unless `None`.
async fn finding(app: &TestApp, officer: &str, n: u32, assignee: Option<i64>) -> i64 {
    let new = json!({
        "client_id": key(), "location": format!("{n}号车间"), "description": format!("第{n}处配电箱未接地"),
        "grade": "general", "submit": true,
    });
    let (s, f) = post(app, "/mp/findings", officer, new).await;
    assert_eq!(s, 201, "{f}");
    let id = f["id"].as_i64().unwrap();
    if let Some(a) = assignee {
        let deadline = (Utc::now() + Duration::days(10)).date_naive();
        let (s, f) = act(
            app,
            officer,
            id,
            json!({"version": f["version"], "action": "assign", "assignee": a, "deadline": deadline}),
        )
        .await;
        assert_eq!((s, f["state"].as_str()), (200, Some("to_rectify")), "{f}");
    }
    id
}

both!(a_responsible_person_sees_only_what_is_assigned_to_them, demo(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, officer_id) = mp_token(app, "demo-officer-e01").await;
    let (rp, rp_id) = mp_token(app, "demo-rp-e01-1").await;
    let (other_rp, other_rp_id) = mp_token(app, "demo-rp-e01-2").await;
    let (_, e) = get(app, "/mp/enterprise", &officer).await;
    let enterprise = e["id"].as_i64().unwrap();

    // A is the responsible person's, B another's, C nobody's yet; each has a photo.
    let a = finding(app, &officer, 1, Some(rp_id)).await;
    let b = finding(app, &officer, 2, Some(other_rp_id)).await;
    let c = finding(app, &officer, 3, None).await;
    let mut photos = Vec::new();
    for (n, f) in [a, b, c].into_iter().enumerate() {
        let (s, p) = upload(app, &officer, f, "before", 40 * n as u8).await;
        assert_eq!(s, 201, "{p}");
        photos.push(p["id"].as_i64().unwrap());
    }
    let (photo_a, photo_b, photo_c) = (photos[0], photos[1], photos[2]);

    // A and its photo, in full.
    let (s, mine) = get(app, &format!("/mp/findings/{a}"), &rp).await;
    assert_eq!(s, 200, "{mine}");
    let listed: Vec<i64> = mine["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [photo_a]);
    for suffix in ["", "/display", "/original"] {
        assert_eq!(status(app, &format!("/mp/evidence/{photo_a}{suffix}"), &rp).await, 200, "{suffix}");
    }
    let (_, list) = get(app, "/mp/findings", &rp).await;
    let ids: Vec<i64> = list["findings"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!((list["total"].as_u64(), ids), (Some(1), vec![a]), "{list}");

    // B and C, and their photos, do not exist for them: read, act, report progress.
    for f in [b, c] {
        let (s, body) = get(app, &format!("/mp/findings/{f}"), &rp).await;
        assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")), "finding {f}: {body}");
        let (s, body) = act(
            app,
            &rp,
            f,
            json!({"version": 2, "action": "request_extension",
            "deadline": (Utc::now() + Duration::days(40)).date_naive(), "reason": "材料未到"}),
        )
        .await;
        assert_eq!(s, 404, "acting on finding {f}: {body}");
        let (s, body) = post(app, &format!("/mp/findings/{f}/progress"), &rp, json!({"note": "x"})).await;
        assert_eq!(s, 404, "progress on finding {f}: {body}");
    }
    for p in [photo_b, photo_c] {
        for suffix in ["", "/display", "/original"] {
            assert_eq!(status(app, &format!("/mp/evidence/{p}{suffix}"), &rp).await, 404, "photo {p}{suffix}");
        }
    }
    // Nor can they attach a photo to B; to A they can.
    let (s, body) = upload(app, &rp, b, "progress", 200).await;
    assert_eq!((s, body["error"]["details"]["field"].as_str()), (404, Some("owner_id")), "{body}");
    let (s, body) = upload(app, &rp, a, "progress", 210).await;
    assert_eq!(s, 201, "{body}");

    // Their change feed names only A and A's photos.
    let (s, feed) = get(app, "/mp/sync?cursor=0&limit=500", &rp).await;
    assert_eq!(s, 200, "{feed}");
    for ch in feed["changes"].as_array().unwrap() {
        let (kind, id) = (ch["kind"].as_str().unwrap(), ch["id"].as_i64().unwrap());
        assert!(
            (kind == "finding" && id == a)
                || (kind == "evidence" && (id == photo_a || id == body["id"].as_i64().unwrap())),
            "the feed names {kind} {id}: {feed}"
        );
    }
    assert!(feed["changes"].as_array().unwrap().iter().any(|c| c["kind"] == "finding" && c["id"] == a), "{feed}");

    // The self-inspection report lists the round's findings, whoever they are assigned
    // to (B here): it is the officer's, refused to a responsible person by policy.
    let closed = inspections::ActiveModel {
        created_at: Set((Utc::now() - Duration::days(3)).fixed_offset()),
        enterprise_id: Set(enterprise),
        kind: Set("free".into()),
        status: Set("closed".into()),
        started_by: Set(officer_id),
        version: Set(2),
        closed_at: Set(Some((Utc::now() - Duration::days(1)).fixed_offset())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    findings::ActiveModel { id: Set(b), inspection_id: Set(Some(closed.id)), ..Default::default() }
        .update(&app.db)
        .await
        .unwrap();
    // Generating renders the PDF, which needs the CJK font; the row is written as the
    // service writes it, from the same content.
    let company = enterprises::Entity::find_by_id(enterprise).one(&app.db).await.unwrap().unwrap();
    let (content, _) = reports_content::build(&app.db, &company, &closed, Utc::now()).await.unwrap();
    let report = reports::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        enterprise_id: Set(enterprise),
        inspection_id: Set(closed.id),
        version: Set(1),
        period_start: Set(content.period.start),
        period_end: Set(content.period.end),
        status: Set("draft".into()),
        content: Set(serde_json::to_value(&content).unwrap()),
        created_by: Set(officer_id),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id;
    let (s, read) = get(app, &format!("/mp/reports/{report}"), &officer).await;
    assert_eq!(s, 200, "{read}");
    let listed: Vec<i64> =
        read["content"]["finding_list"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [b], "{read}");
    for path in [format!("/mp/reports/{report}"), format!("/mp/reports/{report}/pdf"), "/mp/reports".into()] {
        let res = app.client.get(app.url(&path)).bearer_auth(&rp).send().await.unwrap();
        support::error(res, 403, "forbidden").await;
    }

    // The other responsible person sees B, not A; the officer sees all three.
    assert_eq!(status(app, &format!("/mp/findings/{b}"), &other_rp).await, 200);
    assert_eq!(status(app, &format!("/mp/findings/{a}"), &other_rp).await, 404);
    assert_eq!(status(app, &format!("/mp/evidence/{photo_b}/original"), &other_rp).await, 200);
    assert_eq!(status(app, &format!("/mp/evidence/{photo_a}/original"), &other_rp).await, 404);
    for f in [a, b, c] {
        assert_eq!(status(app, &format!("/mp/findings/{f}"), &officer).await, 200);
    }
    for p in [photo_a, photo_b, photo_c] {
        assert_eq!(status(app, &format!("/mp/evidence/{p}/original"), &officer).await, 200);
    }
    let (_, all) = get(app, "/mp/findings", &officer).await;
    assert!(all["total"].as_u64().unwrap() >= 3, "{all}");
});

// Direct uploads to object storage: signing, committing and replaying a commit are
// scoped the same way (a replayed commit answers the whole record, with its position).
both!(a_responsible_person_commits_only_photos_of_their_findings, s3(), async |app: &TestApp| {
    app.ensure_demo().await;
    let (officer, _) = mp_token(app, "demo-officer-e01").await;
    let (rp, rp_id) = mp_token(app, "demo-rp-e01-1").await;
    let (_, other_rp_id) = mp_token(app, "demo-rp-e01-2").await;
    let a = finding(app, &officer, 1, Some(rp_id)).await;
    let b = finding(app, &officer, 2, Some(other_rp_id)).await;
    let photo = jpeg(77);
    let sign = async |token: &str, owner: i64| {
        let body = json!({
            "client_id": key(), "owner_kind": "finding", "owner_id": owner, "phase": "before",
            "content_type": "image/jpeg", "size_bytes": photo.len(), "latitude": 39.0, "longitude": 106.4,
        });
        post(app, "/mp/evidence/uploads", token, body).await
    };
    let put = async |ticket: &Value| {
        let mut req =
            app.client.request(ticket["method"].as_str().unwrap().parse().unwrap(), ticket["url"].as_str().unwrap());
        for (k, v) in ticket["headers"].as_object().unwrap() {
            if !k.eq_ignore_ascii_case("content-length") {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let res = req.body(photo.clone()).send().await.unwrap();
        assert!(res.status().is_success(), "PUT: {}", res.status());
    };
    let commit =
        async |token: &str, id: i64| post(app, &format!("/mp/evidence/uploads/{id}/commit"), token, json!({})).await;

    // The officer's photo of B, committed; another of B, uploaded but not yet committed.
    let (s, done) = sign(&officer, b).await;
    assert_eq!(s, 201, "{done}");
    put(&done).await;
    let (s, view) = commit(&officer, done["upload_id"].as_i64().unwrap()).await;
    assert_eq!((s, view["latitude"].as_f64()), (201, Some(39.0)), "{view}");
    let (s, pending) = sign(&officer, b).await;
    assert_eq!(s, 201, "{pending}");
    put(&pending).await;

    // Neither is the responsible person's to replay or commit, nor B theirs to sign for.
    for ticket in [&done, &pending] {
        let (s, body) = commit(&rp, ticket["upload_id"].as_i64().unwrap()).await;
        assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    }
    let (s, body) = sign(&rp, b).await;
    assert_eq!((s, body["error"]["details"]["field"].as_str()), (404, Some("owner_id")), "{body}");
    // A is theirs: signed, uploaded, committed, replayed.
    let (s, mine) = sign(&rp, a).await;
    assert_eq!(s, 201, "{mine}");
    put(&mine).await;
    let id = mine["upload_id"].as_i64().unwrap();
    let (s, first) = commit(&rp, id).await;
    assert_eq!(s, 201, "{first}");
    let (s, again) = commit(&rp, id).await;
    assert_eq!((s, &again["id"]), (200, &first["id"]), "{again}");
    // The officer's pending upload is still theirs to commit.
    let (s, late) = commit(&officer, pending["upload_id"].as_i64().unwrap()).await;
    assert_eq!(s, 201, "{late}");
});
