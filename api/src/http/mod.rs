//! Everything actix: the route table, the handlers, extractors, middleware (request id,
//! rate limit, policy guard, idempotency), error rendering, conditional reads (`ETag`),
//! the API docs and the page.

pub mod caller;
pub mod docs;
pub mod error;
pub mod etag;
pub mod extract;
pub mod guard;
pub mod handlers;
pub mod hygiene;
pub mod idempotency;
pub mod page;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod spec_text;
