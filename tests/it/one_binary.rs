//! One binary: the rules library and the demo city are built in (what runs when
//! `rules.dir` / `demo.dir` are empty, the defaults), a directory overrides them, and
//! with S3 start-up creates a missing bucket or names it and says what to do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::Method, web};
use serde_json::json;
use zhicha_api::reference::seed::demo::DEMO_PASSWORD;
use zhicha_api::reference::{builtin, rules};
use zhicha_api::startup::Application;
use zhicha_engine::RuleSource;
use zhicha_tests::{Opts, TestApp, both, rules_dir, workspace_dir};

use crate::support;

/// Every file under `dir` (names starting with `.` left out, as the build does), by
/// its path relative to `dir` with `/` separators.
fn files_under(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let key: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                out.insert(key.join("/"), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_built_in_library_and_demo_city_are_the_checkouts() {
    // File for file: what the binary carries is what the checkout holds.
    let RuleSource::Files { files, .. } = builtin::rules() else { panic!("the default is not the built-in library") };
    let built_in: BTreeMap<String, String> = files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    assert_eq!(built_in.keys().collect::<Vec<_>>(), files_under(&rules_dir()).keys().collect::<Vec<_>>());
    assert!(built_in == files_under(&rules_dir()), "a rules file differs from the checkout's: rebuild");
    let demo: BTreeMap<String, String> =
        builtin::demo_files().iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    assert!(demo == files_under(&workspace_dir().join("seeds/demo")), "the built-in demo city differs from seeds/demo");

    // And loaded: the same library in force, to the content hashes of its versions.
    assert!(matches!(rules::source(Path::new("")), RuleSource::Files { .. }));
    let from_binary = rules::load(Path::new("")).unwrap_or_else(|e| panic!("{e}"));
    let from_checkout = rules::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules::summary(&from_binary), rules::summary(&from_checkout));
    assert_eq!(from_binary.hazards.version, from_checkout.hazards.version);
    assert_eq!(from_binary.hazards.items.len(), from_checkout.hazards.items.len());
    assert_eq!(from_binary.triggers.version, from_checkout.triggers.version);
    assert_eq!(from_binary.analysis.version, from_checkout.analysis.version);
    assert!(from_binary.hazards.active().count() >= 1500);
}

/// A copy of the checkout's rules under `tmp/rules` with the ladder's version changed.
fn override_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("rules");
    copy_dir(&rules_dir(), &dir);
    let file = dir.join("triggers/ladder.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let first = text.lines().next().unwrap().to_string();
    let old = first.strip_prefix("# version:").unwrap().trim().to_string();
    let text = text.replacen(&first, "# version: 2099-01-01-override", 1).replacen(
        &format!("version = \"{old}\""),
        "version = \"2099-01-01-override\"",
        1,
    );
    std::fs::write(&file, text).unwrap();
    dir
}

#[test]
fn a_rules_directory_overrides_the_built_in_library() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = override_dir(tmp.path());
    assert!(matches!(rules::source(&dir), RuleSource::Dir(_)));
    let overridden = rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let summary = rules::summary(&overridden);
    assert!(summary.iter().any(|l| l.contains("triggers/ladder.toml  version 2099-01-01-override")), "{summary:?}");
    let built_in = rules::load(Path::new("")).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(overridden.triggers.version, built_in.triggers.version);
}

#[tokio::test]
async fn a_broken_override_stops_start_up_at_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = override_dir(tmp.path());
    let file = dir.join("analysis/key_industries.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text.lines().position(|l| l.starts_with("divisions")).unwrap() + 1;
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { "divisions = [\"x\"]".to_string() } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, broken).unwrap();

    let keys = tempfile::tempdir().unwrap();
    let mut settings = TestApp::settings(
        &format!("sqlite://{}?mode=rwc", tmp.path().join("t.db").display()),
        &Opts::default(),
        &keys.path().join("k.toml"),
    );
    settings.rules.dir = dir.clone();
    let e = Application::build(settings).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(e.contains(&format!("directory {}", dir.display())), "says which library: {e}");
    assert!(e.contains(&format!("{}:{line}:", file.display())), "the override's file and line: {e}");
}

