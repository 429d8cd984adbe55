//! The hazard-finding state machine (issue 6, items 2 and 3) as pure code: states,
//! actions, roles and their identity rules, the transition table, deadlines and
//! reminders. The API loads a [`Finding`], calls [`apply`] and writes the [`Outcome`]
//! (state, version, [`Effect`], history row) in one database transaction.
//!
//! The table is [`TRANSITIONS`]; `TABLE.md` beside this file is its rendering.

mod deadline;
mod error;
mod model;
mod state;
mod table;
mod transition;

#[cfg(test)]
mod tests;

pub use deadline::{
    Reminder, ReminderKind, deadline_passed, default_deadline, due_reminders, is_overdue, local_date, overdue_at,
    reminder_schedule,
};
pub use error::TransitionError;
pub use model::{
    Action, ActionBody, Actor, Effect, Finding, HistoryRow, ItemDefaults, Outcome, PendingExtension, Plan,
    RectificationStatus,
};
pub use state::{ActionKind, Role, State};
pub use table::{TRANSITIONS, Transition, actions_from, lookup, render_markdown};
pub use transition::{EVIDENCE_MAX, TEXT_MAX_CHARS, apply, created};
