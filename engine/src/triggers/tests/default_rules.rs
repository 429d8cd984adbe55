//! Every rule of the default set: a state that fires it and a near miss that does not.

use super::*;

/// The rules tested here; a new default rule must be added (and tested).
const TESTED: [&str; 17] = [
    "L1-MINOR-ACCIDENT",
    "L1-RISK-TOP-QUARTILE",
    "L1-FOUND-BELOW-TARGET",
    "L2-SERIOUS-ACCIDENT",
    "L2-REPEAT-TYPE",
    "L2-REPEAT-BODY-PART",
    "L3-FATAL-OR-GRAVE",
    "L3-HIGH-CONSEQUENCE-TYPE",
    "L3-RISK-TOP-DECILE",
    "L3-SELF-REPORTED-MAJOR",
    "L3-FAILED-ACCEPTANCE",
    "L3-OVERDUE-BACKLOG",
    "L4-RECTIFICATION-BELOW-TARGET",
    "L4-OVERDUE-MAJOR",
    "L4-REPORT-LATE",
    "L5-REPEAT-AFTER-EXPERT",
    "L5-FAILED-FOLLOW-UP",
];

#[test]
fn every_default_rule_is_tested() {
    let mut ids: Vec<&str> = defaults().rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(ids, tested);
}

fn with_accidents(list: Vec<AccidentFact>) -> EnterpriseState {
    EnterpriseState { accidents: list, ..Default::default() }
}

fn with_risk(percentile: f64, expected: f64) -> EnterpriseState {
    EnterpriseState {
        risk: Some(RiskSnapshot {
            industry_percentile: Some(percentile),
            region_percentile: None,
            expected_accidents: expected,
            p_serious: 0.1,
        }),
        ..Default::default()
    }
}

fn at_checkpoint(date: NaiveDate, recommended: u64, found: u64, rectified: u64) -> EnterpriseState {
    EnterpriseState {
        progress: Progress { recommended, found, rectified },
        checkpoints: vec![Checkpoint { id: "2026-H2".into(), date }],
        ..Default::default()
    }
}

#[test]
fn l1_minor_accident() {
    let fire = opens(&with_accidents(vec![accident(1, 30, "03", "A1.13", Severity::Minor)]), "L1-MINOR-ACCIDENT");
    assert_eq!(fire.len(), 1);
    let o = &fire[0];
    assert_eq!((o.level, o.task, o.cause_key.as_str()), (1, TaskKind::SelfInspection, "L1-MINOR-ACCIDENT/accident:1"));
    assert_eq!(o.accident_ids, [1]);
    // Due at the end of the 15th day in China time.
    assert_eq!(o.due, Utc.with_ymd_and_hms(2026, 12, 16, 16, 0, 0).single().expect("time"));
    // One day too old, or not minor.
    assert!(
        opens(&with_accidents(vec![accident(1, 31, "03", "A1.13", Severity::Minor)]), "L1-MINOR-ACCIDENT").is_empty()
    );
    assert!(
        opens(&with_accidents(vec![accident(1, 1, "03", "A1.13", Severity::Serious)]), "L1-MINOR-ACCIDENT").is_empty()
    );
}

#[test]
fn l1_risk_top_quartile() {
    let fire = opens(&with_risk(75.0, 0.1), "L1-RISK-TOP-QUARTILE");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L1-RISK-TOP-QUARTILE/period:2026");
    assert_eq!(fire[0].inputs[0].value, Some(75.0));
    assert_eq!(fire[0].inputs[0].threshold, 75.0);
    assert!(opens(&with_risk(74.9, 0.1), "L1-RISK-TOP-QUARTILE").is_empty());
    // No risk score yet: nothing to compare.
    assert!(opens(&EnterpriseState::default(), "L1-RISK-TOP-QUARTILE").is_empty());
}

#[test]
fn l1_found_below_target() {
    let fire = opens(&at_checkpoint(ago(1), 150, 49, 0), "L1-FOUND-BELOW-TARGET");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L1-FOUND-BELOW-TARGET/checkpoint:2026-H2");
    assert!(opens(&at_checkpoint(ago(1), 150, 50, 0), "L1-FOUND-BELOW-TARGET").is_empty());
    assert!(opens(&at_checkpoint(ago(1), 149, 10, 0), "L1-FOUND-BELOW-TARGET").is_empty());
    // The checkpoint is today: it has not passed yet.
    assert!(opens(&at_checkpoint(today(), 150, 10, 0), "L1-FOUND-BELOW-TARGET").is_empty());
}

