//! The bureaus' dashboard page (`/dashboard`): server-rendered HTML with the same figures
//! as `/gov/dashboard/*` and `/gov/analysis/*`, charts drawn on the server as SVG, and a
//! few lines of plain JavaScript. Sign-in is the API's own (password + TOTP); the access
//! token lives in an HttpOnly, SameSite=Strict cookie scoped to `/dashboard`, so page
//! scripts never see it and other sites cannot send it.

mod view;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};
use crate::http::handlers::auth::origin;
use crate::identity::policy::allows;
use crate::identity::service;
use crate::identity::{Caller, Function, caller};
use crate::state::AppState;
use view::{DashboardView, PageQuery};

pub const COOKIE: &str = "zhicha_dash";
const PATH: &str = "/dashboard";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/dashboard").route(web::get().to(show)))
        .service(web::resource("/dashboard/login").route(web::get().to(login_form)).route(web::post().to(login)))
        .service(web::resource("/dashboard/logout").route(web::post().to(logout)))
        .service(web::resource("/dashboard/app.js").route(web::get().to(script)));
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    message: &'a str,
    username: &'a str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page<'a> {
    v: &'a DashboardView,
}

/// An HTML answer with the headers every page carries: no caching of figures, no
/// framing, no inline script.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(body)
}

fn login_page(status: StatusCode, message: &str, username: &str) -> HttpResponse {
    match (LoginPage { message, username }).render() {
        Ok(body) => html(status, body),
        Err(e) => error_page(&ApiError::internal(anyhow::anyhow!(e))),
    }
}

fn error_page(e: &ApiError) -> HttpResponse {
    if e.code.status().is_server_error() {
        tracing::error!(code = e.code.name(), "dashboard page: {}", e.message);
    }
    let text = match e.code {
        ErrorCode::NotFound => "所选地区不在您的管辖范围内。",
        ErrorCode::InvalidQuery => "查询条件有误，请返回重试。",
        _ => "暂时无法生成看板，请稍后刷新。",
    };
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>智查 · 看板</title>\
         <p>{text}</p><p><a href=\"/dashboard\">返回看板</a></p></html>"
    );
    html(e.code.status(), body)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn session_cookie(req: &HttpRequest, token: &str, seconds: i64) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_string())
        .path(PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(req))
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// The signed-in bureau user of this request, if any.
async fn signed_in(state: &AppState, req: &HttpRequest) -> Option<Caller> {
    let token = req.cookie(COOKIE)?.value().to_string();
    let c = caller::resolve(state, &token).await.ok()?;
    allows(Function::GovDashboard, c.role).then_some(c)
}

pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(caller) = signed_in(&state, &req).await else { return redirect("/dashboard/login") };
    let q = match web::Query::<PageQuery>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(_) => return error_page(&ApiError::new(ErrorCode::InvalidQuery, "query")),
    };
    let v = match view::gather(&state, &caller, q).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    match (Page { v: &v }).render() {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => error_page(&ApiError::internal(anyhow::anyhow!(e))),
    }
}

pub async fn login_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if signed_in(&state, &req).await.is_some() {
        return redirect("/dashboard");
    }
    login_page(StatusCode::OK, "", "")
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub totp: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Result<web::Form<LoginForm>, actix_web::Error>,
) -> HttpResponse {
    let Ok(f) = form else {
        return login_page(StatusCode::BAD_REQUEST, "请填写用户名、密码和动态口令。", "");
    };
    let username = f.username.trim();
    let totp = Some(f.totp.trim()).filter(|t| !t.is_empty());
    let pair = match service::login(&state, username, &f.password, totp, &origin(&req)).await {
        Ok(p) => p,
        Err(e) => {
            let message = match e.code {
                ErrorCode::InvalidCredentials => "用户名、密码或动态口令不正确。",
                ErrorCode::InvalidField => "请填写用户名、密码和动态口令。",
                ErrorCode::AccountLocked => "登录失败次数过多，账号已暂时锁定，请稍后再试。",
                _ => "暂时无法登录，请稍后再试。",
            };
            if e.code.status().is_server_error() {
                tracing::error!(code = e.code.name(), "dashboard sign-in: {}", e.message);
            }
            return login_page(e.code.status(), message, username);
        }
    };
    if pair.password_change_required || pair.second_factor_enrolment_required {
        // The page signs in only sessions free to read; a one-time or expired password,
        // or a factor to enrol, is done through the API first (`resolve` refuses it).
        if let Ok((c, _)) = caller::resolve_gated(&state, &pair.access_token).await
            && let Err(e) = service::logout(&state, &c, &origin(&req)).await
        {
            tracing::warn!("dashboard sign-in: cannot end a refused session: {}", e.message);
        }
        let message = if pair.password_change_required {
            "请先修改初始或已过期的密码（POST /auth/password）。"
        } else {
            "请先绑定动态口令（POST /auth/totp/enrol）。"
        };
        return login_page(StatusCode::FORBIDDEN, message, username);
    }
    if !allows(Function::GovDashboard, pair.role) {
        // Not a bureau account: end the session just made rather than leave it unused.
        if let Ok(c) = caller::resolve(&state, &pair.access_token).await
            && let Err(e) = service::logout(&state, &c, &origin(&req)).await
        {
            tracing::warn!("dashboard sign-in: cannot end a refused session: {}", e.message);
        }
        return login_page(StatusCode::FORBIDDEN, "看板仅供人社局、应急局账号使用。", username);
    }
    HttpResponse::SeeOther()
        .cookie(session_cookie(&req, &pair.access_token, pair.expires_in))
        .insert_header((header::LOCATION, "/dashboard"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(token) = req.cookie(COOKIE).map(|c| c.value().to_string())
        && let Ok(c) = caller::resolve(&state, &token).await
        && let Err(e) = service::logout(&state, &c, &origin(&req)).await
    {
        tracing::warn!("dashboard sign-out: {}", e.message);
    }
    let mut gone = session_cookie(&req, "", 0);
    gone.make_removal();
    HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/dashboard/login"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .body(include_str!("app.js"))
}
