//! Roster import (参保单位名单): the insured employers of a region as the
//! social-insurance system exports them, read through a column mapping and upserted
//! into the register by credit code.
//!
//! All or nothing: the whole file is read and every row checked first; if any row is
//! refused, nothing of the file is written and the run is recorded as `failed` with
//! each refused row's line, field and reason. Otherwise new enterprises are inserted and
//! changed ones updated in one transaction, recorded as a `succeeded` run. Importing the
//! same file again changes nothing (its rows are `unchanged`) and, as an accident import
//! that adds nothing, leaves no run.

pub mod check;
pub mod mapping;
pub mod read;

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use zhicha_engine::Catalog;

pub use check::{Reach, RowError};
pub use mapping::Mapping;
use read::Refusal;

use crate::domain::{Caller, Origin};
use crate::platform::audit;
use crate::reference::register::audit_entry;
use crate::store::enterprises::Enterprise;
use crate::store::imports::{self, Finished, NewRun};
use crate::store::register::{self, Fields};

/// The profile name runs of roster imports carry.
pub const PROFILE: &str = "roster";

/// What an import did (or, with `errors`, refused to do).
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub run_id: Option<i64>,
    pub rows_read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Non-empty: nothing was written.
    pub errors: Vec<RowError>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.errors.is_empty() {
            writeln!(f, "roster: {} rows read, {} refused; nothing was imported", self.rows_read, self.errors.len())?;
            for e in self.errors.iter().take(20) {
                writeln!(f, "  line {}: {}", e.line, e.reason)?;
            }
            if self.errors.len() > 20 {
                writeln!(f, "  … {} more (all are stored with the import run)", self.errors.len() - 20)?;
            }
        } else {
            writeln!(
                f,
                "roster: {} rows read: {} enterprises created, {} updated, {} unchanged",
                self.rows_read, self.created, self.updated, self.unchanged
            )?;
        }
        match self.run_id {
            Some(id) => write!(f, "  recorded as import run #{id}"),
            None => write!(f, "  not recorded"),
        }
    }
}

/// Why a file was refused as a whole (nothing recorded).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for RosterError {
    fn from(e: sea_orm::DbErr) -> Self {
        RosterError::Failed(e.into())
    }
}

/// Reads and checks `bytes` without writing: the rows that pass and the refused ones.
pub fn parse(
    bytes: &[u8],
    m: &Mapping,
    catalog: &Catalog,
    reach: Reach,
    tick: impl FnMut(usize),
) -> Result<(usize, Vec<check::Row>, Vec<RowError>), Refusal> {
    let table = read::read(bytes)?;
    let (rows, errors) = check::rows(&table, m, catalog, reach, tick).map_err(Refusal::Malformed)?;
    Ok((table.rows.len(), rows, errors))
}

/// The fields of `row` that differ from `e` as stored.
fn changes(e: &Enterprise, row: &Fields) -> Fields {
    fn differs<T: PartialEq + Clone>(new: &Option<T>, old: &Option<T>) -> Option<T> {
        new.as_ref().filter(|n| old.as_ref() != Some(*n)).cloned()
    }
    Fields {
        name: row.name.as_ref().filter(|n| **n != e.name).cloned(),
        industry_code: differs(&row.industry_code, &e.industry_code),
        region_code: differs(&row.region_code, &e.region_code),
        address: differs(&row.address, &e.address),
        latitude: differs(&row.latitude, &e.latitude),
        longitude: differs(&row.longitude, &e.longitude),
        workforce: differs(&row.workforce, &e.workforce),
        insured_workers: differs(&row.insured_workers, &e.insured_workers),
        ..Fields::default()
    }
}

fn is_empty(f: &Fields) -> bool {
    f.name.is_none()
        && f.industry_code.is_none()
        && f.region_code.is_none()
        && f.address.is_none()
        && f.latitude.is_none()
        && f.longitude.is_none()
        && f.workforce.is_none()
        && f.insured_workers.is_none()
        && f.service_org_id.is_none()
}