#[test]
fn l2_serious_accident() {
    for severity in [Severity::Serious, Severity::Disability, Severity::Death] {
        let fire = opens(&with_accidents(vec![accident(5, 10, "09", "A1.14", severity)]), "L2-SERIOUS-ACCIDENT");
        assert_eq!(fire.len(), 1, "{severity:?}");
        assert_eq!(fire[0].task, TaskKind::AccidentInvestigation);
        assert_eq!(fire[0].accident_ids, [5]);
        assert_eq!(fire[0].checklist.len(), 4, "四不放过");
    }
    assert!(
        opens(&with_accidents(vec![accident(5, 10, "09", "A1.14", Severity::Minor)]), "L2-SERIOUS-ACCIDENT").is_empty()
    );
    assert!(
        opens(&with_accidents(vec![accident(5, 31, "09", "A1.14", Severity::Death)]), "L2-SERIOUS-ACCIDENT").is_empty()
    );
}

#[test]
fn l2_repeat_type() {
    let pair = vec![accident(1, 180, "09", "A1.14", Severity::Minor), accident(2, 0, "09", "A1.01", Severity::Minor)];
    let fire = opens(&with_accidents(pair), "L2-REPEAT-TYPE");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L2-REPEAT-TYPE/type:09#1");
    assert_eq!(fire[0].accident_ids, [1, 2]);
    let apart = vec![accident(1, 181, "09", "A1.14", Severity::Minor), accident(2, 0, "09", "A1.01", Severity::Minor)];
    assert!(opens(&with_accidents(apart), "L2-REPEAT-TYPE").is_empty());
    let different =
        vec![accident(1, 5, "09", "A1.14", Severity::Minor), accident(2, 0, "03", "A1.14", Severity::Minor)];
    assert!(opens(&with_accidents(different), "L2-REPEAT-TYPE").is_empty());
}

#[test]
fn l2_repeat_body_part() {
    let three = vec![
        accident(1, 300, "03", "A1.13", Severity::Minor),
        accident(2, 100, "01", "A1.13", Severity::Minor),
        accident(3, 2, "04", "A1.13", Severity::Minor),
    ];
    let fire = opens(&with_accidents(three.clone()), "L2-REPEAT-BODY-PART");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L2-REPEAT-BODY-PART/body_part:A1.13#1");
    let mut old = three;
    old[0].date = ago(400);
    assert!(opens(&with_accidents(old), "L2-REPEAT-BODY-PART").is_empty());
}

#[test]
fn l3_fatal_or_grave() {
    let death = opens(&with_accidents(vec![accident(1, 3, "09", "A1.01", Severity::Death)]), "L3-FATAL-OR-GRAVE");
    assert_eq!(death.len(), 1);
    assert_eq!(death[0].task, TaskKind::ExpertVisit);
    let mut grade4 = accident(2, 3, "03", "A1.13", Severity::Disability);
    grade4.disability_grade = Some(4);
    assert_eq!(opens(&with_accidents(vec![grade4.clone()]), "L3-FATAL-OR-GRAVE").len(), 1);
    let mut grade5 = grade4;
    grade5.disability_grade = Some(5);
    assert!(opens(&with_accidents(vec![grade5]), "L3-FATAL-OR-GRAVE").is_empty());
    assert!(
        opens(&with_accidents(vec![accident(1, 3, "09", "A1.01", Severity::Serious)]), "L3-FATAL-OR-GRAVE").is_empty()
    );
}

#[test]
fn l3_high_consequence_type() {
    let fire = opens(&with_accidents(vec![accident(1, 0, "19", "A1.08", Severity::Minor)]), "L3-HIGH-CONSEQUENCE-TYPE");
    assert_eq!(fire.len(), 1);
    assert!(
        opens(&with_accidents(vec![accident(1, 0, "20", "A1.08", Severity::Minor)]), "L3-HIGH-CONSEQUENCE-TYPE")
            .is_empty()
    );
    let mut unknown = accident(1, 0, "19", "A1.08", Severity::Minor);
    unknown.accident_type = None;
    assert!(opens(&with_accidents(vec![unknown]), "L3-HIGH-CONSEQUENCE-TYPE").is_empty());
}

