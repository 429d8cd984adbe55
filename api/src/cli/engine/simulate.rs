//! `zhicha engine simulate`: the trigger rules replayed month by month over an accident
//! history, in memory (nothing is written).
//!
//! For each of the last `--months` months of the history: the risk model is fitted at
//! the month's end (accidents before it), every enterprise's state is built from its
//! accidents up to then and the escalations carried from earlier months, the rules are
//! evaluated at the end of the month's last day (China time) and their decisions applied
//! to the carried records. Tasks count as done once past their due time, so nothing
//! escalates for lateness and an escalation resolved by its tasks closes when they are
//! due. Accident histories hold no findings, programme checkpoints or reports: only the
//! accident and risk rules can fire.
//!
//! Per month it prints escalations opened by level, tasks created by kind, expert visits
//! needed, and how many of the next month's accidents happened in enterprises with an
//! escalation open at the month's end, against those enterprises' share of all
//! enterprises known by then (what a random choice of as many enterprises would catch).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use zhicha_engine::findings::overdue_at;
use zhicha_engine::risk::{self, RiskConfig, RiskError};
use zhicha_engine::triggers::{
    self, AccidentFact, Decision, EnterpriseState, EscalationRecord, EscalationStatus, ExpertVisit, RiskSnapshot,
    TaskKind, TaskRecord, TaskStatus, TriggerRules,
};

use crate::config::Settings;
use crate::reference::import::Profile;
use crate::store::{accidents, enterprises};
use crate::{platform::db, reference::rules};

/// One enterprise of the history.
struct Firm {
    industry: String,
    region: Option<String>,
    /// The first day it is known (its first accident, or always for listed ones).
    known_from: Option<NaiveDate>,
}

/// The history: accidents as the risk model and as the trigger rules read them.
struct History {
    firms: BTreeMap<String, Firm>,
    model: Vec<risk::Accident>,
    /// (enterprise key, fact), in date order.
    facts: Vec<(String, AccidentFact)>,
}

#[derive(Default)]
struct Month {
    label: String,
    opened: [usize; 5],
    tasks: BTreeMap<&'static str, usize>,
    expert_visits: usize,
    escalated_firms: usize,
    known_firms: usize,
    next_accidents: usize,
    next_in_escalated: usize,
    fitted: bool,
}

