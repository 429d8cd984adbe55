//! The integration tests: the real application on a random port, each database test
//! on SQLite and on PostgreSQL (`cargo test -p zhicha-tests postgres` runs only the
//! PostgreSQL variants; without `ZHICHA_TEST_PG_URL` they are skipped outside CI).

// This crate is test-only: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod analysis_export;
mod assignee_scope;
mod audit;
mod auth;
mod browser;
mod codes;
mod crash;
mod dashboard;
mod dashboard_bench;
mod day_one;
mod demo;
mod demo_activity;
mod errors;
mod evidence;
mod expert_pool;
mod experts;
mod fault_proxy;
mod faults;
mod faults_busy;
mod feeds;
mod findings;
mod findings_progress;
mod governance;
mod harness;
mod health;
mod hygiene;
mod idempotency;
mod import;
mod ladder;
mod layout;
mod limits;
mod migrations;
mod one_binary;
mod openapi;
mod osha_jobs;
mod page;
mod pii;
mod policy;
mod programme;
mod recommend;
mod register;
mod reminders;
mod replica;
mod reports;
mod risk;
mod round_page;
mod rules;
mod self_inspection;
mod staff;
mod storage;
mod support;
mod wechat;
mod write_budget;
