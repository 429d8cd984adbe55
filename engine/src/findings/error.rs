//! Why a transition was refused, in the four kinds the API maps to HTTP statuses.

use serde::Serialize;

use super::state::{ActionKind, Role, State};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransitionError {
    /// The action is not legal in the current state (409).
    #[error("cannot {action} a finding that is {state}")]
    IllegalState { state: State, action: ActionKind },
    /// Legal in this state, but not for this actor (403).
    #[error("a {role} may not {action} this finding: {reason}")]
    Forbidden { action: ActionKind, role: Role, reason: &'static str },
    /// Missing or invalid input; `field` names it as the request spells it (422).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Someone else changed the finding since the caller read it (409).
    #[error("the finding is at version {current}, the request was made against version {expected}")]
    StaleVersion { current: i32, expected: i32 },
}

impl TransitionError {
    pub fn http_status(&self) -> u16 {
        match self {
            Self::IllegalState { .. } | Self::StaleVersion { .. } => 409,
            Self::Forbidden { .. } => 403,
            Self::Invalid { .. } => 422,
        }
    }

    pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }
}
