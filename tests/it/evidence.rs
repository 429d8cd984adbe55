//! Photo evidence through the HTTP API, as the mini-program sends it: multipart uploads
//! checked, stored byte-exact with an EXIF-free display copy and recorded; replays by
//! client id and by idempotency key; refusals that leave nothing behind; direct uploads
//! to S3 with a presigned PUT and a commit; scoped reads; the sweep of abandoned uploads.

use std::io::Cursor;
use std::path::Path;

use chrono::{Duration, Utc};
use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value as ExifValue};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zhicha_api::entities::{audit_log, enterprises, evidence, findings, sync_log, upload_intents, users};
use zhicha_api::identity::service::{self, Origin};
use zhicha_api::selfcheck::uploads::{self, OwnerKind};
use zhicha_tests::{Opts, TestApp, both};

use crate::support;
use crate::wechat::{mp_post, staff_token, wx_login};

fn opts(s3: bool) -> Opts {
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), s3, ..Default::default() }
}

struct Officer {
    token: String,
    user_id: i64,
    enterprise: enterprises::Model,
}

async fn officer(app: &TestApp, n: usize) -> Officer {
    let (status, _, t) = support::json(wx_login(app, &format!("demo-officer-e{n:02}")).await).await;
    assert_eq!(status, 200, "{t}");
    let token = t["access_token"].as_str().unwrap().to_string();
    let (_, _, me) = support::json(app.client.get(app.url("/auth/me")).bearer_auth(&token).send().await.unwrap()).await;
    let user_id = me["user_id"].as_i64().or(me["id"].as_i64()).unwrap_or_else(|| panic!("{me}"));
    let u = users::Entity::find_by_id(user_id).one(&app.db).await.unwrap().unwrap();
    let enterprise = enterprises::Entity::find_by_id(u.enterprise_id.unwrap()).one(&app.db).await.unwrap().unwrap();
    Officer { token, user_id, enterprise }
}

/// A finding written straight to the table (the findings API is built elsewhere).
async fn finding(app: &TestApp, o: &Officer) -> i64 {
    findings::ActiveModel {
        enterprise_id: Set(o.enterprise.id),
        location: Set("二号车间".into()),
        description: Set("配电箱门未关闭".into()),
        grade: Set("general".into()),
        accident_types: Set(json!(["05"])),
        state: Set("to_rectify".into()),
        reported_by: Set(o.user_id),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img =
        RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8]));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&img, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// Degrees as EXIF's three rationals.
fn dms(tag: Tag, deg: f64) -> Field {
    let d = deg.abs();
    let (whole, minutes) = (d.trunc(), (d.fract() * 60.0));
    let seconds = minutes.fract() * 60.0;
    let value = ExifValue::Rational(vec![
        Rational { num: whole as u32, denom: 1 },
        Rational { num: minutes.trunc() as u32, denom: 1 },
        Rational { num: (seconds * 1000.0).round() as u32, denom: 1000 },
    ]);
    Field { tag, ifd_num: In::PRIMARY, value }
}

