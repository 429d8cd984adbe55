//! What every request must be before a handler reads it: a query and path without
//! control characters, and a body that keeps arriving.
//!
//! Both are middleware rather than checks in each extractor, so no route can forget them.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::domain::input::{control_in_query, has_encoded_control};
use crate::error::{ApiError, ErrorCode};

/// How long a body may take: no byte for `idle`, or not all of it by `whole`.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    pub idle: Duration,
    pub whole: Duration,
}

/// A query value or path with a control character (`%00`) is refused before it can reach
/// a database, which refuses NUL in text (PostgreSQL answered 500) or stores it (SQLite).
pub async fn refuse_controls(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = if let Some(field) = control_in_query(req.query_string()) {
        Some(ApiError::field(
            ErrorCode::InvalidQuery,
            &field,
            format!("query: {field} holds a control character, which no parameter accepts"),
        ))
    } else if has_encoded_control(req.uri().path()) {
        // No resource is named with a control character.
        Some(ApiError::not_found("resource"))
    } else {
        None
    };
    if let Some(e) = refused {
        let resp: HttpResponse = e.error_response();
        return Ok(req.into_response(resp));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Puts the body behind [`BodyDeadline`]: a client whose headers promise a body that
/// never comes (or trickles in) no longer holds a worker's connection for ever. The
/// extractors answer the timeout with 408 `body_timeout` and close the connection.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Only a request that announces a body has one to wait for: the reads (most of the
    // traffic) pass without a wrapper or timers.
    let announced = req.headers().contains_key(TRANSFER_ENCODING)
        || req.headers().get(CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0");
    let deadline = req.app_data::<actix_web::web::Data<BodyDeadline>>().map(|d| *d.get_ref());
    if let Some(deadline) = deadline.filter(|_| announced) {
        let inner = req.take_payload();
        let timed = Timed::new(inner, deadline);
        req.set_payload(Payload::from(Box::pin(timed) as Pin<Box<dyn Stream<Item = _>>>));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether a payload error is the deadline's.
pub fn timed_out(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}

/// The answer to a body that did not arrive in time.
pub fn body_timeout() -> ApiError {
    ApiError::new(ErrorCode::BodyTimeout, "the request body did not arrive in time; send it again")
}

struct Timed {
    inner: Payload,
    idle: Duration,
    idle_timer: Pin<Box<Sleep>>,
    whole_timer: Pin<Box<Sleep>>,
    done: bool,
}

impl Timed {
    fn new(inner: Payload, d: BodyDeadline) -> Self {
        let now = Instant::now();
        Self {
            inner,
            idle: d.idle,
            idle_timer: Box::pin(tokio::time::sleep_until(now + d.idle)),
            whole_timer: Box::pin(tokio::time::sleep_until(now + d.whole)),
            done: false,
        }
    }
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = Instant::now() + self.idle;
                self.idle_timer.as_mut().reset(next);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => {
                self.done = other.is_none();
                return Poll::Ready(other);
            }
            Poll::Pending => {}
        }
        let expired = self.idle_timer.as_mut().poll(cx).is_ready() || self.whole_timer.as_mut().poll(cx).is_ready();
        if expired {
            self.done = true;
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}
