//! Page and page size from a query string, checked the same way on every list.

use crate::error::{ApiError, ErrorCode};

/// (1-based page, page size); the size is 1-200, 50 unless given.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64), ApiError> {
    let per_page = per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "per_page", "per_page: 1-200"));
    }
    Ok((page.unwrap_or(1).max(1), per_page))
}
