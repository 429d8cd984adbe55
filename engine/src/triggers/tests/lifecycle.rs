//! The life of an escalation: opened once, escalated when its task is late, closed
//! when its cause is resolved.

use super::*;

fn serious(id: i64, days_ago: u64) -> EnterpriseState {
    EnterpriseState { accidents: vec![accident(id, days_ago, "09", "A1.14", Severity::Serious)], ..Default::default() }
}

fn set_tasks(state: &mut EnterpriseState, key: &str, status: TaskStatus) {
    for e in state.escalations.iter_mut().filter(|e| e.cause_key == key) {
        for t in &mut e.tasks {
            t.status = status;
        }
    }
}

#[test]
fn second_evaluation_opens_nothing_new() {
    let mut state = serious(1, 2);
    state.risk = Some(RiskSnapshot { industry_percentile: Some(95.0), expected_accidents: 2.0, ..Default::default() });
    let first = evaluate(&state, defaults(), now());
    let keys: Vec<&str> = first.iter().map(Decision::cause_key).collect();
    assert_eq!(
        keys,
        ["L1-RISK-TOP-QUARTILE/period:2026", "L2-SERIOUS-ACCIDENT/accident:1", "L3-RISK-TOP-DECILE/period:2026"]
    );
    record(&mut state, &first, today());
    assert_eq!(evaluate(&state, defaults(), now()), []);
    // Still nothing the next day, and a closed cause is not opened again either.
    assert_eq!(evaluate(&state, defaults(), later(1)), []);
    for e in &mut state.escalations {
        e.status = EscalationStatus::Closed;
        e.closed_on = Some(today());
    }
    assert_eq!(evaluate(&state, defaults(), later(1)), []);
}

#[test]
fn evaluation_is_deterministic_and_replayable_from_json() {
    let mut state = serious(2, 1);
    state.accidents.push(accident(1, 20, "09", "A1.14", Severity::Minor));
    state.findings = vec![finding(3, true, true, Some(ago(3)))];
    let a = evaluate(&state, defaults(), now());
    let json = serde_json::to_string(&state).expect("serialise");
    let replayed: EnterpriseState = serde_json::from_str(&json).expect("parse");
    assert_eq!(evaluate(&replayed, defaults(), now()), a);
    assert!(a.len() >= 4, "{a:?}");
    // Decisions serialise for the escalation's `inputs` column.
    let out = serde_json::to_value(&a[0]).expect("serialise");
    assert_eq!(out["decision"], "open");
}

#[test]
fn a_repeat_cluster_opens_once_until_it_closes() {
    let mut state = EnterpriseState {
        accidents: vec![
            accident(1, 20, "09", "A1.14", Severity::Minor),
            accident(2, 10, "09", "A1.01", Severity::Minor),
        ],
        ..Default::default()
    };
    let first = evaluate(&state, defaults(), now());
    record(&mut state, &first, today());
    assert!(state.escalations.iter().any(|e| e.cause_key == "L2-REPEAT-TYPE/type:09#1"));
    // A third fall while the investigation is open joins the same cause.
    state.accidents.push(accident(3, 0, "09", "A1.15", Severity::Minor));
    assert!(opens(&state, "L2-REPEAT-TYPE").is_empty());
    // The investigation is done: the cause closes.
    set_tasks(&mut state, "L2-REPEAT-TYPE/type:09#1", TaskStatus::Done);
    let closing = evaluate(&state, defaults(), now());
    assert!(closing.iter().any(|d| matches!(d, Decision::Close(c) if c.cause_key == "L2-REPEAT-TYPE/type:09#1")));
    record(&mut state, &closing, today());
    // Accidents up to the closing day were dealt with: one new fall is not a repeat, two are.
    let on = |days| today().checked_add_days(Days::new(days)).expect("date");
    state.accidents.push(AccidentFact { id: 4, date: on(2), ..state.accidents[2].clone() });
    assert!(opens_at(&state, later(5)).iter().all(|o| o.rule_id != "L2-REPEAT-TYPE"));
    state.accidents.push(AccidentFact { id: 5, date: on(3), ..state.accidents[2].clone() });
    let next: Vec<Opening> = opens_at(&state, later(5)).into_iter().filter(|o| o.rule_id == "L2-REPEAT-TYPE").collect();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].cause_key, "L2-REPEAT-TYPE/type:09#2");
    assert_eq!(next[0].accident_ids, [4, 5]);
}

#[test]
fn resolved_cause_closes_with_its_reason() {
    let mut state = serious(1, 2);
    let first = evaluate(&state, defaults(), now());
    record(&mut state, &first, today());
    // Task still open: nothing to close.
    assert_eq!(evaluate(&state, defaults(), now()), []);
    set_tasks(&mut state, "L2-SERIOUS-ACCIDENT/accident:1", TaskStatus::Done);
    let d = evaluate(&state, defaults(), now());
    let [Decision::Close(c)] = d.as_slice() else { panic!("{d:?}") };
    assert_eq!(c.cause_key, "L2-SERIOUS-ACCIDENT/accident:1");
    assert!(c.reason.starts_with("resolved: done_tasks >= 1; open_tasks == 0"), "{}", c.reason);
    assert_eq!(c.inputs.len(), 2);
    record(&mut state, &d, today());
    assert_eq!(evaluate(&state, defaults(), now()), []);
}

