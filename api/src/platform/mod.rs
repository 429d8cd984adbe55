//! What the contexts stand on: the database and its read replica, the audit trail,
//! sealed personal data, the phones' sync feed, object storage, WeChat, logging and the
//! PDF layout.

pub mod audit;
pub mod cache;
pub mod coalesce;
pub mod db;
pub mod events;
pub mod jobs;
pub mod pdf;
pub mod pii;
pub mod redis;
pub mod replica;
pub mod sealer;
pub mod storage;
pub mod sync;
pub mod telemetry;
pub mod wechat;
pub mod writer;
