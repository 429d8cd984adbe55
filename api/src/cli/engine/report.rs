//! The backtest's printed report: per cutoff, what was fitted on which windows and
//! every predictor's metrics side by side; with several cutoffs, the mean over them.

use std::path::Path;

use zhicha_engine::risk::{Backtest, Metrics};

pub fn print(folds: &[Backtest], out: &Path) {
    for bt in folds {
        let p = &bt.plan;
        println!(
            "cutoff {} horizon {} months: scored {} enterprises with an accident in {} .. {}; level learned on {} .. {} → {} .. {} ({} enterprises)",
            p.cutoff,
            p.horizon_months,
            bt.rows.len(),
            p.history.0,
            p.history.1,
            p.train_history.0,
            p.train_history.1,
            p.train_target.0,
            p.train_target.1,
            bt.training_rows,
        );
        if bt.metrics.is_empty() {
            println!("no records after the cutoff: nothing to compare with");
        } else {
            table(&bt.metrics);
        }
        for (name, why) in &bt.unfitted {
            println!("{name}: not fitted on this cutoff: {why}");
        }
    }
    let measured: Vec<&Backtest> = folds.iter().filter(|f| !f.metrics.is_empty()).collect();
    if measured.len() > 1 {
        println!("mean over {} cutoffs:", measured.len());
        table(&mean(&measured));
    }
    println!("wrote {} (rows: {})", out.display(), folds.first().map_or("-", |f| f.model.name()));
}

/// The mean of each metric over the folds where it is defined, per predictor name.
fn mean(folds: &[&Backtest]) -> Vec<Metrics> {
    let Some(first) = folds.first() else { return Vec::new() };
    first
        .metrics
        .iter()
        .map(|m| {
            let all: Vec<&Metrics> = folds.iter().filter_map(|f| f.metrics.iter().find(|x| x.name == m.name)).collect();
            let avg = |get: fn(&Metrics) -> Option<f64>| {
                let v: Vec<f64> = all.iter().filter_map(|m| get(m)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            Metrics {
                name: m.name.clone(),
                deviance: avg(|m| m.deviance),
                spearman: avg(|m| m.spearman),
                top10_share: avg(|m| m.top10_share),
                auc_any: avg(|m| m.auc_any),
                auc_two: avg(|m| m.auc_two),
                top1_hit: avg(|m| m.top1_hit),
                top3_hit: avg(|m| m.top3_hit),
                top1_accident: avg(|m| m.top1_accident),
                top3_accident: avg(|m| m.top3_accident),
            }
        })
        .collect()
}

fn table(metrics: &[Metrics]) {
    let f = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
    println!(
        "{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "predictor",
        "deviance",
        "spearman",
        "top10%",
        "auc_any",
        "auc_2+",
        "top1/ent",
        "top3/ent",
        "top1/acc",
        "top3/acc"
    );
    for m in metrics {
        println!(
            "{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            m.name,
            f(m.deviance),
            f(m.spearman),
            f(m.top10_share),
            f(m.auc_any),
            f(m.auc_two),
            f(m.top1_hit),
            f(m.top3_hit),
            f(m.top1_accident),
            f(m.top3_accident)
        );
    }
}
