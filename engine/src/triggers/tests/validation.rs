//! Broken trigger files: each kind of mistake reported as file:line with its reason.

use super::*;
use crate::hazards::Text;

const LEVELS: &str = r#"version = "t1"
[[level]]
level = 1
name = "自查自纠"
task = "self_inspection"
due_days = 15
[[level]]
level = 2
name = "安全员事故辅助调查"
task = "accident_investigation"
due_days = 15
escalate_to = 3
[[level]]
level = 3
name = "安全专家入企治理"
task = "expert_visit"
due_days = 20
[[level]]
level = 4
name = "人社部门联合调研督促"
task = "joint_research"
due_days = 30
[[level]]
level = 5
name = "联合督导"
task = "joint_supervision"
due_days = 30
"#;

/// A valid rule; tests replace one line of it.
const RULE: &str = r#"version = "t1"
title = "测试"

[[rule]]
id = "L2-TEST"
version = 1
name = "测试规则"
about = "A test rule."
level = 2
cause = "accident"
escalate_to = 3
when = { metric = "accidents", severity = ["serious"], accident_types = ["09"], window_days = 30, op = ">=", value = 1 }
resolved_when = { metric = "open_tasks", op = "==", value = 0 }
"#;

fn text(rel: &str, body: &str) -> Text {
    Text { path: PathBuf::from("rules").join(rel), rel: PathBuf::from(rel), text: body.to_string() }
}

fn check_all(levels: &str, files: &[&str]) -> Result<TriggerRules, Vec<String>> {
    let files: Vec<Text> = files.iter().enumerate().map(|(i, b)| text(&format!("triggers/r{i}.toml"), b)).collect();
    from_texts(&text("triggers/levels.toml", levels), &files, catalog())
        .map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

fn check(rule: &str) -> Result<TriggerRules, Vec<String>> {
    check_all(LEVELS, &[rule])
}

/// The rule file with `from` replaced by `to` must fail with exactly `expected`.
fn fails(from: &str, to: &str, expected: &str) {
    assert!(RULE.contains(from), "{from}");
    let broken = RULE.replacen(from, to, 1);
    match check(&broken) {
        Ok(_) => panic!("accepted:\n{broken}"),
        Err(e) => assert_eq!(e, [expected], "for {to:?}"),
    }
}

#[test]
fn the_valid_rule_loads() {
    let r = check(RULE).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.rules.len(), 1);
    let rule = &r.rules[0];
    // Task and due days come from the level when the rule leaves them out.
    assert_eq!((rule.task, rule.due_days, rule.line), (TaskKind::AccidentInvestigation, 15, 5));
    assert_eq!(rule.file, Path::new("triggers/r0.toml"));
}

#[test]
fn syntax_errors_and_unknown_keys() {
    fails("name = \"测试规则\"", "name = \"测试规则", "rules/triggers/r0.toml:7: invalid basic string");
    fails(
        "escalate_to = 3",
        "escalate_to = 3\nseverity = 2",
        "rules/triggers/r0.toml:12: unknown field `severity`, expected one of `id`, `version`, `name`, `about`, `level`, `task`, `due_days`, `cause`, `when`, `resolved_when`, `escalate_to`",
    );
    let e = check(&RULE.replacen("window_days = 30", "window = 30", 1)).err().unwrap_or_default();
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("rules/triggers/r0.toml:12: unknown field `window`"), "{e:?}");
}

