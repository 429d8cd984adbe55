//! Data feeds over HTTP: a bureau or the service organisation uploads a roster or an
//! accident file; it is checked as a whole at once (type, size, encoding, structure,
//! columns: a bad file is refused and nothing is recorded), recorded as a queued feed,
//! and imported in the background exactly as the CLI imports it (the same importers,
//! the same idempotency: accidents are unique per source and key, roster rows per credit
//! code). After an accident import the risk model is refitted and the touched
//! enterprises evaluated by the trigger rules, as `zhicha import accidents` does; new
//! enterprises are announced so that they are covered on their first day.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::import::{self, Profile, generic};
use super::roster::{self, Mapping, Reach};
use crate::domain::{Caller, Origin, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::platform::audit::{self, Entry};
use crate::platform::events::Event;
use crate::reference::roster::read::Refusal;
use crate::state::AppState;
use crate::store::feeds::{self, Feed, NewFeed, Step};

/// What a feed imports.
#[derive(Debug)]
pub enum Kind {
    Roster(Box<Mapping>),
    Accidents { profile: Profile, mapping: Option<Box<generic::Mapping>> },
}

/// An upload as the form gave it, before any check.
#[derive(Debug, Default)]
pub struct Upload {
    pub kind: Option<String>,
    pub profile: Option<String>,
    /// A mapping's name (`roster_social_insurance`), or a mapping file's text.
    pub mapping: Option<String>,
    pub file_name: Option<String>,
    pub file: Option<Vec<u8>>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, message)
}

fn reach_of(caller: &Caller) -> Result<Reach, ApiError> {
    match caller.scope {
        Scope::Region(r) => Ok(Reach::Region(r)),
        Scope::ServiceOrg(org) => Ok(Reach::Org(org)),
        _ => Err(ApiError::new(ErrorCode::Forbidden, "data feeds are for bureaus and the service organisation")),
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A refused file: 415 when it is no roster format, 422 with the line when broken.
fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::WrongType(why) => {
            ApiError::field(ErrorCode::UnsupportedMediaType, "file", format!("file: {why}; send CSV or XLSX"))
        }
        Refusal::Malformed(e) => {
            ApiError::field(ErrorCode::InvalidField, "file", format!("file: {e}; nothing was recorded"))
                .with_details(json!({ "field": "file", "line": e.line, "column": e.column }))
        }
    }
}

/// The kind, profile and mapping of an upload, checked.
fn kind_of(state: &AppState, u: &Upload) -> Result<Kind, ApiError> {
    let rules_dir = &state.settings.rules.dir;
    match u.kind.as_deref() {
        Some("roster") => {
            if u.profile.as_deref().is_some_and(|p| p != roster::PROFILE) {
                return Err(invalid("profile", "profile: a roster has no profile (leave it out)"));
            }
            let m = match u.mapping.as_deref() {
                None => roster::mapping::DEFAULT,
                Some(m) => m.trim(),
            };
            let mapping = if is_name(m) {
                Mapping::named(rules_dir, m).ok_or_else(|| {
                    invalid("mapping", format!("mapping: no roster mapping named {m:?} in rules/mappings"))
                })?
            } else {
                Mapping::parse("mapping", m)
            }
            .map_err(|e| invalid("mapping", format!("mapping: {e}")))?;
            Ok(Kind::Roster(Box::new(mapping)))
        }
        Some("accidents") => {
            let profile = match u.profile.as_deref() {
                Some("osha-sir") => Profile::OshaSir,
                Some("msha") => Profile::Msha,
                Some("generic") => Profile::Generic,
                Some(_) | None => return Err(invalid("profile", "profile: osha-sir, msha or generic")),
            };
            let mapping = match (profile, u.mapping.as_deref().map(str::trim)) {
                (Profile::Generic, Some(m)) if is_name(m) => {
                    let path = rules_dir.join("mappings").join(format!("{m}.toml"));
                    Some(generic::Mapping::load(&path).map_err(|_| {
                        invalid("mapping", format!("mapping: no accident mapping named {m:?} in rules/mappings"))
                    })?)
                }
                (Profile::Generic, Some(text)) => Some(
                    generic::Mapping::parse(std::path::Path::new("mapping"), text)
                        .map_err(|e| invalid("mapping", format!("mapping: {e}")))?,
                ),
                (Profile::Generic, None) => return Err(invalid("mapping", "mapping: profile generic needs a mapping")),
                (_, Some(_)) => return Err(invalid("mapping", "mapping: only profile generic takes a mapping")),
                (_, None) => None,
            };
            Ok(Kind::Accidents { profile, mapping: mapping.map(Box::new) })
        }
        Some(_) | None => Err(invalid("kind", "kind: roster or accidents")),
    }
}

