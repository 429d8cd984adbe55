//! The plain data `apply` reads and returns: the finding as loaded, the actor, the
//! requested action, and the outcome the caller writes back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::state::{ActionKind, Role, State};
use crate::hazards::Grade;

/// What `apply` needs to know about a finding, gathered by the caller from `findings`,
/// its `rectifications` row, a pending `deadline_extensions` row and the linked
/// library item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub state: State,
    #[serde(with = "grade_str")]
    pub grade: Grade,
    /// `findings.version` as read; every transition bumps it.
    pub version: i32,
    /// `rectifications.assignee_id`.
    pub assignee: Option<i64>,
    /// Who submitted the latest rectification (`rectification_updates.author_id` of the
    /// submission); acceptance must come from someone else.
    pub rectifier: Option<i64>,
    /// `rectifications.deadline`, a date in China time.
    pub deadline: Option<NaiveDate>,
    /// Whether the 五落实 plan columns of `rectifications` are filled.
    pub plan_present: bool,
    /// The linked library item's guidance, when there is one.
    pub item: Option<ItemDefaults>,
    /// A `deadline_extensions` row with status `pending`.
    pub pending_extension: Option<PendingExtension>,
}

/// From the library item (`HazardItem::rectification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDefaults {
    pub deadline_days: u32,
    pub plan_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingExtension {
    pub requested_by: i64,
    pub deadline: NaiveDate,
}

impl Finding {
    /// Whether assignment needs the 五落实 plan.
    pub fn plan_required(&self) -> bool {
        self.grade == Grade::Major || self.item.is_some_and(|i| i.plan_required)
    }

    /// The finding after `outcome`, as the database will hold it once the caller has
    /// written it; lets callers and tests chain transitions without a round trip.
    pub fn after(&self, outcome: &Outcome) -> Finding {
        let mut f = self.clone();
        f.state = outcome.state;
        f.version = outcome.version;
        if outcome.withdraw_extension {
            f.pending_extension = None;
        }
        match &outcome.effect {
            Some(Effect::Assigned { assignee, deadline, plan }) => {
                f.assignee = Some(*assignee);
                f.deadline = Some(*deadline);
                f.plan_present = f.plan_present || plan.is_some();
                f.rectifier = None;
            }
            Some(Effect::RectificationSubmitted { rectifier, .. }) => f.rectifier = Some(*rectifier),
            Some(Effect::ExtensionRequested { requested_by, deadline, .. }) => {
                f.pending_extension = Some(PendingExtension { requested_by: *requested_by, deadline: *deadline });
            }
            Some(Effect::ExtensionDecided { new_deadline, .. }) => {
                f.pending_extension = None;
                if let Some(d) = new_deadline {
                    f.deadline = Some(*d);
                }
            }
            Some(Effect::Reopened { deadline }) => {
                f.deadline = Some(*deadline);
                f.rectifier = None;
            }
            Some(Effect::RectificationStatus { .. }) | None => {}
        }
        f
    }
}

/// Who acts. `user_id` is `None` only for [`Role::System`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Role,
}

impl Actor {
    pub fn user(user_id: i64, role: Role) -> Self {
        Self { user_id: Some(user_id), role }
    }

    pub fn system() -> Self {
        Self { user_id: None, role: Role::System }
    }
}

/// The 五落实 plan: responsibility, measures, funds, deadline, contingency plan; the
/// `plan_*` columns of `rectifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub responsibility: String,
    pub measures: String,
    /// In fen (分), as `plan_funds_fen`.
    pub funds_fen: i64,
    pub deadline: NaiveDate,
    pub contingency: String,
}

