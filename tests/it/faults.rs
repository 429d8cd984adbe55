//! Faults of the services the API stands on, each put behind a [`FaultProxy`] the test
//! controls (the shared PostgreSQL, Redis and S3 servers are never stopped): the
//! database restarting under load, Redis stopping, object storage stopping and
//! crawling, WeChat failing and slow, and the outbox delivering what waited. Where the
//! API cannot do its job it answers 503 with `Retry-After` within a bounded time
//! (never 500, never a hang or a dropped connection), it recovers by itself when the
//! service returns, and nothing acknowledged is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use chrono::{Days, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use zhicha_api::config::{Secret, Settings};
use zhicha_api::entities::{evidence, findings, outbox};
use zhicha_api::platform::storage::{S3Store, StorageBackend};
use zhicha_api::startup::Application;
use zhicha_api::state::AppState;
use zhicha_tests::fake_wechat::FakeWechat;
use zhicha_tests::{Backend, Opts, TestApp, TestDb, redis_url, run_app, s3_settings, s3_url};

use crate::fault_proxy::FaultProxy;

/// The app, started through the same boot path as the harness's, on settings the test
/// has pointed at its proxies.
pub(crate) struct Faulty {
    base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    server: ServerHandle,
    _keys: tempfile::TempDir,
    test_db: TestDb,
}

