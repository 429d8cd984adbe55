//! The phone's change feed as its caller reads it: the changes of the caller's own
//! enterprise after a cursor (the feed itself is `platform::sync`).

use crate::domain::Caller;
use crate::error::ApiError;
use crate::platform::sync::{self, Page};
use crate::state::AppState;
use crate::store::scope;

/// What changed in the caller's enterprise after `cursor`, at most `limit` changes; a
/// responsible person's feed names only their findings and those findings' photos.
pub async fn changes(state: &AppState, caller: &Caller, cursor: i64, limit: u64) -> Result<Page, ApiError> {
    let e = scope::enterprise(&state.db, caller, None).await?;
    Ok(sync::since(&state.db, e.id, scope::feed(caller), cursor, limit).await?)
}
