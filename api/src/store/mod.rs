//! Queries over the generated `entities`, one file per aggregate, with the caller's
//! scope built in: a row outside the scope is never loaded, so it reads as not found.
//!
//! The rules of this layer:
//! - Only `store/` (and `entities/`) names an entity. Contexts call functions here;
//!   the row types they read are re-exported under the aggregate's name
//!   (`store::findings::Finding` is the `findings` row).
//! - Every function takes the connection it runs on (`&impl ConnectionTrait`), so the
//!   same query serves a plain read and a write inside the caller's transaction.
//! - A query that returns an enterprise's data takes the caller (or its `Scope`) and
//!   filters by it in SQL, a responsible person's assignments included.
//! - Writes take plain values (ids, strings, times), never an `ActiveModel` built by
//!   the caller.

pub mod accidents;
pub mod audit;
pub mod enterprises;
pub mod escalations;
pub mod evidence;
pub mod expert_pool;
pub mod experts;
pub mod feeds;
pub mod findings;
pub mod hazard_items;
pub mod idempotency;
pub mod imports;
pub mod inspections;
pub mod joined;
pub mod organisations;
pub mod outbox;
pub mod paging;
pub mod programme;
pub mod progress;
pub mod regions;
pub mod register;
pub mod reminders;
pub mod reports;
pub mod risk;
pub mod rounds;
pub mod scope;
pub mod sync;
pub mod tasks;
pub mod users;
