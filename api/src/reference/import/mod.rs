//! Accident-history import: `zhicha import accidents --profile … FILE`.
//!
//! The whole file is checked and parsed before anything is written, then written in
//! one transaction: a malformed file (bad UTF-8, a quote that never closes, a record
//! with the wrong number of fields, a missing column) fails with its line and column
//! and leaves the database as it was. Rows with bad values are skipped and listed.
//! Accidents are unique per (source, source key), so importing a file again adds
//! nothing; it only sets the job of stored records that the file and the rules now give
//! another job (the narrative-job rules of OSHA records changed). An import that changes
//! nothing is rolled back and leaves no trace.

pub mod generic;
pub mod msha;
pub mod osha;
pub mod record;
pub mod rows;
pub mod scan;
mod write;

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use sha2::{Digest, Sha256};
use zhicha_engine::Catalog;

use crate::store::imports::{self, Finished, NewRun};
use record::Skip;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// OSHA Severe Injury Reports (OIICS codes, NAICS industries).
    OshaSir,
    /// MSHA mine accident records.
    Msha,
    /// Any CSV, described by a --mapping TOML file.
    Generic,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::OshaSir => "osha-sir",
            Profile::Msha => "msha",
            Profile::Generic => "generic",
        }
    }
}

/// Whether to draw a progress bar (only ever on a terminal).
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Terminal,
    Hidden,
}

#[derive(Debug)]
pub struct Summary {
    pub profile: Profile,
    pub file: String,
    pub rows_read: usize,
    pub imported: usize,
    pub unchanged: usize,
    /// Records already stored whose job was set anew (counted apart from `unchanged`).
    pub jobs_updated: usize,
    pub skipped: Vec<Skip>,
    pub enterprises_created: usize,
    /// Records whose accident type, body part or nature found no GB 6441 mapping
    /// (kept with their source codes).
    pub unmapped: [usize; 3],
    pub run_id: Option<i64>,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "import {} ({}): {} rows read in {secs:.2}s ({:.0} rows/s)",
            self.file,
            self.profile.name(),
            self.rows_read,
            self.rows_read as f64 / secs.max(1e-9)
        )?;
        writeln!(f, "  imported:  {}", self.imported)?;
        writeln!(f, "  unchanged: {} (already in the database)", self.unchanged)?;
        if self.jobs_updated > 0 {
            writeln!(f, "  job set anew: {} (already in the database; the job rules changed)", self.jobs_updated)?;
        }
        writeln!(f, "  skipped:   {}", self.skipped.len())?;
        for s in self.skipped.iter().take(20) {
            writeln!(f, "    line {}: {}", s.line, s.reason)?;
        }
        if self.skipped.len() > 20 {
            writeln!(f, "    … {} more (all are stored with the import run)", self.skipped.len() - 20)?;
        }
        writeln!(f, "  enterprises created: {}", self.enterprises_created)?;
        let [t, b, n] = self.unmapped;
        writeln!(f, "  kept without a GB 6441 mapping: accident type {t}, body part {b}, injury nature {n}")?;
        match self.run_id {
            Some(id) => write!(f, "  recorded as import run #{id}"),
            None => write!(f, "  nothing new: the database is unchanged"),
        }
    }
}

fn bar(progress: Progress, len: u64, msg: &'static str) -> ProgressBar {
    let pb = match progress {
        Progress::Terminal => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
        Progress::Hidden => ProgressBar::hidden(),
    };
    if let Ok(style) = ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {per_sec}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg);
    pb
}

/// Imports `file`; `db` may be a connection or a transaction (the seed loads its
/// history inside its own).
pub async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    catalog: &Catalog,
    profile: Profile,
    mapping: Option<&Path>,
    file: &Path,
    progress: Progress,
) -> anyhow::Result<Summary> {
    let display = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {display}: {e}"))?;
    let mapping = match (profile, mapping) {
        (Profile::Generic, Some(m)) => Some(generic::Mapping::load(m)?),
        (_, Some(_)) => anyhow::bail!("--mapping is only for --profile generic"),
        (_, None) => None,
    };
    run_bytes(db, catalog, profile, mapping.as_ref(), &display, &bytes, progress).await
}

