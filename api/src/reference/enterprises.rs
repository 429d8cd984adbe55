//! The enterprise register as a caller sees it: one enterprise or a page of them,
//! always within the caller's scope (anything else reads as not found).

use crate::error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::enterprises::{self, Enterprise, ListFilter};
use crate::store::scope;

/// Enterprise `id` in the caller's scope, or without one the caller's own.
pub async fn one(state: &AppState, caller: &Caller, id: Option<i64>) -> Result<Enterprise, ApiError> {
    scope::enterprise(&state.db, caller, id).await
}

/// Page `page` (1-based) of the enterprises in the caller's scope, by id, and how many
/// there are in all.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<Enterprise>), ApiError> {
    enterprises::page_in_scope(&state.db, caller, filter, page, per_page).await
}
