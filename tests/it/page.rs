//! The dashboard page over plain HTTP: sign-in by form sets an HttpOnly, SameSite=Strict
//! cookie scoped to /dashboard; only bureau accounts get in; the page is scoped like the
//! API (a city user cannot open another city) and shows the API's figures; sign-out ends
//! the session. The browser test (`browser.rs`) drives the same page in Chromium.

use serde_json::json;
use zhicha_tests::{Opts, TestApp, both};

use crate::auth::totp_code;
use crate::findings::{get, mp_token, post};
use crate::wechat::staff_token;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in through the form; the session cookie's value on success.
pub async fn page_sign_in(
    app: &TestApp,
    c: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, Option<String>, String) {
    let code = totp_code(app, username).await.unwrap_or_default();
    let res = c
        .post(app.url("/dashboard/login"))
        .form(&[("username", username), ("password", password), ("totp", code.as_str())])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("zhicha_dash="))
        .map(str::to_string);
    let body = res.text().await.unwrap();
    (status, cookie, body)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

async fn page(app: &TestApp, c: &reqwest::Client, cookie: &str, query: &str) -> (u16, String) {
    let res = c.get(app.url(&format!("/dashboard{query}"))).header("cookie", cookie).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The text of `data-figure="key"` on the page.
pub fn figure(html: &str, key: &str) -> String {
    let tag = format!("data-figure=\"{key}\">");
    let at = html.find(&tag).unwrap_or_else(|| panic!("no figure {key}")) + tag.len();
    html[at..].split('<').next().unwrap().to_string()
}

both!(
    the_page_signs_in_bureaus_only_and_shows_their_region,
    Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() },
    async |app: &TestApp| {
        app.ensure_demo().await;
        let c = no_redirects();
        // Without a session the page sends the browser to the sign-in form.
        let res = c.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/dashboard/login");
        let res = c.get(app.url("/dashboard/login")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
        assert!(res.text().await.unwrap().contains("动态口令"));

        // A wrong password is a page with the reason, not a JSON error, and no cookie.
        let (s, cookie, body) = page_sign_in(app, &c, "hrss.city", "wrong-password").await;
        assert_eq!((s, cookie.is_none()), (401, true), "{body}");
        assert!(body.contains("用户名、密码或动态口令不正确"), "{body}");
        // An over-long name is refused before anything is looked up, by the form and the API alike.
        let long = "x".repeat(65);
        let res = c
            .post(app.url("/dashboard/login"))
            .form(&[("username", long.as_str()), ("password", "p"), ("totp", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("请填写用户名、密码和动态口令"));
        let res =
            c.post(app.url("/auth/login")).json(&json!({"username": long, "password": "p"})).send().await.unwrap();
        assert_eq!(res.status(), 422);
        // A service organisation account signs in to the API but not to the page.
        let (s, cookie, body) =
            page_sign_in(app, &c, "service", zhicha_api::reference::seed::demo::DEMO_PASSWORD).await;
        assert_eq!((s, cookie.is_none()), (403, true), "{body}");

        let (s, cookie, _) = page_sign_in(app, &c, "hrss.city", zhicha_api::reference::seed::demo::DEMO_PASSWORD).await;
        assert_eq!(s, 303);
        let set = cookie.expect("a session cookie");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age="] {
            assert!(set.contains(attr), "{attr} in {set}");
        }
        let cookie = cookie_value(&set);

        // Some activity so that the figures are not all zero.
        let (officer, _) = mp_token(app, "demo-officer-e03").await;
        for i in 0..2 {
            let (s, f) = post(
                app,
                "/mp/findings",
                &officer,
                json!({"client_id": format!("page-{i:04}-e03"),
                "location": "仓库", "description": "消防通道堵塞", "grade": "general", "submit": true}),
            )
            .await;
            assert_eq!(s, 201, "{f}");
        }
        let (s, html) = page(app, &c, &cookie, "").await;
        assert_eq!(s, 200);
        assert!(html.contains("石嘴山市") && html.contains("640200"), "the city's name and code");
        let api = staff_token(app, "hrss.city").await;
        let (_, summary) = get(app, "/gov/dashboard/summary", &api).await;
        for key in ["enterprises", "recommended", "found", "rectified", "overdue", "all_met"] {
            assert_eq!(figure(&html, key), summary[key].as_i64().unwrap().to_string(), "{key}");
        }
        assert_eq!(figure(&html, "found"), "2");
        let (_, list) = get(app, "/gov/dashboard/enterprises", &api).await;
        assert_eq!(figure(&html, "enterprise_total"), list["total"].to_string());
        assert!(html.matches("<svg").count() >= 4, "attainment, funnel, trend and accident-type charts");
        // This year is still running: its bars say how far they go.
        let today = chrono::Utc::now().date_naive();
        if chrono::Datelike::month(&today) > 1 {
            let so_far = format!("{}年（1–{}月）", chrono::Datelike::year(&today), chrono::Datelike::month(&today) - 1);
            assert!(html.contains(&so_far), "{so_far}");
        }
        // A filter narrows the list in SQL, as the API's does.
        let (_, unmet) = page(app, &c, &cookie, "?attainment=found&sort=found").await;
        let (_, api_unmet) = get(app, "/gov/dashboard/enterprises?attainment=found", &api).await;
        assert_eq!(figure(&unmet, "enterprise_total"), api_unmet["total"].to_string());

        // Scope: the city user cannot open the next city; a bad sort is refused.
        let (s, _) = page(app, &c, &cookie, "?region=640100").await;
        assert_eq!(s, 404);
        let (s, _) = page(app, &c, &cookie, "?sort=password").await;
        assert_eq!(s, 400);

        // The province sees both cities, each row as the API counts it.
        let (s, pcookie, _) =
            page_sign_in(app, &c, "emergency.province", zhicha_api::reference::seed::demo::DEMO_PASSWORD).await;
        assert_eq!(s, 303);
        let pcookie = cookie_value(&pcookie.unwrap());
        let (_, phtml) = page(app, &c, &pcookie, "").await;
        let papi = staff_token(app, "emergency.province").await;
        let (_, psummary) = get(app, "/gov/dashboard/summary", &papi).await;
        assert_eq!(figure(&phtml, "enterprises"), psummary["enterprises"].to_string());
        for city in psummary["cities"].as_array().unwrap() {
            let code = city["region_code"].as_str().unwrap();
            assert!(phtml.contains(&format!("data-city=\"{code}\"")), "a row for {code}");
        }
        let (s, narrowed) = page(app, &c, &pcookie, "?region=640200").await;
        assert_eq!(s, 200);
        assert_eq!(figure(&narrowed, "enterprises"), summary["enterprises"].to_string());

        // Sign-out ends the session: the old cookie no longer opens the page.
        let res = c.post(app.url("/dashboard/logout")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let res = c.get(app.url("/dashboard")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.status(), 303, "signed out");
    }
);
