//! The self-inspection report end to end: a closed inspection set up in the database,
//! then generate → read → PDF → submit to both bureaus → read receipt → return with
//! comments → revise → resubmit (the returned version superseded), with the rules on
//! state, role and jurisdiction along the way.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zhicha_api::entities::{
    audit_log, enterprises, evidence, findings, hazard_items, inspection_items, inspections, organisations,
    rectifications, regions, report_receipts, reports, sync_log, users,
};
use zhicha_api::identity::service::{self, Origin};
use zhicha_api::platform::storage::ObjectKey;
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::{mp_post, staff_token, wx_login};

async fn mp_token(app: &TestApp, code: &str) -> String {
    let (s, _, t) = support::json(wx_login(app, code).await).await;
    assert_eq!(s, 200, "{t}");
    t["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, _, b) = support::json(get(app, path, token).await).await;
    assert_eq!(s, 200, "{path}: {b}");
    b
}

async fn gov_post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> i64 {
    get_json(app, "/auth/me", token).await["user_id"].as_i64().unwrap()
}

/// A small, valid JPEG (a flat colour), as the display copies are.
fn jpeg(shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([shade, 120, 255 - shade]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn hazard(app: &TestApp, code: &str, area: &str) -> i64 {
    hazard_items::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        code: Set(code.into()),
        version: Set(1),
        status: Set("active".into()),
        title: Set(format!("{area}检查项")),
        default_grade: Set("general".into()),
        weight: Set(1.0),
        definition: Set(json!({ "area": area })),
        library_version: Set("test".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn inspection(app: &TestApp, enterprise: i64, officer: i64, status: &str) -> i64 {
    let now = Utc::now();
    inspections::ActiveModel {
        created_at: Set((now - Duration::days(10)).fixed_offset()),
        enterprise_id: Set(enterprise),
        kind: Set("free".into()),
        status: Set(status.into()),
        started_by: Set(officer),
        version: Set(1),
        closed_at: Set((status == "closed").then(|| (now - Duration::days(1)).fixed_offset())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

struct Finding<'a> {
    location: &'a str,
    description: &'a str,
    grade: &'a str,
    state: &'a str,
    hazard: Option<i64>,
    /// Deadline in days from today.
    deadline: Option<i64>,
    photos: bool,
}

async fn finding(app: &TestApp, enterprise: i64, insp: i64, officer: i64, assignee: i64, f: Finding<'_>) -> i64 {
    let now = Utc::now();
    let row = findings::ActiveModel {
        created_at: Set(now.fixed_offset()),
        enterprise_id: Set(enterprise),
        inspection_id: Set(Some(insp)),
        hazard_item_id: Set(f.hazard),
        location: Set(f.location.into()),
        description: Set(f.description.into()),
        grade: Set(f.grade.into()),
        accident_types: Set(json!(["05"])),
        state: Set(f.state.into()),
        reported_by: Set(officer),
        version: Set(1),
        updated_at: Set(now.fixed_offset()),
        origin: Set("self".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    if let Some(days) = f.deadline {
        let accepted = f.state == "accepted";
        rectifications::ActiveModel {
            created_at: Set(now.fixed_offset()),
            finding_id: Set(row.id),
            enterprise_id: Set(enterprise),
            assignee_id: Set(assignee),
            deadline: Set((now + Duration::days(days)).date_naive()),
            status: Set(if accepted { "accepted" } else { "open" }.into()),
            accepted_by: Set(accepted.then_some(officer)),
            accepted_at: Set(accepted.then(|| now.fixed_offset())),
            version: Set(1),
            updated_at: Set(now.fixed_offset()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    if f.photos {
        for (phase, shade) in [("before", 40u8), ("after", 200u8)] {
            let bytes = jpeg(shade.wrapping_add((row.id as u8).wrapping_mul(37)));
            let sha = hex(&Sha256::digest(&bytes));
            let key = format!("evidence/{enterprise}/{}-{phase}.jpg", row.id);
            app.state.store.put(&ObjectKey::new(key.clone()).unwrap(), bytes.clone(), "image/jpeg").await.unwrap();
            evidence::ActiveModel {
                created_at: Set(now.fixed_offset()),
                enterprise_id: Set(enterprise),
                client_id: Set(format!("ev-{}-{phase}", row.id)),
                owner_kind: Set("finding".into()),
                owner_id: Set(row.id),
                phase: Set(phase.into()),
                upload_path: Set("multipart".into()),
                storage_key: Set(key.clone()),
                display_key: Set(key),
                content_type: Set("image/jpeg".into()),
                size_bytes: Set(bytes.len() as i64),
                sha256: Set(sha),
                width: Set(64),
                height: Set(48),
                received_at: Set(now.fixed_offset()),
                flags: Set(json!([])),
                uploaded_by: Set(officer),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
    }
    row.id
}

/// Whether the server has the CJK font the PDF needs (Debian's fonts-noto-cjk).
fn font_installed(app: &TestApp) -> bool {
    app.state.settings.reports.font_path.exists()
}

/// Text of a PDF through poppler's pdftotext, where it is installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().ok()?;
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

fn receipt<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["receipts"].as_array().unwrap().iter().find(|r| r["organisation_kind"] == kind).unwrap()
}

both!(report_lifecycle, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let officer = mp_token(app, "demo-officer-e01").await;
    let rp = mp_token(app, "demo-rp-e01-1").await;
    let officer_id = user_id(app, &officer).await;
    let rp_id = user_id(app, &rp).await;
    let enterprise = get_json(app, "/mp/enterprise", &officer).await["id"].as_i64().unwrap();

    // A closed inspection: 7 items checked, 4 findings counted (2 accepted with photos,
    // 1 open, 1 overdue), a draft and a cancelled one left out; and an open inspection.
    let elec = hazard(app, "T-RPT-ELEC", "电气安全").await;
    let space = hazard(app, "T-RPT-SPACE", "有限空间").await;
    let closed = inspection(app, enterprise, officer_id, "closed").await;
    let open = inspection(app, enterprise, officer_id, "open").await;
    for result in ["found", "found", "found", "not_found", "not_found", "not_applicable", "pending"] {
        inspection_items::ActiveModel {
            created_at: Set(Utc::now().fixed_offset()),
            inspection_id: Set(closed),
            result: Set(result.into()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let f = |location, description, grade, state, hazard, deadline, photos| Finding {
        location,
        description,
        grade,
        state,
        hazard,
        deadline,
        photos,
    };
    let (e, o, r) = (enterprise, officer_id, rp_id);
    finding(app, e, closed, o, r, f("配电室", "配电柜未接地", "major", "accepted", Some(elec), Some(-3), true)).await;
    finding(app, e, closed, o, r, f("一号车间", "电缆绝缘层破损", "general", "accepted", Some(elec), Some(-1), true))
        .await;
    let later = finding(
        app,
        e,
        closed,
        o,
        r,
        f("污水池", "有限空间未设警示标志", "general", "to_rectify", Some(space), Some(10), false),
    )
    .await;
    let overdue = finding(
        app,
        e,
        closed,
        o,
        r,
        f("储罐区", "有限空间作业无审批", "major", "overdue", Some(space), Some(-2), false),
    )
    .await;
    finding(app, e, closed, o, r, f("仓库", "草稿", "general", "draft", None, None, false)).await;
    finding(app, e, closed, o, r, f("仓库", "已撤销", "general", "cancelled", None, None, false)).await;

    // Only a closed inspection has a report; only the officer generates and submits.
    let e409 = support::error(
        mp_post(app, &format!("/mp/inspections/{open}/report"), &officer, "rpt-open-1", json!({})).await,
        409,
        "invalid_state",
    )
    .await;
    assert_eq!(e409["details"]["state"], "open");
    let gen_path = format!("/mp/inspections/{closed}/report");
    support::error(mp_post(app, &gen_path, &rp, "rpt-rp-1", json!({})).await, 403, "forbidden").await;

    let res = mp_post(app, &gen_path, &officer, "rpt-gen-1", json!({})).await;
    if !font_installed(app) {
        // Without the font package the report cannot be rendered: a clear 503, nothing kept.
        support::error(res, 503, "report_font_unavailable").await;
        assert_eq!(reports::Entity::find().count(&app.db).await.unwrap(), 0);
        assert!(std::env::var("CI").is_err(), "CI installs fonts-noto-cjk (.ci/run)");
        eprintln!(
            "reports: {} missing; install fonts-noto-cjk to run the rest",
            app.state.settings.reports.font_path.display()
        );
        return;
    }
    let (s, _, v1) = support::json(res).await;
    assert_eq!(s, 201, "{v1}");
    let id = v1["id"].as_i64().unwrap();
    assert_eq!((v1["version"].as_i64(), v1["status"].as_str()), (Some(1), Some("draft")));
    let c = &v1["content"];
    assert_eq!(c["items"], json!({ "total": 7, "found": 3, "not_found": 2, "not_applicable": 1, "pending": 1 }));
    assert_eq!(
        (c["findings"]["total"].as_u64(), c["findings"]["major"].as_u64(), c["findings"]["general"].as_u64()),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(
        c["findings"]["by_area"],
        json!([
            { "area": "有限空间", "general": 1, "major": 1, "total": 2 },
            { "area": "电气安全", "general": 1, "major": 1, "total": 2 }
        ])
    );
    assert_eq!(c["rectification"]["rectified"], 2);
    assert_eq!(c["rectification"]["share"], 0.5);
    assert_eq!(c["rectification"]["met"], false);
    let open_items: Vec<i64> =
        c["open_items"].as_array().unwrap().iter().map(|o| o["finding_id"].as_i64().unwrap()).collect();
    assert_eq!(open_items, vec![overdue, later], "earliest deadline first");
    assert_eq!(c["open_items"][0]["overdue"], true);
    assert_eq!(c["open_items"][1]["overdue"], false);
    assert_eq!(c["finding_list"].as_array().unwrap().len(), 4);
    let with_photos = c["finding_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["after_photos"].as_array().unwrap().len() == 1)
        .count();
    assert_eq!(with_photos, 2);
    assert!(c["enterprise"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(c["period"]["end"], (Utc::now() - Duration::days(1)).date_naive().to_string());

    // The draft again: regenerated in place.
    let (s, _, again) = support::json(mp_post(app, &gen_path, &officer, "rpt-gen-2", json!({})).await).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!((again["id"].as_i64(), again["version"].as_i64()), (Some(id), Some(1)));

    // The PDF: a PDF, the digest recorded, the CJK font embedded as a subset, the photos
    // in it, Chinese text extractable, a sensible size.
    let res = get(app, &format!("/mp/reports/{id}/pdf"), &officer).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF-"), "header");
    assert!(pdf.windows(5).rev().take(64).any(|w| w == b"%%EOF"), "trailer");
    assert_eq!(again["pdf_sha256"], hex(&Sha256::digest(&pdf)));
    // To look at it: ZHICHA_TEST_REPORT_PDF=/tmp/report.pdf.
    if let Ok(out) = std::env::var("ZHICHA_TEST_REPORT_PDF") {
        std::fs::write(out, &pdf).unwrap();
    }
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("+NotoSansCJK"), "the font is embedded as a subset (tag+name)");
    assert!(raw.matches("/Subtype/Image").count() >= 4, "before and after photos of two findings");
    assert!(pdf.len() < 1_000_000, "a subset, not the whole 19 MB font: {} bytes", pdf.len());
    eprintln!("reports: test PDF is {} bytes", pdf.len());
    match pdf_text(&pdf) {
        Some(text) => {
            // Extraction may drop the spaces between glyph runs.
            let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let name = c["enterprise"]["name"].as_str().unwrap();
            for needle in ["隐患自查自纠报告", "配电柜未接地", "有限空间", "重大隐患", "整改前", "第1页/共2页", name]
            {
                assert!(squeezed.contains(needle), "{needle:?} not in the PDF text:\n{text}");
            }
        }
        None => assert!(std::env::var("CI").is_err(), "CI installs poppler-utils for pdftotext"),
    }

    // The report is the officer's: a responsible person may neither read nor submit it
    // (it lists findings not assigned to them).
    support::error(get(app, &format!("/mp/reports/{id}"), &rp).await, 403, "forbidden").await;
    support::error(
        mp_post(app, &format!("/mp/reports/{id}/submit"), &rp, "rpt-rp-2", json!({})).await,
        403,
        "forbidden",
    )
    .await;

    // Submitted to both bureaus of the city, each with a receipt.
    let (s, _, sub) =
        support::json(mp_post(app, &format!("/mp/reports/{id}/submit"), &officer, "rpt-sub-1", json!({})).await).await;
    assert_eq!(s, 200, "{sub}");
    assert_eq!(sub["status"], "submitted");
    assert_eq!(sub["receipts"].as_array().unwrap().len(), 2);
    assert_eq!(receipt(&sub, "hrss_bureau")["status"], "received");
    assert_eq!(receipt(&sub, "emergency_bureau")["status"], "received");
    assert_eq!(receipt(&sub, "hrss_bureau")["organisation_name"], "石嘴山市人力资源和社会保障局");
    let e = support::error(mp_post(app, &gen_path, &officer, "rpt-gen-3", json!({})).await, 409, "invalid_state").await;
    assert_eq!(e["details"]["state"], "submitted");

    // The city's HRSS bureau lists and reads it: its receipt becomes read, the other's not.
    let hrss = staff_token(app, "hrss.city").await;
    let list = get_json(app, "/gov/reports?status=submitted", &hrss).await;
    assert!(list["items"].as_array().unwrap().iter().any(|r| r["id"] == id), "{list}");
    let read = get_json(app, &format!("/gov/reports/{id}"), &hrss).await;
    assert_eq!(receipt(&read, "hrss_bureau")["status"], "read");
    assert_eq!(receipt(&read, "emergency_bureau")["status"], "received");
    let hrss_user =
        users::Entity::find().filter(users::Column::Username.eq("hrss.city")).one(&app.db).await.unwrap().unwrap();
    let stored = report_receipts::Entity::find()
        .filter(report_receipts::Column::ReportId.eq(id))
        .filter(report_receipts::Column::OrganisationId.eq(hrss_user.organisation_id.unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.read_by, Some(hrss_user.id));
    assert!(stored.read_at.is_some());
    let res = get(app, &format!("/gov/reports/{id}/pdf"), &hrss).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);

    // The province sees it but it is not addressed there: no receipt moves, no return.
    let province = staff_token(app, "hrss.province").await;
    let seen = get_json(app, &format!("/gov/reports/{id}"), &province).await;
    assert_eq!(receipt(&seen, "emergency_bureau")["status"], "received");
    support::error(
        gov_post(app, &format!("/gov/reports/{id}/return"), &province, json!({ "comments": "x" })).await,
        403,
        "forbidden",
    )
    .await;

    // Another city's bureau: not found.
    if regions::Entity::find_by_id("640100").one(&app.db).await.unwrap().is_none() {
        regions::ActiveModel {
            code: Set("640100".into()),
            name_zh: Set("银川市".into()),
            name_en: Set("Yinchuan".into()),
            level: Set("city".into()),
            parent_code: Set(Some("640000".into())),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let other_org = organisations::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        kind: Set("hrss_bureau".into()),
        name: Set("银川市人力资源和社会保障局".into()),
        region_code: Set(Some("640100".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let other_user = users::ActiveModel {
        created_at: Set(Utc::now().fixed_offset()),
        display_name: Set("银川市人社局 测试".into()),
        role: Set("hrss_bureau".into()),
        status: Set("active".into()),
        organisation_id: Set(Some(other_org.id)),
        region_code: Set(Some("640100".into())),
        failed_logins: Set(0),
        updated_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let other = service::issue(&app.db, &app.state, &other_user, None, &Origin::default()).await.unwrap().access_token;
    support::error(get(app, &format!("/gov/reports/{id}"), &other).await, 404, "not_found").await;
    support::error(get(app, &format!("/gov/reports/{id}/pdf"), &other).await, 404, "not_found").await;
    support::error(
        gov_post(app, &format!("/gov/reports/{id}/return"), &other, json!({ "comments": "x" })).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(get_json(app, "/gov/reports", &other).await["total"], 0);

    // The emergency bureau returns it with comments.
    let emergency = staff_token(app, "emergency.city").await;
    let path = format!("/gov/reports/{id}/return");
    support::error(gov_post(app, &path, &emergency, json!({ "comments": "  " })).await, 422, "invalid_field").await;
    let (s, _, ret) =
        support::json(gov_post(app, &path, &emergency, json!({ "comments": "请补充储罐区整改方案" })).await).await;
    assert_eq!(s, 200, "{ret}");
    assert_eq!(ret["status"], "returned");
    assert_eq!(receipt(&ret, "emergency_bureau")["status"], "returned");
    assert_eq!(receipt(&ret, "emergency_bureau")["comments"], "请补充储罐区整改方案");
    assert_eq!(receipt(&ret, "hrss_bureau")["status"], "read");
    support::error(gov_post(app, &path, &emergency, json!({ "comments": "again" })).await, 409, "invalid_state").await;

    // The officer cannot resubmit or regenerate it; revising makes version 2.
    support::error(
        mp_post(app, &format!("/mp/reports/{id}/submit"), &officer, "rpt-sub-2", json!({})).await,
        409,
        "invalid_state",
    )
    .await;
    let e = support::error(mp_post(app, &gen_path, &officer, "rpt-gen-4", json!({})).await, 409, "invalid_state").await;
    assert_eq!(e["details"]["state"], "returned");
    let (s, _, v2) =
        support::json(mp_post(app, &format!("/mp/reports/{id}/revise"), &officer, "rpt-rev-1", json!({})).await).await;
    assert_eq!(s, 201, "{v2}");
    let id2 = v2["id"].as_i64().unwrap();
    assert_eq!(
        (v2["version"].as_i64(), v2["status"].as_str(), v2["previous_id"].as_i64()),
        (Some(2), Some("draft"), Some(id))
    );
    assert_ne!(v2["pdf_sha256"], again["pdf_sha256"]);
    support::error(
        mp_post(app, &format!("/mp/reports/{id}/revise"), &officer, "rpt-rev-2", json!({})).await,
        409,
        "conflict",
    )
    .await;
    // Bureaus never see drafts.
    support::error(get(app, &format!("/gov/reports/{id2}"), &hrss).await, 404, "not_found").await;

    // Version 2 submitted: version 1 superseded, both kept with their receipts.
    let (s, _, sub2) =
        support::json(mp_post(app, &format!("/mp/reports/{id2}/submit"), &officer, "rpt-sub-3", json!({})).await).await;
    assert_eq!(s, 200, "{sub2}");
    assert_eq!(receipt(&sub2, "emergency_bureau")["status"], "received");
    let v1_now = get_json(app, &format!("/mp/reports/{id}"), &officer).await;
    assert_eq!(v1_now["status"], "superseded");
    assert_eq!(receipt(&v1_now, "emergency_bureau")["comments"], "请补充储罐区整改方案");
    let mine = get_json(app, "/mp/reports", &officer).await;
    let versions: Vec<(i64, &str)> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["version"].as_i64().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(versions, vec![(2, "submitted"), (1, "superseded")]);
    support::error(gov_post(app, &path, &emergency, json!({ "comments": "late" })).await, 409, "invalid_state").await;
    let superseded = get_json(app, "/gov/reports?status=superseded", &hrss).await;
    assert_eq!(superseded["total"], 1);

    // Every step is audited and in the enterprise's sync feed.
    for action in ["report.generate", "report.submit", "report.read", "report.return", "report.revise"] {
        let n = audit_log::Entity::find().filter(audit_log::Column::Action.eq(action)).count(&app.db).await.unwrap();
        assert!(n >= 1, "{action} audited");
    }
    let synced = sync_log::Entity::find()
        .filter(sync_log::Column::EnterpriseId.eq(enterprise))
        .filter(sync_log::Column::Kind.eq("report"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(synced >= 7, "report changes in the sync feed: {synced}");
});

both!(report_needs_both_bureaus, Opts { demo: true, standin: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    if !font_installed(app) {
        eprintln!("reports: font missing; covered by report_lifecycle's 503 check");
        return;
    }
    let officer = mp_token(app, "demo-officer-e02").await;
    let officer_id = user_id(app, &officer).await;
    let enterprise = get_json(app, "/mp/enterprise", &officer).await["id"].as_i64().unwrap();
    // Move the enterprise to a city whose bureaus are not registered.
    if regions::Entity::find_by_id("640100").one(&app.db).await.unwrap().is_none() {
        regions::ActiveModel {
            code: Set("640100".into()),
            name_zh: Set("银川市".into()),
            name_en: Set("Yinchuan".into()),
            level: Set("city".into()),
            parent_code: Set(Some("640000".into())),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let mut e: enterprises::ActiveModel =
        enterprises::Entity::find_by_id(enterprise).one(&app.db).await.unwrap().unwrap().into();
    e.region_code = Set(Some("640100".into()));
    e.update(&app.db).await.unwrap();
    let closed = inspection(app, enterprise, officer_id, "closed").await;

    let (s, _, report) =
        support::json(mp_post(app, &format!("/mp/inspections/{closed}/report"), &officer, "nb-gen-1", json!({})).await)
            .await;
    assert_eq!(s, 201, "{report}");
    assert_eq!(report["content"]["findings"]["total"], 0);
    assert_eq!(report["content"]["rectification"]["share"], Value::Null);
    let id = report["id"].as_i64().unwrap();
    let e = support::error(
        mp_post(app, &format!("/mp/reports/{id}/submit"), &officer, "nb-sub-1", json!({})).await,
        409,
        "conflict",
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("hrss_bureau and emergency_bureau"), "{e}");
    // Nothing written.
    let r = reports::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(r.status, "draft");
    assert_eq!(
        report_receipts::Entity::find().filter(report_receipts::Column::ReportId.eq(id)).count(&app.db).await.unwrap(),
        0
    );
});