/// Checks the whole file's structure (no row is written): the refusal, if any.
fn check_file(state: &AppState, kind: &Kind, bytes: &[u8], reach: Reach) -> Result<usize, ApiError> {
    match kind {
        Kind::Roster(m) => {
            let (rows, _, _) = roster::parse(bytes, m, &state.catalog, reach, |_| {}).map_err(refused)?;
            Ok(rows)
        }
        Kind::Accidents { profile, mapping } => {
            match roster::read::sniff(bytes).map_err(refused)? {
                roster::read::Format::Csv => {}
                roster::read::Format::Xlsx => {
                    return Err(ApiError::field(
                        ErrorCode::UnsupportedMediaType,
                        "file",
                        "file: accident files are CSV (save the sheet as UTF-8 CSV)",
                    ));
                }
            }
            let text = import::scan::check(bytes).map_err(|e| refused(Refusal::Malformed(e)))?;
            let parsed = import::parse(text, &state.catalog, *profile, mapping.as_deref(), |_| {})
                .map_err(|e| refused(Refusal::Malformed(e)))?;
            Ok(parsed.rows_read)
        }
    }
}

/// Checks an upload, records it as queued and starts it; the feed as recorded.
pub async fn upload(state: &AppState, caller: &Caller, origin: &Origin, u: Upload) -> Result<Feed, ApiError> {
    let reach = reach_of(caller)?;
    let kind = kind_of(state, &u)?;
    // A roster writes the register: only those who keep it may send one.
    if matches!(kind, Kind::Roster(_))
        && !crate::identity::policy::allows(crate::identity::Function::GovRegister, caller.role)
    {
        return Err(ApiError::field(
            ErrorCode::Forbidden,
            "kind",
            "kind: rosters are sent by the HRSS bureau or the service organisation",
        ));
    }
    let bytes = u.file.ok_or_else(|| invalid("file", "file: the form field file is required"))?;
    // Names are the client's: kept printable (a NUL would not even store on PostgreSQL).
    let printable = |t: &str| -> String { t.chars().filter(|c| !c.is_control()).take(200).collect() };
    let file_name = u.file_name.as_deref().map(printable).filter(|n| !n.is_empty()).unwrap_or_else(|| "upload".into());
    // Reading a whole file is CPU work: off the async workers.
    let (checked, kind, bytes) = {
        let state2 = state.clone();
        tokio::task::spawn_blocking(move || {
            let r = check_file(&state2, &kind, &bytes, reach);
            (r, kind, bytes)
        })
        .await
        .map_err(ApiError::internal)?
    };
    let rows = checked?;
    let (kind_name, profile, mapping) = match &kind {
        Kind::Roster(m) => ("roster", roster::PROFILE.to_string(), Some(m.name.clone())),
        Kind::Accidents { profile, mapping } => {
            ("accidents", profile.name().to_string(), mapping.as_ref().map(|m| m.source.clone()))
        }
    };
    let (owner_region, owner_org) = match caller.scope {
        Scope::Region(r) => (Some(r.to_string()), None),
        Scope::ServiceOrg(org) => (None, Some(org)),
        _ => (None, None),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let feed = feeds::insert(
        &txn,
        NewFeed {
            kind: kind_name,
            profile,
            mapping: mapping.map(|m| m.chars().filter(|c| !c.is_control()).take(64).collect()),
            file_name,
            file_sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            requested_by: caller.user_id,
            owner_region,
            owner_org,
        },
    )
    .await?;
    feeds::advance(
        &txn,
        feed.id,
        Step { rows_total: Some(i32::try_from(rows).unwrap_or(i32::MAX)), ..Step::default() },
    )
    .await?;
    audit::append(
        &txn,
        Entry::by(caller, origin, "import.upload", "import_feed")
            .object(feed.id)
            .detail(json!({ "kind": kind_name, "file_sha256": feed.file_sha256, "rows": rows }).to_string()),
    )
    .await?;
    txn.commit().await?;
    let id = feed.id;
    let jobs = state.jobs.clone();
    let job_state = state.clone();
    // The roster's changes are audited as the uploader's.
    let by = (caller.clone(), origin.clone());
    // A job: a shutdown waits for an import under way to commit or roll back.
    jobs.spawn(move |_| async move {
        let state = job_state;
        if let Err(e) = process(&state, id, kind, bytes, reach, (&by.0, &by.1)).await {
            tracing::error!(feed = id, "import feed failed: {e:#}");
            let step = Step {
                status: Some("failed"),
                message: Some("the import failed on the server; nothing of it was written".to_string()),
                finished_at: Some(Utc::now().fixed_offset()),
                ..Step::default()
            };
            if let Err(e) = feeds::advance(&state.db, id, step).await {
                tracing::error!(feed = id, "cannot record the failure: {e}");
            }
        }
    });
    feeds::by_id(&state.db, id).await?.ok_or_else(|| ApiError::not_found("import"))
}

/// Writes `rows_done` from `counter` every half second until `stop` is set.
fn progress_writer(state: &AppState, id: i64, counter: Arc<AtomicUsize>) -> tokio::sync::oneshot::Sender<()> {
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut last = 0;
        loop {
            tokio::select! {
                _ = &mut rx => break,
                () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
            let now = counter.load(Ordering::Relaxed);
            if now != last {
                last = now;
                let step = Step { rows_done: Some(i32::try_from(now).unwrap_or(i32::MAX)), ..Step::default() };
                if feeds::advance(&db, id, step).await.is_err() {
                    break;
                }
            }
        }
    });
    tx
}

