//! The audit trail: append-only (triggers refuse UPDATE and DELETE) and hash-chained.
//! Each record's hash covers its fields and the previous record's hash, so altering,
//! removing or inserting a record breaks the chain from that record on;
//! `zhicha audit verify` names the first broken one.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionSession, TransactionTrait};
use sha2::{Digest, Sha256};
use zhicha_migrations::AUDIT_GENESIS;

use crate::domain::Origin;
use crate::domain::{Caller, Scope};
use crate::store::audit::{self as trail, AuditRecord};

/// Outcome of the audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// What happened, by whom, to what.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor_id: Option<i64>,
    pub actor_role: String,
    pub organisation_id: Option<i64>,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub enterprise_id: Option<i64>,
    pub region_code: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    /// Free-form specifics, stored and hashed as this exact text.
    pub detail: Option<String>,
}

impl Entry {
    /// `caller` did `action` to an object of `object_kind`, successfully unless told.
    pub fn by(caller: &Caller, origin: &Origin, action: &str, object_kind: &str) -> Self {
        let (enterprise_id, region_code) = match caller.scope {
            Scope::Enterprise(id) => (Some(id), None),
            Scope::Region(r) => (None, Some(r.to_string())),
            _ => (None, None),
        };
        Entry {
            actor_id: Some(caller.user_id),
            actor_role: caller.role.as_str().to_string(),
            organisation_id: caller.organisation_id,
            action: action.to_string(),
            object_kind: object_kind.to_string(),
            object_id: None,
            enterprise_id,
            region_code,
            outcome: Outcome::Ok,
            request_id: origin.request_id.clone(),
            ip: origin.ip.clone(),
            detail: None,
        }
    }

    pub fn object(mut self, id: impl ToString) -> Self {
        self.object_id = Some(id.to_string());
        self
    }

    /// The enterprise whose data the action touched.
    pub fn enterprise(mut self, id: i64) -> Self {
        self.enterprise_id = Some(id);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The bytes a record's hash covers, in a fixed order; absent values and field
/// boundaries are marked so no two records can serialise alike.
fn preimage(prev_hash: &str, r: &AuditRecord) -> Vec<u8> {
    let at = r.created_at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true);
    let opt_i = |v: Option<i64>| v.map(|v| v.to_string());
    let fields: [Option<String>; 15] = [
        Some(r.seq.to_string()),
        Some(at),
        opt_i(r.actor_id),
        Some(r.actor_role.clone()),
        opt_i(r.organisation_id),
        Some(r.action.clone()),
        Some(r.object_kind.clone()),
        r.object_id.clone(),
        opt_i(r.enterprise_id),
        r.region_code.clone(),
        Some(r.result.clone()),
        r.request_id.clone(),
        r.ip.clone(),
        r.detail.clone(),
        Some(prev_hash.to_string()),
    ];
    let mut out = Vec::new();
    for f in fields {
        match f {
            Some(s) => {
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.extend_from_slice(&u64::MAX.to_be_bytes()),
        }
    }
    out
}

fn hash_of(prev_hash: &str, r: &AuditRecord) -> String {
    Sha256::digest(preimage(prev_hash, r)).iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends `entry`. Given the transaction of the action it records, it becomes part of
/// it (a savepoint); given a connection, it runs in a transaction of its own. The
/// head row is written first, so concurrent appends wait for each other instead of
/// forking the chain (row lock on PostgreSQL, the write lock on SQLite); `seq` is
/// unique besides.
pub async fn append<C: ConnectionTrait + TransactionTrait>(db: &C, entry: Entry) -> Result<AuditRecord, DbErr> {
    let txn = db.begin().await?;
    let stored = append_in(&txn, entry).await?;
    txn.commit().await?;
    Ok(stored)
}

async fn append_in(db: &impl ConnectionTrait, entry: Entry) -> Result<AuditRecord, DbErr> {
    let head = trail::advance_head(db).await?;
    // Microseconds: what both databases store, so the hash survives the round trip.
    let now = Utc::now();
    let at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let mut row = AuditRecord {
        id: 0,
        created_at: at.fixed_offset(),
        seq: head.seq,
        actor_id: entry.actor_id,
        actor_role: entry.actor_role,
        organisation_id: entry.organisation_id,
        action: entry.action,
        object_kind: entry.object_kind,
        object_id: entry.object_id,
        enterprise_id: entry.enterprise_id,
        region_code: entry.region_code,
        result: entry.outcome.as_str().to_string(),
        request_id: entry.request_id,
        ip: entry.ip,
        detail: entry.detail,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.hash = hash_of(&head.hash, &row);
    trail::insert(db, row).await
}

/// The result of checking the chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact { records: u64 },
    Broken { id: Option<i64>, seq: i64, reason: String },
}

/// Walks the chain in order, page by page, and stops at the first broken record.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verdict, DbErr> {
    let mut prev = AUDIT_GENESIS.to_string();
    let mut expected_seq = 1;
    let mut records = 0;
    let mut page_no = 0;
    loop {
        let page = trail::page_by_seq(db, page_no, 1000).await?;
        if page.is_empty() {
            break;
        }
        page_no += 1;
        for r in page {
            let broken = |reason: String| Verdict::Broken { id: Some(r.id), seq: r.seq, reason };
            if r.seq != expected_seq {
                return Ok(broken(format!("expected sequence {expected_seq}: a record before it was removed")));
            }
            if r.prev_hash != prev {
                return Ok(broken(
                    "its link to the previous record does not match: a record before it was altered or removed".into(),
                ));
            }
            if hash_of(&prev, &r) != r.hash {
                return Ok(broken("its contents do not match its hash: the record was altered".into()));
            }
            prev = r.hash;
            expected_seq += 1;
            records += 1;
        }
    }
    let head = trail::head(db).await?;
    match head {
        Some(h) if h.seq == expected_seq - 1 && h.hash == prev => Ok(Verdict::Intact { records }),
        Some(h) => Ok(Verdict::Broken {
            id: None,
            seq: h.seq,
            reason: format!(
                "the chain ends at sequence {} but the head records {}: the last records were removed",
                expected_seq - 1,
                h.seq
            ),
        }),
        None => Ok(Verdict::Broken { id: None, seq: 0, reason: "audit_head row is missing".into() }),
    }
}