/// A requested transition with the version the caller read. As JSON:
/// `{"version": 3, "action": "reject", "reason": "护栏高度仍不足"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub version: i32,
    #[serde(flatten)]
    pub body: ActionBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionBody {
    Submit,
    Assign {
        assignee: i64,
        /// Omitted: today (China time) + the library item's `deadline_days`.
        #[serde(default)]
        deadline: Option<NaiveDate>,
        #[serde(default)]
        plan: Option<Plan>,
    },
    MarkOverdue,
    SubmitRectification {
        note: String,
        /// Ids of the after-photos (`evidence` rows); the caller checks they exist and
        /// belong to this rectification.
        evidence_ids: Vec<i64>,
    },
    Accept {
        #[serde(default)]
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    RequestExtension {
        deadline: NaiveDate,
        reason: String,
    },
    ApproveExtension {
        #[serde(default)]
        note: Option<String>,
    },
    RefuseExtension {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
        #[serde(default)]
        deadline: Option<NaiveDate>,
    },
}

impl ActionBody {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Submit => ActionKind::Submit,
            Self::Assign { .. } => ActionKind::Assign,
            Self::MarkOverdue => ActionKind::MarkOverdue,
            Self::SubmitRectification { .. } => ActionKind::SubmitRectification,
            Self::Accept { .. } => ActionKind::Accept,
            Self::Reject { .. } => ActionKind::Reject,
            Self::RequestExtension { .. } => ActionKind::RequestExtension,
            Self::ApproveExtension { .. } => ActionKind::ApproveExtension,
            Self::RefuseExtension { .. } => ActionKind::RefuseExtension,
            Self::Cancel { .. } => ActionKind::Cancel,
            Self::Reopen { .. } => ActionKind::Reopen,
        }
    }
}

/// `rectifications.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectificationStatus {
    Open,
    Submitted,
    Accepted,
    Rejected,
}

impl RectificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

/// What to write besides `findings.state`, `findings.version` and the history row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Insert the `rectifications` row: status `open`, assignee, deadline, plan columns.
    Assigned { assignee: i64, deadline: NaiveDate, plan: Option<Plan> },
    /// Insert a `rectification_updates` row (progress 100, the note, the evidence
    /// attached to it) and set `rectifications.status` to `submitted`.
    RectificationSubmitted { rectifier: i64, note: String, evidence_ids: Vec<i64> },
    /// Set `rectifications.status`; for `accepted` also `accepted_by` / `accepted_at`.
    RectificationStatus { status: RectificationStatus, accepted_by: Option<i64>, accepted_at: Option<DateTime<Utc>> },
    /// Insert a `deadline_extensions` row with status `pending`.
    ExtensionRequested { requested_by: i64, deadline: NaiveDate, reason: String },
    /// Close the pending `deadline_extensions` row (`approved` / `refused`, decided_by,
    /// decided_at); when approved, `rectifications.deadline` becomes `new_deadline`.
    ExtensionDecided { approved: bool, decided_by: i64, decided_at: DateTime<Utc>, new_deadline: Option<NaiveDate> },
    /// `rectifications`: status `open`, new deadline, `accepted_by` / `accepted_at` cleared.
    Reopened { deadline: NaiveDate },
}

/// One `finding_transitions` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// `None` for the system.
    pub actor_id: Option<i64>,
    pub actor_role: Role,
    pub action: ActionKind,
    /// `None` only for the creation row ([`created`](super::created)).
    pub from_state: Option<State>,
    pub to_state: State,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The result of a legal transition. The caller writes it in one database transaction,
/// updating `findings` only `WHERE version = <the version it read>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub state: State,
    /// The new `findings.version`.
    pub version: i32,
    pub effect: Option<Effect>,
    /// The finding leaves rectification (submitted or cancelled) while an extension
    /// request is pending: the request is moot and the caller closes its row. The
    /// table's statuses have no `withdrawn`; `refused`, decided by this actor, fits.
    pub withdraw_extension: bool,
    pub history: HistoryRow,
}

/// `hazards::Grade` has no `Deserialize`; findings carry it as its database string.
mod grade_str {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::hazards::Grade;

    pub fn serialize<S: Serializer>(g: &Grade, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(g.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Grade, D::Error> {
        let s = String::deserialize(d)?;
        Grade::parse(&s).ok_or_else(|| D::Error::unknown_variant(&s, &["general", "major"]))
    }
}
