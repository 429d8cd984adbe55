//! Rendering the API's error as an HTTP answer: the JSON body with the request id, the
//! log line for server errors, and `Retry-After` where the client should wait.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::Value;

use super::request_id;
use crate::error::{ApiError, ErrorBody, ErrorDetail};

/// The body a client sees: a server error's message and cause stay in the log.
pub fn body(e: &ApiError) -> ErrorBody {
    let message = if e.code.status().is_server_error() && e.code.status() != StatusCode::SERVICE_UNAVAILABLE {
        "internal error; quote the request id to the operator".to_string()
    } else {
        e.message.clone()
    };
    ErrorBody {
        error: ErrorDetail {
            code: e.code.name().to_string(),
            message,
            details: e.details.clone(),
            request_id: request_id::current(),
        },
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        if status.is_server_error() {
            let chain = self.source.as_ref().map(|s| format!("{s:#}")).unwrap_or_default();
            tracing::error!(
                code = self.code.name(),
                at = %self.location,
                request_id = request_id::current().unwrap_or_default(),
                "{}: {chain}",
                self.message
            );
        }
        let mut resp = HttpResponse::build(status);
        if self.code == crate::error::ErrorCode::BodyTimeout {
            // The rest of the body may still come; nothing on this connection can be
            // read as the next request.
            resp.force_close();
        }
        // Clients back off as told: the details name the wait where the cause knows it.
        let retry_after = self.details.get("retry_after_seconds").and_then(Value::as_u64);
        match retry_after {
            Some(secs) => {
                resp.insert_header(("Retry-After", secs.to_string()));
            }
            None if status == StatusCode::SERVICE_UNAVAILABLE => {
                resp.insert_header(("Retry-After", "5"));
            }
            None => {}
        }
        resp.json(body(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_reveal_nothing() {
        let e = ApiError::internal(anyhow::anyhow!("password authentication failed for user zhicha"));
        let body = serde_json::to_string(&body(&e)).unwrap_or_default();
        assert!(!body.contains("password"), "{body}");
        assert!(body.contains("\"code\":\"internal\""));
    }
}
