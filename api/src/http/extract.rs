//! Extractors that turn bad input into the API's error shape with the field at fault,
//! and a last-chance handler that reshapes any plain-text error response.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Payload, ServiceResponse};
use actix_web::error::{PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::json;
use validator::Validate;

use crate::error::{ApiError, ErrorCode};

/// A JSON body, deserialised with the path of the failing field reported.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json_type = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json_type {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as Content-Type: application/json",
                ));
            }
            let bytes = bytes.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => {
                    ApiError::new(ErrorCode::PayloadTooLarge, "the body exceeds the size limit")
                }
                Some(e) if super::hygiene::timed_out(e) => super::hygiene::body_timeout(),
                _ => ApiError::new(ErrorCode::MalformedJson, format!("the body could not be read: {e}")),
            })?;
            parse(&bytes).map(Json)
        })
    }
}

pub use crate::error::parse;

/// A JSON body that is then checked against its `Validate` rules (lengths, ranges,
/// patterns, nested items): a violation is 422 `invalid_field` naming the exact path,
/// `answers[3].reason`, before any use case runs.
pub struct ValidatedJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = Json::<T>::from_request(req, payload);
        Box::pin(async move {
            let Json(value) = json.await?;
            value.validate()?;
            Ok(ValidatedJson(value))
        })
    }
}

/// A query string checked against its `Validate` rules, as [`ValidatedJson`].
pub struct ValidatedQuery<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedQuery<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let query = web::Query::<T>::from_request(req, payload);
        Box::pin(async move {
            let value = query.await?.into_inner();
            value.validate().map_err(ApiError::from)?;
            Ok(ValidatedQuery(value))
        })
    }
}

/// The field named in a serde message such as "missing field `code`".
fn field_in(msg: &str) -> Option<&str> {
    msg.split('`').nth(1)
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let msg = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        e => e.to_string(),
    };
    let e = ApiError::new(ErrorCode::InvalidQuery, format!("query: {msg}"));
    match field_in(&msg) {
        Some(f) => e.with_details(json!({ "field": f })),
        None => e,
    }
    .into()
}

pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(ErrorCode::InvalidPath, format!("path: {err}")).into()
}

/// Rewrites error responses that do not already carry the JSON error body (actix's
/// own 404 and 405, for instance).
pub fn reshape<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON errors are already shaped; the dashboard page's own HTML errors stay pages.
    let shaped =
        res.response().headers().get(CONTENT_TYPE).is_some_and(|v| {
            v == HeaderValue::from_static("application/json") || v.as_bytes().starts_with(b"text/html")
        });
    if shaped {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let code = match res.status() {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::BAD_REQUEST => ErrorCode::MalformedJson,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::DatabaseUnavailable,
        _ => ErrorCode::Internal,
    };
    let message = match code {
        ErrorCode::NotFound => format!("no route for {}", res.request().path()),
        ErrorCode::MethodNotAllowed => format!("{} is not allowed on {}", res.request().method(), res.request().path()),
        c => c.description().to_string(),
    };
    let err = ApiError::new(code, message);
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, actix_web::ResponseError::error_response(&err));
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}
