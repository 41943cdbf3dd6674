//! Opening the store on SQLite: one file locked by one process, WAL, fsynced commits, one
//! connection.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use super::{Pool, Store, migrate_error};
use crate::error::Error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (or creates) the store in an SQLite file. The file is locked for this process
    /// until the store is closed ([`Store::close`]) or dropped: a second process gets a clear
    /// error instead of a shared ledger (several processes need PostgreSQL). Refuses a file
    /// that is not an SQLite database, an SQLite database that is not a `disburse` store, and
    /// a schema newer than this version of the crate, before anything is sent.
    pub async fn sqlite(path: impl AsRef<Path>) -> Result<Store, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit is fsynced: an intent survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(Duration::from_millis(500));
        Store::sqlite_with(options, name).await
    }

    /// A store in memory, for tests: gone when dropped.
    pub async fn sqlite_in_memory() -> Result<Store, Error> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| Error::store_with_source("sqlite::memory:", e))?;
        Store::sqlite_with(options, "sqlite::memory:".to_owned()).await
    }

    async fn sqlite_with(options: SqliteConnectOptions, name: String) -> Result<Store, Error> {
        let mut conn = options.connect().await.map_err(|e| open_error(&name, e))?;
        if let Err(e) = prepare(&mut conn, &name).await {
            let _ = conn.close().await;
            return Err(e);
        }
        Ok(Store::new(Pool::Sqlite(SqliteDb::new(conn)), name))
    }
}

/// Refuses a database that is not ours, migrates, and forgets the workers of earlier runs.
async fn prepare(conn: &mut SqliteConnection, name: &str) -> Result<(), Error> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| open_error(name, e))?;
    let tables: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
    if !tables.is_empty() && !tables.iter().any(|t| t == "disburse_store") {
        return Err(Error::store(format!(
            "{name} is not a disburse payout store (it holds other tables: {}); refusing \
             to touch it",
            tables.join(", ")
        )));
    }
    MIGRATOR
        .run(&mut *conn)
        .await
        .map_err(|e| migrate_error(name, &MIGRATOR, e))?;
    // The file is locked by this process: every worker recorded earlier is gone, and what
    // they found held elsewhere with them.
    sqlx::query("DELETE FROM workers")
        .execute(&mut *conn)
        .await
        .map_err(|e| open_error(name, e))?;
    sqlx::query("DELETE FROM deferred_items")
        .execute(&mut *conn)
        .await
        .map_err(|e| open_error(name, e))?;
    Ok(())
}

/// The store's one SQLite connection, used by one call at a time: SQLite writes one transaction
/// at a time anyway, an exclusive lock admits no second connection, and a memory database lives
/// in its connection.
///
/// Not an sqlx pool: a pool's `close` can return with a connection back in it (one that was
/// being returned while the pool closed, or one its `min_connections` upkeep opened), still
/// holding the file's lock until the pool is dropped. [`SqliteDb::close`] closes the connection
/// itself, so the file is free when it returns.
#[derive(Clone)]
pub(super) struct SqliteDb(Arc<Mutex<Option<SqliteConnection>>>);

/// The store's connection without keeping it open: [`super::group`]'s writer holds this, so
/// dropping the store closes the file.
pub(super) struct WeakSqliteDb(Weak<Mutex<Option<SqliteConnection>>>);

impl WeakSqliteDb {
    /// The connection, unless the store was dropped.
    pub(super) fn upgrade(&self) -> Option<SqliteDb> {
        self.0.upgrade().map(SqliteDb)
    }
}

/// The connection, held by one call.
pub(super) type Held = OwnedMappedMutexGuard<Option<SqliteConnection>, SqliteConnection>;

impl SqliteDb {
    fn new(conn: SqliteConnection) -> SqliteDb {
        SqliteDb(Arc::new(Mutex::new(Some(conn))))
    }

    /// The connection without keeping it open.
    pub(super) fn downgrade(&self) -> WeakSqliteDb {
        WeakSqliteDb(Arc::downgrade(&self.0))
    }

    /// The connection, once the call before has done with it; [`sqlx::Error::PoolClosed`] once
    /// the store is closed.
    pub(super) async fn acquire(&self) -> Result<Held, sqlx::Error> {
        OwnedMutexGuard::try_map(Arc::clone(&self.0).lock_owned().await, Option::as_mut)
            .map_err(|_| sqlx::Error::PoolClosed)
    }

    /// Waits for the call in progress, then closes the connection: SQLite has closed the file
    /// (and let go of its lock) when this returns.
    pub(super) async fn close(&self) {
        let conn = self.0.lock().await.take();
        if let Some(conn) = conn {
            let _ = conn.close().await;
        }
    }
}

fn open_error(name: &str, e: sqlx::Error) -> Error {
    let hint = match &e {
        sqlx::Error::Database(db) if db.message().contains("locked") => {
            " (another process has it open: one process at a time on SQLite; use PostgreSQL \
             for several)"
        }
        sqlx::Error::Database(db) if db.message().contains("not a database") => {
            " (the file is not an SQLite database)"
        }
        _ => "",
    };
    Error::store_with_source(format!("{name}: cannot open: {e}{hint}"), e)
}
