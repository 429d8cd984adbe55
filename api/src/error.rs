//! One error type for the whole API and one table of error codes. Every failure is
//! answered as `{"error": {"code", "message", "details", "request_id"}}`.

use std::panic::Location;

use actix_web::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::db_error as db;

/// Seconds a client waits before retrying a write that met lock contention: a queue
/// of writers clears in well under that.
const BUSY_RETRY_SECONDS: u64 = 1;
/// Seconds a client waits before retrying while the database is out of reach (a
/// restart or fail-over takes a few).
const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

macro_rules! error_codes {
    ($($variant:ident = $status:literal, $name:literal, $doc:literal;)*) => {
        /// Machine-readable error codes; the name is what clients match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $(#[doc = $doc] $variant,)* }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::from_u16($status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)* }
            }
        }
    };
}

error_codes! {
    MalformedJson = 400, "malformed_json", "The body is not well-formed JSON.";
    InvalidQuery = 400, "invalid_query", "A query-string parameter is missing or has the wrong form.";
    InvalidPath = 400, "invalid_path", "A path parameter has the wrong form.";
    Unauthenticated = 401, "unauthenticated", "No valid credentials were given.";
    InvalidCredentials = 401, "invalid_credentials", "The username, password or second-factor code is wrong.";
    RefreshTokenReused = 401, "refresh_token_reused", "A spent refresh token was presented again; every session of that sign-in is revoked.";
    InvalidWechatCode = 401, "invalid_wechat_code", "WeChat rejected the `wx.login` code (wrong, expired or already used); call `wx.login` again.";
    AccountLocked = 403, "account_locked", "Too many failed sign-ins; the account is locked for a while.";
    WechatUserBlocked = 403, "wechat_user_blocked", "WeChat blocks this user from signing in to the mini-program.";
    Forbidden = 403, "forbidden", "The caller's role may not use this function.";
    PasswordChangeRequired = 403, "password_change_required", "The account's password is new (first sign-in or reset) or expired: until `POST /auth/password` changes it, the session may only call `/auth/me`, `/auth/password`, `/auth/logout` and `/auth/totp/*`.";
    SecondFactorEnrolmentRequired = 403, "second_factor_enrolment_required", "The account's role signs in with a TOTP code but none is enrolled: until `POST /auth/totp/enrol` and `/auth/totp/confirm` enrol one, the session may only call `/auth/me`, `/auth/password`, `/auth/logout` and `/auth/totp/*`.";
    NotFound = 404, "not_found", "No such resource in the caller's scope.";
    MethodNotAllowed = 405, "method_not_allowed", "The resource does not support this method.";
    Conflict = 409, "conflict", "The resource changed or is in a state that forbids this.";
    InvalidState = 409, "invalid_state", "The action is not allowed in the resource's current state; `details.state` names that state.";
    VersionConflict = 409, "version_conflict", "Someone changed the resource since it was read; `details.current_version` is its version now: re-read it and decide again.";
    RequestInProgress = 409, "request_in_progress", "A request with this Idempotency-Key is still running; retry shortly.";
    PayloadTooLarge = 413, "payload_too_large", "The body exceeds the size limit.";
    NotAnImage = 415, "not_an_image", "The upload is not a JPEG, PNG or WebP image, judged by its content rather than its name or declared type.";
    ImageRejected = 422, "image_rejected", "The image is empty, cannot be decoded, or exceeds the dimension or memory limits (a decompression bomb).";
    UploadIncomplete = 422, "upload_incomplete", "The presigned upload's object never arrived, has expired, or differs from what was signed; upload again.";
    RateLimited = 429, "rate_limited", "Too many requests; wait as long as Retry-After says.";
    UnsupportedMediaType = 415, "unsupported_media_type", "The body must be sent as application/json.";
    InvalidBody = 422, "invalid_body", "The JSON is well-formed but a field is missing, unknown or of the wrong type.";
    InvalidField = 422, "invalid_field", "A field has a value the domain rejects (a code, a date, a range).";
    InvalidBindingCode = 422, "invalid_binding_code", "The binding code is unknown, expired or already used.";
    BodyTimeout = 408, "body_timeout", "The request body did not arrive in time (no byte for `server.body_idle_seconds`, or not all of it within `server.body_seconds`); the connection is closed: send the request again.";
    IdempotencyKeyReused = 422, "idempotency_key_reused", "The Idempotency-Key was used before with a different request.";
    IdempotencyKeyRequired = 428, "idempotency_key_required", "Mini-program writes need an Idempotency-Key header (a fresh UUID per write, reused on retry).";
    DatabaseUnavailable = 503, "database_unavailable", "The database cannot be reached; nothing was recorded unless the same request, retried with its Idempotency-Key, says so; retry after Retry-After seconds.";
    Busy = 503, "busy", "The database was too busy with other writes to take this one in time; nothing was recorded: retry after Retry-After seconds.";
    StorageUnavailable = 503, "storage_unavailable", "Object storage cannot be reached; nothing was recorded, retry later.";
    ReportFontUnavailable = 503, "report_font_unavailable", "The CJK font the report PDF needs is not installed on the server (`reports.font_path`); the operator installs it.";
    WechatUnavailable = 503, "wechat_unavailable", "WeChat is busy, slow or not configured; retry after Retry-After seconds.";
    Internal = 500, "internal", "An unexpected error; the request id finds it in the server log.";
}

