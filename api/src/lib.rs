//! The zhicha service. Domain logic lives in `zhicha-engine`; here:
//! - `http`: all actix code, with the route table every endpoint is declared in;
//! - the contexts: `identity` (accounts, sign-in, roles, the access policy, people),
//!   `selfcheck` (recommendations, inspections, findings, evidence, reports),
//!   `governance` (trigger evaluation, escalations, tasks, experts, reminders),
//!   `oversight` (the bureaus' dashboard, analysis and charts), `reference` (rules,
//!   code tables, imports, risk scoring, seeds);
//! - `store`: queries with the caller's scope built in, over the generated `entities`;
//! - `platform`: database, audit trail, personal data, sync feed, object storage,
//!   WeChat, logging, PDF layout;
//! - `config`, `state`, `startup` (the one boot path) and `cli` (the `zhicha` binary);
//! - `activity`: the demo city's half year of programme activity, through the contexts'
//!   use cases (only start-up and the CLI call it).

pub mod activity;
pub mod cli;
pub mod config;
pub mod db_error;
pub mod domain;
pub mod entities;
pub mod error;
pub mod fuzzing;
pub mod governance;
pub mod http;
pub mod identity;
pub mod oversight;
pub mod platform;
pub mod programme;
pub mod reference;
pub mod selfcheck;
pub mod startup;
pub mod state;
pub mod store;