impl Faulty {
    pub(crate) async fn spawn(test_db: TestDb, opts: &Opts, tweak: impl FnOnce(&mut Settings)) -> Self {
        let keys = tempfile::Builder::new().prefix("zhicha-keys-").tempdir().unwrap();
        let mut settings = TestApp::settings(&test_db.url, opts, &keys.path().join("keys.toml"));
        // Short waits, so a fault shows within the test's time.
        settings.database.acquire_timeout_ms = 1000;
        tweak(&mut settings);
        // `TEST_LOG=warn cargo test … faults` shows the server's log.
        if let Ok(level) = std::env::var("TEST_LOG") {
            let format = "text".to_string();
            zhicha_api::platform::telemetry::init(&zhicha_api::config::LogSettings { level, format });
        }
        let app = Application::build(settings).await.unwrap_or_else(|e| panic!("the application did not start: {e:#}"));
        let base = format!("http://{}", app.addr());
        let state = app.state.clone();
        let server = app.into_server();
        let handle = server.handle();
        tokio::spawn(server);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        Self { base, client, state, server: handle, _keys: keys, test_db }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An officer's access token (the demo stand-in's code) and the officer's user id.
    pub(crate) async fn officer(&self, code: &str) -> (String, i64) {
        let res = self.client.post(self.url("/mp/auth/login")).json(&json!({ "code": code })).send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap_or_else(|| panic!("{body}")).to_string();
        let me: Value =
            self.client.get(self.url("/auth/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        (token, me["user_id"].as_i64().unwrap())
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub(crate) async fn cleanup(self) {
        self.server.stop(false).await;
        let _ = self.state.db.clone().close().await;
        self.test_db.cleanup().await;
    }
}

/// A 503 with the code and a `Retry-After` of whole seconds: what a client may wait out.
async fn assert_retryable(res: reqwest::Response, codes: &[&str]) -> Value {
    let status = res.status().as_u16();
    let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(retry_after.as_deref().is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)), "Retry-After: {body}");
    assert!(codes.contains(&body["error"]["code"].as_str().unwrap_or_default()), "{body}");
    body
}

pub(crate) fn demo_opts() -> Opts {
    Opts { demo: true, standin: true, limits: Some((60_000, 10_000, 1000)), ..Default::default() }
}

/// PostgreSQL "restarts" while an officer keeps writing findings: every open
/// connection is reset and new ones are refused for three seconds. Meanwhile writes
/// answer 503 with Retry-After (never 500, never a dropped connection, each within a
/// bounded time); afterwards they succeed again with no restart of the app, and every
/// finding that was acknowledged is in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarting_under_load() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        println!("skipped: postgres (set {})", zhicha_tests::PG_URL_VAR);
        return;
    };
    let (pg, proxied) = FaultProxy::for_url(&test_db.url).await;
    let direct = test_db.connect().await;
    let app = Faulty::spawn(test_db, &demo_opts(), |s| s.database.url = Secret::new(proxied)).await;
    let st = &app.state;
    zhicha_api::reference::seed::demo::load(&st.db, &st.catalog, &st.settings.demo.dir, &st.settings.auth, &st.vault)
        .await
        .unwrap();
    let (officer, _) = app.officer("demo-officer-e01").await;
    let (s, round) = app.post("/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    let (s, insp) = app
        .post(
            "/mp/inspections",
            &officer,
            json!({ "client_id": "round-fault-pg", "recommendation_round_id": round["id"] }),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    let page: Value =
        app.get(&format!("/mp/inspections/{}?per_page=200", insp["id"]), &officer).await.json().await.unwrap();
    let items: Vec<Value> = page["items"].as_array().unwrap().clone();

    // Two writers, one finding per item, for as long as the test says.
    let running = Arc::new(AtomicBool::new(true));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let items = Arc::new(items);
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (client, url, officer) = (app.client.clone(), app.url("/mp/findings"), officer.clone());
        let (running, next, items) = (running.clone(), next.clone(), items.clone());
        writers.spawn(async move {
            let mut answers = Vec::new();
            while running.load(Ordering::SeqCst) {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let started = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(&officer)
                    .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                    .json(&json!({
                        "client_id": format!("fault-pg-{i:04}"), "inspection_item_id": item["id"],
                        "location": "二车间", "description": "数据库重启期间的写入", "grade": "general", "submit": true,
                    }))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("the API dropped the connection (a panic?): {e}"));
                let took = started.elapsed();
                let status = res.status().as_u16();
                let retry_after = res.headers().get("retry-after").is_some();
                let body: Value = res.json().await.unwrap();
                answers.push((status, retry_after, body, took));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answers
        });
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    pg.stop();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    pg.resume().await;
    let up_at = down_at.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    running.store(false, Ordering::SeqCst);
    let by_writer = writers.join_all().await;
    for answers in &by_writer {
        let last: Vec<u16> = answers.iter().rev().take(2).map(|(s, ..)| *s).collect();
        assert_eq!(last, [201, 201], "recovered without a restart of the app");
    }
    let answers: Vec<_> = by_writer.into_iter().flatten().collect();

    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for (status, retry_after, body, took) in &answers {
        assert!(*took < Duration::from_secs(6), "answered within a bounded time: {took:?} {body}");
        match status {
            201 => acknowledged.push(body["id"].as_i64().unwrap()),
            503 => {
                assert!(retry_after, "503 without Retry-After: {body}");
                let code = body["error"]["code"].as_str().unwrap_or_default();
                assert!(code == "database_unavailable" || code == "busy", "{body}");
                refused += 1;
            }
            _ => panic!("{status}: {body}"),
        }
    }
    println!(
        "postgres restart: {} writes, {} acknowledged, {refused} answered 503 while down (up again after {up_at:?})",
        answers.len(),
        acknowledged.len()
    );
    assert!(refused > 0, "the outage was seen");
    // No acknowledged write is lost.
    let stored = findings::Entity::find().filter(findings::Column::Id.is_in(acknowledged.clone())).count(&direct).await;
    assert_eq!(stored.unwrap(), acknowledged.len() as u64);
    let _ = direct.close().await;
    app.cleanup().await;
}

/// A RESP command to Redis straight (not through the app), returning the raw answer.
async fn redis_raw(url: &str, args: &[&str]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let u = reqwest::Url::parse(url).unwrap();
    let mut s = tokio::net::TcpStream::connect((u.host_str().unwrap(), u.port_or_known_default().unwrap_or(6379)))
        .await
        .unwrap();
    let mut cmd = format!("*{}\r\n", args.len());
    for a in args {
        cmd.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(cmd.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await.unwrap().unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Redis holds the shared rate-limit buckets and the dashboard cache; both are things
/// a request can do without for a while, so while Redis is stopped the API keeps
/// serving (each process limits on its own, answers are computed afresh, a warning
/// is logged) within a bounded time, and it uses Redis again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped() {
    let Some(redis) = redis_url() else {
        println!("skipped: Redis (set {})", zhicha_tests::REDIS_URL_VAR);
        return;
    };
    let test_db = TestDb::create(Backend::Sqlite).await.unwrap();
    let (proxy, proxied) = FaultProxy::for_url(&redis).await;
    let prefix = format!("zhicha-fault-{}:", uuid::Uuid::new_v4().simple());
    let app = Faulty::spawn(test_db, &demo_opts(), |s| {
        s.cache.redis_url = Secret::new(proxied);
        s.cache.key_prefix = prefix.clone();
        s.cache.timeout_ms = 200;
    })
    .await;
    let (officer, _) = app.officer("demo-officer-e01").await;
    // The rate-limit buckets of verified tokens in Redis under this test's prefix (each
    // lives about a second past its last request at these limits).
    let buckets = async || redis_raw(&redis, &["KEYS", &format!("{prefix}rl:g:token:*")]).await.matches("rl:").count();
    assert_eq!(app.get("/mp/enterprise", &officer).await.status(), 200);
    assert!(buckets().await > 0, "the limiter uses Redis");

    proxy.stop();
    let started = Instant::now();
    for i in 0..20 {
        let t = Instant::now();
        let res = app.get("/mp/enterprise", &officer).await;
        assert_eq!(res.status(), 200, "request {i} while Redis is down: {}", res.text().await.unwrap_or_default());
        // Waiting out the connection manager's reconnect backoff took seconds per request.
        assert!(t.elapsed() < Duration::from_secs(2), "request {i} took {:?}", t.elapsed());
    }
    // A write (which also bumps the dashboard cache's generation in Redis) works too.
    let (s, round) = app.post("/mp/recommendations", &officer, json!({})).await;
    assert_eq!(s, 201, "{round}");
    println!("redis stopped: 21 requests served in {:?}", started.elapsed());

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.get("/mp/enterprise", &officer).await.status(), 200);
    assert_eq!(buckets().await, 0, "nothing reached Redis while it was down");

    // Back: a new officer's requests get a bucket of their own in Redis again.
    proxy.resume().await;
    let (other, _) = app.officer("demo-officer-e02").await;
    let back = Instant::now();
    let deadline = back + Duration::from_secs(20);
    loop {
        assert_eq!(app.get("/mp/enterprise", &other).await.status(), 200);
        if buckets().await > 0 {
            println!("redis used again after {:?}", back.elapsed());
            break;
        }
        assert!(Instant::now() < deadline, "Redis not used again after it returned");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.cleanup().await;
}

fn jpeg() -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(&img, 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// Object storage stopped, then crawling: a photo upload answers 503
/// `storage_unavailable` with Retry-After within the storage timeout (not a hang) and
/// records no evidence row; once storage is back the same upload works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_storage_stopped_and_slow() {
    let Some(s3) = s3_url() else {
        println!("skipped: S3 (set {})", zhicha_tests::S3_URL_VAR);
        return;
    };
    let bucket = format!("zhicha-fault-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    S3Store::new(&s3_settings(&s3, &bucket)).create_bucket_if_missing().await.unwrap();
    let (proxy, proxied) = FaultProxy::for_url(&s3).await;
    let test_db = TestDb::create(Backend::Sqlite).await.unwrap();
    let app = Faulty::spawn(test_db, &demo_opts(), |s| {
        s.storage.backend = StorageBackend::S3;
        s.storage.s3 = s3_settings(&proxied, &bucket);
        s.storage.s3.timeout_ms = 1000;
    })
    .await;
    let (officer, _) = app.officer("demo-officer-e01").await;
    let (s, f) = app
        .post(
            "/mp/findings",
            &officer,
            json!({"client_id": "fault-s3-finding", "location": "配电室", "description": "配电箱门未关闭",
                   "grade": "general", "submit": true}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let photo = jpeg();
    // One photo, retried as the phone would: the same client id each time.
    let client_id = uuid::Uuid::new_v4().to_string();
    let upload = || {
        let fields = [
            ("client_id", client_id.clone()),
            ("owner_kind", "finding".to_string()),
            ("owner_id", f["id"].to_string()),
            ("phase", "before".to_string()),
        ];
        let (content_type, body) = crate::evidence::form(&fields, Some(("p.jpg", "image/jpeg", &photo)));
        app.client
            .post(app.url("/mp/evidence"))
            .bearer_auth(&officer)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let rows = async || evidence::Entity::find().count(&app.state.db).await.unwrap();

    proxy.stop();
    let t = Instant::now();
    assert_retryable(upload().await.unwrap(), &["storage_unavailable"]).await;
    assert!(t.elapsed() < Duration::from_secs(3), "stopped storage: answered after {:?}", t.elapsed());
    assert_eq!(rows().await, 0, "nothing half-recorded");

    proxy.resume().await;
    proxy.delay(Duration::from_secs(3));
    let t = Instant::now();
    assert_retryable(upload().await.unwrap(), &["storage_unavailable"]).await;
    let slow = t.elapsed();
    assert!(slow < Duration::from_secs(3), "crawling storage: answered after {slow:?}");
    assert_eq!(rows().await, 0, "nothing half-recorded");

    proxy.resume().await;
    let res = upload().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(status, 201, "{}", res.text().await.unwrap_or_default());
    assert_eq!(rows().await, 1);
    println!("object storage: stopped and slow answered 503, the slow one after {slow:?}; then 201");
    app.cleanup().await;
}

/// WeChat refusing connections, resetting them and crawling: mini-program sign-in
/// answers 503 `wechat_unavailable` with Retry-After within `wechat.timeout_ms` (800 ms
/// in the tests) and a margin, and signs in again once WeChat is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_failing_and_slow() {
    let fake = FakeWechat::start().await;
    let proxy = FaultProxy::start(fake.addr).await;
    let opts = Opts { wechat: Some(format!("http://{}", proxy.addr)), ..Default::default() };
    run_app(Backend::Sqlite, opts, async |app: &TestApp| {
        let login = async |code: &str| {
            let t = Instant::now();
            let res = crate::wechat::wx_login(app, code).await;
            (res, t.elapsed())
        };
        let (res, _) = login("ok-fault-user-1").await;
        assert_eq!(res.status(), 200);

        proxy.stop();
        let (res, took) = login("ok-fault-user-1").await;
        assert_retryable(res, &["wechat_unavailable"]).await;
        assert!(took < Duration::from_secs(3), "refused: {took:?}");

        proxy.resume().await;
        proxy.delay(Duration::from_secs(3));
        let (res, took) = login("ok-fault-user-1").await;
        assert_retryable(res, &["wechat_unavailable"]).await;
        // Without the timeout the answer would take at least 6 s (3 s each way).
        assert!(took < Duration::from_secs(3), "slow: {took:?}");

        // Connections reset in the middle of the answer.
        let pending = tokio::spawn({
            let (client, url) = (app.client.clone(), app.url("/mp/auth/login"));
            async move { client.post(url).json(&json!({ "code": "ok-fault-user-1" })).send().await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.reset_all();
        assert_retryable(pending.await.unwrap(), &["wechat_unavailable"]).await;

        proxy.resume().await;
        let (res, _) = login("ok-fault-user-1").await;
        assert_eq!(res.status(), 200, "back");
    })
    .await;
    fake.stop().await;
}

/// A reminder queued while WeChat cannot be reached waits in the outbox (attempted,
/// not dropped) and is delivered once WeChat is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_delivers_what_waited_for_wechat() {
    use zhicha_api::governance::reminders::{TEMPLATE, tick};
    use zhicha_engine::findings::{local_date, reminder_schedule};

    let fake = FakeWechat::start().await;
    let proxy = FaultProxy::start(fake.addr).await;
    let opts = Opts { demo: true, wechat: Some(format!("http://{}", proxy.addr)), ..Default::default() };
    run_app(Backend::Sqlite, opts, async |app: &TestApp| {
        let (officer, _) = crate::findings::mp_token(app, "ok-demo-openid-demo-officer-e05").await;
        let (rp, rp_id) = crate::findings::mp_token(app, "ok-demo-openid-demo-rp-e05-1").await;
        let (s, _) =
            crate::findings::post(app, "/mp/me/subscriptions", &rp, json!({"template": TEMPLATE, "accepted": 1})).await;
        assert_eq!(s, 200);
        let deadline = local_date(Utc::now()).checked_add_days(Days::new(5)).unwrap();
        let (_, f) = crate::findings::post(
            app,
            "/mp/findings",
            &officer,
            json!({"client_id": "fault-outbox-1", "location": "三号仓库", "description": "通道标线缺失",
                   "grade": "general", "submit": true}),
        )
        .await;
        let fid = f["id"].as_i64().unwrap();
        let (s, f) = crate::findings::act(
            app,
            &officer,
            fid,
            json!({"version": 1, "action": "assign", "assignee": rp_id, "deadline": deadline}),
        )
        .await;
        assert_eq!(s, 200, "{f}");
        let [three, ..] = reminder_schedule(deadline);
        let minute = chrono::Duration::minutes(1);

        proxy.stop();
        let t = tick(&app.state, three.at + minute).await.unwrap();
        assert_eq!((t.queued, t.sent, t.failed), (1, 0, 0), "queued, not sent, not given up: {t:?}");
        let waiting =
            outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).one(&app.db).await.unwrap().unwrap();
        assert_eq!(waiting.attempts, 1, "{waiting:?}");
        assert!(fake.counters.messages.lock().unwrap().is_empty());

        proxy.resume().await;
        let t = tick(&app.state, three.at + minute * 5).await.unwrap();
        assert_eq!((t.queued, t.sent), (0, 1), "{t:?}");
        let msgs = fake.counters.messages.lock().unwrap().clone();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0]["touser"], "demo-openid-demo-rp-e05-1");
        let left = outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).count(&app.db).await.unwrap();
        assert_eq!(left, 0, "nothing left waiting");
    })
    .await;
    fake.stop().await;
}
