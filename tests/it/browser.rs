//! The dashboard page in headless Chromium (Debian's `chromium` and `chromium-driver`,
//! driven over WebDriver): a city bureau user signs in through the form, the figures on
//! the page equal the API's, the charts are drawn, and a screenshot is saved to
//! `target/screenshots/dashboard-city.png`. Without chromedriver the test is skipped,
//! except under CI, where that is a failure.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use zhicha_tests::{Backend, Opts, TestApp, run_app, workspace_dir};

use crate::auth::totp_code;
use crate::findings::{get, mp_token, post};
use crate::wechat::staff_token;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI: {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: {CHROMEDRIVER} is not installed");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let d = Driver { child, url: format!("http://127.0.0.1:{port}") };
    let status = format!("{}/status", d.url);
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(&status).await
            && r.status().is_success()
        {
            return Some(d);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not come up on port {port}");
}

fn capabilities(profile: &std::path::Path) -> serde_json::Map<String, serde_json::Value> {
    // The flags keep Chromium off the network: this machine has none, and its background
    // services would otherwise retry connections for the whole test.
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1360,2400",
                "--lang=zh-CN", format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    caps.as_object().unwrap().clone()
}

pub fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_dir().join("target"), PathBuf::from);
    target.join("screenshots").join("dashboard-city.png")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_bureau_user_reads_the_dashboard_in_chromium() {
    let Some(d) = driver().await else { return };
    let opts = Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() };
    run_app(Backend::Sqlite, opts, async |app: &TestApp| {
        app.ensure_demo().await;
        // Findings, one accepted-ready, so the figures and the funnel are not empty.
        let (officer, _) = mp_token(app, "demo-officer-e05").await;
        for i in 0..4 {
            let (s, f) = post(
                app,
                "/mp/findings",
                &officer,
                json!({"client_id": format!("browser-{i:04}-e05"), "location": "机加工车间",
                       "description": "砂轮机防护罩缺失", "grade": "general", "submit": true}),
            )
            .await;
            assert_eq!(s, 201, "{f}");
        }
        let profile = tempfile::tempdir().unwrap();
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        let browser =
            builder.capabilities(capabilities(profile.path())).connect(&d.url).await.expect("a browser session");

        browser.goto(&app.url("/dashboard")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path().ends_with("/dashboard/login"), "sent to sign in");
        let code = totp_code(app, "hrss.city").await.expect("a TOTP code");
        browser.find(Locator::Id("username")).await.unwrap().send_keys("hrss.city").await.unwrap();
        browser
            .find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(zhicha_api::reference::seed::demo::DEMO_PASSWORD)
            .await
            .unwrap();
        browser.find(Locator::Id("totp")).await.unwrap().send_keys(&code).await.unwrap();
        browser.find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("[data-figure=\"found\"]"))
            .await
            .expect("the dashboard after sign-in");
        assert_eq!(browser.find(Locator::Id("region-code")).await.unwrap().text().await.unwrap(), "640200");
        assert_eq!(browser.find(Locator::Id("region-name")).await.unwrap().text().await.unwrap(), "石嘴山市");

        // Every figure on the page, against the API as the same user sees it.
        let api = staff_token(app, "hrss.city").await;
        let (s, summary) = get(app, "/gov/dashboard/summary", &api).await;
        assert_eq!(s, 200, "{summary}");
        let (_, list) = get(app, "/gov/dashboard/enterprises", &api).await;
        let mut checked = 0;
        for el in browser.find_all(Locator::Css("[data-figure]")).await.unwrap() {
            let key = el.attr("data-figure").await.unwrap().unwrap();
            let shown = el.text().await.unwrap();
            let expected =
                if key == "enterprise_total" { list["total"].clone() } else { summary[key.as_str()].clone() };
            assert_eq!(shown, expected.to_string(), "{key} on the page");
            checked += 1;
        }
        assert_eq!(checked, 7, "six headline figures and the list total");
        assert_eq!(summary["found"], 4);
        // The enterprise list shows a page of the region's enterprises, most overdue first.
        let rows = browser.find_all(Locator::Css("tr[data-enterprise]")).await.unwrap();
        assert_eq!(rows.len(), 20);
        // The charts are drawn (SVG from the server) and laid out with a real size.
        let charts = browser.find_all(Locator::Css("section svg")).await.unwrap();
        assert!(charts.len() >= 4, "{} charts", charts.len());
        let (_, _, w, h) = charts[0].rectangle().await.unwrap();
        assert!(w > 200.0 && h > 100.0, "chart laid out: {w}x{h}");
        let (_, key) = get(app, "/gov/analysis/key-industries", &api).await;
        let key_rows = browser.find_all(Locator::Css("#key-industries tbody tr")).await.unwrap();
        assert_eq!(key_rows.len(), key["rows"].as_array().unwrap().len() + 1, "each key industry and the total");

        let png = browser.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot: {} bytes", png.len());
        let path = screenshot_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &png).unwrap();
        eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());

        // Sign-out returns to the form, and the page is closed to the old session.
        browser.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
        browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("sign-in")).await.unwrap();
        browser.goto(&app.url("/dashboard")).await.unwrap();
        assert!(browser.current_url().await.unwrap().path().ends_with("/dashboard/login"));
        browser.close().await.unwrap();
    })
    .await;
    drop(d);
}