async fn process(
    state: &AppState,
    id: i64,
    kind: Kind,
    bytes: Vec<u8>,
    reach: Reach,
    by: (&Caller, &Origin),
) -> anyhow::Result<()> {
    feeds::advance(&state.db, id, Step { status: Some("running"), ..Step::default() }).await?;
    let counter = Arc::new(AtomicUsize::new(0));
    let stop = progress_writer(state, id, counter.clone());
    let feed = feeds::by_id(&state.db, id).await?.ok_or_else(|| anyhow::anyhow!("feed {id} is gone"))?;
    let result = match kind {
        Kind::Roster(m) => roster_feed(state, &feed, &m, &bytes, reach, by, &counter).await,
        Kind::Accidents { profile, mapping } => accident_feed(state, &feed, profile, mapping.as_deref(), &bytes).await,
    };
    let _ = stop.send(());
    let step = result?;
    feeds::advance(&state.db, id, step).await?;
    Ok(())
}

async fn roster_feed(
    state: &AppState,
    feed: &Feed,
    m: &Mapping,
    bytes: &[u8],
    reach: Reach,
    by: (&Caller, &Origin),
    counter: &Arc<AtomicUsize>,
) -> anyhow::Result<Step> {
    let tick = |n: usize| counter.store(n, Ordering::Relaxed);
    let out = match roster::run(&state.db, &state.catalog, Some(by), reach, m, &feed.file_name, bytes, tick).await {
        Ok(o) => o,
        Err(roster::RosterError::Refused(r)) => {
            return Ok(Step {
                status: Some("failed"),
                message: Some(format!("file: {r}; nothing was imported")),
                finished_at: Some(Utc::now().fixed_offset()),
                ..Step::default()
            });
        }
        Err(roster::RosterError::Failed(e)) => return Err(e),
    };
    let failed = !out.errors.is_empty();
    if out.created > 0 {
        state.publish(Event::UnitsAdded).await;
    }
    let rows = i32::try_from(out.rows_read).unwrap_or(i32::MAX);
    Ok(Step {
        status: Some(if failed { "failed" } else { "done" }),
        rows_total: Some(rows),
        rows_done: Some(if failed { 0 } else { rows }),
        counts: Some(json!({
            "rows_read": out.rows_read,
            "created": out.created,
            "updated": out.updated,
            "unchanged": out.unchanged,
            "refused": out.errors.len(),
        })),
        errors: Some(serde_json::to_value(&out.errors)?),
        message: Some(if failed {
            format!("{} of {} rows refused; nothing was imported", out.errors.len(), out.rows_read)
        } else {
            format!("{} created, {} updated, {} unchanged", out.created, out.updated, out.unchanged)
        }),
        run_id: out.run_id,
        finished_at: Some(Utc::now().fixed_offset()),
    })
}

