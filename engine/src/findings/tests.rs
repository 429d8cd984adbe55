use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;
use crate::hazards::Grade;

const OFFICER: i64 = 10;
const OTHER_OFFICER: i64 = 11;
const RESPONSIBLE: i64 = 20;
const EXPERT: i64 = 30;

fn officer() -> Actor {
    Actor::user(OFFICER, Role::EnterpriseOfficer)
}
fn responsible() -> Actor {
    Actor::user(RESPONSIBLE, Role::ResponsiblePerson)
}
fn expert() -> Actor {
    Actor::user(EXPERT, Role::Expert)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// 2026-03-01 10:00 in China.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap()
}

fn draft(grade: Grade) -> Finding {
    Finding {
        state: State::Draft,
        grade,
        version: 1,
        assignee: None,
        rectifier: None,
        deadline: None,
        plan_present: false,
        item: Some(ItemDefaults { deadline_days: 7, plan_required: false }),
        pending_extension: None,
    }
}

fn plan() -> Plan {
    Plan {
        responsibility: "设备科 张三".into(),
        measures: "加装防护罩并挂牌".into(),
        funds_fen: 1_200_000,
        deadline: date(2026, 3, 5),
        contingency: "停机隔离，专人监护".into(),
    }
}

fn act(f: &Finding, body: ActionBody) -> Action {
    Action { version: f.version, body }
}

/// Applies and returns the finding as it will be stored.
fn step(f: &Finding, body: ActionBody, actor: Actor, at: DateTime<Utc>) -> Finding {
    let out = apply(f, &act(f, body), &actor, at).unwrap();
    assert_eq!(out.version, f.version + 1);
    assert_eq!(out.history.from_state, Some(f.state));
    assert_eq!(out.history.to_state, out.state);
    assert_eq!(out.history.actor_id, actor.user_id);
    assert_eq!(out.history.actor_role, actor.role);
    f.after(&out)
}

fn assign(assignee: i64) -> ActionBody {
    ActionBody::Assign { assignee, deadline: None, plan: None }
}

fn rectify() -> ActionBody {
    ActionBody::SubmitRectification { note: "已加装防护罩".into(), evidence_ids: vec![501, 502] }
}

/// A general finding assigned to the responsible person, deadline 2026-03-08.
fn to_rectify() -> Finding {
    let f = step(&draft(Grade::General), ActionBody::Submit, officer(), now());
    step(&f, assign(RESPONSIBLE), officer(), now())
}

fn err(f: &Finding, body: ActionBody, actor: Actor, at: DateTime<Utc>) -> TransitionError {
    apply(f, &act(f, body), &actor, at).unwrap_err()
}

