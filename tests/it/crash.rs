//! Killing the server mid-write loses nothing it acknowledged and leaves no half
//! record. The server runs as a real child process (this test binary re-run as
//! `crash::child_server`, which boots through `Application::build` like `zhicha
//! serve`); four phones write findings and a fifth uploads photos of them concurrently
//! until it is killed with SIGKILL; a new server on the same database then shows every
//! acknowledged write and photo (byte-exact), no record without its object or history,
//! and replays of everything sent make each exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use zhicha_api::startup::Application;
use zhicha_tests::{Backend, Opts, TestApp, TestDb};

const DB: &str = "ZHICHA_CRASH_DB";
const DIR: &str = "ZHICHA_CRASH_DIR";
const ADDR: &str = "ZHICHA_CRASH_ADDR";

/// The server of the crash test, in a process of its own; does nothing unless the
/// crash test started it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by crash tests as their child server process"]
async fn child_server() {
    let (Ok(db), Ok(dir), Ok(addr)) = (std::env::var(DB), std::env::var(DIR), std::env::var(ADDR)) else { return };
    let dir = std::path::PathBuf::from(dir);
    let opts = Opts { demo: true, standin: true, limits: Some((100_000, 10_000, 10_000)), ..Default::default() };
    let mut settings = TestApp::settings(&db, &opts, &dir.join("keys.toml"));
    settings.server.addr = addr;
    settings.server.workers = 2;
    let app = Application::build(settings).await.expect("child server starts");
    app.run_until_stopped().await.expect("child server runs");
}

struct ChildServer {
    child: Child,
}

impl ChildServer {
    fn start(db: &str, dir: &std::path::Path, addr: &str) -> Self {
        let exe = std::env::current_exe().unwrap();
        let child = Command::new(exe)
            .args(["--exact", "crash::child_server", "--ignored", "--nocapture", "--test-threads", "1"])
            .env(DB, db)
            .env(DIR, dir)
            .env(ADDR, addr)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child server");
        Self { child }
    }