pub async fn run(
    settings: &Settings,
    months: u32,
    file: Option<&Path>,
    profile: Profile,
    mapping: Option<&Path>,
) -> anyhow::Result<()> {
    if !(1..=120).contains(&months) {
        anyhow::bail!("--months: 1-120");
    }
    let loaded = rules::load_once(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let history = match file {
        Some(f) => from_file(&loaded.catalog, profile, mapping, f)?,
        None => from_database(settings).await?,
    };
    let last = history.facts.iter().map(|(_, a)| a.date).max().ok_or_else(|| anyhow::anyhow!("no accidents"))?;
    let source = file.map_or_else(|| "the database".to_string(), |f| f.display().to_string());
    println!(
        "simulating {months} months to {} over {} accidents of {} enterprises ({source}); rules {}",
        last,
        history.facts.len(),
        history.firms.len(),
        loaded.triggers.version
    );
    let config = RiskConfig { horizon_months: settings.risk.horizon_months, ..RiskConfig::default() };
    let rows = tokio::task::spawn_blocking({
        let triggers = loaded.triggers.clone();
        move || simulate(&history, &triggers, &config, months, last)
    })
    .await??;
    print_table(&rows);
    Ok(())
}

fn from_file(
    catalog: &zhicha_engine::Catalog,
    profile: Profile,
    mapping: Option<&Path>,
    file: &Path,
) -> anyhow::Result<History> {
    let records = super::read_records(catalog, profile, mapping, file)?;
    let mut h = History { firms: BTreeMap::new(), model: Vec::new(), facts: Vec::new() };
    for (i, (r, naics, state)) in records.into_iter().enumerate() {
        let a = super::accident(&r, profile, naics, state);
        let firm = h.firms.entry(a.enterprise.clone()).or_insert(Firm {
            industry: a.industry.clone(),
            region: a.region.clone(),
            known_from: Some(a.date),
        });
        firm.known_from = firm.known_from.map(|d| d.min(a.date));
        let fact = AccidentFact {
            id: i64::try_from(i).unwrap_or(i64::MAX),
            date: r.occurred_on,
            accident_type: r.accident_type.gb86.clone(),
            body_part: r.body_part.gb86.clone(),
            severity: r.severity,
            disability_grade: r.disability_grade.and_then(|g| u8::try_from(g).ok()),
        };
        h.facts.push((a.enterprise.clone(), fact));
        h.model.push(a);
    }
    h.facts.sort_by_key(|(_, a)| (a.date, a.id));
    Ok(h)
}

async fn from_database(settings: &Settings) -> anyhow::Result<History> {
    let db = db::connect(settings).await?;
    db::ensure_migrated(&db).await?;
    let firms = enterprises::industries_and_regions(&db).await?;
    let mut h = History { firms: BTreeMap::new(), model: Vec::new(), facts: Vec::new() };
    for (id, industry, region) in firms {
        // Listed enterprises are known all along, accidents or not.
        h.firms.insert(id.to_string(), Firm { industry: industry.unwrap_or_default(), region, known_from: None });
    }
    for (enterprise, row, job) in accidents::all_facts(&db).await? {
        let key = enterprise.to_string();
        let date = row.1;
        let Some(fact) = crate::governance::state::accident_fact(row) else {
            continue;
        };
        let (industry, region) = h.firms.get(&key).map(|f| (f.industry.clone(), f.region.clone())).unwrap_or_default();
        h.model.push(risk::Accident {
            enterprise: key.clone(),
            industry,
            region,
            date,
            accident_type: fact.accident_type.clone(),
            body_part: fact.body_part.clone(),
            job,
            severe: fact.severity.is_serious_or_worse(),
            employer: Default::default(),
        });
        h.facts.push((key, fact));
    }
    h.facts.sort_by_key(|(_, a)| (a.date, a.id));
    Ok(h)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn simulate(
    h: &History,
    rules: &TriggerRules,
    config: &RiskConfig,
    months: u32,
    last: NaiveDate,
) -> anyhow::Result<Vec<Month>> {
    let listed: Vec<risk::Enterprise> = h
        .firms
        .iter()
        .map(|(k, f)| risk::Enterprise {
            key: k.clone(),
            industry: f.industry.clone(),
            region: f.region.clone(),
            workers: None,
            employer: Default::default(),
        })
        .collect();
    let first_month = first_of_month(last)
        .checked_sub_months(Months::new(months.saturating_sub(1)))
        .ok_or_else(|| anyhow::anyhow!("months out of range"))?;
    let mut carried: HashMap<&str, Vec<EscalationRecord>> = HashMap::new();
    let mut out = Vec::new();
    for m in 0..months {
        let start = first_month.checked_add_months(Months::new(m)).ok_or_else(|| anyhow::anyhow!("date range"))?;
        let next = start.checked_add_months(Months::new(1)).ok_or_else(|| anyhow::anyhow!("date range"))?;
        let after = next.checked_add_months(Months::new(1)).ok_or_else(|| anyhow::anyhow!("date range"))?;
        let month_end = next.pred_opt().unwrap_or(start);
        let now: DateTime<Utc> = overdue_at(month_end) - chrono::Duration::seconds(1);
        let mut row = Month { label: format!("{}-{:02}", start.year(), start.month()), ..Month::default() };
        // The risk model as a refit at the month's end would have it.
        let risk: HashMap<String, RiskSnapshot> = match risk::assess(&h.model, &listed, next, config) {
            Ok(a) => {
                row.fitted = true;
                a.scores
                    .into_iter()
                    .map(|s| {
                        (
                            s.enterprise,
                            RiskSnapshot {
                                industry_percentile: s.industry_percentile,
                                region_percentile: s.region_percentile,
                                expected_accidents: s.expected_accidents,
                                p_serious: s.p_serious,
                            },
                        )
                    })
                    .collect()
            }
            Err(RiskError::TooLittleData(_)) => HashMap::new(),
            Err(e) => return Err(e.into()),
        };
        let mut by_firm: HashMap<&str, Vec<AccidentFact>> = HashMap::new();
        for (k, a) in h.facts.iter().filter(|(_, a)| a.date < next) {
            by_firm.entry(k.as_str()).or_default().push(a.clone());
        }
        let mut escalated: Vec<&str> = Vec::new();
        for (key, firm) in &h.firms {
            if firm.known_from.is_some_and(|d| d >= next) {
                continue;
            }
            row.known_firms += 1;
            let records = carried.entry(key.as_str()).or_default();
            // Tasks past their due time count as done.
            for e in records.iter_mut() {
                for t in e.tasks.iter_mut() {
                    if t.status.is_pending() && t.due.is_some_and(|d| d <= now) {
                        t.status = TaskStatus::Done;
                    }
                }
            }
            let visits: Vec<ExpertVisit> = records
                .iter()
                .flat_map(|e| e.tasks.iter())
                .filter(|t| t.kind == TaskKind::ExpertVisit && t.status == TaskStatus::Done)
                .enumerate()
                .filter_map(|(i, t)| {
                    Some(ExpertVisit {
                        id: i64::try_from(i).ok()?,
                        date: zhicha_engine::findings::local_date(t.due?),
                        follow_up_failed: false,
                    })
                })
                .collect();
            let state = EnterpriseState {
                risk: risk.get(key).cloned(),
                accidents: by_firm.remove(key.as_str()).unwrap_or_default(),
                expert_visits: visits,
                escalations: records.clone(),
                ..EnterpriseState::default()
            };
            for d in triggers::evaluate(&state, rules, now) {
                apply(records, &d, now, &mut row);
            }
            if records.iter().any(|e| e.status != EscalationStatus::Closed) {
                escalated.push(key.as_str());
            }
        }
        row.escalated_firms = escalated.len();
        let escalated: std::collections::HashSet<&str> = escalated.into_iter().collect();
        for (k, _) in h.facts.iter().filter(|(_, a)| a.date >= next && a.date < after) {
            row.next_accidents += 1;
            if escalated.contains(k.as_str()) {
                row.next_in_escalated += 1;
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// One decision applied to the carried records, counted in `row`.
fn apply(records: &mut Vec<EscalationRecord>, d: &Decision, now: DateTime<Utc>, row: &mut Month) {
    let opened = |level: u8, kind: TaskKind, row: &mut Month| {
        if let Some(n) = row.opened.get_mut(usize::from(level.saturating_sub(1))) {
            *n += 1;
        }
        *row.tasks.entry(kind.as_str()).or_default() += 1;
        if kind == TaskKind::ExpertVisit {
            row.expert_visits += 1;
        }
    };
    match d {
        Decision::Open(o) => {
            opened(o.level, o.task, row);
            records.push(EscalationRecord {
                cause_key: o.cause_key.clone(),
                rule_id: Some(o.rule_id.clone()),
                level: o.level,
                status: EscalationStatus::Open,
                parent: None,
                closed_on: None,
                tasks: vec![TaskRecord { kind: o.task, due: Some(o.due), status: TaskStatus::Open }],
            });
        }
        Decision::EscalateFurther(f) => {
            opened(f.level, f.task, row);
            if let Some(p) = records.iter_mut().find(|e| e.cause_key == f.from) {
                p.status = EscalationStatus::Escalated;
            }
            records.push(EscalationRecord {
                cause_key: f.cause_key.clone(),
                rule_id: Some(f.rule_id.clone()),
                level: f.level,
                status: EscalationStatus::Open,
                parent: Some(f.from.clone()),
                closed_on: None,
                tasks: vec![TaskRecord { kind: f.task, due: Some(f.due), status: TaskStatus::Open }],
            });
        }
        Decision::Close(c) => {
            if let Some(e) = records.iter_mut().find(|e| e.cause_key == c.cause_key) {
                e.status = EscalationStatus::Closed;
                e.closed_on = Some(zhicha_engine::findings::local_date(now));
                for t in e.tasks.iter_mut().filter(|t| t.status.is_pending()) {
                    t.status = TaskStatus::Cancelled;
                }
            }
        }
    }
}

fn print_table(rows: &[Month]) {
    let kinds: Vec<&str> = TaskKind::ALL.iter().map(|k| k.as_str()).collect();
    println!(
        "\n| month | risk fit | opened L1 | L2 | L3 | L4 | L5 | {} | expert visits needed | enterprises escalated | next month's accidents | of them in escalated enterprises | escalated share of enterprises |",
        kinds.join(" | ")
    );
    println!("|{}", "---|".repeat(11 + kinds.len() + 1));
    for r in rows {
        let tasks: Vec<String> = kinds.iter().map(|k| r.tasks.get(k).copied().unwrap_or(0).to_string()).collect();
        let pct =
            |a: usize, b: usize| if b == 0 { "-".to_string() } else { format!("{:.1}%", 100.0 * a as f64 / b as f64) };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} ({}) | {} |",
            r.label,
            if r.fitted { "yes" } else { "no" },
            r.opened[0],
            r.opened[1],
            r.opened[2],
            r.opened[3],
            r.opened[4],
            tasks.join(" | "),
            r.expert_visits,
            r.escalated_firms,
            r.known_firms,
            r.next_accidents,
            r.next_in_escalated,
            pct(r.next_in_escalated, r.next_accidents),
            pct(r.escalated_firms, r.known_firms),
        );
    }
}
