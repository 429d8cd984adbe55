//! Route handlers: thin functions that parse, call one use case and shape the answer.
//! Each carries its `#[utoipa::path]` (method, path, parameters, answers); the route
//! table in `http::routes` registers them and says who may call them.

pub mod admin;
pub mod analysis;
pub mod auth;
pub mod binding;
pub mod codes;
pub mod credentials;
pub mod dashboard;
pub mod enterprises;
pub mod evidence;
pub mod expert;
pub mod expert_pool;
pub mod findings;
pub mod governance;
pub mod health;
pub mod imports;
pub mod inspections;
pub mod mp;
pub mod programme;
pub mod recommend;
pub mod reports;
pub mod risk;
pub mod staff;
pub mod sync;
pub mod tasks;
