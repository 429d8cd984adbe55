//! `zhicha engine …`: the risk model's backtest on an accident file, and a hidden
//! benchmark used by bench/engine.sh. Files are parsed by the importer's own profiles,
//! so the backtest sees exactly the records an import would store.

mod explain;
mod report;
mod simulate;
mod synth;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use clap::Subcommand;
use zhicha_engine::Catalog;
use zhicha_engine::risk::{self, Accident, RiskConfig};

use crate::config::Settings;
use crate::reference::import::record::Record;
use crate::reference::import::{Profile, generic, msha, osha, rows, scan};

#[derive(Subcommand)]
pub enum EngineWhat {
    /// Fit before --cutoff, score the enterprises with an accident in the 12 months
    /// before it, compare with what followed; writes one row per enterprise and cutoff.
    /// Give --cutoff several times for folds: each is fitted on its own past, and the
    /// report ends with the mean over them.
    Backtest {
        #[arg(long)]
        accidents: PathBuf,
        #[arg(long, value_enum)]
        profile: Profile,
        /// Column mapping file, for `--profile generic`.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// First day of the horizon, YYYY-MM-DD; repeat (or separate by commas) for folds.
        #[arg(long, required = true, value_delimiter = ',')]
        cutoff: Vec<NaiveDate>,
        #[arg(long, default_value_t = 12)]
        horizon_months: u32,
        /// Whose predictions the CSV holds; every model is measured and printed.
        #[arg(long, value_enum, default_value = "glm")]
        model: ModelArg,
        #[arg(long)]
        out: PathBuf,
        /// Model settings as JSON, overriding the defaults (e.g. '{"mix_weight":20}').
        #[arg(long, hide = true)]
        model_config: Option<String>,
    },
    /// What the trigger rules make of one enterprise now: its state, each rule with the
    /// values it read against its thresholds, and the decisions an evaluation would
    /// write (nothing is written).
    Explain { enterprise_id: i64 },
    /// Replays the trigger rules month by month over an accident history (the database's,
    /// or --accidents FILE), in memory: escalations and tasks per month and how many of
    /// the next month's accidents fell in escalated enterprises.
    Simulate {
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long)]
        accidents: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "osha-sir")]
        profile: Profile,
        /// Column mapping file, for `--profile generic`.
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
    /// Time fit + score on a file or a synthetic province (for bench/engine.sh).
    #[command(hide = true)]
    Bench {
        #[arg(long, conflicts_with = "synthetic")]
        accidents: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "osha-sir")]
        profile: Profile,
        /// Synthetic province: ENTERPRISES:ACCIDENTS, e.g. 100000:1000000.
        #[arg(long)]
        synthetic: Option<String>,
        /// Write the GLM's training design (CSV: y then covariates) here.
        #[arg(long)]
        design_out: Option<PathBuf>,
    },
}

pub async fn run(settings: &Settings, what: EngineWhat) -> anyhow::Result<()> {
    match what {
        EngineWhat::Explain { enterprise_id } => explain::run(settings, enterprise_id).await,
        EngineWhat::Simulate { months, accidents, profile, mapping } => {
            simulate::run(settings, months, accidents.as_deref(), profile, mapping.as_deref()).await
        }
        EngineWhat::Backtest { accidents, profile, mapping, cutoff, horizon_months, model, out, model_config } => {
            let catalog = Catalog::load_from(&crate::reference::rules::source(&settings.rules.dir))?;
            let data = read(&catalog, profile, mapping.as_deref(), &accidents)?;
            let base: RiskConfig = match model_config {
                Some(json) => serde_json::from_str(&json)?,
                None => RiskConfig::default(),
            };
            let config = RiskConfig { horizon_months, ..base };
            let folds = cutoff
                .iter()
                .map(|&c| risk::backtest(&data, c, &config, model.into()))
                .collect::<Result<Vec<_>, _>>()?;
            write_rows(&folds, &out)?;
            report::print(&folds, &out);
            Ok(())
        }
        EngineWhat::Bench { accidents, profile, synthetic, design_out } => {
            bench(settings, accidents.as_deref(), profile, synthetic.as_deref(), design_out.as_deref())
        }
    }
}

