//! WeChat for the mini-program: `jscode2session` turns a `wx.login` code into an
//! openid, `getuserphonenumber` turns a phone-number button code into a number.
//!
//! The `session_key` WeChat returns is never deserialised, kept, logged or sent on:
//! nothing here needs it (it only decrypts data the mini-program asks WeChat for).

mod client;
mod standin;

use std::time::Duration;

use serde_json::json;

use crate::config::Settings;
use crate::error::{ApiError, ErrorCode};

pub use client::{Client, SendOutcome};

/// Who a `wx.login` code belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub openid: String,
    pub unionid: Option<String>,
}

/// What can go wrong, as the mini-program needs to hear it.
#[derive(Debug, thiserror::Error)]
pub enum WechatError {
    #[error("WeChat rejected the code (errcode {0})")]
    InvalidCode(i64),
    #[error("WeChat blocks this user (errcode {0})")]
    Blocked(i64),
    #[error("WeChat is busy or unreachable: {0}")]
    Unavailable(String),
    #[error("WeChat sign-in is not configured (wechat.app_id)")]
    NotConfigured,
    /// Our side is wrong (app id, secret, access token): the operator must act.
    #[error("WeChat refused our credentials: errcode {0} {1}")]
    Misconfigured(i64, String),
}

/// Seconds a client should wait before retrying when WeChat is busy.
const BUSY_RETRY_SECONDS: u64 = 3;

impl From<WechatError> for ApiError {
    #[track_caller]
    fn from(e: WechatError) -> Self {
        let busy = |msg: &str| {
            ApiError::new(ErrorCode::WechatUnavailable, msg)
                .with_details(json!({ "retry_after_seconds": BUSY_RETRY_SECONDS }))
        };
        match e {
            WechatError::InvalidCode(_) => ApiError::field(
                ErrorCode::InvalidWechatCode,
                "code",
                "WeChat did not accept this code; call wx.login again and retry",
            ),
            WechatError::Blocked(_) => {
                ApiError::new(ErrorCode::WechatUserBlocked, "WeChat does not allow this user to sign in")
            }
            WechatError::Unavailable(cause) => {
                tracing::warn!("WeChat unavailable: {cause}");
                busy("WeChat is busy or unreachable; retry shortly")
            }
            WechatError::NotConfigured => {
                ApiError::new(ErrorCode::WechatUnavailable, "WeChat sign-in is not configured on this server")
                    .with_details(json!({ "retry_after_seconds": 300 }))
            }
            e @ WechatError::Misconfigured(..) => {
                let mut err = busy("WeChat sign-in is unavailable; the operator has been alerted");
                tracing::error!("{e}");
                err.source = Some(e.into());
                err
            }
        }
    }
}

/// WeChat itself, the demo stand-in, or nothing configured.
pub enum Wechat {
    Api(Client),
    StandIn,
    Off,
}

impl Wechat {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        if s.wechat_standin().map_err(anyhow::Error::msg)? {
            tracing::warn!("the WeChat stand-in is on: demo codes sign in without WeChat");
            return Ok(Wechat::StandIn);
        }
        let w = &s.wechat;
        if w.app_id.is_empty() {
            return Ok(Wechat::Off);
        }
        Ok(Wechat::Api(Client::new(
            &w.base_url,
            &w.app_id,
            w.app_secret.expose(),
            Duration::from_millis(w.timeout_ms),
        )?))
    }

    pub async fn identify(&self, code: &str) -> Result<Identity, WechatError> {
        match self {
            Wechat::Api(c) => c.code_to_session(code).await,
            Wechat::StandIn => standin::identify(code),
            Wechat::Off => Err(WechatError::NotConfigured),
        }
    }

    /// The phone number behind a `getPhoneNumber` button code, as WeChat gives it
    /// (the pure number without the country code).
    pub async fn phone_number(&self, code: &str) -> Result<String, WechatError> {
        match self {
            Wechat::Api(c) => c.phone_number(code).await,
            Wechat::StandIn => standin::phone_number(code),
            Wechat::Off => Err(WechatError::NotConfigured),
        }
    }

    /// Sends a subscription message; the stand-in only logs it.
    pub async fn subscribe_send(&self, message: &serde_json::Value) -> Result<SendOutcome, WechatError> {
        match self {
            Wechat::Api(c) => c.subscribe_send(message).await,
            Wechat::StandIn => {
                tracing::info!("WeChat stand-in: subscription message {message}");
                Ok(SendOutcome::Sent)
            }
            Wechat::Off => Err(WechatError::NotConfigured),
        }
    }

    pub fn is_standin(&self) -> bool {
        matches!(self, Wechat::StandIn)
    }
}