/// The error body, as documented in the spec.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// One of the error codes (`invalid_field`, `not_found`, ...).
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Machine-readable specifics, e.g. `{"field": "code"}`.
    #[schema(value_type = Object)]
    pub details: Value,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    /// The cause, logged for 5xx and never sent.
    pub source: Option<anyhow::Error>,
    pub location: &'static Location<'static>,
}

impl ApiError {
    #[track_caller]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: json!({}), source: None, location: Location::caller() }
    }

    #[track_caller]
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> Self {
        Self::new(code, message).with_details(json!({ "field": field }))
    }

    #[track_caller]
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// An unexpected failure: the cause goes to the log, the client sees nothing of it.
    /// A database that is busy or unreachable somewhere in the cause's chain is not
    /// unexpected: it answers 503 as [`From<DbErr>`](#impl-From<DbErr>-for-ApiError) does.
    #[track_caller]
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        let transient = cause.chain().find_map(|e| e.downcast_ref::<sea_orm::DbErr>()).and_then(db::transient);
        let mut e = match transient {
            Some(t) => Self::database(t),
            None => Self::new(ErrorCode::Internal, "internal error"),
        };
        e.source = Some(cause);
        e
    }

    /// The answer to a transient database failure: 503 with a wait.
    #[track_caller]
    fn database(t: db::Transient) -> Self {
        match t {
            db::Transient::Busy => Self::new(
                ErrorCode::Busy,
                "the database is busy with other writes; nothing was recorded, retry shortly",
            )
            .with_details(json!({ "retry_after_seconds": BUSY_RETRY_SECONDS })),
            db::Transient::Unavailable => {
                Self::new(ErrorCode::DatabaseUnavailable, "the database is unavailable; retry later")
                    .with_details(json!({ "retry_after_seconds": UNAVAILABLE_RETRY_SECONDS }))
            }
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Deserialises `bytes`, naming the field at fault on failure.
///
/// A number with a zero fraction (`2.0`, `1e3`) is read as the integer it is: JSON
/// Schema (and so the OpenAPI 3.1 document) counts it as an `integer`, and serde would
/// refuse it for an integer field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        ApiError::new(ErrorCode::MalformedJson, format!("malformed JSON at line {line}, column {column}"))
            .with_details(json!({ "line": line, "column": column }))
    })?;
    if let Some(field) = crate::domain::input::control_in(&value) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            &field,
            format!(
                "{field}: control characters (U+0000-U+001F other than tab and line breaks, U+007F) are not accepted"
            ),
        ));
    }
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        // The path ends at the field at fault, an unknown one included.
        let field = e.path().to_string();
        let message = e.inner().to_string();
        ApiError::field(ErrorCode::InvalidBody, &field, format!("{field}: {message}"))
    })
}

