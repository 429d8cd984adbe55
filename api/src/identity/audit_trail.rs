//! The audit administrator's reading of the audit trail. Reading it is itself
//! recorded.

use crate::error::ApiError;
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::platform::audit::{self, Entry};
use crate::state::AppState;
use crate::store::audit::{self as trail, AuditRecord, Filter, Seal};

/// Page `page` (1-based) of the records `filter` keeps, newest first, and how many it
/// keeps in all.
pub async fn read(
    state: &AppState,
    caller: &Caller,
    filter: &Filter,
    page: u64,
    per_page: u64,
    origin: &Origin,
) -> Result<(u64, Vec<(AuditRecord, Option<Seal>)>), ApiError> {
    let (total, rows) = trail::page_newest_first(&state.db, filter, page, per_page).await?;
    audit::append(
        &state.db,
        Entry::by(caller, origin, "audit.read", "audit_log").detail(format!("page {page}, {} records", rows.len())),
    )
    .await?;
    Ok((total, rows))
}
