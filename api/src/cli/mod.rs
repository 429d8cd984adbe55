//! The `zhicha` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sea_orm_migration::MigratorTrait;
use zhicha_engine::Catalog;
use zhicha_migrations::Migrator;

use crate::config::{Settings, redact_url};
use crate::http::docs;
use crate::reference::import::{self, Profile};
use crate::startup::{self, Application};
pub mod admin;
pub mod engine;
pub mod roster;

use crate::platform::{audit, db, telemetry};
use crate::reference::seed;

#[derive(Parser)]
#[command(name = "zhicha", version, about = "Workplace-hazard self-inspection and risk-triggered governance")]
struct Cli {
    /// Configuration file (default: ./zhicha.toml when present).
    #[arg(long, global = true, env = "ZHICHA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (loads the demo city into an empty embedded database).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (also ZHICHA_SERVER__ADDR).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Apply or undo schema migrations.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Load seed data.
    Seed {
        #[command(subcommand)]
        what: SeedWhat,
    },
    /// Import records from files.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Write the OpenAPI document.
    Openapi {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fail if the file at --out differs from the generated document.
        #[arg(long, requires = "out")]
        check: bool,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
    /// Work with the rules library.
    Rules {
        #[command(subcommand)]
        what: RulesWhat,
    },
    /// The bureaus' analysis report (key industries, training coverage, trends, focus,
    /// suggestions) over every enterprise in the database, or one region, as JSON.
    Analysis {
        /// The year analysed (compared with the year before).
        #[arg(long)]
        year: i32,
        /// Only this GB/T 2260 region (a province, city or county code).
        #[arg(long)]
        region: Option<String>,
        /// The share of accidents the training plan covers.
        #[arg(long, default_value_t = 0.8)]
        share: f64,
        /// Write the report here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Work with the dashboard's per-enterprise sums (`enterprise_progress`).
    Progress {
        #[command(subcommand)]
        what: ProgressWhat,
    },
    /// Staff accounts from the server: the first security administrator.
    Admin {
        #[command(subcommand)]
        what: admin::AdminWhat,
    },
    /// Risk model: backtest on an accident file.
    Engine {
        #[command(subcommand)]
        what: engine::EngineWhat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Undo the last migration.
    Down,
    /// Undo every migration.
    Reset,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand)]
enum SeedWhat {
    /// Load the demo city (640200 石嘴山市): enterprises, accident history, bureaus, users, experts.
    Demo,
    /// Regenerate seeds/demo/accidents.csv from the real OSHA and MSHA records.
    DemoHistory {
        #[arg(long, default_value = "../shared/data/osha_severe_injury_2015.csv")]
        osha: PathBuf,
        #[arg(long, default_value = "../shared/data/msha_accidents_sample_2000.csv")]
        msha: PathBuf,
        #[arg(long, default_value_t = 20261122)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Accident history (work-injury records).
    Accidents {
        #[arg(long, value_enum)]
        profile: Profile,
        /// Column mapping file, for `--profile generic`.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The CSV file.
        file: PathBuf,
    },
    /// A roster of insured employers (参保单位名单, CSV or XLSX): upserted by credit
    /// code, all or nothing (any bad row: nothing is written, every bad row is listed).
    Roster {
        /// A mapping file, or the name of one in rules/mappings/ (default
        /// roster_social_insurance).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The CSV or XLSX file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditWhat {
    /// Check the hash chain; names the first broken record and exits 1 if there is one.
    Verify,
}

#[derive(Subcommand)]
enum ProgressWhat {
    /// Recount every enterprise's row from its records. The writes keep the rows by
    /// deltas; this repairs them after records were changed outside the application.
    Refresh,
}

#[derive(Subcommand)]
enum RulesWhat {
    /// Validate every rule file; each problem is printed as file:line: reason.
    Check,
    /// Measure the hazard library and the ranking on the development set: per industry
    /// and per half, the share of findings an applicable item covers and the share an
    /// expected item reaches within the top 150 of a demo enterprise of the industry.
    Devset {
        /// The set's directory (`*.toml` files of findings).
        #[arg(long, default_value = "tests/devset")]
        dir: PathBuf,
        /// List every finding not covered or not reached, with its items' best ranks.
        #[arg(long)]
        misses: bool,
        /// With --misses: only this half (`tune` or `held`).
        #[arg(long)]
        half: Option<String>,
        /// Print the item priors the tune half gives, as the `[prevalence.item]` lines of
        /// rules/hazards/ranking.toml, instead of measuring.
        #[arg(long)]
        priors: bool,
    },
    /// Store another organisation's hazard library (CSV or JSON) as draft items for
    /// review, read through a column mapping (example: seeds/hazard-import-example/).
    ImportHazards {
        #[arg(long)]
        mapping: PathBuf,
        file: PathBuf,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { addr } => {
                if let Some(a) = addr {
                    settings.server.addr = a;
                }
                serve(settings).await
            }
            Command::Migrate { action } => migrate(&settings, action).await,
            Command::Seed { what: SeedWhat::Demo } => seed_demo(&settings).await,
            Command::Seed { what: SeedWhat::DemoHistory { osha, msha, seed } } => {
                demo_history(&settings, &osha, &msha, seed)
            }
            Command::Import { what: ImportWhat::Accidents { profile, mapping, file } } => {
                import_accidents(&settings, profile, mapping.as_deref(), &file).await
            }
            Command::Import { what: ImportWhat::Roster { mapping, file } } => {
                roster::run(&settings, mapping.as_deref(), &file).await
            }
            Command::Openapi { out, check } => openapi(out.as_deref(), check),
            Command::Rules { what: RulesWhat::Check } => rules_check(&settings),
            Command::Rules { what: RulesWhat::Devset { dir, misses, half, priors } } => {
                if priors {
                    rules_priors(&settings, &dir)
                } else {
                    rules_devset(&settings, &dir, misses, half.as_deref())
                }
            }
            Command::Rules { what: RulesWhat::ImportHazards { mapping, file } } => {
                import_hazards(&settings, &mapping, &file).await
            }
            Command::Audit { what: AuditWhat::Verify } => audit_verify(&settings).await,
            Command::Progress { what: ProgressWhat::Refresh } => progress_refresh(&settings).await,
            Command::Engine { what } => engine::run(&settings, what).await,
            Command::Admin { what } => admin::run(&settings, what).await,
            Command::Analysis { year, region, share, out } => {
                analysis_report(&settings, year, region.as_deref(), share, out.as_deref()).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let url = redact_url(&settings.database_url());
    let app = Application::build(settings).await?;
    let addr = app.addr();
    println!("zhicha {} listening on http://{addr}", env!("CARGO_PKG_VERSION"));
    println!("  database: {url}{}", if app.demo_loaded { " (demo city loaded)" } else { "" });
    println!("  rules: {}", crate::reference::rules::source(&app.state.settings.rules.dir));
    println!("  API docs: http://{addr}/docs   spec: http://{addr}/openapi.yaml   health: http://{addr}/readyz");
    println!("  bureau dashboard: http://{addr}/dashboard (a bureau account below, with its TOTP code)");
    // Secrets only for a demo loaded just now into a new embedded database: on any other
    // start (a production database above all) they stay out of standard output.
    let secrets = if app.demo_loaded { seed::demo::Secrets::Show } else { seed::demo::Secrets::Withhold };
    if let Some(banner) = seed::demo::sign_in_help(&app.state.db, &app.state.vault, &addr.to_string(), secrets).await? {
        println!("{banner}");
    }
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect(settings).await?;
    match action {
        MigrateAction::Up => db::migrate(&db, Some(settings.database.app_role.as_str())).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Reset => Migrator::reset(&db).await?,
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{:?}\t{}", m.status(), m.name());
            }
            return Ok(());
        }
    }
    let applied = Migrator::get_applied_migrations(&db).await?.len();
    println!("{applied} of {} migrations applied", Migrator::migrations().len());
    Ok(())
}

async fn analysis_report(
    settings: &Settings,
    year: i32,
    region: Option<&str>,
    share: f64,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let (db, catalog, _) = startup::prepare(settings).await?;
    let source = crate::reference::rules::source(&settings.rules.dir);
    let rules = std::sync::Arc::new(zhicha_engine::analysis::rules::load_from(&source)?);
    let now = chrono::Utc::now();
    let year = crate::oversight::analysis::report::year_of(Some(year), now)
        .map_err(|e| anyhow::anyhow!("--year: {}", e.message))?;
    let share = crate::oversight::analysis::report::share_of(Some(share))
        .map_err(|e| anyhow::anyhow!("--share: {}", e.message))?;
    let prefix = region
        .map(|r| zhicha_engine::RegionCode::parse(r).map(|c| c.scope_prefix()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    let req = crate::oversight::analysis::Request {
        region_code: region.map(str::to_string),
        region_name: region.map_or_else(|| "全部企业".to_string(), str::to_string),
        year,
        share,
        now,
        rules,
        catalog,
    };
    let report = crate::oversight::analysis::report::build(&db, prefix.as_deref(), req)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let json = serde_json::to_string_pretty(&report)?;
    match out {
        Some(p) => std::fs::write(p, json).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => println!("{json}"),
    }
    let t = &report.key_industries.total;
    let c = &report.coverage;
    eprintln!(
        "{} enterprises; {year}: {} accidents in key industries ({} enterprises), {} outside; \
         training plan: {} of {} job x type pairs cover {:.1}% of {} accidents ({} with the job unknown)",
        report.enterprises,
        t.accidents,
        t.enterprises,
        report.key_industries.accidents_outside,
        c.pairs.len(),
        c.distinct_pairs,
        c.covered_share * 100.0,
        c.total_accidents,
        c.unknown_job_accidents,
    );
    Ok(())
}

async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let (db, catalog, vault) = startup::prepare(settings).await?;
    if !seed::is_empty(&db).await? {
        anyhow::bail!("the database already holds enterprises; the demo city loads only into an empty one");
    }
    let summary = seed::demo::load(&db, &catalog, &settings.demo.dir, &settings.auth, &vault).await?;
    println!("{summary}");
    if settings.demo.activity {
        let state = crate::activity::standalone::state(settings, db, catalog, vault).await?;
        println!("{}", crate::activity::run(&state).await?);
    }
    Ok(())
}

fn demo_history(settings: &Settings, osha: &Path, msha: &Path, seed: u64) -> anyhow::Result<()> {
    if settings.demo.dir.as_os_str().is_empty() {
        anyhow::bail!(
            "demo.dir is empty (the built-in demo city): name the folder to write to, e.g. ZHICHA_DEMO__DIR=seeds/demo"
        );
    }
    let catalog = Catalog::load_from(&crate::reference::rules::source(&settings.rules.dir))?;
    let demo = seed::demo_files::read(&settings.demo.dir, &catalog)?;
    let csv = seed::generate::generate(&catalog, &demo, osha, msha, seed)?;
    let out = settings.demo.dir.join("accidents.csv");
    std::fs::write(&out, &csv).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    println!("wrote {} ({} accidents)", out.display(), csv.lines().count().saturating_sub(1));
    Ok(())
}

async fn import_accidents(
    settings: &Settings,
    profile: Profile,
    mapping: Option<&Path>,
    file: &Path,
) -> anyhow::Result<()> {
    let (db, catalog, _) = startup::prepare(settings).await?;
    let summary = import::run(&db, &catalog, profile, mapping, file, import::Progress::Terminal).await?;
    println!("{summary}");
    // New accidents (or jobs, which the exposure mix reads) change every enterprise's
    // risk: refit now rather than at the schedule.
    if summary.imported > 0 || summary.jobs_updated > 0 {
        println!(
            "{}",
            crate::reference::scoring::job::run(&db, crate::reference::scoring::Trigger::Import, &settings.risk).await
        );
    }
    // Then the trigger rules, for every enterprise the import touched (after the refit,
    // so the risk rules read the new scores).
    if let Some(run_id) = summary.run_id {
        let rules =
            crate::reference::rules::load_once(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
        let touched = crate::store::accidents::enterprises_of_run(&db, run_id).await?;
        let (mut opened, mut failed) = (0, 0);
        for id in &touched {
            match crate::governance::evaluate_enterprise(&db, &rules, *id, chrono::Utc::now()).await {
                Ok(a) => opened += a.opened.len(),
                Err(e) => {
                    failed += 1;
                    tracing::error!(enterprise_id = id, "trigger evaluation failed: {e}");
                }
            }
        }
        println!("escalations: {} enterprises evaluated, {opened} opened, {failed} failed", touched.len());
    }
    Ok(())
}

fn openapi(out: Option<&Path>, check: bool) -> anyhow::Result<()> {
    let yaml = docs::yaml();
    match out {
        None => print!("{yaml}"),
        Some(p) if check => {
            let committed =
                std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            if committed != yaml {
                anyhow::bail!("{} differs from the code; run `zhicha openapi --out {}`", p.display(), p.display());
            }
            println!("{} matches the code", p.display());
        }
        Some(p) => std::fs::write(p, yaml).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
    }
    Ok(())
}

async fn audit_verify(settings: &Settings) -> anyhow::Result<()> {
    let db = db::connect(settings).await?;
    match audit::verify(&db).await? {
        audit::Verdict::Intact { records, waiting, oldest_ms } => {
            println!(
                "audit trail intact: {records} records sealed; {waiting} waiting for the sealer (oldest {oldest_ms} ms)"
            );
            if oldest_ms > settings.audit.max_lag_seconds.saturating_mul(1000) {
                anyhow::bail!(
                    "audit sealing is behind: a record has waited {oldest_ms} ms (audit.max_lag_seconds = {}); \
                     is any instance running its sealer?",
                    settings.audit.max_lag_seconds
                );
            }
            Ok(())
        }
        audit::Verdict::Broken { id, seq, reason } => {
            let which = id.map_or(format!("sequence {seq}"), |id| format!("record id {id} (sequence {seq})"));
            anyhow::bail!("audit trail broken at {which}: {reason}")
        }
    }
}

async fn progress_refresh(settings: &Settings) -> anyhow::Result<()> {
    let db = db::connect(settings).await?;
    let n = crate::selfcheck::progress::refresh_all(&db).await?;
    println!("enterprise_progress recounted for {n} enterprises");
    Ok(())
}

async fn import_hazards(settings: &Settings, mapping: &Path, file: &Path) -> anyhow::Result<()> {
    let rules = crate::reference::rules::load(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let db = db::connect(settings).await?;
    db::migrate(&db, Some(settings.database.app_role.as_str())).await?;
    let o = crate::reference::hazard_import::drafts(&db, &rules, mapping, file).await?;
    for r in &o.rejected {
        eprintln!("rejected: {r}");
    }
    println!(
        "{} rows: {} draft items stored, {} already stored, {} problems in rejected rows (batch {})",
        o.rows,
        o.stored,
        o.unchanged,
        o.rejected.len(),
        o.batch
    );
    Ok(())
}

fn rules_priors(settings: &Settings, dir: &Path) -> anyhow::Result<()> {
    let rules = crate::reference::rules::load(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let findings = crate::reference::devset::read_dir(dir)?;
    println!(
        "# From the tune half of {} (`zhicha rules devset --priors`): the area's prior × (1 + findings).",
        dir.display()
    );
    for (id, prior, k) in crate::reference::devset::tune_priors(&rules, &findings) {
        println!("\"{id}\" = {prior:.3}  # {k} finding(s)");
    }
    Ok(())
}

fn rules_devset(settings: &Settings, dir: &Path, misses: bool, half: Option<&str>) -> anyhow::Result<()> {
    use crate::reference::devset::{self, Half};
    let half = match half {
        None => None,
        Some("tune") => Some(Half::Tune),
        Some("held") => Some(Half::Held),
        Some(other) => anyhow::bail!("--half is tune or held, not {other:?}"),
    };
    let rules = crate::reference::rules::load(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let (outcomes, report, demo) = devset::evaluate(&rules, &settings.demo.dir, dir)?;
    println!(
        "rules: {}; demo: {}; set: {} ({} findings)",
        crate::reference::rules::source(&settings.rules.dir),
        crate::reference::seed::demo_files::describe(&settings.demo.dir),
        dir.display(),
        outcomes.len()
    );
    println!(
        "cover: an expected item applies to the industry; top150: of the closest demo enterprises of the division"
    );
    print!("{report}");
    for r in &demo.rounds {
        for p in &r.problems {
            println!("demo round {} ({}): {p}", r.key, r.industry);
        }
    }
    if misses {
        for o in outcomes.iter().filter(|o| half.is_none_or(|h| o.half == h)) {
            let reached = o.reached.is_some_and(|(n, hits)| hits == n);
            if o.covered && (reached || o.reached.is_none()) {
                continue;
            }
            let ranks: Vec<String> = o
                .best_rank
                .iter()
                .map(|(id, r)| format!("{id}@{}", r.map_or("-".to_string(), |r| r.to_string())))
                .collect();
            let testable = o.reached.map_or("no demo enterprise".to_string(), |(n, h)| format!("{h}/{n} in top 150"));
            println!(
                "miss {} [{}] {} {}: {} | covered={} {} | {}",
                o.id,
                o.half.as_str(),
                o.industry,
                o.division,
                o.hazard,
                o.covered,
                testable,
                ranks.join(" ")
            );
        }
    }
    Ok(())
}

fn rules_check(settings: &Settings) -> anyhow::Result<()> {
    match crate::reference::rules::load(&settings.rules.dir) {
        Ok(r) => {
            // Which library is in force: the built-in one, or a directory overriding it.
            println!("rules: {}", crate::reference::rules::source(&settings.rules.dir));
            for line in crate::reference::rules::summary(&r) {
                println!("{line}");
            }
            // Warnings do not fail the check: the library loads and serves as it is.
            let (warnings, _) = zhicha_engine::hazards::lint::lint(&r.hazards);
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            if !warnings.is_empty() {
                eprintln!("{} warning(s)", warnings.len());
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            anyhow::bail!("{} problem(s) in {}", e.0.len(), crate::reference::rules::source(&settings.rules.dir))
        }
    }
}