#[test]
fn l3_risk_top_decile() {
    let fire = opens(&with_risk(92.0, 0.6), "L3-RISK-TOP-DECILE");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].inputs.len(), 2, "both comparisons recorded");
    assert!(opens(&with_risk(92.0, 0.4), "L3-RISK-TOP-DECILE").is_empty());
    assert!(opens(&with_risk(89.0, 3.0), "L3-RISK-TOP-DECILE").is_empty());
}

#[test]
fn l3_self_reported_major() {
    let state = |f: FindingFact| EnterpriseState { findings: vec![f], ..Default::default() };
    let fire = opens(&state(finding(8, true, true, None)), "L3-SELF-REPORTED-MAJOR");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].finding_id, Some(8));
    assert_eq!(fire[0].cause_key, "L3-SELF-REPORTED-MAJOR/finding:8");
    assert!(opens(&state(finding(8, true, false, None)), "L3-SELF-REPORTED-MAJOR").is_empty());
    assert!(opens(&state(finding(8, false, true, None)), "L3-SELF-REPORTED-MAJOR").is_empty());
    let mut done = finding(8, true, true, None);
    done.open = false;
    assert!(opens(&state(done), "L3-SELF-REPORTED-MAJOR").is_empty());
}

#[test]
fn l3_failed_acceptance() {
    let state = |n: u32| {
        let mut f = finding(4, false, true, Some(ago(1)));
        f.failed_acceptances = n;
        EnterpriseState { findings: vec![f, finding(5, false, true, None)], ..Default::default() }
    };
    let fire = opens(&state(2), "L3-FAILED-ACCEPTANCE");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].finding_id, Some(4));
    assert!(opens(&state(1), "L3-FAILED-ACCEPTANCE").is_empty());
}

#[test]
fn l3_overdue_backlog() {
    let state = |days: u64| EnterpriseState {
        findings: (1..=5).map(|i| finding(i, false, true, Some(ago(days)))).collect(),
        ..Default::default()
    };
    let fire = opens(&state(30), "L3-OVERDUE-BACKLOG");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L3-OVERDUE-BACKLOG/period:2026Q4");
    assert!(opens(&state(29), "L3-OVERDUE-BACKLOG").is_empty());
    let mut four = state(60);
    four.findings[0].open = false;
    assert!(opens(&four, "L3-OVERDUE-BACKLOG").is_empty());
}

#[test]
fn l4_rectification_below_target() {
    let fire = opens(&at_checkpoint(ago(1), 150, 50, 39), "L4-RECTIFICATION-BELOW-TARGET");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].task, TaskKind::JointResearch);
    assert!(opens(&at_checkpoint(ago(1), 150, 50, 40), "L4-RECTIFICATION-BELOW-TARGET").is_empty());
    // Nothing found: no rate to hold against the target.
    assert!(opens(&at_checkpoint(ago(1), 150, 0, 0), "L4-RECTIFICATION-BELOW-TARGET").is_empty());
    // The latest passed checkpoint is the cause.
    let mut two = at_checkpoint(ago(200), 150, 50, 10);
    two.checkpoints.push(Checkpoint { id: "2026-Q3".into(), date: ago(10) });
    two.checkpoints
        .push(Checkpoint { id: "2027-H1".into(), date: ago(0).checked_add_days(Days::new(90)).expect("date") });
    let keys: Vec<String> = opens(&two, "L4-RECTIFICATION-BELOW-TARGET").into_iter().map(|o| o.cause_key).collect();
    assert_eq!(keys, ["L4-RECTIFICATION-BELOW-TARGET/checkpoint:2026-Q3"]);
}

