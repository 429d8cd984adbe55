//! The HTTP client for WeChat's server API.
//!
//! WeChat answers HTTP 200 with an `errcode` in the body for most failures. The app
//! secret and the codes travel in query strings, so errors are logged without URLs.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::{Identity, WechatError};

pub struct Client {
    http: reqwest::Client,
    base: String,
    app_id: String,
    secret: String,
    /// The access token for server APIs and when to fetch a new one.
    token: Mutex<Option<(String, Instant)>>,
}

/// Only what we use: `session_key` is deliberately absent, so it is never kept.
#[derive(Deserialize)]
struct SessionAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    openid: Option<String>,
    unionid: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct PhoneAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    phone_info: Option<PhoneInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneInfo {
    pure_phone_number: String,
    watermark: Option<Watermark>,
}

#[derive(Deserialize)]
struct Watermark {
    appid: String,
}

/// WeChat's documented error codes, sorted by who must act.
fn classify(errcode: i64, errmsg: &str) -> WechatError {
    match errcode {
        // Invalid code; code already used.
        40029 | 40163 => WechatError::InvalidCode(errcode),
        // High-risk user intercepted by WeChat.
        40226 => WechatError::Blocked(errcode),
        // System busy; calls too frequent.
        -1 | 45011 => WechatError::Unavailable(format!("errcode {errcode} {errmsg}")),
        _ => WechatError::Misconfigured(errcode, errmsg.to_string()),
    }
}

fn transport(e: reqwest::Error) -> WechatError {
    let e = e.without_url();
    let what = if e.is_timeout() { "timed out" } else { "request failed" };
    WechatError::Unavailable(format!("{what}: {e}"))
}

/// Access-token errors that a fresh token cures: invalid, expired, not latest.
fn stale_token(errcode: i64) -> bool {
    matches!(errcode, 40001 | 40014 | 42001)
}

impl Client {
    pub fn new(base: &str, app_id: &str, secret: &str, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            secret: secret.to_string(),
            token: Mutex::new(None),
        })
    }

    async fn read<T: for<'de> Deserialize<'de>>(resp: reqwest::Response) -> Result<T, WechatError> {
        let status = resp.status();
        if !status.is_success() {
            return Err(WechatError::Unavailable(format!("HTTP {status}")));
        }
        let bytes = resp.bytes().await.map_err(transport)?;
        // The body may hold a session key: say only that it did not parse.
        serde_json::from_slice(&bytes).map_err(|_| WechatError::Unavailable("an answer that is not JSON".into()))
    }

    pub async fn code_to_session(&self, code: &str) -> Result<Identity, WechatError> {
        let resp = self
            .http
            .get(format!("{}/sns/jscode2session", self.base))
            .query(&[
                ("appid", self.app_id.as_str()),
                ("secret", self.secret.as_str()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            .map_err(transport)?;
        let a: SessionAnswer = Self::read(resp).await?;
        if a.errcode != 0 {
            return Err(classify(a.errcode, &a.errmsg));
        }
        let openid = a.openid.filter(|o| !o.is_empty() && o.len() <= 64);
        let openid = openid.ok_or_else(|| WechatError::Unavailable("an answer without an openid".into()))?;
        Ok(Identity { openid, unionid: a.unionid.filter(|u| !u.is_empty() && u.len() <= 64) })
    }

    /// The server access token: the stable one (`/cgi-bin/stable_token`), which every
    /// instance of the service shares without invalidating each other's.
    async fn access_token(&self, force: bool) -> Result<String, WechatError> {
        let mut cached = self.token.lock().await;
        if !force
            && let Some((t, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let resp = self
            .http
            .post(format!("{}/cgi-bin/stable_token", self.base))
            .json(&json!({
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.secret,
                "force_refresh": force,
            }))
            .send()
            .await
            .map_err(transport)?;
        let a: TokenAnswer = Self::read(resp).await?;
        match (a.errcode, a.access_token) {
            (0, Some(token)) => {
                // Renew five minutes early; WeChat's tokens live two hours.
                let life = a.expires_in.unwrap_or(7200).saturating_sub(300).max(60);
                *cached = Some((token.clone(), Instant::now() + Duration::from_secs(life)));
                Ok(token)
            }
            (0, None) => Err(WechatError::Unavailable("a token answer without a token".into())),
            (code, _) => Err(classify(code, &a.errmsg)),
        }
    }

    pub async fn phone_number(&self, code: &str) -> Result<String, WechatError> {
        let mut force = false;
        loop {
            let token = self.access_token(force).await?;
            let resp = self
                .http
                .post(format!("{}/wxa/business/getuserphonenumber", self.base))
                .query(&[("access_token", token.as_str())])
                .json(&json!({ "code": code }))
                .send()
                .await
                .map_err(transport)?;
            let a: PhoneAnswer = Self::read(resp).await?;
            if stale_token(a.errcode) && !force {
                force = true;
                continue;
            }
            if a.errcode != 0 {
                return Err(classify(a.errcode, &a.errmsg));
            }
            let info = a.phone_info.ok_or_else(|| WechatError::Unavailable("an answer without phone_info".into()))?;
            // A number issued to another mini-program is not ours to accept.
            if info.watermark.as_ref().is_some_and(|w| w.appid != self.app_id) {
                return Err(WechatError::InvalidCode(40029));
            }
            return Ok(info.pure_phone_number);
        }
    }

    /// Sends a one-time subscription message (`/cgi-bin/message/subscribe/send`).
    /// errcode 43101 means the user has no acceptance left for the template.
    pub async fn subscribe_send(&self, message: &serde_json::Value) -> Result<SendOutcome, WechatError> {
        let mut force = false;
        loop {
            let token = self.access_token(force).await?;
            let resp = self
                .http
                .post(format!("{}/cgi-bin/message/subscribe/send", self.base))
                .query(&[("access_token", token.as_str())])
                .json(message)
                .send()
                .await
                .map_err(transport)?;
            let a: SendAnswer = Self::read(resp).await?;
            if stale_token(a.errcode) && !force {
                force = true;
                continue;
            }
            return match a.errcode {
                0 => Ok(SendOutcome::Sent),
                43101 => Ok(SendOutcome::NotSubscribed),
                code => Err(classify(code, &a.errmsg)),
            };
        }
    }
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// What WeChat did with a subscription message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// The user has not accepted (or has used up) this template's messages.
    NotSubscribed,
}
