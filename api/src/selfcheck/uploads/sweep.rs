//! Abandoned uploads: intents past their expiry and never committed (a direct upload
//! the phone never committed, or a multipart upload whose server died between storing
//! and recording) have their objects deleted, then their rows. Committed intents are
//! kept a while for commit replays, then dropped.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use super::record;
use crate::platform::jobs::Jobs;
use crate::platform::storage::ObjectStore;
use crate::store::evidence as rows;

/// Past expiry, an intent is swept only after this: a commit that began just before
/// its expiry has long finished (or failed) by then.
pub const GRACE: Duration = Duration::minutes(10);
/// Intents handled per pass; the next pass takes the rest.
const BATCH: u64 = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Abandoned uploads whose objects and rows were removed.
    pub abandoned: u64,
    /// Committed intents dropped after `keep`.
    pub committed: u64,
    /// Abandoned uploads left for the next pass (the store refused a delete).
    pub failed: u64,
}

pub async fn sweep(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    now: DateTime<Utc>,
    keep: Duration,
) -> Result<Swept, DbErr> {
    let mut out = Swept::default();
    let dead = rows::abandoned_intents(db, (now - GRACE).fixed_offset(), BATCH).await?;
    for intent in dead {
        let Ok(keys) = record::keys_of_row(&intent.object_key) else {
            out.failed += 1;
            continue;
        };
        let mut deleted = true;
        for k in [&keys.original, &keys.display] {
            if let Err(e) = store.delete(k).await {
                tracing::warn!("sweep: cannot delete {k}: {e}");
                deleted = false;
            }
        }
        if !deleted {
            out.failed += 1;
            continue;
        }
        // Only if still uncommitted: a commit cannot win after expiry, but be sure.
        out.abandoned += rows::delete_uncommitted_intent(db, intent.id).await?;
    }
    out.committed = rows::delete_committed_intents(db, (now - keep).fixed_offset()).await?;
    Ok(out)
}

/// Sweeps every `every` on the current runtime; failures are logged and retried.
pub fn spawn(jobs: &Jobs, db: DatabaseConnection, store: Arc<dyn ObjectStore>, keep: Duration, every: StdDuration) {
    jobs.spawn(move |mut stop| async move {
        loop {
            if stop.sleep(every).await {
                break;
            }
            match sweep(&db, store.as_ref(), Utc::now(), keep).await {
                Ok(s) if s == Swept::default() => {}
                Ok(s) => tracing::info!(
                    abandoned = s.abandoned,
                    committed = s.committed,
                    failed = s.failed,
                    "swept upload intents"
                ),
                Err(e) => tracing::error!("sweeping upload intents failed: {e}"),
            }
        }
    });
}
