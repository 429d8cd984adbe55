//! The zhicha service: configuration, the HTTP application, persistence, imports and
//! seeds. Domain logic lives in `zhicha-engine`.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod engine_cmd;
pub mod entities;
pub mod error;
pub mod evidence;
pub mod extract;
pub mod findings;
pub mod governance;
pub mod hazard_import;
pub mod idempotency;
pub mod import;
pub mod inspections;
pub mod people;
pub mod pii;
pub mod rate_limit;
pub mod recommendations;
pub mod reference;
pub mod reminders;
pub mod request_id;
pub mod routes;
pub mod rules;
pub mod scope;
pub mod scoring;
pub mod seed;
pub mod startup;
pub mod state;
pub mod storage;
pub mod sync;
pub mod targets;
pub mod telemetry;
pub mod wechat;
