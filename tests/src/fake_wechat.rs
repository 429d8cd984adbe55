//! A fake WeChat server on loopback speaking the real HTTP protocol of
//! `jscode2session`, `stable_token` and `getuserphonenumber`: HTTP 200 with an
//! `errcode` for failures, as WeChat does, plus slow and broken answers.
//!
//! `subscribe/send` records each message; it can be told to answer busy (-1) or
//! "the user has not subscribed" (43101) for the next sends.
//!
//! `js_code` values: `ok-<openid>`, `invalid` (40029), `used` (40163), `blocked`
//! (40226), `busy` (-1), `freq` (45011), `slow` (answers after 5 s), `http500`,
//! `garbage` (not JSON). Phone codes: `phone-<number>`, `invalid`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

pub const APP_ID: &str = "wx0123456789abcdef";
pub const APP_SECRET: &str = "fake-app-secret-0123456789";
/// Sent with every successful session answer; must never leave zhicha.
pub const SESSION_KEY: &str = "SESSION-KEY-tiHKXnU9yA0Vg9oMqg==";

#[derive(Default)]
pub struct Counters {
    pub sessions: AtomicUsize,
    pub tokens: AtomicUsize,
    pub phones: AtomicUsize,
    /// Answer the next phone request with 40001 (access token expired).
    pub expire_token: AtomicBool,
    /// Subscription messages received, as sent.
    pub messages: std::sync::Mutex<Vec<Value>>,
    /// Answer this many next subscription sends with -1 (busy).
    pub busy_sends: AtomicUsize,
    /// Answer the next subscription send with 43101 (not subscribed).
    pub refuse_send: AtomicBool,
}

/// The reminder template id the test apps are configured with.
pub const TEMPLATE_ID: &str = "tmpl-rectification-reminder";

pub struct FakeWechat {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    handle: ServerHandle,
}

fn text(v: Value) -> HttpResponse {
    // WeChat labels its JSON text/plain on this API.
    HttpResponse::Ok().content_type("text/plain").body(v.to_string())
}

fn err(code: i64, msg: &str) -> HttpResponse {
    text(json!({ "errcode": code, "errmsg": msg }))
}

async fn session(q: web::Query<Vec<(String, String)>>, c: web::Data<Arc<Counters>>) -> HttpResponse {
    c.sessions.fetch_add(1, Ordering::SeqCst);
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    if get("appid") != APP_ID || get("secret") != APP_SECRET {
        return err(40013, "invalid appid");
    }
    if get("grant_type") != "authorization_code" {
        return err(40002, "invalid grant_type");
    }
    match get("js_code") {
        "invalid" => err(40029, "invalid code"),
        "used" => err(40163, "code been used"),
        "blocked" => err(40226, "high risk user"),
        "busy" => err(-1, "system error"),
        "freq" => err(45011, "api minute-quota reach limit"),
        "http500" => HttpResponse::InternalServerError().body("upstream failure"),
        "garbage" => HttpResponse::Ok().body("<html>bad gateway</html>"),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            text(json!({ "openid": "slow-user", "session_key": SESSION_KEY }))
        }
        code => match code.strip_prefix("ok-") {
            Some(openid) => {
                text(json!({ "openid": openid, "session_key": SESSION_KEY, "unionid": format!("union-{openid}") }))
            }
            None => err(40029, "invalid code"),
        },
    }
}

async fn stable_token(body: web::Json<Value>, c: web::Data<Arc<Counters>>) -> HttpResponse {
    let n = c.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    if body["appid"] != APP_ID || body["secret"] != APP_SECRET || body["grant_type"] != "client_credential" {
        return err(40013, "invalid appid");
    }
    text(json!({ "access_token": format!("token-{n}"), "expires_in": 7200 }))
}

async fn phone(
    q: web::Query<Vec<(String, String)>>,
    body: web::Json<Value>,
    c: web::Data<Arc<Counters>>,
) -> HttpResponse {
    c.phones.fetch_add(1, Ordering::SeqCst);
    let token = q.iter().find(|(n, _)| n == "access_token").map(|(_, v)| v.clone()).unwrap_or_default();
    if !token.starts_with("token-") {
        return err(40001, "invalid credential");
    }
    if c.expire_token.swap(false, Ordering::SeqCst) {
        return err(40001, "invalid credential, access_token is invalid or not latest");
    }
    match body["code"].as_str().and_then(|s| s.strip_prefix("phone-")) {
        Some(number) => text(json!({
            "errcode": 0, "errmsg": "ok",
            "phone_info": {
                "phoneNumber": number, "purePhoneNumber": number, "countryCode": "86",
                "watermark": { "timestamp": 1_700_000_000, "appid": APP_ID }
            }
        })),
        None => err(40029, "invalid code"),
    }
}

async fn subscribe_send(
    q: web::Query<Vec<(String, String)>>,
    body: web::Json<Value>,
    c: web::Data<Arc<Counters>>,
) -> HttpResponse {
    let token = q.iter().find(|(n, _)| n == "access_token").map(|(_, v)| v.clone()).unwrap_or_default();
    if !token.starts_with("token-") {
        return err(40001, "invalid credential");
    }
    if c.busy_sends.load(Ordering::SeqCst) > 0 {
        c.busy_sends.fetch_sub(1, Ordering::SeqCst);
        return err(-1, "system error");
    }
    if c.refuse_send.swap(false, Ordering::SeqCst) {
        return err(43101, "user refuse to accept the msg");
    }
    if body["template_id"] != TEMPLATE_ID || body["touser"].as_str().is_none_or(str::is_empty) {
        return err(40037, "invalid template_id");
    }
    c.messages.lock().expect("messages").push(body.into_inner());
    text(json!({ "errcode": 0, "errmsg": "ok" }))
}

impl FakeWechat {
    pub async fn start() -> Self {
        let counters = Arc::new(Counters::default());
        let data = web::Data::new(counters.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/sns/jscode2session", web::get().to(session))
                .route("/cgi-bin/stable_token", web::post().to(stable_token))
                .route("/wxa/business/getuserphonenumber", web::post().to(phone))
                .route("/cgi-bin/message/subscribe/send", web::post().to(subscribe_send))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind the fake WeChat server");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { addr, counters, handle }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