async fn accident_feed(
    state: &AppState,
    feed: &Feed,
    profile: Profile,
    mapping: Option<&generic::Mapping>,
    bytes: &[u8],
) -> anyhow::Result<Step> {
    let summary = import::run_bytes(
        &state.db,
        &state.catalog,
        profile,
        mapping,
        &feed.file_name,
        bytes,
        import::Progress::Hidden,
    )
    .await;
    let summary = match summary {
        Ok(s) => s,
        // A file the upload's check passed but the import refused (it cannot differ,
        // short of a changed rules library): reported, nothing written.
        Err(e) => {
            return Ok(Step {
                status: Some("failed"),
                message: Some(format!("{e:#}")),
                finished_at: Some(Utc::now().fixed_offset()),
                ..Step::default()
            });
        }
    };
    // As `zhicha import accidents`: the risk model first, then the trigger rules for
    // every enterprise the import touched (which read the new scores).
    if summary.imported > 0 || summary.jobs_updated > 0 {
        let said = super::scoring::job::run(&state.db, super::scoring::Trigger::Import, &state.settings.risk).await;
        tracing::info!(feed = feed.id, "{said}");
    }
    if let Some(run_id) = summary.run_id {
        for id in crate::store::accidents::enterprises_of_run(&state.db, run_id).await? {
            state.publish(Event::TriggerInputsChanged { enterprise_id: id }).await;
        }
    }
    if summary.enterprises_created > 0 {
        // The service organisation's file brings in enterprises it serves.
        if let (Some(org), Some(run_id)) = (feed.owner_org, summary.run_id) {
            crate::store::register::claim_new_of_run(&state.db, run_id, org, feed.created_at).await?;
        }
        state.publish(Event::UnitsAdded).await;
    }
    let rows = i32::try_from(summary.rows_read).unwrap_or(i32::MAX);
    let errors: Vec<_> = summary.skipped.iter().map(|s| json!({ "line": s.line, "reason": s.reason })).collect();
    Ok(Step {
        status: Some("done"),
        rows_total: Some(rows),
        rows_done: Some(rows),
        counts: Some(json!({
            "rows_read": summary.rows_read,
            "imported": summary.imported,
            "unchanged": summary.unchanged,
            "jobs_updated": summary.jobs_updated,
            "skipped": summary.skipped.len(),
            "enterprises_created": summary.enterprises_created,
        })),
        errors: Some(serde_json::Value::Array(errors)),
        message: Some(format!(
            "{} imported, {} unchanged, {} skipped, {} enterprises created",
            summary.imported,
            summary.unchanged,
            summary.skipped.len(),
            summary.enterprises_created
        )),
        run_id: summary.run_id,
        finished_at: Some(Utc::now().fixed_offset()),
    })
}

/// Feed `id` if the caller sees it.
pub async fn one(state: &AppState, caller: &Caller, id: i64) -> Result<Feed, ApiError> {
    feeds::one(&state.db, caller, id).await
}

/// A page of the caller's feeds, newest first.
pub async fn page(state: &AppState, caller: &Caller, page: u64, per_page: u64) -> Result<(u64, Vec<Feed>), ApiError> {
    feeds::page(&state.db, caller, page, per_page).await
}

/// How long a feed may go without a step before a starting server takes it for one
/// whose server stopped mid-import (an import writes in one transaction, so nothing of
/// it stays).
const ABANDONED_AFTER_MINUTES: i64 = 60;

/// At start-up: feeds left queued or running by a server that stopped are failed.
pub fn sweep_abandoned(state: &AppState) {
    let db = state.db.clone();
    state.jobs.spawn(move |_| async move {
        let before = (Utc::now() - chrono::Duration::minutes(ABANDONED_AFTER_MINUTES)).fixed_offset();
        match feeds::fail_abandoned(&db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!("{n} import feeds left unfinished by a stopped server were marked failed"),
            Err(e) => tracing::error!("import feeds: cannot sweep abandoned ones: {e}"),
        }
    });
}