#[test]
fn unknown_metric_op_cause_task_and_severity() {
    fails(
        r#"metric = "open_tasks""#,
        r#"metric = "tasks""#,
        "rules/triggers/r0.toml:13: `metric` \"tasks\": expected risk_percentile, expected_accidents, p_serious, accidents, accidents_after_visit, failed_follow_ups, open_hazards, overdue_hazards, failed_acceptances, rectification_rate, recommended, found, reports_late, open_tasks, done_tasks",
    );
    fails(r#"op = ">=""#, r#"op = "=>""#, "rules/triggers/r0.toml:12: `op` \"=>\": expected >=, >, <=, <, ==, !=");
    fails(
        r#"cause = "accident""#,
        r#"cause = "incident""#,
        "rules/triggers/r0.toml:10: `cause` \"incident\": expected accident, accident_type, body_part, finding, expert_visit, checkpoint, report, year, quarter, month",
    );
    fails(
        "level = 2\n",
        "level = 2\ntask = \"visit\"\n",
        "rules/triggers/r0.toml:10: `task` \"visit\": expected self_inspection, accident_investigation, expert_visit, joint_research, joint_supervision, follow_up",
    );
    fails(
        r#"severity = ["serious"]"#,
        r#"severity = ["fatal"]"#,
        "rules/triggers/r0.toml:12: `severity`: \"fatal\": expected minor, serious, disability, death",
    );
}

#[test]
fn unknown_codes_are_checked_against_the_catalog() {
    fails(
        r#"accident_types = ["09"]"#,
        r#"accident_types = ["21"]"#,
        "rules/triggers/r0.toml:12: `accident_types`: \"21\": not a GB 6441-86 accident type code (01..20)",
    );
    fails(
        r#"accident_types = ["09"]"#,
        r#"body_parts = ["A1.16"]"#,
        "rules/triggers/r0.toml:12: `body_parts`: \"A1.16\": not a GB 6441-86 body part code (A1.01..A1.15)",
    );
}

#[test]
fn bad_levels_and_escalation_targets() {
    fails("level = 2\n", "level = 6\n", "rules/triggers/r0.toml:9: `level` 6 is outside 1..=5");
    fails("level = 2\n", "level = 0\n", "rules/triggers/r0.toml:9: `level` 0 is outside 1..=5");
    fails("escalate_to = 3", "escalate_to = 2", "rules/triggers/r0.toml:11: `escalate_to` 2 is not above level 2");
    fails("level = 2\n", "level = 2\ndue_days = 400\n", "rules/triggers/r0.toml:10: `due_days` 400 is outside 1..=365");
}

#[test]
fn conditions_that_do_not_make_sense() {
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        r#"resolved_when = { metric = "found", grade = "major", op = "==", value = 0 }"#,
        "rules/triggers/r0.toml:13: `grade` does not apply to metric `found`",
    );
    fails(
        r#"when = { metric = "accidents", severity = ["serious"], accident_types = ["09"], window_days = 30, op = ">=", value = 1 }"#,
        r#"when = { metric = "done_tasks", op = ">=", value = 1 }"#,
        "rules/triggers/r0.toml:12: metric `done_tasks` describes an escalation's tasks: only in `resolved_when`",
    );
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        r#"resolved_when = { metric = "rectification_rate", op = ">=", value = 80 }"#,
        "rules/triggers/r0.toml:13: `value` 80 is outside 0..=1 for `rectification_rate`",
    );
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        r#"resolved_when = { all = [], metric = "found" }"#,
        "rules/triggers/r0.toml:13: `metric` belongs to a comparison, not to `all`",
    );
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        r#"resolved_when = { all = [] }"#,
        "rules/triggers/r0.toml:13: `all` is empty",
    );
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        "[rule.resolved_when]\nany = [\n  { metric = \"open_tasks\", op = \"==\", value = 0 },\n  { metric = \"done_tasks\", value = 1 },\n]",
        "rules/triggers/r0.toml:16: missing `op`",
    );
    fails(
        "window_days = 30",
        "window_days = 30, window_months = 1",
        "rules/triggers/r0.toml:12: give `window_days` or `window_months`, not both",
    );
    fails(
        r#"resolved_when = { metric = "open_tasks", op = "==", value = 0 }"#,
        "resolved_when = {}",
        "rules/triggers/r0.toml:13: a condition needs `metric` (with `op` and `value`) or `all` / `any`",
    );
}

#[test]
fn missing_fields_and_malformed_ids() {
    fails("cause = \"accident\"\n", "", "rules/triggers/r0.toml:4: missing `cause`");
    fails(
        "id = \"L2-TEST\"",
        "id = \"l2 test\"",
        "rules/triggers/r0.toml:5: id \"l2 test\" is not of the form L2-WHAT (upper case, digits, dashes, ≤ 40)",
    );
    fails("about = \"A test rule.\"", "about = \" \"", "rules/triggers/r0.toml:8: `about` is empty");
    fails(
        "version = \"t1\"",
        "# version: t2\nversion = \"t1\"",
        "rules/triggers/r0.toml:1: `# version:` \"t2\" differs from `version`",
    );
}

#[test]
fn duplicate_ids_across_files() {
    let e = check_all(LEVELS, &[RULE, RULE]).err().unwrap_or_default();
    assert_eq!(e, ["rules/triggers/r1.toml:5: id L2-TEST repeats rules/triggers/r0.toml:5"]);
}

#[test]
fn the_ladder_needs_each_level_once() {
    let without_5 = LEVELS.split("[[level]]\nlevel = 5").next().unwrap_or_default();
    assert_eq!(
        check_all(without_5, &[RULE]).err().unwrap_or_default(),
        ["rules/triggers/levels.toml: level 5 is missing; the ladder has levels 1..=5"]
    );
    let twice = LEVELS.replacen("level = 4", "level = 3", 1);
    let e = check_all(&twice, &[RULE]).err().unwrap_or_default();
    assert_eq!(e, ["rules/triggers/levels.toml:18: level 3 is defined twice"]);
    let bad_task = LEVELS.replacen("task = \"expert_visit\"", "task = \"expert\"", 1);
    let e = check_all(&bad_task, &[RULE]).err().unwrap_or_default();
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("rules/triggers/levels.toml:16: `task` \"expert\""), "{e:?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let broken = RULE.replacen("level = 2\n", "level = 9\n", 1).replacen(r#"["09"]"#, r#"["99"]"#, 1);
    let e = check_all(LEVELS, &[&broken, "version = \"t1\"\ntitle = \"空\"\n"]).err().unwrap_or_default();
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[2].ends_with("r1.toml: the file has no [[rule]]"), "{e:?}");
}

#[test]
fn the_directory_loader_reports_its_files() {
    let dir = std::env::temp_dir().join(format!("zhicha-triggers-{}", std::process::id()));
    let triggers = dir.join("triggers");
    std::fs::create_dir_all(&triggers).expect("mkdir");
    std::fs::write(triggers.join("levels.toml"), LEVELS).expect("write");
    std::fs::write(triggers.join("a.toml"), RULE.replacen("value = 1 }", "value = -1 }", 1)).expect("write");
    let e = load(&dir, catalog()).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(e, format!("{}:12: `value` -1 is outside 0..=inf for `accidents`", triggers.join("a.toml").display()));
    std::fs::write(triggers.join("a.toml"), RULE).expect("write");
    let ok = load(&dir, catalog()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.files.len(), 2);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