fn invalid_field(e: TransitionError) -> &'static str {
    match e {
        TransitionError::Invalid { field, .. } => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn table_md_is_the_rendered_table() {
    let rendered = render_markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/findings/TABLE.md");
    if std::env::var_os("ZHICHA_BLESS").is_some() {
        std::fs::write(path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == rendered,
        "TABLE.md is out of date; rerun with ZHICHA_BLESS=1 and commit it. Rendered:\n{rendered}"
    );
}

#[test]
fn states_are_the_database_check_list() {
    // `FINDING_STATES` in migrations/src/m20261122_000003_inspection.rs.
    let db = ["draft", "submitted", "to_rectify", "overdue", "rectification_submitted", "accepted", "cancelled"];
    let ours: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(ours, db);
    for s in State::ALL {
        assert_eq!(State::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
    }
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(r));
    }
    assert_eq!(Role::parse("hrss_bureau"), None);
}

#[test]
fn each_state_action_pair_is_listed_at_most_once() {
    for (i, a) in TRANSITIONS.iter().enumerate() {
        assert!(!a.roles.is_empty(), "{a:?}");
        for b in &TRANSITIONS[i + 1..] {
            assert!(!(a.from == b.from && a.action == b.action), "{a:?} twice");
        }
    }
    // Nothing leaves `cancelled`; `accepted` only by reopen.
    assert_eq!(actions_from(State::Cancelled).count(), 0);
    let from_accepted: Vec<_> = actions_from(State::Accepted).map(|t| t.action).collect();
    assert_eq!(from_accepted, [ActionKind::Reopen]);
}

fn body_of(kind: ActionKind) -> ActionBody {
    match kind {
        ActionKind::Submit => ActionBody::Submit,
        ActionKind::Assign => assign(RESPONSIBLE),
        ActionKind::MarkOverdue => ActionBody::MarkOverdue,
        ActionKind::SubmitRectification => rectify(),
        ActionKind::Accept => ActionBody::Accept { note: None },
        ActionKind::Reject => ActionBody::Reject { reason: "r".into() },
        ActionKind::RequestExtension => ActionBody::RequestExtension { deadline: date(2026, 4, 1), reason: "r".into() },
        ActionKind::ApproveExtension => ActionBody::ApproveExtension { note: None },
        ActionKind::RefuseExtension => ActionBody::RefuseExtension { reason: "r".into() },
        ActionKind::Cancel => ActionBody::Cancel { reason: "r".into() },
        ActionKind::Reopen => ActionBody::Reopen { reason: "r".into(), deadline: None },
    }
}

#[test]
fn every_pair_not_in_the_table_is_refused_with_the_current_state() {
    let actors = [officer(), responsible(), expert(), Actor::system()];
    let mut refused = 0;
    for state in State::ALL {
        for kind in ActionKind::ALL {
            assert_eq!(body_of(kind).kind(), kind);
            if lookup(state, kind).is_some() {
                continue;
            }
            let f = Finding { state, ..to_rectify() };
            for actor in actors {
                let e = err(&f, body_of(kind), actor, now());
                assert_eq!(e, TransitionError::IllegalState { state, action: kind });
                assert_eq!(e.http_status(), 409);
            }
            refused += 1;
        }
    }
    assert_eq!(refused + TRANSITIONS.len(), State::ALL.len() * ActionKind::ALL.len());
}

#[test]
fn roles_outside_the_table_are_forbidden() {
    for t in TRANSITIONS {
        for role in Role::ALL.into_iter().filter(|r| !t.roles.contains(r)) {
            let f = Finding { state: t.from, ..to_rectify() };
            let actor = if role == Role::System { Actor::system() } else { Actor::user(99, role) };
            let e = err(&f, body_of(t.action), actor, now());
            assert!(matches!(e, TransitionError::Forbidden { .. }), "{t:?} by {role}: {e:?}");
            assert_eq!(e.http_status(), 403);
        }
    }
}

#[test]
fn the_whole_loop_with_a_rejection_and_a_reopen() {
    let f = to_rectify();
    assert_eq!(f.state, State::ToRectify);
    assert_eq!(f.assignee, Some(RESPONSIBLE));
    // Today in China (1 March) + the item's 7 days.
    assert_eq!(f.deadline, Some(date(2026, 3, 8)));

    let f = step(&f, rectify(), responsible(), now());
    assert_eq!((f.state, f.rectifier), (State::RectificationSubmitted, Some(RESPONSIBLE)));
    let f = step(&f, ActionBody::Reject { reason: " 护栏高度仍不足 ".into() }, expert(), now());
    assert_eq!(f.state, State::ToRectify);
    let f = step(&f, rectify(), responsible(), now());
    let out = apply(&f, &act(&f, ActionBody::Accept { note: Some("合格".into()) }), &officer(), now()).unwrap();
    assert_eq!(out.state, State::Accepted);
    assert_eq!(
        out.effect,
        Some(Effect::RectificationStatus {
            status: RectificationStatus::Accepted,
            accepted_by: Some(OFFICER),
            accepted_at: Some(now()),
        })
    );
    assert_eq!(out.history.note.as_deref(), Some("合格"));
    let f = f.after(&out);

    let f = step(&f, ActionBody::Reopen { reason: "复查发现松动".into(), deadline: None }, expert(), now());
    assert_eq!((f.state, f.rectifier, f.assignee), (State::ToRectify, None, Some(RESPONSIBLE)));
    assert_eq!(f.version, 8);
}

#[test]
fn reject_note_is_trimmed_and_required() {
    let f = step(&to_rectify(), rectify(), responsible(), now());
    let out = apply(&f, &act(&f, ActionBody::Reject { reason: " 不合格 ".into() }), &officer(), now()).unwrap();
    assert_eq!(out.history.note.as_deref(), Some("不合格"));
    let e = err(&f, ActionBody::Reject { reason: "  ".into() }, officer(), now());
    assert_eq!(invalid_field(e.clone()), "reason");
    assert_eq!(e.http_status(), 422);
}

#[test]
fn a_major_hazard_needs_the_five_point_plan() {
    let f = step(&draft(Grade::Major), ActionBody::Submit, expert(), now());
    let e = err(&f, assign(RESPONSIBLE), officer(), now());
    assert_eq!(invalid_field(e), "plan");

    let bad = |p: Plan| {
        err(&f, ActionBody::Assign { assignee: RESPONSIBLE, deadline: None, plan: Some(p) }, officer(), now())
    };
    assert_eq!(invalid_field(bad(Plan { funds_fen: -1, ..plan() })), "plan.funds_fen");
    assert_eq!(invalid_field(bad(Plan { contingency: "".into(), ..plan() })), "plan.contingency");
    assert_eq!(invalid_field(bad(Plan { deadline: date(2026, 3, 9), ..plan() })), "plan.deadline");

    let out = apply(
        &f,
        &act(&f, ActionBody::Assign { assignee: RESPONSIBLE, deadline: None, plan: Some(plan()) }),
        &officer(),
        now(),
    )
    .unwrap();
    assert_eq!(
        out.effect,
        Some(Effect::Assigned { assignee: RESPONSIBLE, deadline: date(2026, 3, 8), plan: Some(plan()) })
    );
    let f = f.after(&out);
    assert!(f.plan_present);

    // Closing a major hazard checks the plan is on record.
    let f = step(&f, rectify(), responsible(), now());
    let e = err(&Finding { plan_present: false, ..f.clone() }, ActionBody::Accept { note: None }, officer(), now());
    assert_eq!(invalid_field(e), "plan");
    assert_eq!(step(&f, ActionBody::Accept { note: None }, officer(), now()).state, State::Accepted);
}

#[test]
fn a_plan_required_item_needs_it_too_even_when_general() {
    let mut f = step(&draft(Grade::General), ActionBody::Submit, officer(), now());
    f.item = Some(ItemDefaults { deadline_days: 3, plan_required: true });
    assert_eq!(invalid_field(err(&f, assign(RESPONSIBLE), officer(), now())), "plan");
}

#[test]
fn deadline_defaults_from_the_item_or_must_be_given() {
    let mut f = step(&draft(Grade::General), ActionBody::Submit, officer(), now());
    f.item = None;
    assert_eq!(invalid_field(err(&f, assign(RESPONSIBLE), officer(), now())), "deadline");
    let past = ActionBody::Assign { assignee: RESPONSIBLE, deadline: Some(date(2026, 2, 28)), plan: None };
    assert_eq!(invalid_field(err(&f, past, officer(), now())), "deadline");
    let today = ActionBody::Assign { assignee: RESPONSIBLE, deadline: Some(date(2026, 3, 1)), plan: None };
    assert_eq!(step(&f, today, officer(), now()).deadline, Some(date(2026, 3, 1)));
    assert_eq!(invalid_field(err(&f, assign(0), officer(), now())), "assignee");
    // 23:30 on 28 Feb UTC is already 1 March in China.
    assert_eq!(default_deadline(7, Utc.with_ymd_and_hms(2026, 2, 28, 23, 30, 0).unwrap()), date(2026, 3, 8));
}

#[test]
fn only_the_assignee_rectifies_and_only_someone_else_accepts() {
    let f = to_rectify();
    let stranger = Actor::user(21, Role::ResponsiblePerson);
    assert!(matches!(err(&f, rectify(), stranger, now()), TransitionError::Forbidden { .. }));
    assert!(matches!(err(&f, rectify(), officer(), now()), TransitionError::Forbidden { .. }));
    let no_photo = ActionBody::SubmitRectification { note: "done".into(), evidence_ids: vec![] };
    assert_eq!(invalid_field(err(&f, no_photo, responsible(), now())), "evidence_ids");
    let twice = ActionBody::SubmitRectification { note: "done".into(), evidence_ids: vec![5, 5] };
    assert_eq!(invalid_field(err(&f, twice, responsible(), now())), "evidence_ids");
    let no_note = ActionBody::SubmitRectification { note: " ".into(), evidence_ids: vec![5] };
    assert_eq!(invalid_field(err(&f, no_note, responsible(), now())), "note");

    // An officer who assigned the work to themselves may rectify it, but not accept it.
    let mut mine = step(&draft(Grade::General), ActionBody::Submit, officer(), now());
    mine = step(&mine, assign(OFFICER), officer(), now());
    mine = step(&mine, rectify(), officer(), now());
    let e = err(&mine, ActionBody::Accept { note: None }, officer(), now());
    assert!(matches!(e, TransitionError::Forbidden { role: Role::EnterpriseOfficer, .. }), "{e:?}");
    let e = err(&mine, ActionBody::Reject { reason: "x".into() }, officer(), now());
    assert!(matches!(e, TransitionError::Forbidden { .. }));
    let other = Actor::user(OTHER_OFFICER, Role::EnterpriseOfficer);
    assert_eq!(step(&mine, ActionBody::Accept { note: None }, other, now()).state, State::Accepted);

    // A human role without a user is never enough.
    let anonymous = Actor { user_id: None, role: Role::EnterpriseOfficer };
    assert!(matches!(
        err(&mine, ActionBody::Accept { note: None }, anonymous, now()),
        TransitionError::Forbidden { .. }
    ));
}

#[test]
fn a_stale_version_is_refused_before_anything_else() {
    let f = to_rectify();
    let old = Action { version: f.version - 1, body: ActionBody::Submit };
    let e = apply(&f, &old, &Actor::system(), now()).unwrap_err();
    assert_eq!(e, TransitionError::StaleVersion { current: f.version, expected: f.version - 1 });
    assert_eq!(e.http_status(), 409);
}

#[test]
fn overdue_starts_when_the_deadline_day_ends_in_china() {
    let f = to_rectify(); // due 2026-03-08
    let last_second = Utc.with_ymd_and_hms(2026, 3, 8, 15, 59, 59).unwrap();
    let midnight = Utc.with_ymd_and_hms(2026, 3, 8, 16, 0, 0).unwrap();
    assert_eq!(overdue_at(date(2026, 3, 8)), midnight);
    assert!(!is_overdue(&f, last_second));
    assert!(is_overdue(&f, midnight));
    assert_eq!(local_date(midnight), date(2026, 3, 9));

    assert_eq!(invalid_field(err(&f, ActionBody::MarkOverdue, Actor::system(), last_second)), "deadline");
    assert!(matches!(err(&f, ActionBody::MarkOverdue, officer(), midnight), TransitionError::Forbidden { .. }));
    let out = apply(&f, &act(&f, ActionBody::MarkOverdue), &Actor::system(), midnight).unwrap();
    assert_eq!(out.state, State::Overdue);
    assert_eq!(out.history.actor_id, None);
    assert_eq!(out.history.actor_role, Role::System);
    assert_eq!(out.history.note.as_deref(), Some("deadline 2026-03-08 passed"));
    let f = f.after(&out);
    assert!(is_overdue(&f, midnight));

    // Late work is still accepted; it leaves `overdue` through rectification.
    let f = step(&f, rectify(), responsible(), midnight);
    assert!(!is_overdue(&f, midnight));
}

#[test]
fn an_extension_is_requested_by_the_assignee_and_decided_by_an_officer() {
    let later = Utc.with_ymd_and_hms(2026, 3, 9, 1, 0, 0).unwrap();
    let f = step(&to_rectify(), ActionBody::MarkOverdue, Actor::system(), later);
    let req = |d| ActionBody::RequestExtension { deadline: d, reason: "配件到货需两周".into() };

    assert!(matches!(err(&f, req(date(2026, 3, 20)), officer(), later), TransitionError::Forbidden { .. }));
    assert_eq!(invalid_field(err(&f, req(date(2026, 3, 8)), responsible(), later)), "deadline");
    let f = step(&f, req(date(2026, 3, 20)), responsible(), later);
    assert_eq!(f.state, State::Overdue);
    assert_eq!(f.pending_extension, Some(PendingExtension { requested_by: RESPONSIBLE, deadline: date(2026, 3, 20) }));
    assert_eq!(invalid_field(err(&f, req(date(2026, 3, 25)), responsible(), later)), "deadline");

    // Refused: still overdue, nothing pending.
    let refused = step(&f, ActionBody::RefuseExtension { reason: "不予延期".into() }, officer(), later);
    assert_eq!((refused.state, refused.pending_extension), (State::Overdue, None));
    assert_eq!(
        invalid_field(err(&refused, ActionBody::ApproveExtension { note: None }, officer(), later)),
        "extension"
    );

    // Approved: back to to_rectify with the new deadline.
    let out = apply(&f, &act(&f, ActionBody::ApproveExtension { note: None }), &officer(), later).unwrap();
    assert_eq!(out.state, State::ToRectify);
    assert_eq!(
        out.effect,
        Some(Effect::ExtensionDecided {
            approved: true,
            decided_by: OFFICER,
            decided_at: later,
            new_deadline: Some(date(2026, 3, 20))
        })
    );
    let f = f.after(&out);
    assert_eq!((f.deadline, f.pending_extension), (Some(date(2026, 3, 20)), None));
    assert!(!is_overdue(&f, later));
}

#[test]
fn nobody_decides_their_own_extension() {
    let mut f = step(&draft(Grade::General), ActionBody::Submit, officer(), now());
    f = step(&f, assign(OFFICER), officer(), now());
    f = step(&f, ActionBody::RequestExtension { deadline: date(2026, 4, 1), reason: "r".into() }, officer(), now());
    let e = err(&f, ActionBody::ApproveExtension { note: None }, officer(), now());
    assert!(matches!(e, TransitionError::Forbidden { .. }), "{e:?}");
    let other = Actor::user(OTHER_OFFICER, Role::EnterpriseOfficer);
    assert_eq!(step(&f, ActionBody::ApproveExtension { note: None }, other, now()).deadline, Some(date(2026, 4, 1)));
}

#[test]
fn cancel_needs_a_reason_and_not_once_accepted() {
    let f = to_rectify();
    assert_eq!(invalid_field(err(&f, ActionBody::Cancel { reason: "".into() }, officer(), now())), "reason");
    assert_eq!(step(&f, ActionBody::Cancel { reason: "重复上报".into() }, officer(), now()).state, State::Cancelled);
    let accepted = Finding { state: State::Accepted, ..f };
    let e = err(&accepted, ActionBody::Cancel { reason: "x".into() }, officer(), now());
    assert_eq!(e, TransitionError::IllegalState { state: State::Accepted, action: ActionKind::Cancel });
    assert_eq!(e.to_string(), "cannot cancel a finding that is accepted");
}

#[test]
fn creation_row() {
    let row = created(&officer(), State::Submitted, now()).unwrap();
    assert_eq!((row.from_state, row.to_state, row.actor_id), (None, State::Submitted, Some(OFFICER)));
    assert!(created(&officer(), State::ToRectify, now()).is_err());
    assert!(matches!(created(&responsible(), State::Draft, now()), Err(TransitionError::Forbidden { .. })));
}

#[test]
fn serde_shapes() {
    let a: Action = serde_json::from_str(r#"{"version":3,"action":"reject","reason":"护栏高度仍不足"}"#).unwrap();
    assert_eq!(a, Action { version: 3, body: ActionBody::Reject { reason: "护栏高度仍不足".into() } });
    let a: Action =
        serde_json::from_str(r#"{"version":1,"action":"assign","assignee":20,"deadline":"2026-03-10"}"#).unwrap();
    assert_eq!(a.body, ActionBody::Assign { assignee: 20, deadline: Some(date(2026, 3, 10)), plan: None });
    let a: Action = serde_json::from_str(r#"{"version":1,"action":"mark_overdue"}"#).unwrap();
    assert_eq!(a.body.kind(), ActionKind::MarkOverdue);
    assert!(serde_json::from_str::<Action>(r#"{"version":1,"action":"close"}"#).is_err());
    let back: Action = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);

    let f = Finding { grade: Grade::Major, ..to_rectify() };
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["grade"], "major");
    assert_eq!(json["state"], "to_rectify");
    assert_eq!(serde_json::from_value::<Finding>(json).unwrap(), f);

    let e = TransitionError::IllegalState { state: State::Accepted, action: ActionKind::Cancel };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"kind": "illegal_state", "state": "accepted", "action": "cancel"})
    );
}

#[test]
fn reminders_three_days_one_day_before_and_on_overdue() {
    let d = date(2026, 3, 8);
    let s = reminder_schedule(d);
    assert_eq!(s.map(|r| r.kind), [ReminderKind::ThreeDaysBefore, ReminderKind::OneDayBefore, ReminderKind::Overdue]);
    // 09:00 China time.
    assert_eq!(s[0].at, Utc.with_ymd_and_hms(2026, 3, 5, 1, 0, 0).unwrap());
    assert_eq!(s[1].at, Utc.with_ymd_and_hms(2026, 3, 7, 1, 0, 0).unwrap());
    assert_eq!(s[2].at, overdue_at(d));

    let f = to_rectify();
    let t = |day, h| Utc.with_ymd_and_hms(2026, 3, day, h, 0, 0).unwrap();
    assert!(due_reminders(&f, t(4, 0), t(5, 0)).is_empty());
    assert_eq!(
        due_reminders(&f, t(5, 0), t(5, 1)).iter().map(|r| r.kind).collect::<Vec<_>>(),
        [ReminderKind::ThreeDaysBefore]
    );
    assert_eq!(due_reminders(&f, t(5, 1), t(9, 0)).len(), 2);
    // Nothing for work already handed in.
    let done = step(&f, rectify(), responsible(), now());
    assert!(due_reminders(&done, t(1, 0), t(20, 0)).is_empty());
}

#[test]
fn leaving_rectification_withdraws_a_pending_extension() {
    let req = ActionBody::RequestExtension { deadline: date(2026, 3, 20), reason: "r".into() };
    let f = step(&to_rectify(), req, responsible(), now());
    let out = apply(&f, &act(&f, rectify()), &responsible(), now()).unwrap();
    assert!(out.withdraw_extension);
    assert_eq!(f.after(&out).pending_extension, None);
    let out = apply(&f, &act(&f, ActionBody::Cancel { reason: "x".into() }), &officer(), now()).unwrap();
    assert!(out.withdraw_extension);
    let out = apply(&f, &act(&f, ActionBody::RefuseExtension { reason: "x".into() }), &officer(), now()).unwrap();
    assert!(!out.withdraw_extension);
    let out = apply(&to_rectify(), &act(&to_rectify(), rectify()), &responsible(), now()).unwrap();
    assert!(!out.withdraw_extension);
}