/// Parses `file` with the import profile and turns each record into the model's input.
/// OSHA keeps the raw NAICS code as the industry (its 2 → 3 → 4 → 6 digit hierarchy is
/// what the priors are smoothed down; the GB/T 4754 crosswalk stops at the 2-digit
/// division) and the state as the region; the accident type is the 2-digit OIICS event.
pub fn read(catalog: &Catalog, profile: Profile, mapping: Option<&Path>, file: &Path) -> anyhow::Result<Vec<Accident>> {
    Ok(read_records(catalog, profile, mapping, file)?
        .into_iter()
        .map(|(r, naics, state)| {
            let industry =
                if naics.is_empty() { r.enterprise.industry_code.clone().unwrap_or_default() } else { naics.clone() };
            let resolved = catalog.employer_names.resolve(&r.enterprise.name, &industry);
            // Only name-keyed sources count words: elsewhere the key is a registry number.
            let name_words = r
                .enterprise
                .credit_code
                .is_none()
                .then(|| risk::EmployerSignals::words_of_key(&r.enterprise.key))
                .flatten();
            let employer =
                risk::EmployerSignals { kind: resolved.kind.map(str::to_string), chain: resolved.chain, name_words };
            Accident { employer, ..accident(&r, profile, naics, state) }
        })
        .collect())
}

/// The records of `file` as an import would store them, each with the OSHA NAICS code
/// and state (empty for other profiles); a source key seen twice is kept once.
pub fn read_records(
    catalog: &Catalog,
    profile: Profile,
    mapping: Option<&Path>,
    file: &Path,
) -> anyhow::Result<Vec<(Record, String, String)>> {
    let display = file.display();
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {display}: {e}"))?;
    let text = scan::check(&bytes).map_err(|e| anyhow::anyhow!("{display}: {e}"))?;
    let mut extra: Vec<(String, String)> = Vec::new();
    let parsed = match profile {
        Profile::OshaSir => rows::read(
            text,
            osha::REQUIRED,
            osha::OPTIONAL,
            |r| {
                let rec = osha::convert(r, catalog)?;
                extra.push((r.get("Primary NAICS").to_string(), r.get("State").to_string()));
                Ok(rec)
            },
            |_| {},
        ),
        Profile::Msha => rows::read(text, msha::REQUIRED, msha::OPTIONAL, |r| msha::convert(r, catalog), |_| {}),
        Profile::Generic => {
            let m =
                generic::Mapping::load(mapping.ok_or_else(|| anyhow::anyhow!("--profile generic needs --mapping"))?)?;
            rows::read(text, &m.required(), &[], |r| generic::convert(r, &m, catalog), |_| {})
        }
    }
    .map_err(|e| anyhow::anyhow!("{display}: {e}"))?;
    let mut keys = HashSet::new();
    let mut out = Vec::with_capacity(parsed.records.len());
    for (i, r) in parsed.records.into_iter().enumerate() {
        // A source key seen twice is a second report of one record, as on import.
        if !keys.insert(r.source_key.clone()) {
            continue;
        }
        let (naics, state) = extra.get(i).cloned().unwrap_or_default();
        out.push((r, naics, state));
    }
    Ok(out)
}

/// A record as the risk model reads it.
pub fn accident(r: &Record, profile: Profile, naics: String, state: String) -> Accident {
    let osha = profile == Profile::OshaSir;
    let two = |c: &Option<String>| if osha { c.as_ref().map(|c| c.chars().take(2).collect()) } else { c.clone() };
    let industry =
        if osha && !naics.is_empty() { naics } else { r.enterprise.industry_code.clone().unwrap_or_default() };
    let region = if osha { (!state.is_empty()).then_some(state) } else { r.enterprise.region_code.clone() };
    Accident {
        enterprise: r.enterprise.key.clone(),
        industry,
        region,
        date: r.occurred_on,
        accident_type: two(&r.accident_type.code),
        body_part: two(&r.body_part.code),
        job: r.job.clone(),
        severe: r.severity.is_serious_or_worse(),
        employer: Default::default(),
    }
}

