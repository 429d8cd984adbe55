//! The resolved caller as a handler argument.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::error::{ApiError, ErrorCode};
use crate::identity::Caller;
use crate::identity::caller::{bearer, resolve};
use crate::state::AppState;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        // Resolved already by a middleware (idempotency) for this request.
        if let Some(c) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(c) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req.headers());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            let token = token.ok_or_else(|| {
                ApiError::new(ErrorCode::Unauthenticated, "send Authorization: Bearer <access token>")
            })?;
            resolve(&state, &token).await
        })
    }
}
