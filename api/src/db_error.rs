//! Which database failures are transient: waited out and retried by the client (503
//! with Retry-After), not faults of the request or of the code. A leaf module, so the
//! error layer can judge a `DbErr` without depending on `platform`.

use sea_orm::{DbErr, RuntimeErr};

/// A database failure the caller should wait out and retry, not a fault of the request
/// or of the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// Lock contention: SQLite's write lock stayed taken past the busy timeout, or
    /// PostgreSQL gave up on a serialisation or deadlock. The same request will work
    /// moments later.
    Busy,
    /// The server cannot be reached, went away mid-request, is shutting down or starting
    /// up, or no connection became free in time.
    Unavailable,
}

/// What a SQLite write says when its turn in the writer queue (`platform::writer`) did
/// not come within the busy timeout: the queue's own "database is locked".
pub const WRITER_QUEUE_TIMEOUT: &str = "database is locked: no turn in the writer queue within the busy timeout";

/// Whether `e` is transient (see [`Transient`]), judged by the driver's error, not its
/// text (the writer queue's timeout aside, which is ours and has no driver error).
pub fn transient(e: &DbErr) -> Option<Transient> {
    match e {
        DbErr::ConnectionAcquire(_) => Some(Transient::Unavailable),
        DbErr::Custom(s) if s == WRITER_QUEUE_TIMEOUT => Some(Transient::Busy),
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => transient_sqlx(e),
        // A connection-level failure sea-orm reports in its own words (no driver error).
        DbErr::Conn(_) => Some(Transient::Unavailable),
        _ => None,
    }
}

fn transient_sqlx(e: &sea_orm::sqlx::Error) -> Option<Transient> {
    use sea_orm::sqlx::Error as E;
    match e {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::BeginFailed => {
            Some(Transient::Unavailable)
        }
        // The server hung up between messages, as PostgreSQL does when it restarts.
        E::Protocol(_) => Some(Transient::Unavailable),
        E::Database(db) => transient_code(db.code().as_deref()?),
        _ => None,
    }
}

/// SQLite result codes (primary and extended) and PostgreSQL SQLSTATEs that are
/// transient.
fn transient_code(code: &str) -> Option<Transient> {
    match code {
        // SQLITE_BUSY, _RECOVERY, _SNAPSHOT, _TIMEOUT; SQLITE_LOCKED, _SHAREDCACHE.
        "5" | "261" | "517" | "773" | "6" | "262" => Some(Transient::Busy),
        // serialization_failure, deadlock_detected, lock_not_available.
        "40001" | "40P01" | "55P03" => Some(Transient::Busy),
        // too_many_connections; admin_shutdown, crash_shutdown, cannot_connect_now.
        "53300" | "57P01" | "57P02" | "57P03" => Some(Transient::Unavailable),
        // Class 08: connection exception.
        c if c.starts_with("08") => Some(Transient::Unavailable),
        _ => None,
    }
}
