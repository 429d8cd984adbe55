//! The transition table: every legal (state, action) pair, its target state, the roles
//! allowed to take it and the rule [`apply`](super::apply) checks beyond the role.
//! `TABLE.md` beside this file is [`render_markdown`]'s output, kept in step by a test.

use super::state::{ActionKind, Role, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub action: ActionKind,
    pub to: State,
    pub roles: &'static [Role],
    /// The other conditions, in words, for the rendered table.
    pub rule: &'static str,
}

use ActionKind as A;
use Role::{EnterpriseOfficer as OFFICER, Expert as EXPERT, ResponsiblePerson as RESPONSIBLE, System as SYSTEM};
use State as S;

const fn t(from: State, action: ActionKind, to: State, roles: &'static [Role], rule: &'static str) -> Transition {
    Transition { from, action, to, roles, rule }
}

const REPORTERS: &[Role] = &[OFFICER, EXPERT];
/// The assignee may be a responsible person or an officer who took the work on.
const RECTIFIERS: &[Role] = &[RESPONSIBLE, OFFICER];
const ACCEPTORS: &[Role] = &[OFFICER, EXPERT];
const OFFICERS: &[Role] = &[OFFICER];

const SUBMIT_RECT: &str = "assignee only; progress note and at least one after-photo";
const REQUEST_EXT: &str = "assignee only; none pending; new deadline later than the current one; reason";
const APPROVE_EXT: &str = "a request is pending; not its requester; deadline becomes the requested one";
const REFUSE_EXT: &str = "a request is pending; not its requester; reason";
const CANCEL: &str = "reason";

/// Every legal transition; a (state, action) pair not listed is refused with the
/// current state. Each pair appears at most once.
pub const TRANSITIONS: &[Transition] = &[
    t(S::Draft, A::Submit, S::Submitted, REPORTERS, "—"),
    t(
        S::Submitted,
        A::Assign,
        S::ToRectify,
        OFFICERS,
        "assignee; deadline not in the past (default: today + the library item's deadline_days); \
         major grade or plan-required item: the 五落实 plan",
    ),
    t(S::ToRectify, A::MarkOverdue, S::Overdue, &[SYSTEM], "the deadline day has ended (China time)"),
    t(S::ToRectify, A::SubmitRectification, S::RectificationSubmitted, RECTIFIERS, SUBMIT_RECT),
    t(S::Overdue, A::SubmitRectification, S::RectificationSubmitted, RECTIFIERS, SUBMIT_RECT),
    t(S::RectificationSubmitted, A::Accept, S::Accepted, ACCEPTORS, "not the rectifier; major grade: plan on record"),
    t(S::RectificationSubmitted, A::Reject, S::ToRectify, ACCEPTORS, "not the rectifier; reason"),
    t(S::ToRectify, A::RequestExtension, S::ToRectify, RECTIFIERS, REQUEST_EXT),
    t(S::Overdue, A::RequestExtension, S::Overdue, RECTIFIERS, REQUEST_EXT),
    t(S::ToRectify, A::ApproveExtension, S::ToRectify, OFFICERS, APPROVE_EXT),
    t(S::Overdue, A::ApproveExtension, S::ToRectify, OFFICERS, APPROVE_EXT),
    t(S::ToRectify, A::RefuseExtension, S::ToRectify, OFFICERS, REFUSE_EXT),
    t(S::Overdue, A::RefuseExtension, S::Overdue, OFFICERS, REFUSE_EXT),
    t(S::Draft, A::Cancel, S::Cancelled, REPORTERS, CANCEL),
    t(S::Submitted, A::Cancel, S::Cancelled, REPORTERS, CANCEL),
    t(S::ToRectify, A::Cancel, S::Cancelled, REPORTERS, CANCEL),
    t(S::Overdue, A::Cancel, S::Cancelled, REPORTERS, CANCEL),
    t(S::RectificationSubmitted, A::Cancel, S::Cancelled, REPORTERS, CANCEL),
    t(
        S::Accepted,
        A::Reopen,
        S::ToRectify,
        ACCEPTORS,
        "reason; same assignee; deadline not in the past (default: today + deadline_days)",
    ),
];

/// The transition for `action` out of `from`, if it is legal at all.
pub fn lookup(from: State, action: ActionKind) -> Option<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.from == from && t.action == action)
}

/// The actions legal in `state` (for a client's buttons; roles still apply).
pub fn actions_from(state: State) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS.iter().filter(move |t| t.from == state)
}

/// The table as Markdown, the text of `TABLE.md`.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Hazard finding state machine\n\n\
         Generated from `TRANSITIONS` in `engine/src/findings/table.rs` by `render_markdown`;\n\
         a unit test fails when this file and the code disagree. Any (state, action) pair not\n\
         listed is refused with the current state (HTTP 409).\n\n\
         | from | action | to | who | rule |\n\
         |---|---|---|---|---|\n",
    );
    for t in TRANSITIONS {
        let roles: Vec<&str> = t.roles.iter().map(|r| r.as_str()).collect();
        out.push_str(&format!("| `{}` | `{}` | `{}` | {} | {} |\n", t.from, t.action, t.to, roles.join(", "), t.rule));
    }
    out
}
