//! The vocabulary of the state machine: states, actions and roles, each with the exact
//! strings the database and the API use.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A finding's state; the strings are the `findings.state` CHECK list
/// (`FINDING_STATES` in the inspection migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    ToRectify,
    Overdue,
    RectificationSubmitted,
    /// Closed (销号) after acceptance (验收).
    Accepted,
    Cancelled,
}

impl State {
    pub const ALL: [State; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::ToRectify,
        Self::Overdue,
        Self::RectificationSubmitted,
        Self::Accepted,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::ToRectify => "to_rectify",
            Self::Overdue => "overdue",
            Self::RectificationSubmitted => "rectification_submitted",
            Self::Accepted => "accepted",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Rectification is owed: the deadline clock runs and reminders go out.
    pub fn is_open_rectification(self) -> bool {
        matches!(self, Self::ToRectify | Self::Overdue)
    }

    /// No further work expected (a reopen can still leave `accepted`).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Accepted | Self::Cancelled)
    }
}

/// What someone asks to do to a finding, without its data (see [`Action`](super::Action)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Submit,
    Assign,
    MarkOverdue,
    SubmitRectification,
    Accept,
    Reject,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Cancel,
    Reopen,
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
        Self::Submit,
        Self::Assign,
        Self::MarkOverdue,
        Self::SubmitRectification,
        Self::Accept,
        Self::Reject,
        Self::RequestExtension,
        Self::ApproveExtension,
        Self::RefuseExtension,
        Self::Cancel,
        Self::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Assign => "assign",
            Self::MarkOverdue => "mark_overdue",
            Self::SubmitRectification => "submit_rectification",
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::RequestExtension => "request_extension",
            Self::ApproveExtension => "approve_extension",
            Self::RefuseExtension => "refuse_extension",
            Self::Cancel => "cancel",
            Self::Reopen => "reopen",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The roles that take part in a finding's life. The API's other roles (bureaus,
/// administrators) never act on a finding; [`Role::parse`] returns `None` for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    EnterpriseOfficer,
    ResponsiblePerson,
    Expert,
    /// The scheduled jobs (overdue detection); no user behind it.
    System,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::EnterpriseOfficer, Self::ResponsiblePerson, Self::Expert, Self::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnterpriseOfficer => "enterprise_officer",
            Self::ResponsiblePerson => "responsible_person",
            Self::Expert => "expert",
            Self::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(State, ActionKind, Role);