fn write_rows(folds: &[risk::Backtest], out: &Path) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(out).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let future = folds.iter().flat_map(|f| &f.rows).any(|r| r.actual_accidents.is_some());
    let mut header = vec![
        "cutoff",
        "model",
        "enterprise",
        "industry",
        "history_accidents",
        "expected_accidents",
        "p_any",
        "top_types",
    ];
    if future {
        header.extend(["actual_accidents", "actual_types"]);
    }
    w.write_record(&header)?;
    for bt in folds {
        for r in &bt.rows {
            let mut rec = vec![
                bt.plan.cutoff.to_string(),
                bt.model.name().to_string(),
                r.enterprise.clone(),
                r.industry.clone(),
                r.history_accidents.to_string(),
                format!("{:.6}", r.expected_accidents),
                format!("{:.6}", r.p_any),
                r.top_types.join(";"),
            ];
            if future {
                rec.push(r.actual_accidents.unwrap_or(0).to_string());
                // One entry per accident, repeats kept (most frequent type first).
                rec.push(r.actual_types.as_deref().unwrap_or_default().join(";"));
            }
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// `--model`: clap's side of `risk::Contender`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModelArg {
    /// The credibility GLM with the Dirichlet type mix (production).
    Glm,
    /// linfa's logistic regression for P(any), its multinomial one for the types.
    Logistic,
}

impl From<ModelArg> for risk::Contender {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Glm => risk::Contender::Glm,
            ModelArg::Logistic => risk::Contender::Logistic,
        }
    }
}

fn bench(
    settings: &Settings,
    file: Option<&Path>,
    profile: Profile,
    synthetic: Option<&str>,
    design_out: Option<&Path>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (listed, data) = match (file, synthetic) {
        (Some(f), _) => (
            Vec::new(),
            read(&Catalog::load_from(&crate::reference::rules::source(&settings.rules.dir))?, profile, None, f)?,
        ),
        (None, Some(spec)) => {
            let (e, a) = spec.split_once(':').ok_or_else(|| anyhow::anyhow!("--synthetic ENTERPRISES:ACCIDENTS"))?;
            synth::province(e.trim().parse()?, a.trim().parse()?, 20261122)
        }
        (None, None) => anyhow::bail!("give --accidents FILE or --synthetic N:M"),
    };
    let loaded = started.elapsed();
    let last = data.iter().map(|a| a.date).max().ok_or_else(|| anyhow::anyhow!("no accidents"))?;
    let cutoff = last.succ_opt().unwrap_or(last);
    let config = RiskConfig::default();
    let t = Instant::now();
    let assessment = risk::assess(&data, &listed, cutoff, &config)?;
    let scored = t.elapsed();
    let training = risk::TrainingSet::of(&data, cutoff, &config)?;
    // The GLM alone, best of 5, for the comparison with Python on the same design.
    let mut best = f64::INFINITY;
    let mut glm = None;
    for _ in 0..5 {
        let t = Instant::now();
        let g = training.fit_glm()?;
        best = best.min(t.elapsed().as_secs_f64());
        glm = Some(g);
    }
    let glm = glm.ok_or_else(|| anyhow::anyhow!("no fit"))?;
    println!(
        "accidents={} enterprises_scored={} load_s={:.3} fit_score_s={:.3} total_s={:.3}",
        data.len(),
        assessment.scores.len(),
        loaded.as_secs_f64(),
        scored.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "glm rows={} cols={} iterations={} fit_s={best:.6} coef={}",
        training.rows,
        training.data.records.ncols(),
        glm.iterations,
        serde_json::to_string(&std::iter::once(glm.intercept).chain(glm.coef.iter().copied()).collect::<Vec<_>>())?
    );
    if let Some(path) = design_out {
        let mut w = csv::Writer::from_path(path)?;
        let mut header = vec!["y".to_string()];
        header.extend(training.names());
        w.write_record(&header)?;
        for (y, x) in training.data.targets.iter().zip(training.data.records.rows()) {
            let mut rec = vec![format!("{y}")];
            rec.extend(x.iter().map(|v| format!("{v:e}")));
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(())
}