/// Rewrites every float with a zero fraction, within the range a double holds exactly,
/// as an integer.
fn whole_numbers_as_integers(value: &mut Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT) {
                // In range by the check above, so the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *n = i.into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

impl From<validator::ValidationErrors> for ApiError {
    /// The first violation, by path, as `invalid_field` with `details.field` the exact
    /// path (`answers[3].reason`) and every violation listed in `details.violations`.
    #[track_caller]
    fn from(e: validator::ValidationErrors) -> Self {
        let mut found = Vec::new();
        violations("", &e, &mut found);
        found.sort();
        let (field, message) = found.first().cloned().unwrap_or_else(|| (String::new(), "invalid".into()));
        let listed: Vec<Value> = found.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect();
        ApiError::new(ErrorCode::InvalidField, format!("{field}: {message}"))
            .with_details(json!({ "field": field, "violations": listed }))
    }
}

/// Every violation under `prefix`, as (path, message).
fn violations(prefix: &str, e: &validator::ValidationErrors, out: &mut Vec<(String, String)>) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in e.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            Kind::Field(errs) => {
                for err in errs {
                    let message = err.message.as_ref().map_or_else(|| describe(err), |m| m.to_string());
                    out.push((path.clone(), message));
                }
            }
            Kind::Struct(inner) => violations(&path, inner, out),
            Kind::List(items) => {
                for (i, inner) in items {
                    violations(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// A rule's words when it carries no message of its own: `length` with its bounds.
fn describe(err: &validator::ValidationError) -> String {
    let bound = |k: &str| err.params.get(k).map(|v| v.to_string());
    match (err.code.as_ref(), bound("min"), bound("max")) {
        ("length", Some(min), Some(max)) => format!("{min}-{max} characters"),
        ("length", None, Some(max)) => format!("at most {max} characters"),
        ("length", Some(min), None) => format!("at least {min} characters"),
        ("range", Some(min), Some(max)) => format!("{min} to {max}"),
        (code, _, _) => code.to_string(),
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// Lock contention is 503 `busy`, a database out of reach 503
    /// `database_unavailable` (both with Retry-After: the client retries the same
    /// request, with the same Idempotency-Key); anything else is a fault, 500.
    #[track_caller]
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use validator::Validate;

    #[derive(Validate)]
    struct Answer {
        #[validate(length(min = 1, max = 5))]
        reason: String,
    }

    #[derive(Validate)]
    struct Marks {
        #[validate(nested)]
        answers: Vec<Answer>,
    }

    #[test]
    fn a_violation_names_its_exact_path() {
        let marks = Marks {
            answers: vec![
                Answer { reason: "ok".into() },
                Answer { reason: "ok".into() },
                Answer { reason: "ok".into() },
                Answer { reason: "far too long".into() },
            ],
        };
        let e = ApiError::from(marks.validate().map(|_| ()).err().unwrap_or_default());
        assert_eq!(e.code, ErrorCode::InvalidField);
        assert_eq!(e.details["field"], "answers[3].reason", "{}", e.details);
        assert_eq!(e.message, "answers[3].reason: 1-5 characters");
    }

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert!(ErrorCode::ALL.iter().all(|c| c.status().is_client_error() || c.status().is_server_error()));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Counts {
        version: i32,
        ids: Vec<u64>,
        share: f64,
    }

    #[test]
    fn a_whole_float_is_an_integer_and_a_fraction_is_not() {
        let c: Counts = parse(br#"{"version": 3.0, "ids": [1e3, 2], "share": 1.0}"#).unwrap();
        assert_eq!(c, Counts { version: 3, ids: vec![1000, 2], share: 1.0 });
        let e = parse::<Counts>(br#"{"version": 3.5, "ids": [], "share": 0.5}"#).unwrap_err();
        assert_eq!((e.code, e.details["field"].as_str()), (ErrorCode::InvalidBody, Some("version")), "{e:?}");
        let e = parse::<Counts>(br#"{"version": 1, "ids": [-1.0], "share": 0}"#).unwrap_err();
        assert_eq!(e.details["field"], "ids[0]", "{e:?}");
        let e = parse::<Counts>(br#"{"version": 1,"#).unwrap_err();
        assert_eq!((e.code, e.details["line"].as_u64()), (ErrorCode::MalformedJson, Some(1)), "{e:?}");
    }
}
