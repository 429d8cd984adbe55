//! The audit trail: append-only (triggers refuse UPDATE and DELETE) and hash-chained.
//! A write appends its record in its own transaction, unchained, so writes of different
//! enterprises share no lock; the sealer ([`seal`], one at a time across instances)
//! chains waiting records within `audit.seal_every_ms`. Each seal's hash covers its
//! record's fields, its sequence number and the previous seal's hash, so altering,
//! removing or inserting a sealed record breaks the chain from that record on, and a
//! record neither sealed nor queued is found too; `zhicha audit verify` names the first
//! broken one and reports how far sealing is behind.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use sha2::{Digest, Sha256};
use zhicha_migrations::AUDIT_GENESIS;

use crate::domain::Origin;
use crate::domain::{Caller, Scope};
use crate::store::audit::{self as trail, AuditRecord, Seal};

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
/// boundaries are marked so no two records can serialise alike. The sequence number
/// and the previous hash are the seal's; the rest is the record as written.
fn preimage(seq: i64, prev_hash: &str, r: &AuditRecord) -> Vec<u8> {
    let at = r.created_at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true);
    let opt_i = |v: Option<i64>| v.map(|v| v.to_string());
    let fields: [Option<String>; 15] = [
        Some(seq.to_string()),
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

fn hash_of(seq: i64, prev_hash: &str, r: &AuditRecord) -> String {
    Sha256::digest(preimage(seq, prev_hash, r)).iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends `entry` as part of whatever `db` is: the transaction of the action it
/// records (then it commits or rolls back with it), or a connection. One insert: the
/// record is chained later by [`seal`], so concurrent writes of different enterprises
/// never wait for each other here.
pub async fn append(db: &impl ConnectionTrait, entry: Entry) -> Result<AuditRecord, DbErr> {
    // Microseconds: what both databases store, so the hash survives the round trip.
    let now = Utc::now();
    let at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let row = AuditRecord {
        id: 0,
        created_at: at.fixed_offset(),
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
    };
    trail::insert(db, row).await
}

/// What one sealing step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sealed {
    pub records: usize,
    /// The chain's last sequence number after the step.
    pub head: i64,
    /// Another sealer held the head; this step did nothing.
    pub busy: bool,
}

/// Chains up to `batch` waiting records, in id order, after the head: one transaction,
/// one sealer at a time (the head row's lock on PostgreSQL, the write lock on SQLite).
/// A record committed late, with an id below ones already sealed, is sealed in the next
/// step: the chain's order is the sealing order, and the seal names the record's id.
pub async fn seal(db: &DatabaseConnection, batch: u64) -> Result<Sealed, DbErr> {
    let txn = crate::platform::db::begin_write(db).await?;
    let Some(head) = trail::lock_head(&txn).await? else {
        txn.rollback().await?;
        return Ok(Sealed { busy: true, ..Sealed::default() });
    };
    let waiting = trail::unsealed(&txn, batch).await?;
    let now = Utc::now().fixed_offset();
    let (mut seq, mut prev) = (head.seq, head.hash);
    let mut seals = Vec::with_capacity(waiting.len());
    for r in &waiting {
        seq += 1;
        let hash = hash_of(seq, &prev, r);
        seals.push(Seal {
            seq,
            audit_id: r.id,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
            sealed_at: now,
        });
    }
    let records = seals.len();
    trail::seal(&txn, seals).await?;
    txn.commit().await?;
    Ok(Sealed { records, head: seq, busy: false })
}

/// Seals until nothing waits (tests, `zhicha audit seal`, shutdown); answers how many.
pub async fn seal_all(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let mut total = 0;
    loop {
        let step = seal(db, 1000).await?;
        total += step.records;
        if step.records == 0 && !step.busy {
            return Ok(total);
        }
        if step.busy {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// How far sealing is behind: records waiting and the age of the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    pub waiting: u64,
    pub oldest_ms: u64,
}

pub async fn lag(db: &impl ConnectionTrait) -> Result<Lag, DbErr> {
    let b = trail::backlog(db).await?;
    let oldest_ms =
        b.oldest.map_or(0, |t| u64::try_from((Utc::now() - t.with_timezone(&Utc)).num_milliseconds()).unwrap_or(0));
    Ok(Lag { waiting: u64::try_from(b.waiting).unwrap_or(0), oldest_ms })
}

/// The result of checking the trail.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every sealed record matches its seal and the chain is whole; `waiting` records
    /// are queued for the sealer, the oldest `oldest_ms` old.
    Intact {
        records: u64,
        waiting: u64,
        oldest_ms: u64,
    },
    Broken {
        id: Option<i64>,
        seq: i64,
        reason: String,
    },
}

/// Walks the chain of seals in order, page by page, and stops at the first broken
/// link; then checks that every record not sealed is waiting for the sealer.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verdict, DbErr> {
    let mut prev = AUDIT_GENESIS.to_string();
    let mut expected_seq = 1;
    let mut records = 0;
    loop {
        let page = trail::seals_after(db, expected_seq - 1, 1000).await?;
        if page.is_empty() {
            break;
        }
        for (s, r) in page {
            let broken = |id: Option<i64>, reason: String| Verdict::Broken { id, seq: s.seq, reason };
            if s.seq != expected_seq {
                return Ok(broken(
                    Some(s.audit_id),
                    format!("expected sequence {expected_seq}: a record before it was removed"),
                ));
            }
            if s.prev_hash != prev {
                return Ok(broken(
                    Some(s.audit_id),
                    "its link to the previous record does not match: a record before it was altered or removed".into(),
                ));
            }
            let Some(r) = r else {
                return Ok(broken(Some(s.audit_id), "the sealed record was removed".into()));
            };
            if hash_of(s.seq, &prev, &r) != s.hash {
                return Ok(broken(Some(r.id), "its contents do not match its hash: the record was altered".into()));
            }
            prev = s.hash;
            expected_seq += 1;
            records += 1;
        }
    }
    match trail::head(db).await? {
        Some(h) if h.seq == expected_seq - 1 && h.hash == prev => {}
        Some(h) => {
            return Ok(Verdict::Broken {
                id: None,
                seq: h.seq,
                reason: format!(
                    "the chain ends at sequence {} but the head records {}: the last records were removed",
                    expected_seq - 1,
                    h.seq
                ),
            });
        }
        None => return Ok(Verdict::Broken { id: None, seq: 0, reason: "audit_head row is missing".into() }),
    }
    if let Some(id) = trail::first_stray(db).await? {
        return Ok(Verdict::Broken {
            id: Some(id),
            seq: 0,
            reason: "the record is neither sealed nor waiting for the sealer: it was inserted around the trail \
                     or taken off the queue"
                .into(),
        });
    }
    if let Some(id) = trail::sealed_and_waiting(db).await? {
        return Ok(Verdict::Broken {
            id: Some(id),
            seq: 0,
            reason: "the record is sealed and queued again: the queue was altered".into(),
        });
    }
    let lag = lag(db).await?;
    Ok(Verdict::Intact { records, waiting: lag.waiting, oldest_ms: lag.oldest_ms })
}
