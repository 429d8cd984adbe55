//! Page and page size from a query string, checked the same way on every list.

use crate::error::{ApiError, ErrorCode};

/// The largest page size; the OpenAPI document gives every `per_page` these bounds.
pub const MAX_PER_PAGE: u64 = 200;

/// The last page anyone may ask for: its offset (at most 200 million rows) stays far
/// inside what SQL's `OFFSET` and the arithmetic before it hold, so no page number can
/// overflow into a panic.
pub const MAX_PAGE: u64 = 1_000_000;

/// (1-based page, page size); the size is 1-200, 50 unless given; the page 1-1,000,000.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64), ApiError> {
    let per_page = per_page.unwrap_or(50);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "per_page", "per_page: 1-200"));
    }
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::field(ErrorCode::InvalidQuery, "page", "page: 1-1000000"));
    }
    Ok((page, per_page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_page_and_size_are_accepted_and_one_more_is_not() {
        assert_eq!(paging(None, None).unwrap(), (1, 50));
        assert_eq!(paging(Some(MAX_PAGE), Some(MAX_PER_PAGE)).unwrap(), (MAX_PAGE, MAX_PER_PAGE));
        for (page, per_page, field) in [
            (Some(0), None, "page"),
            (Some(MAX_PAGE + 1), None, "page"),
            (Some(u64::MAX), None, "page"),
            (None, Some(0), "per_page"),
            (None, Some(MAX_PER_PAGE + 1), "per_page"),
        ] {
            assert_eq!(paging(page, per_page).unwrap_err().details["field"], field, "{page:?} {per_page:?}");
        }
    }
}
