//! The application state for `zhicha seed demo`, which runs the activity without a
//! server: the same parts `startup::Application::build` puts together, without the
//! listener and without the background jobs (the activity runs their steps itself).

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use zhicha_engine::Catalog;

use crate::config::Settings;
use crate::platform::events::Events;
use crate::platform::jobs::Jobs;
use crate::platform::pii::Vault;
use crate::platform::wechat::Wechat;
use crate::reference::rules;
use crate::state::AppState;

pub async fn state(
    settings: &Settings,
    db: DatabaseConnection,
    catalog: Arc<Catalog>,
    vault: Arc<Vault>,
) -> anyhow::Result<AppState> {
    let loaded = rules::load_once(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let store = crate::platform::storage::open(&settings.storage)?;
    let dashboard = Arc::new(crate::platform::cache::DashboardCache::new(&settings.cache).await?);
    let read = crate::platform::replica::ReadDb::connect(settings, db.clone()).await;
    let mut events = Events::default();
    crate::oversight::dashboard::subscribe(&mut events);
    Ok(AppState {
        db,
        read,
        catalog,
        hazards: loaded.hazards,
        profiles: loaded.profiles,
        triggers: loaded.triggers,
        analysis: loaded.analysis,
        settings: Arc::new(settings.clone()),
        vault,
        // The activity never signs anyone in through WeChat (and a production database
        // refuses the demo's stand-in, which `seed demo` does not need).
        wechat: Arc::new(Wechat::Off),
        store,
        dashboard,
        events: Arc::new(events),
        jobs: Jobs::new(),
        evaluations: Default::default(),
        evaluation_slots: Arc::new(tokio::sync::Semaphore::new(1)),
    })
}