/// Imports a file given as its bytes (`display` names it in messages and, by its last
/// part, in the run record), as [`run`] does a file on disk; the demo city imports its
/// built-in history this way.
pub async fn run_bytes<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    catalog: &Catalog,
    profile: Profile,
    mapping: Option<&generic::Mapping>,
    display: &str,
    bytes: &[u8],
    progress: Progress,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let text = scan::check(bytes).map_err(|e| anyhow::anyhow!("{display}: {e}; nothing was imported"))?;
    let approx_rows = bytecount_lines(bytes);
    let pb = bar(progress, approx_rows, "parsing");
    let tick = |n: usize| pb.set_position(n as u64);
    let generic_mapping = match (profile, mapping) {
        (Profile::Generic, Some(m)) => Some(m),
        (Profile::Generic, None) => anyhow::bail!("--profile generic needs --mapping FILE"),
        (_, Some(_)) => anyhow::bail!("--mapping is only for --profile generic"),
        _ => None,
    };
    let parsed = parse(text, catalog, profile, generic_mapping, tick)
        .map_err(|e| anyhow::anyhow!("{display}: {e}; nothing was imported"))?;
    pb.finish_and_clear();
    tracing::debug!(ms = started.elapsed().as_millis(), rows = parsed.rows_read, "parsed");
    let source = match generic_mapping {
        Some(m) => m.source.clone(),
        None if profile == Profile::OshaSir => osha::SOURCE.to_string(),
        None => msha::SOURCE.to_string(),
    };
    let mut skipped = parsed.skipped;
    // A source key seen twice in one file is a second report of one record: keep the first.
    let mut keys = std::collections::HashMap::new();
    let mut records = Vec::with_capacity(parsed.records.len());
    for r in parsed.records {
        if let Some(first) = keys.insert(r.source_key.clone(), r.line) {
            skipped.push(Skip { line: r.line, reason: format!("key {} repeats line {first}", r.source_key) });
            keys.insert(r.source_key.clone(), first);
        } else {
            records.push(r);
        }
    }
    skipped.sort_by_key(|s| s.line);
    let unmapped = [
        records.iter().filter(|r| r.accident_type.code.is_some() && r.accident_type.gb86.is_none()).count(),
        records.iter().filter(|r| r.body_part.code.is_some() && r.body_part.gb86.is_none()).count(),
        records.iter().filter(|r| r.injury_nature.code.is_some() && r.injury_nature.gb86.is_none()).count(),
    ];

    let txn = crate::platform::db::begin_write_in(db).await?;
    let versions: serde_json::Map<String, serde_json::Value> =
        catalog.versions().into_iter().map(|(t, v)| (t.to_string(), v.into())).collect();
    let run = imports::start(
        &txn,
        NewRun {
            profile: profile.name().to_string(),
            file_name: Path::new(display).file_name().map_or(display.to_string(), |n| n.to_string_lossy().into_owned()),
            file_sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
            rule_versions: versions.into(),
        },
    )
    .await?;
    let pb = bar(progress, records.len() as u64, "storing");
    let stored =
        write::store(&txn, &source, run.id, &records, |n| pb.set_position(n.min(records.len()) as u64)).await?;
    pb.finish_and_clear();
    tracing::debug!(ms = started.elapsed().as_millis(), inserted = stored.inserted, "stored");
    let unchanged = records.len().saturating_sub(stored.inserted + stored.jobs_updated);
    let run_id = if stored.inserted == 0 && stored.enterprises_created == 0 && stored.jobs_updated == 0 {
        txn.rollback().await?;
        None
    } else {
        let done = Finished {
            rows_read: parsed.rows_read as i32,
            imported: stored.inserted as i32,
            unchanged: unchanged as i32,
            skipped: skipped.len() as i32,
            skipped_rows: serde_json::to_value(&skipped)?,
            at: chrono::Utc::now().fixed_offset(),
        };
        let run = imports::succeed(&txn, run, done).await?;
        txn.commit().await?;
        Some(run.id)
    };
    Ok(Summary {
        profile,
        file: display.to_string(),
        rows_read: parsed.rows_read,
        imported: stored.inserted,
        unchanged,
        jobs_updated: stored.jobs_updated,
        skipped,
        enterprises_created: stored.enterprises_created,
        unmapped,
        run_id,
        elapsed: started.elapsed(),
    })
}

/// Every row of a checked file (`scan::check`) read by `profile`'s columns and
/// conversion; a generic file by `mapping` (the other profiles have none).
pub fn parse(
    text: &str,
    catalog: &Catalog,
    profile: Profile,
    mapping: Option<&generic::Mapping>,
    tick: impl FnMut(usize),
) -> Result<rows::Parsed, scan::FileError> {
    match (profile, mapping) {
        (Profile::OshaSir, _) => rows::read(text, osha::REQUIRED, osha::OPTIONAL, |r| osha::convert(r, catalog), tick),
        (Profile::Msha, _) => rows::read(text, msha::REQUIRED, msha::OPTIONAL, |r| msha::convert(r, catalog), tick),
        (Profile::Generic, Some(m)) => rows::read(text, &m.required(), &[], |r| generic::convert(r, m, catalog), tick),
        (Profile::Generic, None) => {
            Err(scan::FileError { line: 0, column: 0, reason: "--profile generic needs --mapping FILE".into() })
        }
    }
}

/// Lines in the file: an upper bound on rows for the progress bar.
fn bytecount_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
