//! One writer at a time per SQLite database, in arrival order. SQLite lets one
//! transaction write at once; the others retry in its busy handler, which sleeps and
//! polls, favours no one and gives up after `busy_timeout` (issue 16: "database is
//! locked" under a few dozen concurrent writers). Write transactions queue here instead,
//! on a fair semaphore, and begin only when the previous one has ended. PostgreSQL
//! needs no queue: its writers lock rows, not the database.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A write transaction, holding its place at the head of the queue until it ends.
pub struct Write {
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Write {
    pub(crate) fn new(txn: DatabaseTransaction, turn: Option<OwnedSemaphorePermit>) -> Self {
        Self { txn, _turn: turn }
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for Write {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

/// The queues, one per SQLite file in this process.
fn queues() -> &'static Mutex<HashMap<PathBuf, Arc<Semaphore>>> {
    static QUEUES: OnceLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = OnceLock::new();
    QUEUES.get_or_init(Default::default)
}

/// Waits for `db`'s turn to write (SQLite only; `None` elsewhere). Waiting longer than
/// `wait` answers SQLite's own "database is locked", which the error layer turns into
/// 503 `busy` with Retry-After, as the busy handler would have: a transaction that
/// begins a second write while holding one gets that answer instead of a deadlock.
pub async fn turn(db: &DatabaseConnection, wait: Duration) -> Result<Option<OwnedSemaphorePermit>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let queue = {
        let mut all = queues().lock().unwrap_or_else(|e| e.into_inner());
        all.entry(file).or_insert_with(|| Arc::new(Semaphore::new(1))).clone()
    };
    match tokio::time::timeout(wait, queue.acquire_owned()).await {
        Ok(Ok(permit)) => Ok(Some(permit)),
        // The semaphore is never closed; a timeout is the busy case.
        _ => Err(DbErr::Custom(crate::db_error::WRITER_QUEUE_TIMEOUT.into())),
    }
}