#[test]
fn risk_cause_closes_below_its_lower_threshold_only() {
    let mut state = EnterpriseState {
        risk: Some(RiskSnapshot { industry_percentile: Some(80.0), ..Default::default() }),
        ..Default::default()
    };
    let first = evaluate(&state, defaults(), now());
    record(&mut state, &first, today());
    assert_eq!(state.escalations.len(), 1);
    let set = |s: &mut EnterpriseState, p: f64| {
        if let Some(r) = s.risk.as_mut() {
            r.industry_percentile = Some(p);
        }
    };
    // Between 65 and 75: neither opens nor closes (no flapping around one threshold).
    set(&mut state, 70.0);
    assert_eq!(evaluate(&state, defaults(), now()), []);
    set(&mut state, 60.0);
    let d = evaluate(&state, defaults(), now());
    let [Decision::Close(c)] = d.as_slice() else { panic!("{d:?}") };
    assert_eq!(c.reason, "resolved: risk_percentile < 65");
    assert_eq!(c.inputs[0].value, Some(60.0));
}

#[test]
fn late_task_escalates_up_the_ladder_and_resolution_closes_the_chain() {
    let mut state = serious(1, 2);
    let first = evaluate(&state, defaults(), now());
    record(&mut state, &first, today());
    let root = "L2-SERIOUS-ACCIDENT/accident:1";
    // On the due day nothing happens; the day after, level 3 takes over.
    assert_eq!(evaluate(&state, defaults(), later(15)), []);
    let d = evaluate(&state, defaults(), later(16));
    let [Decision::EscalateFurther(f)] = d.as_slice() else { panic!("{d:?}") };
    assert_eq!((f.from.as_str(), f.cause_key.as_str()), (root, "L2-SERIOUS-ACCIDENT/accident:1>L3"));
    assert_eq!((f.level, f.task, f.rule_id.as_str()), (3, TaskKind::ExpertVisit, "L2-SERIOUS-ACCIDENT"));
    assert!(f.reason.contains("accident_investigation"), "{}", f.reason);
    record(&mut state, &d, today());
    // Recorded: the same late task does not escalate again.
    assert_eq!(evaluate(&state, defaults(), later(17)), []);
    // The expert's task is late too: level 4 (the level table says where level 3 goes).
    let d = evaluate(&state, defaults(), later(16 + 21));
    let [Decision::EscalateFurther(g)] = d.as_slice() else { panic!("{d:?}") };
    assert_eq!((g.level, g.task), (4, TaskKind::JointResearch));
    assert_eq!(g.from, "L2-SERIOUS-ACCIDENT/accident:1>L3");
    record(&mut state, &d, today());
    // Every task done: the root and both escalations close together.
    for e in &mut state.escalations {
        for t in &mut e.tasks {
            t.status = TaskStatus::Done;
        }
    }
    let d = evaluate(&state, defaults(), later(40));
    let closed: Vec<&str> = d
        .iter()
        .filter_map(|x| match x {
            Decision::Close(c) => Some(c.cause_key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(closed, [root, "L2-SERIOUS-ACCIDENT/accident:1>L3", "L2-SERIOUS-ACCIDENT/accident:1>L3>L4"]);
    assert_eq!(d.len(), 3);
}

#[test]
fn nothing_escalates_past_the_top_or_without_a_target() {
    // L5 has no escalate_to: a late joint supervision stays where it is.
    let mut state = EnterpriseState {
        expert_visits: vec![ExpertVisit { id: 3, date: ago(100), follow_up_failed: false }],
        accidents: vec![accident(1, 40, "03", "A1.13", Severity::Serious)],
        ..Default::default()
    };
    let d: Vec<Decision> =
        evaluate(&state, defaults(), now()).into_iter().filter(|d| d.cause_key().starts_with("L5-")).collect();
    record(&mut state, &d, today());
    assert!(evaluate(&state, defaults(), later(100)).iter().all(|d| !matches!(d, Decision::EscalateFurther(_))));
}

#[test]
fn manual_escalations_and_retired_rules_are_left_alone() {
    let late = TaskRecord {
        kind: TaskKind::ExpertVisit,
        due: Some(ago(30).and_hms_opt(0, 0, 0).expect("t").and_utc()),
        status: TaskStatus::Open,
    };
    let state = EnterpriseState {
        escalations: vec![
            EscalationRecord {
                cause_key: "manual:1".into(),
                rule_id: None,
                level: 3,
                status: EscalationStatus::Open,
                parent: None,
                closed_on: None,
                tasks: vec![late.clone()],
            },
            EscalationRecord {
                cause_key: "L3-RETIRED/finding:1".into(),
                rule_id: Some("L3-RETIRED".into()),
                level: 3,
                status: EscalationStatus::Open,
                parent: None,
                closed_on: None,
                tasks: vec![late],
            },
        ],
        ..Default::default()
    };
    assert_eq!(evaluate(&state, defaults(), now()), []);
}
