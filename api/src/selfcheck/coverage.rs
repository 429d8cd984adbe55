//! New units covered on day one, the self-inspection half: once the new units of the
//! register are scored (`UnitsScored`, published by `reference::coverage`), each one
//! without a recommended checklist gets its first round, ranked by its industry and the
//! exposure mix of its fresh score.

use chrono::Utc;

use crate::platform::events::{Event, Events};
use crate::state::AppState;
use crate::store::register;

pub fn subscribe(events: &mut Events<AppState>) {
    events.subscribe(|state, event| {
        if event == Event::UnitsScored {
            let jobs = state.jobs.clone();
            let state = state.clone();
            jobs.spawn(move |_| async move {
                if let Err(e) = pass(&state).await {
                    tracing::error!("new units: checklists failed: {e:#}");
                }
            });
        }
        Box::pin(async {})
    });
}

/// One pass at a time in this process: two passes reading the same uncovered unit
/// would each give it a first round.
static PASS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn pass(state: &AppState) -> anyhow::Result<()> {
    let _one = PASS.lock().await;
    let since = (Utc::now() - chrono::Duration::days(i64::from(state.settings.imports.new_unit_days))).fixed_offset();
    let units = register::new_units(&state.db, since).await?;
    // A unit without an industry cannot be ranked; the register requires one, an
    // accident file may not give it.
    for u in units.iter().filter(|u| !u.has_checklist && u.industry_code.is_some()) {
        match super::recommendations::generate_for_new_unit(state, u.enterprise_id).await {
            Ok(g) => tracing::info!(enterprise_id = u.enterprise_id, items = g.round.item_count, "new unit covered"),
            Err(e) => tracing::warn!(enterprise_id = u.enterprise_id, "new unit: no checklist: {}", e.message),
        }
    }
    Ok(())
}
