//! Opening the store on PostgreSQL: a pool shared by the engine's tasks; several processes on
//! several machines share the database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{Pool, Store, migrate_error};
use crate::error::Error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process unless the URL's pool is configured otherwise.
const MAX_CONNECTIONS: u32 = 16;

impl Store {
    /// Connects to PostgreSQL (`postgres://user:password@host:port/database`; the database
    /// must exist) and runs the migrations (under PostgreSQL's migration lock, so workers may
    /// start together). Refuses a schema newer than this version of the crate.
    pub async fn postgres(url: &str) -> Result<Store, Error> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            Error::store_with_source(
                format!("{}: not a PostgreSQL URL", super::without_password(url)),
                e,
            )
        })?;
        let name = format!(
            "postgres {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // A stopped server fails calls within this, naming the database, instead of
            // hanging the batch.
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| Error::store_with_source(format!("{name}: cannot connect: {e}"), e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| migrate_error(&name, &MIGRATOR, e))?;
        Ok(Store::new(Pool::Postgres(pool), name))
    }
}
