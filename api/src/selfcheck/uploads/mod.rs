//! Photo evidence as a use case: the two upload paths, the record they end in, reads
//! for the API and for other services, and the sweep of abandoned uploads. The checks
//! on the bytes themselves are pure and live in `crate::selfcheck::evidence`.
//!
//! The rule every path keeps: an evidence row is written only after its objects are
//! stored, in one transaction with its change-feed entry and audit record. Before any
//! object is written an `upload_intents` row names its key, so objects left behind by a
//! failure or a crash are found and deleted by [`sweep`] once the intent expires.

mod claim;
pub mod multipart;
pub mod presigned;
mod record;
pub mod sweep;

pub use claim::{Claim, OwnerKind, Phase};
pub use record::{EvidenceView, display_bytes, display_in_scope, find_scoped, of_owners, original_in_scope};

use crate::error::{ApiError, ErrorCode};
use crate::platform::storage::StoreError;
use crate::selfcheck::evidence::EvidenceError;

/// The API error for a refused photo.
#[track_caller]
pub fn refused(e: EvidenceError) -> ApiError {
    let code = match e.http_status() {
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::NotAnImage,
        _ => ErrorCode::ImageRejected,
    };
    ApiError::field(code, "file", e.to_string())
}

/// Object storage failed: nothing was recorded, the client retries later.
#[track_caller]
pub fn unavailable(e: StoreError) -> ApiError {
    let mut err = ApiError::new(ErrorCode::StorageUnavailable, "object storage is unavailable; nothing was recorded");
    err.source = Some(e.into());
    err
}