    fn kill(&mut self) {
        // SIGKILL: no shutdown hook runs, as when the machine loses power.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// One photo upload; `None` when the server is gone.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    client_id: &str,
    finding: i64,
    n: usize,
) -> Option<(u16, Value)> {
    let photo = crate::self_inspection::jpeg(n);
    let fields = [
        ("client_id", client_id.to_string()),
        ("owner_kind", "finding".to_string()),
        ("owner_id", finding.to_string()),
        ("phase", "before".to_string()),
    ];
    let (content_type, body) = crate::evidence::form(&fields, Some(("p.jpg", "image/jpeg", &photo)));
    let r = client
        .post(format!("{base}/mp/evidence"))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let v = r.json::<Value>().await.ok()?;
    Some((status, v))
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the child server did not become ready");
}

/// A write the phone made: its idempotency key, body and, once acknowledged, the id.
#[derive(Clone, Debug)]
struct Write {
    key: String,
    body: Value,
}

async fn run(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        println!("skipped: {}", backend.name());
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = test_db.connect().await;
    if backend == Backend::Postgres {
        // `serve` loads the demo only into an empty SQLite database; PostgreSQL is seeded.
        let s = TestApp::settings(&test_db.url, &Opts::default(), &dir.path().join("keys.toml"));
        zhicha_api::platform::db::migrate(&db, None).await.unwrap();
        let rules = zhicha_api::reference::rules::load_once(&s.rules.dir).unwrap();
        let vault = zhicha_api::platform::pii::Vault::open(&s.key_file()).unwrap();
        zhicha_api::reference::sync_regions(&db, &rules.catalog).await.unwrap();
        zhicha_api::reference::seed::demo::load(&db, &rules.catalog, &s.demo.dir, &s.auth, &vault).await.unwrap();
    }
    let addr = free_addr();
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut server = ChildServer::start(&test_db.url, dir.path(), &addr);
    wait_ready(&client, &base).await;

    let login = client.post(format!("{base}/mp/auth/login")).json(&json!({"code": "demo-officer-e03"})).send().await;
    let token = login.unwrap().json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();

    // Four phones write until the server dies under them.
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let sent: Arc<Mutex<Vec<Write>>> = Arc::default();
    let mut phones = Vec::new();
    for p in 0..4 {
        let (client, base, token, acked, sent) =
            (client.clone(), base.clone(), token.clone(), acked.clone(), sent.clone());
        phones.push(tokio::spawn(async move {
            for n in 0.. {
                let w = Write {
                    key: uuid::Uuid::new_v4().to_string(),
                    body: json!({
                        "client_id": format!("crash-p{p}-{n:05}"), "location": format!("车间{p}-{n}"),
                        "description": "安全防护装置缺失", "grade": "general", "accident_types": ["03"], "submit": true,
                    }),
                };
                sent.lock().unwrap().push(w.clone());
                let res = client
                    .post(format!("{base}/mp/findings"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &w.key)
                    .json(&w.body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let Ok(v) = r.json::<Value>().await else { break };
                        let id = v["id"].as_i64().unwrap();
                        acked.lock().unwrap().insert(w.body["client_id"].as_str().unwrap().to_string(), id);
                    }
                    Ok(r) => panic!("unexpected answer while the server is up: {}", r.status()),
                    // The server is gone.
                    Err(_) => break,
                }
            }
        }));
    }
    // A fifth phone photographs acknowledged findings (multipart, as wx.uploadFile).
    let photos_acked: Arc<Mutex<BTreeMap<String, (i64, String)>>> = Arc::default();
    let photos_sent: Arc<Mutex<Vec<(String, i64, usize)>>> = Arc::default();
    {
        let (client, base, token, acked) = (client.clone(), base.clone(), token.clone(), acked.clone());
        let (photos_acked, photos_sent) = (photos_acked.clone(), photos_sent.clone());
        phones.push(tokio::spawn(async move {
            for n in 0.. {
                let Some(finding) = acked.lock().unwrap().values().next_back().copied() else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let client_id = uuid::Uuid::new_v4().to_string();
                photos_sent.lock().unwrap().push((client_id.clone(), finding, n));
                match upload(&client, &base, &token, &client_id, finding, n).await {
                    Some((201, v)) => {
                        let sha = v["sha256"].as_str().unwrap().to_string();
                        photos_acked.lock().unwrap().insert(client_id, (v["id"].as_i64().unwrap(), sha));
                    }
                    Some((status, v)) => panic!("unexpected upload answer while the server is up: {status} {v}"),
                    None => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    for p in phones {
        p.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    let photos_acked = photos_acked.lock().unwrap().clone();
    let photos_sent = photos_sent.lock().unwrap().clone();
    assert!(!photos_acked.is_empty(), "photos were uploaded before the kill");
    assert!(acked.len() >= 10, "the phones wrote before the kill: {}", acked.len());
    assert!(sent.len() > acked.len(), "some writes were in flight");
    println!(
        "{}: {} photos acknowledged, {} in flight at the kill",
        backend.name(),
        photos_acked.len(),
        photos_sent.len() - photos_acked.len()
    );
    println!(
        "{}: {} findings acknowledged, {} in flight at the kill",
        backend.name(),
        acked.len(),
        sent.len() - acked.len()
    );

    // What the database holds after the kill, before any server touches it again.
    let count = |sql: &str| {
        let db = &db;
        let sql = sql.to_string();
        async move {
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let stored: BTreeSet<i64> = {
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM findings"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect()
    };
    for (client_id, id) in &acked {
        assert!(stored.contains(id), "acknowledged finding {client_id} ({id}) was lost");
    }
    // No half record: every finding has its history row and its sync entry.
    assert_eq!(
        count("SELECT count(*) FROM findings f WHERE NOT EXISTS (SELECT 1 FROM finding_transitions t WHERE t.finding_id = f.id)").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM findings f WHERE NOT EXISTS (SELECT 1 FROM sync_log s WHERE s.kind = 'finding' AND s.object_id = f.id)").await,
        0
    );

    // A new server on the same database; the phones replay everything they sent.
    let mut server = ChildServer::start(&test_db.url, dir.path(), &addr);
    wait_ready(&client, &base).await;
    for w in &sent {
        let post = |key: String| {
            client
                .post(format!("{base}/mp/findings"))
                .bearer_auth(&token)
                .header("Idempotency-Key", key)
                .json(&w.body)
                .send()
        };
        let mut r = post(w.key.clone()).await.unwrap();
        if r.status().as_u16() == 409 {
            // Its first run died with the server; the key stays taken until it is
            // stale, so the phone sends the same finding under a new key.
            r = post(uuid::Uuid::new_v4().to_string()).await.unwrap();
        }
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert!(status == 200 || status == 201, "replay: {status} {v}");
        if let Some(id) = acked.get(w.body["client_id"].as_str().unwrap()) {
            assert_eq!(v["id"].as_i64(), Some(*id), "a replay of an acknowledged write finds it");
        }
    }
    // Every acknowledged photo is there, byte-exact; no record lacks its object; a
    // phone re-sending every photo makes each exactly once.
    for (id, sha) in photos_acked.values() {
        let r = client.get(format!("{base}/mp/evidence/{id}/original")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged photo {id} was lost");
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&hex(&bytes), sha, "photo {id} byte-exact");
    }
    let ids: Vec<i64> = {
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM evidence"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect()
    };
    for id in &ids {
        let r = client.get(format!("{base}/mp/evidence/{id}/display")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "evidence {id} has no stored object");
    }
    for (client_id, finding, n) in &photos_sent {
        let (status, v) = upload(&client, &base, &token, client_id, *finding, *n).await.expect("server up");
        assert!(status == 200 || status == 201, "photo replay: {status} {v}");
        if let Some((id, _)) = photos_acked.get(client_id) {
            assert_eq!(v["id"].as_i64(), Some(*id), "a replayed acknowledged photo finds its record");
        }
    }
    let photos = count("SELECT count(*) FROM evidence").await;
    assert_eq!(photos, photos_sent.len() as i64, "each photo exactly once");
    let total = count("SELECT count(*) FROM findings").await;
    assert_eq!(total, sent.len() as i64, "each write exactly once");
    let distinct = count("SELECT count(DISTINCT client_id) FROM findings").await;
    assert_eq!(distinct, total);
    server.kill();
    let _ = db.close().await;
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_write_loses_nothing_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_write_loses_nothing_postgres() {
    run(Backend::Postgres).await;
}

/// SIGTERM: the server stops accepting, its background jobs (the clock, the dispatcher,
/// the sweeps, the refit schedule) finish their step and stop, and it exits 0, well
/// within the grace a job that would not stop would use up (30 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_cleanly() {
    let Some(test_db) = TestDb::create(Backend::Sqlite).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut server = ChildServer::start(&test_db.url, dir.path(), &addr);
    wait_ready(&client, &base).await;
    let login = client.post(format!("{base}/mp/auth/login")).json(&json!({"code": "demo-officer-e02"})).send().await;
    assert_eq!(login.unwrap().status(), 200);

    let signalled = std::time::Instant::now();
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(25), "still running 25 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(signalled.elapsed() < Duration::from_secs(10), "took {:?} to stop", signalled.elapsed());
    assert!(client.get(format!("{base}/healthz")).send().await.is_err(), "still answering after exit");
    test_db.cleanup().await;
}