/// A camera JPEG: EXIF capture time (with its offset) and GPS position.
fn camera_jpeg(width: u32, height: u32, taken: &str, lat: f64, lon: f64) -> Vec<u8> {
    let ascii =
        |tag, s: &str| Field { tag, ifd_num: In::PRIMARY, value: ExifValue::Ascii(vec![s.as_bytes().to_vec()]) };
    let fields = [
        ascii(Tag::DateTimeOriginal, taken),
        ascii(Tag::OffsetTimeOriginal, "+08:00"),
        dms(Tag::GPSLatitude, lat),
        ascii(Tag::GPSLatitudeRef, if lat < 0.0 { "S" } else { "N" }),
        dms(Tag::GPSLongitude, lon),
        ascii(Tag::GPSLongitudeRef, if lon < 0.0 { "W" } else { "E" }),
    ];
    let mut w = Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    w.write(&mut tiff, false).unwrap();
    let payload = [b"Exif\0\0".as_slice(), tiff.get_ref()].concat();
    let plain = jpeg(width, height);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG whose header declares `w`×`h` RGBA pixels behind a few bytes of data.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = [w.to_be_bytes(), h.to_be_bytes()].concat();
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A multipart/form-data body as `wx.uploadFile` builds it, with a fresh boundary.
pub fn form(fields: &[(&str, String)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = format!("----wxform{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn fields(client_id: &str, owner_id: i64, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("client_id", client_id.to_string()),
        ("owner_kind", "finding".to_string()),
        ("owner_id", owner_id.to_string()),
        ("phase", "before".to_string()),
    ];
    for (k, v) in extra {
        let k: &'static str = match *k {
            "captured_at" => "captured_at",
            "latitude" => "latitude",
            "longitude" => "longitude",
            other => panic!("{other}"),
        };
        f.push((k, v.clone()));
    }
    f
}

async fn upload(
    app: &TestApp,
    token: &str,
    key: &str,
    fields: &[(&str, String)],
    file: Option<(&str, &str, &[u8])>,
) -> reqwest::Response {
    let (content_type, body) = form(fields, file);
    app.client
        .post(app.url("/mp/evidence"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let res = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

/// Files under the local store's root (temporary files aside).
fn local_objects(root: &Path) -> usize {
    fn walk(dir: &Path, n: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|f| f == ".tmp") {
                continue;
            }
            if p.is_dir() {
                walk(&p, n);
            } else {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(root, &mut n);
    n
}

async fn count_rows(app: &TestApp) -> (u64, u64) {
    (
        evidence::Entity::find().count(&app.db).await.unwrap(),
        upload_intents::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// The main scenario, on whichever store the app has: upload a camera photo, read it
/// back byte-exact, replay it, and see the record's facts.
async fn upload_and_read_back(app: &TestApp, o: &Officer, owner: i64) -> Value {
    let (site_lat, site_lon) = (o.enterprise.latitude.unwrap(), o.enterprise.longitude.unwrap());
    // The camera says it was half a degree north of the site (about 55 km).
    let photo = camera_jpeg(640, 480, "2026:03:14 09:26:53", site_lat + 0.5, site_lon);
    let client_id = uuid::Uuid::new_v4().to_string();
    let captured = (Utc::now() - Duration::minutes(2)).to_rfc3339();
    let f = fields(
        &client_id,
        owner,
        &[("captured_at", captured), ("latitude", site_lat.to_string()), ("longitude", site_lon.to_string())],
    );
    let (status, _, view) =
        support::json(upload(app, &o.token, "ev-upload-0001", &f, Some(("photo.jpg", "image/jpeg", &photo))).await)
            .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["sha256"], sha256(&photo));
    assert_eq!(view["size_bytes"], photo.len() as u64);
    assert_eq!(
        (view["content_type"].as_str(), view["width"].as_i64(), view["height"].as_i64()),
        (Some("image/jpeg"), Some(640), Some(480))
    );
    assert_eq!(view["upload_path"], "multipart");
    assert_eq!(view["client_id"], client_id.as_str());
    assert_eq!(view["exif_taken_at"], "2026-03-14T01:26:53Z", "{view}");
    assert!((view["exif_latitude"].as_f64().unwrap() - (site_lat + 0.5)).abs() < 1e-3, "{view}");
    assert!((view["latitude"].as_f64().unwrap() - site_lat).abs() < 1e-9);
    let flags = view["flags"].as_array().unwrap();
    assert!(
        flags
            .iter()
            .any(|f| f["flag"] == "position_far" && f["source"] == "exif" && f["metres"].as_u64().unwrap() > 50_000),
        "{view}"
    );
    assert!(
        !flags.iter().any(|f| f["source"] == "client" && f["flag"] == "position_far"),
        "the phone was on site: {view}"
    );
    // The EXIF time is months before receipt; the phone's is two minutes.
    assert!(flags.iter().any(|f| f["flag"] == "capture_time_far" && f["source"] == "exif"), "{view}");
    let id = view["id"].as_i64().unwrap();

    let (s, ct, original) = get_bytes(app, &format!("/mp/evidence/{id}/original"), &o.token).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert!(original == photo, "the original is byte-exact");
    let (s, ct, display) = get_bytes(app, &format!("/mp/evidence/{id}/display"), &o.token).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert!(
        exif::Reader::new().read_from_container(&mut Cursor::new(&display)).is_err(),
        "no EXIF on the display copy"
    );
    let shown = image::load_from_memory(&display).unwrap();
    assert_eq!((shown.width(), shown.height()), (640, 480));
    let (s, _, again) = support::json(
        app.client.get(app.url(&format!("/mp/evidence/{id}"))).bearer_auth(&o.token).send().await.unwrap(),
    )
    .await;
    assert_eq!((s, &again["sha256"]), (200, &view["sha256"]));

    // Recorded with its change-feed entry and audit record; the upload guard is gone.
    let feed = sync_log::Entity::find()
        .filter(sync_log::Column::Kind.eq("evidence"))
        .filter(sync_log::Column::ObjectId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(feed, 1);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("evidence.upload"))
        .filter(audit_log::Column::ObjectId.eq(id.to_string()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    assert_eq!(count_rows(app).await, (1, 0));

    // Offline replay: the same client id with a new key returns the record (200) and
    // stores nothing new; the same key with a re-encoded form (a new boundary) gets
    // the stored answer; the same key with another photo is refused.
    let res = upload(app, &o.token, "ev-upload-0002", &f, Some(("photo.jpg", "image/jpeg", &photo))).await;
    let (s, _, replay) = support::json(res).await;
    assert_eq!((s, replay["id"].as_i64()), (200, Some(id)), "{replay}");
    let res = upload(app, &o.token, "ev-upload-0001", &f, Some(("photo.jpg", "image/jpeg", &photo))).await;
    assert_eq!(res.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let (s, _, replay) = support::json(res).await;
    assert_eq!((s, replay["id"].as_i64()), (201, Some(id)));
    let other = jpeg(64, 64);
    let res = upload(app, &o.token, "ev-upload-0001", &f, Some(("photo.jpg", "image/jpeg", &other))).await;
    support::error(res, 422, "idempotency_key_reused").await;
    let res = upload(app, &o.token, "ev-upload-0003", &f, Some(("photo.jpg", "image/jpeg", &other))).await;
    let e = support::error(res, 409, "conflict").await;
    assert_eq!((e["details"]["field"].as_str(), e["details"]["evidence_id"].as_i64()), (Some("client_id"), Some(id)));
    assert_eq!(count_rows(app).await, (1, 0));

    // What the findings and report code call.
    let listed =
        uploads::of_owners(&app.db, o.enterprise.id, OwnerKind::Finding, &[owner, owner + 1000]).await.unwrap();
    assert_eq!(listed.iter().map(|v| v.id).collect::<Vec<_>>(), vec![id]);
    let shown = uploads::display_bytes(&app.db, app.state.store.as_ref(), o.enterprise.id, id).await.unwrap();
    assert!(shown == Some(display));
    assert!(
        uploads::display_bytes(&app.db, app.state.store.as_ref(), o.enterprise.id + 1, id).await.unwrap().is_none()
    );
    view
}

both!(evidence_multipart_on_local_disk, opts(false), async |app: &TestApp| {
    app.ensure_demo().await;
    let o = officer(app, 1).await;
    let owner = finding(app, &o).await;
    let root = app.state.settings.storage.local_dir.clone();
    let view = upload_and_read_back(app, &o, owner).await;
    assert_eq!(local_objects(&root), 2, "the original and its display copy");
    let id = view["id"].as_i64().unwrap();

    // Another enterprise's officer sees nothing of it and cannot attach to its finding.
    let stranger = officer(app, 2).await;
    for path in
        [format!("/mp/evidence/{id}"), format!("/mp/evidence/{id}/display"), format!("/mp/evidence/{id}/original")]
    {
        let res = app.client.get(app.url(&path)).bearer_auth(&stranger.token).send().await.unwrap();
        support::error(res, 404, "not_found").await;
    }
    let f = fields(&uuid::Uuid::new_v4().to_string(), owner, &[]);
    let res = upload(app, &stranger.token, "ev-stranger-01", &f, Some(("a.jpg", "image/jpeg", &jpeg(32, 32)))).await;
    let e = support::error(res, 404, "not_found").await;
    assert_eq!(e["details"]["field"], "owner_id");

    // The city's bureau sees the display copy; another city's bureau does not.
    let bureau = staff_token(app, "hrss.city").await;
    let (s, ct, _) = get_bytes(app, &format!("/gov/evidence/{id}/display"), &bureau).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    let elsewhere = users::ActiveModel {
        display_name: Set("银川市人社局".into()),
        role: Set("hrss_bureau".into()),
        status: Set("active".into()),
        region_code: Set(Some("640100".into())),
        username: Set(Some("hrss.yinchuan".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let other_city =
        service::issue(&app.db, &app.state, &elsewhere, None, &Origin::default()).await.unwrap().access_token;
    let res = app.client.get(app.url(&format!("/gov/evidence/{id}/display"))).bearer_auth(&other_city).send().await;
    support::error(res.unwrap(), 404, "not_found").await;
    // An officer cannot use the bureau route.
    let res = app.client.get(app.url(&format!("/gov/evidence/{id}/display"))).bearer_auth(&o.token).send().await;
    support::error(res.unwrap(), 403, "forbidden").await;

    // The local store signs no direct uploads: the client is told where to go.
    let body = json!({
        "client_id": uuid::Uuid::new_v4(), "owner_kind": "finding", "owner_id": owner, "phase": "after",
        "content_type": "image/jpeg", "size_bytes": 1000
    });
    let e =
        support::error(mp_post(app, "/mp/evidence/uploads", &o.token, "ev-presign-local", body).await, 409, "conflict")
            .await;
    assert_eq!(e["details"]["use"], "/mp/evidence");
});

both!(evidence_refusals_leave_nothing, opts(false), async |app: &TestApp| {
    app.ensure_demo().await;
    let o = officer(app, 1).await;
    let owner = finding(app, &o).await;
    let root = app.state.settings.storage.local_dir.clone();
    let max = app.state.settings.evidence.max_bytes as usize;
    let f = |_: u8| fields(&uuid::Uuid::new_v4().to_string(), owner, &[]);

    // One byte over the cap: 413 with the standard body.
    let mut big = jpeg(64, 64);
    big.resize(max + 1, 0);
    let e = support::error(
        upload(app, &o.token, "ev-refuse-0001", &f(0), Some(("big.jpg", "image/jpeg", &big))).await,
        413,
        "payload_too_large",
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("bytes"), "{e}");
    // Far over the cap: refused before the body is read.
    let mut huge = big.clone();
    huge.resize(max + 200_000, 0);
    support::error(
        upload(app, &o.token, "ev-refuse-0002", &f(0), Some(("huge.jpg", "image/jpeg", &huge))).await,
        413,
        "payload_too_large",
    )
    .await;
    // A text file named .jpg, declared image/jpeg.
    let text = b"this is not a photo at all, only its name says so".repeat(20);
    support::error(
        upload(app, &o.token, "ev-refuse-0003", &f(1), Some(("fake.jpg", "image/jpeg", &text))).await,
        415,
        "not_an_image",
    )
    .await;
    // A decompression bomb: 60000x60000 RGBA declared in a few dozen bytes.
    let bomb = png_bomb(60_000, 60_000);
    support::error(
        upload(app, &o.token, "ev-refuse-0004", &f(0), Some(("bomb.png", "image/png", &bomb))).await,
        422,
        "image_rejected",
    )
    .await;
    // A truncated JPEG.
    let broken = jpeg(200, 200)[..600].to_vec();
    support::error(
        upload(app, &o.token, "ev-refuse-0005", &f(0), Some(("cut.jpg", "image/jpeg", &broken))).await,
        422,
        "image_rejected",
    )
    .await;
    // Fields: a missing file, a bad client id, an unknown owner.
    let e = support::error(upload(app, &o.token, "ev-refuse-0006", &f(0), None).await, 422, "invalid_field").await;
    assert_eq!(e["details"]["field"], "file");
    let bad = fields("not-a-uuid", owner, &[]);
    let e = support::error(
        upload(app, &o.token, "ev-refuse-0007", &bad, Some(("a.jpg", "image/jpeg", &jpeg(16, 16)))).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(e["details"]["field"], "client_id");
    let missing = fields(&uuid::Uuid::new_v4().to_string(), owner + 9999, &[]);
    let e = support::error(
        upload(app, &o.token, "ev-refuse-0008", &missing, Some(("a.jpg", "image/jpeg", &jpeg(16, 16)))).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(e["details"]["field"], "owner_id");
    let half = fields(&uuid::Uuid::new_v4().to_string(), owner, &[("latitude", "39.0".into())]);
    let e = support::error(
        upload(app, &o.token, "ev-refuse-0009", &half, Some(("a.jpg", "image/jpeg", &jpeg(16, 16)))).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(e["details"]["field"], "longitude");
    // JSON where a form is expected.
    let res = mp_post(app, "/mp/evidence", &o.token, "ev-refuse-0010", json!({})).await;
    support::error(res, 415, "unsupported_media_type").await;

    assert_eq!(count_rows(app).await, (0, 0), "no record and no intent");
    assert_eq!(local_objects(&root), 0, "no object");
});

both!(evidence_direct_upload_to_s3, opts(true), async |app: &TestApp| {
    app.ensure_demo().await;
    let o = officer(app, 1).await;
    let owner = finding(app, &o).await;
    // The multipart path on S3 as well.
    upload_and_read_back(app, &o, owner).await;

    let photo =
        camera_jpeg(800, 600, "2026:03:14 09:26:53", o.enterprise.latitude.unwrap(), o.enterprise.longitude.unwrap());
    let presign = |client_id: String, size: usize, key: &'static str| {
        let body = json!({
            "client_id": client_id, "owner_kind": "finding", "owner_id": owner, "phase": "after",
            "content_type": "image/jpeg", "size_bytes": size,
            "captured_at": Utc::now().to_rfc3339(),
        });
        mp_post(app, "/mp/evidence/uploads", &o.token, key, body)
    };
    let put = |ticket: &Value, bytes: Vec<u8>| {
        let mut req =
            app.client.request(ticket["method"].as_str().unwrap().parse().unwrap(), ticket["url"].as_str().unwrap());
        for (k, v) in ticket["headers"].as_object().unwrap() {
            // reqwest sets the length from the body; a different one must fail the signature.
            if !k.eq_ignore_ascii_case("content-length") {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        req.body(bytes).send()
    };
    let commit = async |id: i64, key: &'static str| {
        mp_post(app, &format!("/mp/evidence/uploads/{id}/commit"), &o.token, key, json!({})).await
    };

    // Signed, uploaded, committed; a replayed commit answers the same record.
    let client_id = uuid::Uuid::new_v4().to_string();
    let (s, _, ticket) = support::json(presign(client_id.clone(), photo.len(), "ev-s3-presign-1").await).await;
    assert_eq!(s, 201, "{ticket}");
    assert!(
        ticket["url"].as_str().unwrap().contains(&format!("evidence/{}/", o.enterprise.id)),
        "server-chosen key: {ticket}"
    );
    let upload_id = ticket["upload_id"].as_i64().unwrap();
    let res = put(&ticket, photo.clone()).await.unwrap();
    assert!(res.status().is_success(), "PUT: {} {}", res.status(), res.text().await.unwrap());
    let (s, _, view) = support::json(commit(upload_id, "ev-s3-commit-1").await).await;
    assert_eq!(s, 201, "{view}");
    assert_eq!(
        (view["upload_path"].as_str(), view["sha256"].as_str()),
        (Some("presigned"), Some(sha256(&photo).as_str()))
    );
    assert_eq!(view["client_id"], client_id.as_str());
    let (s, _, again) = support::json(commit(upload_id, "ev-s3-commit-2").await).await;
    assert_eq!((s, &again["id"]), (200, &view["id"]));
    let (s, _, original) = get_bytes(app, &format!("/mp/evidence/{}/original", view["id"]), &o.token).await;
    assert!(s == 200 && original == photo, "byte-exact through S3");
    // Recorded: a new sign-up for the same client id is refused.
    support::error(presign(client_id, photo.len(), "ev-s3-presign-2").await, 409, "conflict").await;

    let before = evidence::Entity::find().count(&app.db).await.unwrap();
    // Committed without uploading: nothing written.
    let (_, _, ticket) =
        support::json(presign(uuid::Uuid::new_v4().to_string(), photo.len(), "ev-s3-presign-3").await).await;
    let lost = ticket["upload_id"].as_i64().unwrap();
    support::error(commit(lost, "ev-s3-commit-3").await, 422, "upload_incomplete").await;
    // A PUT of another length is refused by S3 itself, and the commit finds nothing.
    let (_, _, ticket) =
        support::json(presign(uuid::Uuid::new_v4().to_string(), photo.len(), "ev-s3-presign-4").await).await;
    let mut longer = photo.clone();
    longer.extend_from_slice(&[0; 10]);
    let res = put(&ticket, longer).await.unwrap();
    assert_eq!(res.status().as_u16(), 403, "S3 checks the signed length");
    support::error(commit(ticket["upload_id"].as_i64().unwrap(), "ev-s3-commit-4").await, 422, "upload_incomplete")
        .await;
    assert_eq!(evidence::Entity::find().count(&app.db).await.unwrap(), before);
    // Declared too large, or not a photo type: refused before signing.
    support::error(
        presign(uuid::Uuid::new_v4().to_string(), 11 * 1024 * 1024, "ev-s3-presign-5").await,
        413,
        "payload_too_large",
    )
    .await;
    let body = json!({
        "client_id": uuid::Uuid::new_v4(), "owner_kind": "finding", "owner_id": owner, "phase": "after",
        "content_type": "image/gif", "size_bytes": 100
    });
    support::error(mp_post(app, "/mp/evidence/uploads", &o.token, "ev-s3-presign-6", body).await, 415, "not_an_image")
        .await;

    // An upload signed and sent but never committed: once expired, the sweep deletes
    // its object and its intent; committed intents stay for replays.
    let (_, _, ticket) =
        support::json(presign(uuid::Uuid::new_v4().to_string(), photo.len(), "ev-s3-presign-7").await).await;
    assert!(put(&ticket, photo.clone()).await.unwrap().status().is_success());
    let abandoned =
        upload_intents::Entity::find_by_id(ticket["upload_id"].as_i64().unwrap()).one(&app.db).await.unwrap().unwrap();
    let key = zhicha_api::platform::storage::ObjectKey::new(abandoned.object_key.clone()).unwrap();
    assert!(app.state.store.exists(&key).await.unwrap());
    let later =
        Utc::now() + Duration::seconds(app.state.settings.storage.presign_ttl_seconds as i64) + Duration::minutes(11);
    let swept = uploads::sweep::sweep(&app.db, app.state.store.as_ref(), later, Duration::hours(24)).await.unwrap();
    assert_eq!(swept.failed, 0);
    assert!(swept.abandoned >= 2, "{swept:?}");
    assert!(!app.state.store.exists(&key).await.unwrap(), "the abandoned object is gone");
    assert!(upload_intents::Entity::find_by_id(abandoned.id).one(&app.db).await.unwrap().is_none());
    assert!(upload_intents::Entity::find_by_id(upload_id).one(&app.db).await.unwrap().is_some(), "committed: kept");
    let (s, _, _) = get_bytes(app, &format!("/mp/evidence/{}/original", view["id"]), &o.token).await;
    assert_eq!(s, 200, "recorded photos are untouched");
});

/// Writes the benchmark's photo (`bench/evidence.sh`): a 3000×2000 JPEG with sensor-like
/// noise, so it compresses like a phone photo (about 1.5 MB) rather than a flat fill.
#[test]
#[ignore = "a tool for bench/evidence.sh, not a test"]
fn bench_photo() {
    let Ok(path) = std::env::var("ZHICHA_BENCH_PHOTO") else { return };
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 31) as i32 - 15
    };
    let img = RgbImage::from_fn(3000, 2000, |x, y| {
        let base = [(x / 12) as i32, (y / 8) as i32, ((x + y) / 20) as i32];
        image::Rgb(base.map(|b| (b + noise()).clamp(0, 255) as u8))
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80).write_image(&img, 3000, 2000, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(&path, &out).unwrap();
    println!("{path}: {} bytes", out.len());
}
