//! `zhicha engine explain ENTERPRISE_ID`: the enterprise's state as the trigger rules
//! read it, every rule with its comparisons (value against threshold) for each subject
//! it could open a cause for, and the decisions an evaluation would write now. Reads
//! only.

use chrono::Utc;
use zhicha_engine::triggers::{self, Decision, EnterpriseState, EscalationStatus, Observed, explain};

use crate::config::Settings;
use crate::store::enterprises;
use crate::{governance, platform::db, reference::rules};

pub async fn run(settings: &Settings, enterprise_id: i64) -> anyhow::Result<()> {
    let rules = rules::load_once(&settings.rules.dir).map_err(|e| anyhow::anyhow!("rules: {e}"))?;
    let db = db::connect(settings).await?;
    db::ensure_migrated(&db).await?;
    let e = enterprises::by_id(&db, enterprise_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no enterprise {enterprise_id}"))?;
    let now = Utc::now();
    let state = governance::apply::gather_for(&db, &e, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "enterprise {} {} (industry {}, region {})",
        e.id,
        e.name,
        or_dash(&e.industry_code),
        or_dash(&e.region_code)
    );
    print_state(&state);
    println!("\nrules {} at {now}:", rules.triggers.version);
    for rule in &rules.triggers.rules {
        let subjects = explain(&state, rule, now);
        let fired = subjects.iter().filter(|s| s.fires).count();
        println!(
            "\n{} v{} (level {}, per {}) {}: {}",
            rule.id,
            rule.version,
            rule.level,
            rule.cause.as_str(),
            rule.name,
            if fired > 0 { format!("FIRES for {fired}") } else { "does not fire".to_string() }
        );
        if subjects.is_empty() {
            println!("    nothing to evaluate (no subject of this kind)");
        }
        for s in subjects.iter().take(10) {
            let note = match &s.recorded {
                Some(st) => format!(" [already recorded: {}]", status(*st)),
                None => String::new(),
            };
            println!("  {} {}{note}", if s.fires { "✓" } else { "·" }, s.cause_key);
            for o in &s.observed {
                print_observed(o);
            }
        }
        if subjects.len() > 10 {
            println!("  … and {} more subjects", subjects.len() - 10);
        }
    }
    let decisions = triggers::evaluate(&state, &rules.triggers, now);
    println!("\ndecisions now ({}; nothing written):", decisions.len());
    for d in &decisions {
        match d {
            Decision::Open(o) => {
                println!("  open    {} level {} task {} due {}", o.cause_key, o.level, o.task.as_str(), o.due)
            }
            Decision::EscalateFurther(f) => {
                println!(
                    "  escalate {} -> {} level {} task {}: {}",
                    f.from,
                    f.cause_key,
                    f.level,
                    f.task.as_str(),
                    f.reason
                )
            }
            Decision::Close(c) => println!("  close   {}: {}", c.cause_key, c.reason),
        }
    }
    Ok(())
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn status(s: EscalationStatus) -> &'static str {
    match s {
        EscalationStatus::Open => "open",
        EscalationStatus::Escalated => "escalated",
        EscalationStatus::Closed => "closed",
    }
}

fn print_observed(o: &Observed) {
    let v = o.value.map_or_else(|| "none".to_string(), |v| format!("{v}"));
    println!(
        "      {} {}: read {v}, needs {} {}",
        if o.holds { "holds" } else { "fails" },
        o.condition,
        o.op.as_str(),
        o.threshold
    );
}

fn print_state(s: &EnterpriseState) {
    match &s.risk {
        Some(r) => println!(
            "risk: industry percentile {}, region percentile {}, expected accidents {:.3}, p(serious) {:.3}",
            r.industry_percentile.map_or("-".to_string(), |p| format!("{p:.1}")),
            r.region_percentile.map_or("-".to_string(), |p| format!("{p:.1}")),
            r.expected_accidents,
            r.p_serious
        ),
        None => println!("risk: no score yet"),
    }
    let serious = s.accidents.iter().filter(|a| a.severity.is_serious_or_worse()).count();
    let last = s.accidents.iter().map(|a| a.date).max();
    println!(
        "accidents: {} ({serious} serious or worse), latest {}",
        s.accidents.len(),
        last.map_or("-".to_string(), |d| d.to_string())
    );
    let open = s.findings.iter().filter(|f| f.open).count();
    let major = s.findings.iter().filter(|f| f.open && f.major).count();
    let failed: u32 = s.findings.iter().map(|f| f.failed_acceptances).sum();
    println!("findings: {} reported, {open} open ({major} major), {failed} failed acceptances", s.findings.len());
    println!(
        "progress: {} recommended / {} found / {} rectified (targets 150 / 50 / 80%)",
        s.progress.recommended, s.progress.found, s.progress.rectified
    );
    let cps: Vec<String> = s.checkpoints.iter().map(|c| format!("{} {}", c.id, c.date)).collect();
    println!("checkpoints: {}", if cps.is_empty() { "-".to_string() } else { cps.join(", ") });
    println!("expert visits done: {}; reports owed: {}", s.expert_visits.len(), s.reports.len());
    let by = |st: EscalationStatus| s.escalations.iter().filter(|e| e.status == st).count();
    println!(
        "escalations: {} open, {} escalated, {} closed",
        by(EscalationStatus::Open),
        by(EscalationStatus::Escalated),
        by(EscalationStatus::Closed)
    );
}
