//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use zhicha_engine::Catalog;
use zhicha_engine::hazards::HazardLibrary;
use zhicha_engine::recommend::IndustryProfiles;
use zhicha_engine::triggers::TriggerRules;

use crate::config::Settings;
use crate::platform::events::{Event, Events};
use crate::platform::jobs::Jobs;
use crate::platform::pii::Vault;
use crate::platform::storage::ObjectStore;
use crate::platform::wechat::Wechat;

#[derive(Clone)]
pub struct AppState {
    /// The primary: every write, and every read that must see one.
    pub db: DatabaseConnection,
    /// The dashboard's and analysis' read-only queries: a replica within its lag bound,
    /// else the primary.
    pub read: crate::platform::replica::ReadDb,
    pub catalog: Arc<Catalog>,
    pub hazards: Arc<HazardLibrary>,
    pub profiles: Arc<IndustryProfiles>,
    /// The escalation ladder and its rules (`rules/triggers/`).
    pub triggers: Arc<TriggerRules>,
    /// Key industries and keywords for the analysis (`rules/analysis/`).
    pub analysis: Arc<zhicha_engine::analysis::AnalysisRules>,
    pub settings: Arc<Settings>,
    pub vault: Arc<Vault>,
    pub wechat: Arc<Wechat>,
    /// Photo evidence and rendered reports.
    pub store: Arc<dyn ObjectStore>,
    /// Dashboard answers per region, invalidated by writes.
    pub dashboard: Arc<crate::platform::cache::DashboardCache>,
    /// Who hears what a use case committed (the dashboard cache, the trigger engine).
    pub events: Arc<Events<AppState>>,
    /// Background jobs, drained on shutdown.
    pub jobs: Jobs,
    /// Trigger evaluations queued or running, by enterprise: at most one waits
    /// (`governance::evaluate_soon`).
    pub evaluations: crate::platform::coalesce::Coalescer<i64>,
    /// How many trigger evaluations may run at once (`governance.max_concurrent`), so
    /// that evaluations of many enterprises never take the pool from the requests.
    pub evaluation_slots: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Tells the subscribers what a committed write changed.
    pub async fn publish(&self, event: Event) {
        self.events.publish(self, event).await;
    }
}
