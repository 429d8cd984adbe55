//! The trigger engine (动态精准治理): declarative rules under `rules/triggers/` map an
//! enterprise's risk and events to measures on the five-level ladder (自查自纠 →
//! 安全员事故辅助调查 → 安全专家入企治理 → 人社部门联合调研督促 → 联合督导).
//!
//! [`load`] reads and validates the rules (every problem as file:line). [`evaluate`]
//! takes one enterprise's [`EnterpriseState`] and the time, and returns [`Decision`]s:
//! open an escalation for a new cause, escalate one whose tasks are late, close one
//! whose cause is resolved. It reads nothing else, so it can be unit-tested and a stored
//! state replayed. `rules/triggers/README.md` documents the format and the default rules.

mod decide;
mod decision;
mod eval;
mod index;
mod load;
pub mod metric;
pub mod model;
mod raw;
pub mod state;
mod subject;
mod validate;

#[cfg(test)]
mod tests;

pub use decide::{SubjectExplained, evaluate, explain};
pub use decision::{Closing, Decision, Further, Opening};
pub use eval::Observed;
pub use load::{DIR, LEVELS, from_texts, load, load_from};
pub use metric::{Metric, Op, Params, PercentileScope, Window};
pub use model::{CauseKind, Comparison, Condition, Level, Rule, TOP_LEVEL, TaskKind, TriggerRules};
pub use state::{
    AccidentFact, Checkpoint, EnterpriseState, EscalationRecord, EscalationStatus, ExpertVisit, FindingFact, Progress,
    ReportDue, RiskSnapshot, TaskRecord, TaskStatus,
};
pub use subject::{Subject, cause_key, escalated_key};
pub use validate::id_is_well_formed;