async fn sign_in(app: &TestApp, username: &str) -> String {
    let code = crate::auth::totp_code(app, username).await;
    let body = json!({ "username": username, "password": DEMO_PASSWORD, "totp": code });
    let (status, _, body) =
        support::json(app.client.post(app.url("/auth/login")).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn rules_in_force(app: &TestApp) -> serde_json::Value {
    let token = sign_in(app, "sysadmin").await;
    let res = app.client.get(app.url("/admin/rules")).bearer_auth(&token).send().await.unwrap();
    let (status, _, body) = support::json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

both!(
    the_built_in_demo_city_runs_and_says_so,
    Opts { demo: true, built_in: true, ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let r = rules_in_force(app).await;
        assert_eq!(r["source"], "built_in", "{r}");
        assert!(r["directory"].is_null(), "{r}");
        assert!(r["files"].as_array().is_some_and(|f| f.iter().any(|f| f["file"] == "codes/gbt2260_region")), "{r}");
        // The built-in demo city's bureau sees its enterprises.
        let token = sign_in(app, "hrss.city").await;
        let res = app.client.get(app.url("/gov/dashboard/summary")).bearer_auth(&token).send().await.unwrap();
        let (status, _, body) = support::json(res).await;
        assert_eq!(status, 200, "{body}");
    }
);

both!(a_rules_directory_in_force_is_named, Opts { demo: true, ..Default::default() }, async |app: &TestApp| {
    app.ensure_demo().await;
    let r = rules_in_force(app).await;
    assert_eq!(r["source"], "directory", "{r}");
    assert_eq!(r["directory"], rules_dir().display().to_string(), "{r}");
});

/// Start-up on SQLite with photo evidence in `s3` (a bucket nobody created).
async fn start_with_s3(s3: zhicha_api::platform::storage::S3Settings) -> Result<Application, String> {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = TestApp::settings(
        &format!("sqlite://{}?mode=rwc", tmp.path().join("t.db").display()),
        &Opts::default(),
        &tmp.path().join("k.toml"),
    );
    settings.storage.backend = zhicha_api::platform::storage::StorageBackend::S3;
    settings.storage.s3 = s3;
    let app = Application::build(settings).await.map_err(|e| format!("{e:#}"));
    // The database file stays until the test process ends (the app's jobs hold it).
    std::mem::forget(tmp);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_creates_a_missing_bucket() {
    let Some(url) = zhicha_tests::s3_url() else {
        println!("skipped: S3 (set {}=http://ACCESS_KEY:SECRET_KEY@127.0.0.1:PORT)", zhicha_tests::S3_URL_VAR);
        return;
    };
    let bucket = format!("zhicha-new-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let s3 = zhicha_tests::s3_settings(&url, &bucket);
    let store = zhicha_api::platform::storage::S3Store::new(&s3);
    use zhicha_api::platform::storage::ObjectStore;
    assert!(store.ping().await.is_err(), "the bucket is new");
    let app = start_with_s3(s3.clone()).await.unwrap_or_else(|e| panic!("start-up did not create the bucket: {e}"));
    store.ping().await.unwrap_or_else(|e| panic!("the bucket is there now: {e}"));
    // Started again, it finds the bucket and carries on.
    drop(app.into_server());
    assert_eq!(store.ensure_bucket().await.unwrap(), zhicha_api::platform::storage::BucketState::Existed);
    start_with_s3(s3).await.unwrap_or_else(|e| panic!("a second start-up: {e}"));
}

/// An S3 server whose bucket is missing (HeadBucket: 404) and whose credentials may not
/// create one (CreateBucket: 403 AccessDenied), as a key scoped to one bucket meets.
async fn refusing_s3() -> (String, actix_web::dev::ServerHandle) {
    async fn answer(req: HttpRequest) -> HttpResponse {
        if req.method() == Method::HEAD {
            return HttpResponse::NotFound().finish();
        }
        HttpResponse::Forbidden().content_type("application/xml").body(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
             <Message>Access Denied</Message><RequestId>t1</RequestId></Error>",
        )
    }
    let server =
        HttpServer::new(|| App::new().default_service(web::to(answer))).workers(1).bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_cannot_be_created_is_named_at_start_up() {
    let (url, server) = refusing_s3().await;
    let mut s3 = zhicha_tests::s3_settings(&url.replace("http://", "http://key:secret@"), "zhicha-photos-missing");
    s3.timeout_ms = 5_000;
    let e = start_with_s3(s3).await.err().unwrap_or_default();
    assert!(e.contains("\"zhicha-photos-missing\""), "names the bucket: {e}");
    assert!(e.contains("does not exist") && e.contains("s3:CreateBucket"), "says what to do: {e}");
    server.stop(false).await;
}