/// Whether the importer may write stored enterprise `e`; why not, if not.
fn reachable(e: &Enterprise, reach: Reach) -> Result<(), String> {
    match reach {
        Reach::All => Ok(()),
        Reach::Region(_) => match &e.region_code {
            Some(r) if reach.holds_region(r) => Ok(()),
            _ => Err("this enterprise is registered outside your jurisdiction".to_string()),
        },
        Reach::Org(org) => match e.service_org_id {
            Some(o) if o != org => Err("this enterprise is served by another organisation".to_string()),
            _ => Ok(()),
        },
    }
}

/// Imports `bytes` (CSV or XLSX) named `file_name`; `tick` hears how many rows have
/// been written. Each enterprise created or changed is audited, before and after, as
/// done `by` the uploader (none: the operator's command line).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &DatabaseConnection,
    catalog: &Catalog,
    by: Option<(&Caller, &Origin)>,
    reach: Reach,
    m: &Mapping,
    file_name: &str,
    bytes: &[u8],
    tick: impl Fn(usize),
) -> Result<Outcome, RosterError> {
    let (rows_read, rows, mut errors) = parse(bytes, m, catalog, reach, |_| {}).map_err(RosterError::Refused)?;
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let stored: HashMap<String, Enterprise> = register::by_credit_codes(db, &codes)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.credit_code.clone()?, e)))
        .collect();
    for r in &rows {
        if let Some(e) = stored.get(&r.credit_code)
            && let Err(reason) = reachable(e, reach)
        {
            errors.push(RowError { line: r.line, field: Some("credit_code".into()), reason });
        }
    }
    errors.sort_by_key(|e| e.line);
    let run = NewRun {
        profile: PROFILE.to_string(),
        file_name: file_name.chars().take(255).collect(),
        file_sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        rule_versions: serde_json::json!({ "mapping": m.name }),
    };
    let mut out = Outcome { rows_read, ..Outcome::default() };
    if !errors.is_empty() {
        // The refusal is recorded on its own: none of the file's rows is.
        let txn = crate::platform::db::begin_write(db).await?;
        let started = imports::start(&txn, run).await?;
        let failed =
            imports::fail(&txn, started, rows_read as i32, serde_json::to_value(&errors).map_err(anyhow::Error::from)?)
                .await?;
        txn.commit().await?;
        out.run_id = Some(failed.id);
        out.errors = errors;
        return Ok(out);
    }
    let now = Utc::now().fixed_offset();
    let serving = match reach {
        Reach::Org(org) => Some(org),
        _ => None,
    };
    let mut new_rows = Vec::new();
    let txn = crate::platform::db::begin_write(db).await?;
    let started = imports::start(&txn, run).await?;
    for (n, r) in rows.iter().enumerate() {
        match stored.get(&r.credit_code) {
            None => new_rows.push(Fields { service_org_id: serving, ..r.fields.clone() }),
            Some(e) => {
                let mut change = changes(e, &r.fields);
                if e.service_org_id.is_none() {
                    change.service_org_id = serving;
                }
                if is_empty(&change) {
                    out.unchanged += 1;
                } else {
                    let after = register::update(&txn, e.clone(), &change, now).await?;
                    audit::append(&txn, audit_entry(by, "enterprise.roster_update", Some(e), &after)).await?;
                    out.updated += 1;
                }
            }
        }
        tick(n + 1);
    }
    let created = register::insert_many(&txn, &new_rows, PROFILE, now).await?;
    for e in &created {
        audit::append(&txn, audit_entry(by, "enterprise.roster_create", None, e)).await?;
    }
    out.created = created.len();
    let done = Finished {
        rows_read: rows_read as i32,
        imported: (out.created + out.updated) as i32,
        unchanged: out.unchanged as i32,
        skipped: 0,
        skipped_rows: serde_json::json!([]),
        at: now,
    };
    if out.created == 0 && out.updated == 0 {
        // As an accident import that changes nothing: no trace.
        txn.rollback().await?;
        return Ok(out);
    }
    let finished = imports::succeed(&txn, started, done).await?;
    txn.commit().await?;
    out.run_id = Some(finished.id);
    Ok(out)
}