#[test]
fn l4_overdue_major() {
    let state = |deadline: NaiveDate| EnterpriseState {
        findings: vec![finding(9, true, false, Some(deadline))],
        ..Default::default()
    };
    let fire = opens(&state(ago(1)), "L4-OVERDUE-MAJOR");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].finding_id, Some(9));
    // Due today in China: not overdue until the day ends.
    assert!(opens(&state(today()), "L4-OVERDUE-MAJOR").is_empty());
    let general = EnterpriseState { findings: vec![finding(9, false, false, Some(ago(10)))], ..Default::default() };
    assert!(opens(&general, "L4-OVERDUE-MAJOR").is_empty());
}

#[test]
fn l4_report_late() {
    let state = |due: NaiveDate, submitted_on: Option<NaiveDate>| EnterpriseState {
        reports: vec![ReportDue { period: "2026".into(), due, submitted_on }],
        ..Default::default()
    };
    let fire = opens(&state(ago(1), None), "L4-REPORT-LATE");
    assert_eq!(fire.len(), 1);
    assert_eq!(fire[0].cause_key, "L4-REPORT-LATE/report:2026");
    assert!(opens(&state(today(), None), "L4-REPORT-LATE").is_empty());
    assert!(opens(&state(ago(5), Some(ago(6))), "L4-REPORT-LATE").is_empty());
}

#[test]
fn l5_repeat_after_expert() {
    let state = |visit_ago: u64, accident_ago: u64, severity| EnterpriseState {
        expert_visits: vec![ExpertVisit { id: 3, date: ago(visit_ago), follow_up_failed: false }],
        accidents: vec![accident(1, accident_ago, "03", "A1.13", severity)],
        ..Default::default()
    };
    let fire = opens(&state(100, 40, Severity::Serious), "L5-REPEAT-AFTER-EXPERT");
    assert_eq!(fire.len(), 1);
    assert_eq!((fire[0].level, fire[0].task), (5, TaskKind::JointSupervision));
    assert_eq!(fire[0].cause_key, "L5-REPEAT-AFTER-EXPERT/visit:3");
    assert_eq!(fire[0].accident_ids, [1]);
    // Before the visit, minor, or more than a year after it.
    assert!(opens(&state(40, 100, Severity::Serious), "L5-REPEAT-AFTER-EXPERT").is_empty());
    assert!(opens(&state(100, 40, Severity::Minor), "L5-REPEAT-AFTER-EXPERT").is_empty());
    assert!(opens(&state(400, 34, Severity::Death), "L5-REPEAT-AFTER-EXPERT").is_empty());
}

#[test]
fn l5_failed_follow_up() {
    let state = |failed: bool, open: bool| EnterpriseState {
        expert_visits: vec![ExpertVisit { id: 7, date: ago(30), follow_up_failed: failed }],
        findings: vec![FindingFact {
            id: 1,
            major: false,
            self_reported: false,
            open,
            deadline: None,
            failed_acceptances: 0,
        }],
        ..Default::default()
    };
    let fire = opens(&state(true, true), "L5-FAILED-FOLLOW-UP");
    assert_eq!(fire.len(), 1);
    assert_eq!((fire[0].level, fire[0].task), (5, TaskKind::JointSupervision));
    assert_eq!(fire[0].cause_key, "L5-FAILED-FOLLOW-UP/visit:7");
    // A passed follow-up fires nothing.
    assert!(opens(&state(false, true), "L5-FAILED-FOLLOW-UP").is_empty());
}

#[test]
fn explain_agrees_with_evaluate() {
    let state = with_accidents(vec![
        accident(5, 10, "09", "A1.14", Severity::Serious),
        accident(6, 40, "09", "A1.14", Severity::Serious),
    ]);
    let rules = defaults();
    let Some(rule) = rules.rule("L2-SERIOUS-ACCIDENT") else { panic!("the default rule") };
    let subjects = explain(&state, rule, now());
    assert_eq!(subjects.len(), 2);
    assert!(subjects[0].fires && subjects[0].cause_key.ends_with("accident:5"), "firing subjects first");
    assert!(!subjects[1].fires);
    assert_eq!(subjects[1].observed[0].value, Some(0.0), "the older accident is outside the window");
    let opened: Vec<String> = opens(&state, "L2-SERIOUS-ACCIDENT").into_iter().map(|o| o.cause_key).collect();
    assert_eq!(opened, [subjects[0].cause_key.clone()]);
}
