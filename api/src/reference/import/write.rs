//! Writing parsed records: enterprises found or created, accidents inserted once per
//! (source, source key), and the job of records already stored brought in line with the
//! file and the rules. Runs inside the caller's transaction.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DbErr};

use super::record::{EnterpriseRef, Record};
use crate::store::accidents::{self, NewAccident};
use crate::store::enterprises::{self, Enterprise, ImportKey, NewEnterprise};

/// Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 500;

pub struct Stored {
    pub enterprises_created: usize,
    pub inserted: usize,
    /// Records already stored whose job is now read differently.
    pub jobs_updated: usize,
}

/// Ids of the enterprises `refs` name, creating the missing ones.
async fn enterprise_ids(
    db: &impl ConnectionTrait,
    refs: &[&EnterpriseRef],
) -> Result<(HashMap<String, i64>, usize), DbErr> {
    let mut ids = find(db, refs).await?;
    let missing: Vec<&&EnterpriseRef> = refs.iter().filter(|r| !ids.contains_key(&r.key)).collect();
    let created = missing.len();
    for chunk in missing.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .map(|r| NewEnterprise {
                credit_code: r.credit_code.clone(),
                source_key: if r.credit_code.is_some() { None } else { Some(r.key.clone()) },
                name: r.name.clone(),
                industry_division: r.industry_code.as_ref().and_then(|c| c.get(1..3)).map(str::to_string),
                industry_code: r.industry_code.clone(),
                region_code: r.region_code.clone(),
                address: r.address.clone(),
                latitude: r.latitude,
                longitude: r.longitude,
                origin: Some("accidents"),
                ..NewEnterprise::default()
            })
            .collect();
        // RETURNING gives the new ids at once: a second lookup would scan a table whose
        // planner statistics predate this transaction.
        for m in enterprises::insert_many(db, rows).await? {
            if let Some(key) = key_of(&m) {
                ids.insert(key, m.id);
            }
        }
    }
    Ok((ids, created))
}

/// The import key of a stored enterprise (see `EnterpriseRef::key`).
fn key_of(m: &Enterprise) -> Option<String> {
    match (&m.credit_code, &m.source_key) {
        (Some(code), _) => Some(EnterpriseRef::credit_key(code)),
        (None, key) => key.clone(),
    }
}

/// Ids of enterprises whose `by` is one of `values`, keyed as `key` makes them.
async fn lookup(
    db: &impl ConnectionTrait,
    by: ImportKey,
    values: &[&str],
    key: fn(&str) -> String,
) -> Result<HashMap<String, i64>, DbErr> {
    let mut ids = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let rows = enterprises::ids_by(db, by, chunk).await?;
        ids.extend(rows.into_iter().filter_map(|(id, v)| Some((key(&v?), id))));
    }
    Ok(ids)
}

async fn find(db: &impl ConnectionTrait, refs: &[&EnterpriseRef]) -> Result<HashMap<String, i64>, DbErr> {
    let by_code: Vec<&str> = refs.iter().filter_map(|r| r.credit_code.as_deref()).collect();
    let by_key: Vec<&str> = refs.iter().filter(|r| r.credit_code.is_none()).map(|r| r.key.as_str()).collect();
    let mut ids = lookup(db, ImportKey::CreditCode, &by_code, EnterpriseRef::credit_key).await?;
    ids.extend(lookup(db, ImportKey::SourceKey, &by_key, str::to_string).await?);
    Ok(ids)
}

pub async fn store(
    db: &impl ConnectionTrait,
    source: &str,
    run_id: i64,
    records: &[Record],
    mut tick: impl FnMut(usize),
) -> Result<Stored, DbErr> {
    let mut seen = HashMap::new();
    let refs: Vec<&EnterpriseRef> =
        records.iter().filter(|r| seen.insert(r.enterprise.key.clone(), ()).is_none()).map(|r| &r.enterprise).collect();
    let (ids, enterprises_created) = enterprise_ids(db, &refs).await?;
    let mut inserted = 0;
    for (n, chunk) in records.chunks(CHUNK).enumerate() {
        let mut models = Vec::with_capacity(chunk.len());
        for r in chunk {
            let Some(&enterprise_id) = ids.get(&r.enterprise.key) else {
                return Err(DbErr::Custom(format!("enterprise {} was not stored", r.enterprise.key)));
            };
            models.push(NewAccident {
                enterprise_id,
                occurred_on: r.occurred_on,
                accident_type_system: r.accident_type.system.map(|s| s.as_str().to_string()),
                accident_type_code: r.accident_type.code.clone(),
                accident_type_gb86: r.accident_type.gb86.clone(),
                accident_type_gb2025: r.accident_type.gb2025.clone(),
                body_part_system: r.body_part.system.map(|s| s.as_str().to_string()),
                body_part_code: r.body_part.code.clone(),
                body_part_gb86: r.body_part.gb86.clone(),
                injury_nature_system: r.injury_nature.system.map(|s| s.as_str().to_string()),
                injury_nature_code: r.injury_nature.code.clone(),
                injury_nature_gb86: r.injury_nature.gb86.clone(),
                job: r.job.clone(),
                severity: r.severity.as_str().to_string(),
                disability_grade: r.disability_grade,
                lost_days: r.lost_days,
                fund_payout_fen: r.fund_payout_fen,
                injured_count: r.injured_count,
                hospitalized: r.hospitalized,
                amputation: r.amputation,
                narrative: r.narrative.clone(),
                source_key: r.source_key.clone(),
            });
        }
        inserted += accidents::insert_new(db, source, run_id, models).await?;
        tick((n + 1) * CHUNK);
    }
    // Every record new: none was stored before, so there is no job to bring in line (and
    // no reason to read back what was just written).
    let jobs_updated = if inserted == records.len() { 0 } else { refresh_jobs(db, source, records).await? };
    Ok(Stored { enterprises_created, inserted, jobs_updated })
}

/// Sets the job of stored records that `records` give another job. The job of an OSHA
/// record is read from its narrative by versioned rules, so a re-import after the rules
/// change must reach records stored before; the rest of a stored record stays as it was
/// first imported.
async fn refresh_jobs(db: &impl ConnectionTrait, source: &str, records: &[Record]) -> Result<usize, DbErr> {
    let mut changed: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for chunk in records.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(|r| r.source_key.as_str()).collect();
        let stored = accidents::jobs_of(db, source, &keys).await?;
        for r in chunk {
            if stored.get(&r.source_key).is_some_and(|job| *job != r.job) {
                changed.entry(r.job.as_deref()).or_default().push(&r.source_key);
            }
        }
    }
    let mut updated = 0;
    // One UPDATE per new job (and chunk of keys), not one per record.
    for (job, keys) in changed {
        for chunk in keys.chunks(CHUNK) {
            updated += accidents::set_job(db, source, chunk, job).await? as usize;
        }
    }
    Ok(updated)
}
